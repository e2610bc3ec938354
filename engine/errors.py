"""Typed, coded errors. Each message says what went wrong and how to fix it.

Example:
    >>> raise ConfigError("E101", "window.stride must be < max_length", fix="Lower --engine.window.stride.")
    Traceback (most recent call last):
    ...
    engine.errors.ConfigError: [E101] window.stride must be < max_length Fix: Lower --engine.window.stride.
"""

from __future__ import annotations


class DeidError(Exception):
    """Base of every error the engine raises on purpose.

    Attributes:
        code: short stable code, e.g. ``"E101"``, searchable in the docs.
        fix: one sentence telling the user what to do.
    """

    def __init__(self, code: str, message: str, fix: str | None = None) -> None:
        self.code = code
        self.message = message
        self.fix = fix
        text = f"[{code}] {message}"
        if fix:
            text += f" Fix: {fix}"
        super().__init__(text)

    def __reduce__(self) -> tuple[type, tuple[str, str, str | None]]:
        # Pickle by the constructor's arguments, so an error crosses a process boundary intact.
        return (self.__class__, (self.code, self.message, self.fix))


class ConfigError(DeidError):
    """A configuration value is invalid or missing."""


class ArtifactError(DeidError):
    """A model artifact directory is missing files, has bad hashes, or is malformed."""


class AlignmentError(DeidError):
    """Character spans and tokens could not be aligned, or an annotation does not match its text."""


class CoverageError(DeidError):
    """Windows do not cover every character: something would be silently skipped."""


class InputError(DeidError):
    """User input could not be read (bad encoding, malformed JSONL, missing field)."""


class DeviceError(DeidError):
    """The requested execution device (e.g. CUDA) is not available."""


class DetectionError(DeidError):
    """A detector failed while processing a document (the engine fails closed on it)."""


class OperatorError(DeidError):
    """A redaction operator failed or would have left the original mention in the output."""


class ParityError(DeidError):
    """An exported model does not match its PyTorch source within tolerance."""


class ShapeMismatch(ParityError):
    """Exported and reference outputs have different shapes."""


class ToleranceExceeded(ParityError):
    """Exported outputs differ from the reference by more than the configured tolerance."""


#: The exit codes of the ``deid`` command: code -> meaning (the README's list is checked against it).
EXIT_CODES: dict[int, str] = {
    0: "success",
    1: "de-identification failed, or with on_error=redact_all some documents were redacted entirely",
    2: "bad input or usage",
    3: "model artifact or device problem",
    4: "finished with --skip-bad, but some records were malformed",
}


def exit_code_for(error: BaseException) -> int:
    """The ``deid`` exit code for an error: 2 input/config, 3 artifact/device, 1 anything else.

    Example: ``exit_code_for(InputError("E614", "input not found"))`` -> ``2``.
    """
    if isinstance(error, InputError | ConfigError | ImportError):
        return 2
    if isinstance(error, ArtifactError | DeviceError):
        return 3
    return 1


def describe(code: str) -> tuple[str, str, str]:
    """``(error class, meaning, fix)`` of a code from the generated table (engine/error_codes.py).

    Example: ``describe("E614")[0]`` -> ``'InputError'``.
    """
    from engine.error_codes import ERROR_CODES

    return ERROR_CODES[code]


def missing_extra(package: str, extra: str) -> ImportError:
    """Build the ImportError raised when an optional dependency is missing.

    Example:
        >>> str(missing_extra("torch", "train"))
        "torch is needed here: pip install 'deid-engine[train]'"
    """
    return ImportError(f"{package} is needed here: pip install 'deid-engine[{extra}]'")

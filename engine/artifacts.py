"""Loading and verifying a self-describing model artifact directory.

An artifact directory holds::

    model.onnx       the graph the engine serves (int8 for CPU, fp16 for GPU, or fp32)
    tokenizer.json   the fast tokenizer
    labels.json      {"labels": ["O", "B-DOCTOR", "I-DOCTOR", ...], "scheme": "BIO"}
    manifest.json    file hashes, window config, versions, fusion, quantisation, parity numbers

The engine refuses a directory whose files do not match the manifest's SHA-256 hashes.

Example:
    >>> art = load_artifacts("artifacts/default")                  # doctest: +SKIP
    >>> art.max_length, art.stride, art.labels[:3]                  # doctest: +SKIP
    (256, 64, ['O', 'B-PATIENT', 'I-PATIENT'])
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.errors import ArtifactError
from engine.text.tokenize import TextTokenizer

MANIFEST = "manifest.json"
LABELS = "labels.json"
TOKENIZER = "tokenizer.json"
MODEL = "model.onnx"
#: Hugging Face config (architecture, id2label): optimum's ORTModelForTokenClassification loads the
#: directory with it. Optional for the engine, verified like the others when the manifest lists it.
CONFIG = "config.json"
FORMAT_VERSION = 1

#: The embedded default model ships inside the package here.
DEFAULT_MODEL_DIR = Path(__file__).parent / "default_model"

#: Weight files that make a directory (with ``config.json``, without ``manifest.json``) a Hugging
#: Face checkpoint, which ``load_artifacts`` exports on the fly.
HF_WEIGHTS = ("model.safetensors", "model.safetensors.index.json", "pytorch_model.bin")
#: Where those exports are cached: ``$DEID_CACHE_DIR/hf-exports``, else ``~/.cache/deid/hf-exports``.
CACHE_ENV = "DEID_CACHE_DIR"
#: What the on-the-fly export needs (the ``[export]`` extra), checked before importing any of it.
EXPORT_MODULES = ("torch", "transformers", "onnx")

log = logging.getLogger(__name__)


def file_sha256(path: str | Path, chunk: int = 1 << 20) -> str:
    """Hex SHA-256 of a file, read in chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def file_table(root: str | Path, names: list[str]) -> dict[str, dict[str, Any]]:
    """The manifest's ``files`` entry: ``{name: {"sha256": ..., "bytes": ...}}``."""
    r = Path(root)
    return {n: {"sha256": file_sha256(r / n), "bytes": (r / n).stat().st_size} for n in names}


def write_labels(root: str | Path, labels: list[str]) -> None:
    """Write ``labels.json`` (BIO tags in model output order)."""
    Path(root, LABELS).write_text(json.dumps({"labels": labels, "scheme": "BIO"}, indent=1) + "\n")


@dataclass(frozen=True)
class Artifacts:
    """A verified artifact directory, ready for the engine."""

    root: Path
    model_path: Path
    tokenizer: TextTokenizer
    labels: list[str]
    max_length: int
    stride: int
    manifest: dict[str, Any]

    @property
    def precision(self) -> str:
        """``fp32``, ``int8`` or ``fp16``."""
        return str(self.manifest.get("precision", "fp32"))

    @property
    def batch_invariant(self) -> bool:
        """False for an int8 graph that quantises activations dynamically (one scale per model call).

        Such a graph's output for a window depends on the other windows in its call, so the engine
        runs it one window per call. Graphs with frozen activation scales (``engine.export.freeze_scales``),
        fp32 and fp16 graphs can share calls.
        """
        if self.precision != "int8":
            return True
        quant = self.manifest.get("quantization") or {}
        return isinstance(quant, dict) and bool(quant.get("activation_scales"))

    @property
    def model_sha256(self) -> str:
        """Hash of the served graph (benchmarks report it)."""
        return str(self.manifest["files"][MODEL]["sha256"])


def default_model_available() -> bool:
    """True when the package carries the embedded default model."""
    return (DEFAULT_MODEL_DIR / MANIFEST).is_file()


def load_artifacts(path: str | Path | None = None, verify: bool = True) -> Artifacts:
    """Load and verify an artifact directory (``None``: the embedded default model).

    A Hugging Face token-classification directory (``config.json`` and weights, no manifest) is
    exported once into the cache (:func:`export_hf_checkpoint`) and that export is loaded.

    Raises:
        ArtifactError: a file is missing, a hash does not match, or the manifest is malformed.
    """
    root = Path(path) if path is not None else DEFAULT_MODEL_DIR
    if path is None and not default_model_available():
        raise ArtifactError(
            "E210",
            "this install carries no embedded default model",
            fix="Pass --model DIR (an export directory), or reinstall the package from a clone of main.",
        )
    if is_hf_checkpoint(root):
        root = export_hf_checkpoint(root)
    mpath = root / MANIFEST
    if not mpath.is_file():
        raise ArtifactError(
            "E211",
            f"{root} is not a model artifact: no {MANIFEST}",
            fix="Point --model at a directory written by `deid export`, or at a Hugging Face model "
            "directory (config.json and weights).",
        )
    try:
        manifest = json.loads(mpath.read_text())
        files = manifest["files"]
        max_length = int(manifest["window"]["max_length"])
        stride = int(manifest["window"]["stride"])
    except (ValueError, KeyError, TypeError) as e:
        raise ArtifactError("E212", f"malformed {mpath}: {e}", fix="Export the model again.") from e
    if int(manifest.get("format_version", 0)) != FORMAT_VERSION:
        raise ArtifactError(
            "E213",
            f"{mpath} has format_version {manifest.get('format_version')}, "
            f"this engine reads {FORMAT_VERSION}",
            fix="Export the model again.",
        )
    for name in (MODEL, TOKENIZER, LABELS):
        if name not in files:
            raise ArtifactError("E214", f"{mpath} does not list {name}", fix="Export the model again.")
    for name, meta in files.items():
        f = root / name
        if not f.is_file():
            raise ArtifactError("E215", f"artifact file missing: {f}", fix="Copy the whole export directory.")
        if verify and file_sha256(f) != meta["sha256"]:
            raise ArtifactError(
                "E216",
                f"{f} does not match the SHA-256 in {mpath}: the artifact was modified or is corrupt",
                fix="Re-export the model, or restore the file from the original export.",
            )
    labels_doc = json.loads((root / LABELS).read_text())
    labels = list(labels_doc["labels"])
    if not labels or labels[0] != "O":
        raise ArtifactError("E217", f"{root / LABELS} must list 'O' first, got {labels[:3]}")
    return Artifacts(
        root=root,
        model_path=root / MODEL,
        tokenizer=TextTokenizer.from_file(root / TOKENIZER),
        labels=labels,
        max_length=max_length,
        stride=stride,
        manifest=manifest,
    )


def is_hf_checkpoint(root: str | Path) -> bool:
    """True for a Hugging Face model directory: ``config.json`` and weights, no ``manifest.json``."""
    r = Path(root)
    return (
        r.is_dir()
        and not (r / MANIFEST).is_file()
        and (r / CONFIG).is_file()
        and any((r / w).is_file() for w in HF_WEIGHTS)
    )


def export_cache_dir() -> Path:
    """``$DEID_CACHE_DIR/hf-exports`` or ``~/.cache/deid/hf-exports`` (read at call time)."""
    env = os.environ.get(CACHE_ENV)
    return (Path(env) if env else Path.home() / ".cache" / "deid") / "hf-exports"


def checkpoint_key(root: str | Path) -> str:
    """SHA-256 over the names and bytes of the checkpoint's top-level files: the cache key.

    Any change to the weights, the config or the tokenizer gives a new key, so a stale export is
    never served for a changed checkpoint.
    """
    h = hashlib.sha256()
    for f in sorted(p for p in Path(root).iterdir() if p.is_file()):
        h.update(f.name.encode("utf-8") + b"\0" + file_sha256(f).encode("ascii"))
    return h.hexdigest()


def export_hf_checkpoint(root: str | Path) -> Path:
    """Export a Hugging Face checkpoint to ONNX once (default :class:`ExportConfig`, parity-gated).

    Returns the cached artifact directory. Needs the ``[export]`` extra, imported only here, so
    the engine's own imports stay free of torch.

    Raises:
        ArtifactError: E218, the export extra is not installed (the message names the pip command).
        ParityError: the export failed its parity gate (nothing is cached then).
    """
    src = Path(root)
    missing = [m for m in EXPORT_MODULES if importlib.util.find_spec(m) is None]
    export_model = None
    if not missing:
        try:
            export_model = importlib.import_module("engine.export.onnx_export").export_model
        except ImportError as e:
            missing = [e.name or "export"]
    if export_model is None:
        raise ArtifactError(
            "E218",
            f"{src} is a Hugging Face model directory (config.json and weights, no {MANIFEST}); the "
            f"engine serves ONNX exports, and exporting it needs {', '.join(missing)}",
            fix="pip install 'deid-engine[export]' (the directory is then exported once, into "
            f"{export_cache_dir()}), or export it yourself: deid export --model DIR --out ARTIFACT.",
        )
    out = export_cache_dir() / checkpoint_key(src)[:16]
    if (out / MANIFEST).is_file():
        return out
    log.warning("exporting the Hugging Face model %s to ONNX once, into %s", src, out)
    export_model(src, out, force=True)
    return out

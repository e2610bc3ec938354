"""``deid export``: a thin argparse wrapper over :func:`engine.export.onnx_export.export_model`.

Exit codes follow ``engine.cli``: 0 ok, 1 parity gate failed (nothing replaced), 2 bad usage or config.

Example:
    $ deid export --model runs/minilm --out artifacts/default --precision int8 --dev dev.jsonl
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from engine.errors import ConfigError, DeidError, InputError, ParityError


def register(sub: Any) -> None:
    """Add the ``export`` subcommand to ``deid``'s subparsers."""
    p = sub.add_parser(
        "export",
        help="export a trained checkpoint to a parity-gated ONNX artifact",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--model", required=True, help="Hugging Face token-classification checkpoint directory")
    p.add_argument("--out", required=True, help="artifact directory to write (replaced atomically)")
    p.add_argument(
        "--precision",
        choices=["fp32", "int8", "fp16"],
        default="int8",
        help="served graph precision (default int8: CPU)",
    )
    p.add_argument("--dev", help="JSONL dev corpus with gold spans for task parity")
    p.add_argument("--dev-limit", type=int, help="use at most N dev documents")
    p.add_argument("--max-recall-drop", type=float, default=0.5, help="strict recall drop limit in points")
    p.add_argument("--max-f1-drop", type=float, default=1.0, help="strict F1 drop limit in points")
    p.add_argument("--min-label-agreement", type=float, default=0.0, help="min token argmax agreement (0-1)")
    p.add_argument("--atol", type=float, default=1e-3, help="fp32 logit tolerance vs torch")
    p.add_argument("--opset", type=int, default=17)
    p.add_argument(
        "--exporter",
        choices=["torch", "optimum"],
        default="torch",
        help="torch.onnx.export (default) or optimum's main_export (needs optimum-onnx)",
    )
    p.add_argument(
        "--optimization", default="bert-fused.v2", help="optimisation preset (engine.export.optimize)"
    )
    p.add_argument(
        "--quantization", default="dynamic-per-channel.v1", help="int8 preset (engine.export.quantize)"
    )
    p.add_argument("--max-length", type=int, help="window length (default: the checkpoint's deid_train.json)")
    p.add_argument("--stride", type=int, help="window overlap (default: the checkpoint's deid_train.json)")
    p.add_argument("--force", action="store_true", help="replace an existing non-empty --out")
    p.add_argument("--json", action="store_true", help="print the parity report as JSON only")
    p.set_defaults(func=run)


def format_table(parity: dict[str, Any]) -> str:
    """Human-readable parity table from the manifest's ``parity`` entry.

    Example:
        >>> print(format_table({"tensor": {"max_abs_diff": 1e-5, "atol": 1e-3, "n_windows": 6,
        ...   "passed": True}}).splitlines()[1])
        tensor  fp32 vs torch   max|diff| 1e-05 (atol 0.001, 6 windows)   PASS
    """
    lines = ["layer   check           value                                     result"]
    t = parity.get("tensor")
    if t:
        lines.append(
            f"tensor  fp32 vs torch   max|diff| {t['max_abs_diff']:.3g} (atol {t['atol']:g}, "
            f"{t['n_windows']} windows)   {'PASS' if t['passed'] else 'FAIL'}"
        )
    k = parity.get("task")
    if k:
        ok = "PASS" if k["passed"] else "FAIL"
        lines.append(
            f"task    label agreement {k['label_agreement']:.4f} over {k['n_tokens']} tokens, "
            f"{k['n_docs']} docs"
        )
        lines.append(
            f"task    strict recall   torch {100 * k['torch']['recall']:.2f}  onnx "
            f"{100 * k['onnx']['recall']:.2f}  drop {k['recall_drop']:.2f} pt "
            f"(max {k['limits']['max_recall_drop']})   {ok}"
        )
        lines.append(
            f"task    strict F1       torch {100 * k['torch']['f1']:.2f}  onnx "
            f"{100 * k['onnx']['f1']:.2f}  drop {k['f1_drop']:.2f} pt (max {k['limits']['max_f1_drop']})"
        )
        for f in k.get("failures", []):
            lines.append(f"FAIL    {f}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    """Build the :class:`ExportConfig`, export, print the parity table; return the exit code."""
    from pydantic import ValidationError

    from engine.export.config import ExportConfig
    from engine.export.onnx_export import export_model
    from engine.export.parity import as_dict

    try:
        cfg = ExportConfig(
            precision=args.precision,
            opset=args.opset,
            optimization=args.optimization,
            quantization=args.quantization,
            atol=args.atol,
            max_recall_drop=args.max_recall_drop,
            max_f1_drop=args.max_f1_drop,
            min_label_agreement=args.min_label_agreement,
            dev_limit=args.dev_limit,
            max_length=args.max_length,
            stride=args.stride,
        )
    except ValidationError as e:
        print(f"deid export: invalid option: {e}", file=sys.stderr)
        return 2
    try:
        report = export_model(args.model, args.out, config=cfg, dev=args.dev, force=args.force)
    except ParityError as e:
        print(f"deid export: {e}", file=sys.stderr)
        rep = getattr(e, "report", None)
        if rep is not None:
            par = rep.parity if hasattr(rep, "parity") else {"tensor": as_dict(rep)}
            print(json.dumps(par, indent=1) if args.json else format_table(par), file=sys.stderr)
        print(f"deid export: nothing written; {args.out} left as it was", file=sys.stderr)
        return 1
    except (ConfigError, InputError) as e:
        print(f"deid export: {e}", file=sys.stderr)
        return 2
    except DeidError as e:
        print(f"deid export: {e}", file=sys.stderr)
        return 1
    par = report.parity
    if args.json:
        print(json.dumps(par, indent=1))
    else:
        m = report.manifest
        mb = m["files"]["model.onnx"]["bytes"] / 1e6
        print(f"wrote {report.out_dir} ({m['precision']}, {mb:.1f} MB model, fused {m['fused_operators']})")
        print(format_table(par))
        print(json.dumps({"parity": par}))
    return 0

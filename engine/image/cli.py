"""``deid image``: a thin argparse wrapper over :class:`engine.image.ImageDeidentifier`.

Exit codes (as for text, see :mod:`engine.cli`): 0 every input written; 1 de-identification failed
(an input whose OCR or engine run failed with ``on_ocr_error="report"``); 2 bad input or usage (every
input unreadable, a bad config value); 3 Tesseract or the model missing; 4 some inputs were bad but
the others were written (each bad one is named on stderr, with its error code).

Example:
    $ deid image scan.png letter.pdf -o OUT/
    $ deid image faxes/ -o OUT/ --psm 11 --labels NAME,DATE,ID --color '#808080'
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from engine.errors import ConfigError, InputError


def register(sub: Any) -> None:
    """Add the ``image`` subcommand to the ``deid`` CLI."""
    p = sub.add_parser(
        "image",
        help="redact scanned images and PDFs (needs the [image] extra and Tesseract)",
        description="OCR each page, find PHI with the text engine, and fill the PHI words' boxes. "
        "Writes OUTDIR/<name> (same format) and OUTDIR/<stem>.json (regions, no text).",
    )
    p.add_argument("inputs", nargs="+", help="PNG, JPEG, TIFF, PDF or DICOM files, or directories of them")
    p.add_argument("-o", "--output", required=True, help="output directory (must not hold the inputs)")
    p.add_argument(
        "--config", help="TOML/JSON config: engine sections at top level, image ones under [image]"
    )
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override: image.ocr.psm=11 for the image path, decode.o_threshold=0.9 for the engine",
    )
    p.add_argument("--psm", type=int, help="Tesseract page segmentation mode (default 3; 11 = sparse text)")
    p.add_argument("--conf", type=float, help="OCR confidence threshold 0-100 (default 70)")
    p.add_argument("--dpi", type=int, help="PDF render resolution and OCR hint (default 300)")
    p.add_argument("--labels", help="comma-separated labels to cover, e.g. NAME,DATE,ID (default: all)")
    p.add_argument("--padding", type=int, help="pixels added around each box (default 3)")
    p.add_argument("--color", help="rectangle colour #RRGGBB (default #000000)")
    p.add_argument("--workers", type=int, help="pages OCR'd in parallel (default: CPU count)")
    p.add_argument(
        "--on-ocr-error",
        choices=["cover", "report"],
        help="a page whose OCR fails: cover it whole (default) or fail the file",
    )
    p.add_argument("--model", help="model artifact directory (default: the embedded model)")
    p.add_argument("--threads", type=int, help="onnxruntime intra-op threads")
    p.add_argument("--force", action="store_true", help="overwrite existing outputs")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def _overrides(args: argparse.Namespace) -> list[str]:
    out = list(args.set)
    for flag, key in (
        ("psm", "image.ocr.psm"),
        ("conf", "image.ocr.conf_threshold"),
        ("dpi", "image.ocr.dpi"),
        ("padding", "image.draw.padding"),
        ("color", "image.draw.color"),
        ("workers", "image.workers"),
        ("on_ocr_error", "image.on_ocr_error"),
        ("model", "model_dir"),
        ("threads", "runtime.threads"),
    ):
        value = getattr(args, flag)
        if value is not None:
            out.append(f"{key}={json.dumps(value)}")
    if args.labels is not None:
        labels = [x.strip().upper() for x in args.labels.split(",") if x.strip()]
        out.append(f"image.labels={json.dumps(labels)}")
    return out


def build_configs(args: argparse.Namespace) -> tuple[Any, Any]:
    """The ``(ImageConfig, EngineConfig)`` pair from ``--config``, ``--set`` and the shortcut flags."""
    from engine.config import EngineConfig, apply_overrides
    from engine.image.config import ImageConfig

    overrides = _overrides(args)
    engine_overrides = [o for o in overrides if not o.startswith("image.")]
    data: dict[str, Any] = {}
    if args.config:
        import tomllib

        path = Path(args.config)
        try:
            raw = path.read_text(encoding="utf-8")
            data = tomllib.loads(raw) if path.suffix.lower() == ".toml" else json.loads(raw)
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, json.JSONDecodeError) as e:
            raise ConfigError("E109", f"cannot read config file {path}: {type(e).__name__}: {e}") from e
        if not isinstance(data, dict):
            raise ConfigError("E109", f"config file {path} must hold a table/object at the top level")
    image_data = data.pop("image", {}) if isinstance(data, dict) else {}
    image_cfg = ImageConfig.from_overrides(overrides, image_data)
    engine_cfg = EngineConfig.from_dict(apply_overrides(data, engine_overrides))
    return image_cfg, engine_cfg


def collect_inputs(items: list[str]) -> list[Path]:
    """Files as given, directories expanded to their supported files (sorted, not recursive).

    A missing path stays in the list: it is reported as a bad input while the others go on.
    """
    from engine.image.formats import KINDS

    out: list[Path] = []
    for item in items:
        p = Path(item)
        if p.is_dir():
            found = sorted(f for f in p.iterdir() if f.is_file() and f.suffix.lower() in KINDS)
            if not found:
                raise InputError("E705", f"{p}: no PNG/JPEG/TIFF/PDF/DICOM files in the directory")
            out.extend(found)
        else:
            out.append(p)
    names = [p.name for p in out]
    dup = sorted({n for n in names if names.count(n) > 1})
    stems = [p.stem for p in out]
    dup += sorted({p.name for p in out if stems.count(p.stem) > 1} - set(dup))
    if dup:
        raise InputError(
            "E708",
            f"several inputs would write the same output name: {', '.join(dup[:5])}",
            fix="Run them into different -o directories.",
        )
    return out


class PageProgress:
    """A page progress bar on stderr: redrawn in place on a terminal, one summary line at the end.

    Example (a terminal, 5 of 12 pages done): ``[############                  ] 5/12 pages 0.82 pages/s``
    """

    def __init__(self, total: int, enabled: bool) -> None:
        self.total = total
        self.enabled = enabled
        self.live = enabled and sys.stderr.isatty()
        self.done = 0
        self.t0 = self.last = time.perf_counter()

    def _line(self) -> str:
        rate = self.done / max(time.perf_counter() - self.t0, 1e-9)
        total = max(self.total, self.done)
        bar = "#" * int(30 * self.done / total) if total else ""
        return f"[{bar:<30}] {self.done}/{total} pages {rate:.2f} pages/s"

    def __call__(self, n: int) -> None:
        """Count ``n`` finished pages (redraw at most 10 times a second)."""
        self.done += n
        now = time.perf_counter()
        if self.live and now - self.last > 0.1:
            self.last = now
            sys.stderr.write("\r" + self._line())
            sys.stderr.flush()

    def close(self) -> None:
        """Print the final count."""
        if self.enabled and self.done:
            sys.stderr.write(("\r" if self.live else "") + self._line() + "\n")


def run(args: argparse.Namespace) -> int:
    """Redact every input; print one JSON line per input on stdout; return the exit code."""
    try:
        from engine.image.pipeline import ImageDeidentifier
    except ImportError as e:
        raise ConfigError(
            "E707", f"the image path needs its extra: {e}", fix="pip install 'deid-engine[image]'"
        ) from e
    image_cfg, engine_cfg = build_configs(args)
    paths = collect_inputs(args.inputs)
    outdir = Path(args.output)
    if outdir.exists() and not outdir.is_dir():
        raise InputError("E708", f"-o {outdir} exists and is not a directory")
    from engine.image.formats import count_pages

    progress = PageProgress(sum(count_pages(p) for p in paths) if not args.quiet else 0, not args.quiet)
    bad = failed = ok = 0
    with ImageDeidentifier(image_cfg, engine_cfg) as deid:
        for report in deid.redact_files(paths, outdir, force=args.force, on_page=progress):
            line = {"input": str(report.input), "ok": report.ok, "pages": len(report.pages)}
            if report.ok:
                ok += 1
                line["output"] = str(report.output)
                line["regions"] = sum(len(p.regions) for p in report.pages)
                covered = [p.page for p in report.pages if p.ocr == "failed"]
                if covered:
                    line["pages_covered_after_ocr_error"] = covered
                    sys.stderr.write(
                        f"deid: warning: {report.input}: OCR failed on pages {covered}, covered\n"
                    )
            else:
                line["error"] = report.error
                sys.stderr.write(f"deid: error: {report.input}: {report.error}\n")
                if report.bad_input:
                    bad += 1
                else:
                    failed += 1
            print(json.dumps(line), flush=True)
    progress.close()
    if failed:
        return 1
    if bad:
        return 4 if ok else 2
    return 0

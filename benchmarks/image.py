"""Benchmark of the image path: pages/s, time split OCR vs engine vs drawing, and the leak rate.

Renders a seeded set of synthetic Letter-size scanned pages with known PHI (two notes a page; fonts,
10-16 pt, 150/200/300 dpi, rotation, noise, a two-column page), writes them as PNG files, runs
``ImageDeidentifier`` over them (pages in parallel, one single-threaded Tesseract each) and then
re-OCRs every redacted output:

* ``pages_per_s``: pages / wall time of ``redact_files`` (load, OCR, engine, draw, write);
* ``split_s``: seconds per stage summed over pages (OCR runs ``workers`` pages at once, so its share
  of the wall time is about ``ocr / workers``);
* ``leak_rate``: PHI strings still read by OCR in the redacted pages / PHI strings planted (target 0);
  ``uncovered_words``: planted PHI words with any ink pixel left unfilled; ``readable``: the share of
  the other words that OCR still reads.

An optional section times Tesseract with its own OpenMP threads against one thread per page.

Example:
    $ python -m engine.benchmarks.image --pages 12 --out benchmarks/results/image
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

#: Page variants, cycled over the benchmark's pages: render_page keyword arguments.
VARIANTS: tuple[dict[str, Any], ...] = (
    {"dpi": 150, "pt": 11, "font": "DejaVuSans.ttf"},
    {"dpi": 300, "pt": 10, "font": "DejaVuSerif.ttf", "rotate": 0.8, "noise": 8},
    {"dpi": 150, "pt": 16, "font": "DejaVuSansMono.ttf", "rotate": -1.2, "noise": 12},
    {"dpi": 200, "pt": 10, "font": "DejaVuSans.ttf", "columns": 2},
    {"dpi": 150, "pt": 12, "font": "DejaVuSansCondensed.ttf", "noise": 15},
    {"dpi": 300, "pt": 14, "font": "DejaVuSans.ttf", "rotate": 0.5},
)


def render_set(n: int, seed: int, outdir: Path) -> list[tuple[Path, Any]]:
    """``n`` Letter-size synthetic pages (two notes each) as PNG files in ``outdir``: ``[(path, page)]``."""
    from engine.image.synth import note_lines, render_page

    rng = random.Random(seed)
    out = []
    for i in range(n):
        kw = dict(VARIANTS[i % len(VARIANTS)])
        columns = kw.pop("columns", 1)
        notes = [note_lines(rng, clinical=6) + note_lines(rng, clinical=6) for _ in range(columns)]
        lines = notes if columns > 1 else notes[0]
        page = render_page(lines, seed=seed + i, paper=(8.5, 11.0), **kw)
        path = outdir / f"page{i:03d}.png"
        page.image.save(path, dpi=(page.dpi, page.dpi))
        out.append((path, page))
    return out


def evaluate(pages: list[tuple[Path, Any]], outdir: Path, rgb: tuple[int, int, int]) -> dict[str, Any]:
    """Re-OCR every redacted page: leak rate, PHI words not fully covered, readable other words."""
    from PIL import Image

    from engine.image.config import OcrConfig
    from engine.image.ocr import ocr_page
    from engine.image.synth import leaked, phi_coverage, readable

    planted = leaks = uncovered = words = 0
    read: list[float] = []
    for path, page in pages:
        with Image.open(outdir / path.name) as im:
            red = im.copy()
        tokens = [w.text for w in ocr_page(red, OcrConfig(), page.dpi)]
        phi = page.phi_strings
        planted += len(phi)
        leaks += len(leaked(phi, tokens))
        cover = phi_coverage(page, red, rgb)
        words += len(cover)
        uncovered += sum(c < 0.995 for c in cover.values())
        read.append(readable(page, tokens))
    return {
        "phi_strings_planted": planted,
        "phi_strings_reocrd": leaks,
        "leak_rate": leaks / max(planted, 1),
        "phi_words": words,
        "uncovered_words": uncovered,
        "readable_mean": sum(read) / len(read),
        "readable_min": min(read),
    }


def tesseract_threads(paths: list[Path], runs: int = 4) -> dict[str, float]:
    """Seconds per page, pages one after another: Tesseract's own threads vs ``OMP_THREAD_LIMIT=1``."""
    out: dict[str, float] = {}
    for name, limit in (
        ("tesseract_threads_default_s_per_page", None),
        ("omp_thread_limit_1_s_per_page", "1"),
    ):
        env = dict(os.environ)
        env.pop("OMP_THREAD_LIMIT", None)
        if limit:
            env["OMP_THREAD_LIMIT"] = limit
        t0 = time.perf_counter()
        for p in paths[:runs]:
            subprocess.run(["tesseract", str(p), "stdout", "tsv"], capture_output=True, env=env, check=True)
        out[name] = (time.perf_counter() - t0) / min(runs, len(paths))
    return out


def _cpu_s() -> float:
    """User + system CPU seconds of this process and its finished children (the Tesseract runs)."""
    import resource

    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def run(n_pages: int, workers: int, seed: int, threads_section: bool) -> dict[str, Any]:
    """Render, redact, evaluate; the report as a dict."""
    from engine.benchmarks.machine import load_snapshot, machine_record
    from engine.image.config import ImageConfig
    from engine.image.ocr import tesseract_version
    from engine.image.pipeline import ImageDeidentifier

    tmp = Path(tempfile.mkdtemp(prefix="deid-image-bench-"))
    try:
        (tmp / "in").mkdir()
        pages = render_set(n_pages, seed, tmp / "in")
        cfg = ImageConfig(workers=workers)
        before = load_snapshot()
        with ImageDeidentifier(cfg) as deid:
            deid.engine  # noqa: B018 - load the model outside the timed run
            warm = tmp / "warm"
            list(deid.redact_files([pages[0][0]], warm))  # warm-up: first onnxruntime call
            cpu0 = _cpu_s()
            t0 = time.perf_counter()
            reports = list(deid.redact_files([p for p, _ in pages], tmp / "out"))
            wall = time.perf_counter() - t0
            cpu = _cpu_s() - cpu0
        failed = [str(r.error) for r in reports if not r.ok]
        split: dict[str, float] = {}
        for r in reports:
            for k, v in r.timings.items():
                split[k] = split.get(k, 0.0) + v
        n = sum(len(r.pages) for r in reports)
        report: dict[str, Any] = {
            "pages": n,
            "workers": deid.workers,
            "wall_s": round(wall, 3),
            "pages_per_s": round(n / wall, 3),
            "s_per_page": round(wall / n, 3),
            # CPU seconds (this process and its Tesseract children) do not depend on other jobs'
            # load: usable cores / cpu_s_per_page is the pages/s of an otherwise idle machine
            "cpu_s_per_page": round(cpu / n, 3),
            "idle_machine_pages_per_s_estimate": round(deid.workers / (cpu / n), 3),
            "split_s": {k: round(v, 3) for k, v in split.items()},
            "split_s_per_page": {k: round(v / n, 4) for k, v in split.items()},
            "failed": failed,
            "quality": evaluate(pages, tmp / "out", cfg.draw.rgb),
            "variants": list(VARIANTS),
            "tesseract": tesseract_version(),
            "config": cfg.model_dump(mode="json"),
            "machine": machine_record(),
            "load_before": before,
            "load_after": load_snapshot(),
            "command": "python -m engine.benchmarks.image " + " ".join(sys.argv[1:]),
        }
        if threads_section:
            report["ocr_threads"] = {
                k: round(v, 3) for k, v in tesseract_threads([p for p, _ in pages]).items()
            }
        return report
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def markdown(r: dict[str, Any]) -> str:
    """The human-readable table of a report."""
    q, s = r["quality"], r["split_s_per_page"]
    cpu = r["machine"]["cpu"].get("model_name") or "?"
    lines = [
        "# Image path benchmark",
        "",
        f"Machine: {cpu}, {r['machine']['cores']['usable']} usable cores; {r['tesseract']}; "
        f"{r['pages']} rendered pages, {r['workers']} OCR workers (busy before: {r['load_before']['busy']}).",
        "",
        "| pages/s | s/page | CPU s/page | OCR s/page (summed) | engine s/page | draw s/page "
        "| load+write s/page |",
        "|---:|---:|---:|---:|---:|---:|---:|",
        f"| {r['pages_per_s']:.2f} | {r['s_per_page']:.2f} | {r['cpu_s_per_page']:.2f} "
        f"| {s.get('ocr', 0):.3f} | {s.get('engine', 0):.3f} | {s.get('draw', 0):.4f} "
        f"| {s.get('load', 0) + s.get('write', 0):.3f} |",
        "",
        f"Load average before / after: {r['load_before']['loadavg'][0]} / {r['load_after']['loadavg'][0]}; "
        f"on an idle machine {r['workers']} cores / CPU s per page = "
        f"{r['idle_machine_pages_per_s_estimate']:.2f} pages/s (estimate).",
        "",
        "| PHI strings planted | re-OCR'd after redaction (leak rate) | PHI words not fully covered "
        "| other words readable (mean / min page) |",
        "|---:|---:|---:|---:|",
        f"| {q['phi_strings_planted']} | {q['phi_strings_reocrd']} ({q['leak_rate']:.1%}) "
        f"| {q['uncovered_words']} / {q['phi_words']} | {q['readable_mean']:.1%} / {q['readable_min']:.1%} |",
    ]
    if "ocr_threads" in r:
        t = r["ocr_threads"]
        lines += [
            "",
            "Tesseract alone, pages one after another: "
            f"{t['tesseract_threads_default_s_per_page']:.2f} s/page with its own threads, "
            f"{t['omp_thread_limit_1_s_per_page']:.2f} s/page with OMP_THREAD_LIMIT=1.",
        ]
    lines += ["", f"Command: `{r['command']}`", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Entry point: ``python -m engine.benchmarks.image``."""
    p = argparse.ArgumentParser(prog="python -m engine.benchmarks.image", description=__doc__.splitlines()[0])
    p.add_argument("--pages", type=int, default=12, help="rendered pages (default 12)")
    p.add_argument("--workers", type=int, default=0, help="OCR workers (default: usable cores)")
    p.add_argument("--seed", type=int, default=16)
    p.add_argument(
        "--no-threads-section", action="store_true", help="skip the Tesseract threading comparison"
    )
    p.add_argument("--out", default="benchmarks/results/image", help="report directory")
    args = p.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    report = run(args.pages, args.workers, args.seed, not args.no_threads_section)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.json").write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    (out / "report.md").write_text(markdown(report), encoding="utf-8")
    print(markdown(report))
    return 0 if not report["failed"] and report["quality"]["phi_strings_reocrd"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())

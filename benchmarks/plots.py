"""PNG plots of a benchmark report (matplotlib, headless Agg backend).

Example:
    >>> paths = write_plots(report, Path("runs/bench"))      # doctest: +SKIP
    >>> sorted(p.name for p in paths)                          # doctest: +SKIP
    ['latency_by_length.png', 'scaling_length.png', 'throughput_vs_batch.png', 'time_breakdown.png']
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def _plt() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def throughput_vs_batch(report: dict[str, Any], path: Path) -> Path | None:
    """Real tokens/s against batch size, one line per (variant, sequence length)."""
    rows = [r for r in report["model_level"].get("rows", []) if "tokens_per_s" in r]
    if not rows:
        return None
    plt = _plt()
    fig, ax = plt.subplots(figsize=(10, 5))
    for key in sorted({(r["variant"], r["seq_len"]) for r in rows}):
        pts = sorted((r["batch"], r["tokens_per_s"]) for r in rows if (r["variant"], r["seq_len"]) == key)
        ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", label=f"{key[0]} L{key[1]}")
    ax.set_xscale("log", base=2)
    sizes = sorted({r["batch"] for r in rows})
    ax.set_xticks(sizes, [str(b) for b in sizes])
    ax.set_xlabel("batch size (windows)")
    ax.set_ylabel("real tokens / s")
    ax.set_title("Model throughput vs batch size")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def latency_by_length(report: dict[str, Any], path: Path) -> Path | None:
    """Grouped bars of p50/p95/p99 single-note latency per length bucket."""
    buckets = report.get("latency", {}).get("buckets", {})
    if not buckets:
        return None
    plt = _plt()
    names = list(buckets)
    fig, ax = plt.subplots(figsize=(7, 4.5))
    width = 0.27
    for i, q in enumerate(("p50_ms", "p95_ms", "p99_ms")):
        ax.bar(
            [x + (i - 1) * width for x in range(len(names))],
            [buckets[n][q] for n in names],
            width,
            label=q[:3],
        )
    ax.set_xticks(range(len(names)), [f"{n}\n(n={buckets[n]['n']})" for n in names])
    ax.set_xlabel("note length (characters)")
    ax.set_ylabel("latency (ms)")
    ax.set_yscale("log")
    ax.set_title("Single-note latency by length")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def time_breakdown(report: dict[str, Any], path: Path) -> Path | None:
    """Stacked bar of the engine's per-stage seconds (all layers and model only)."""
    e2e = report.get("end_to_end", {})
    bars = [
        (k, e2e[k]["stages_s"])
        for k in ("engine", "model_only")
        if isinstance(e2e.get(k), dict) and "stages_s" in e2e[k]
    ]
    if not bars:
        return None
    plt = _plt()
    stages = sorted({s for _, st in bars for s in st}, key=lambda s: -max(st.get(s, 0) for _, st in bars))
    fig, ax = plt.subplots(figsize=(8, 3.5))
    for row, (_name, st) in enumerate(bars):
        left = 0.0
        for i, s in enumerate(stages):
            v = st.get(s, 0.0)
            ax.barh(row, v, left=left, color=f"C{i}", label=s if row == 0 else None)
            left += v
    ax.set_yticks(range(len(bars)), [b[0] for b in bars])
    ax.set_xlabel("seconds per corpus pass (median)")
    ax.set_title("Where the engine's time goes")
    ax.legend(fontsize=8, ncol=4, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def scaling_length(report: dict[str, Any], path: Path) -> Path | None:
    """chars/s against note length (flat = linear time)."""
    rows = report.get("scaling", {}).get("length", {}).get("rows", [])
    if not rows:
        return None
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot([r["chars"] for r in rows], [r["chars_per_s"] for r in rows], marker="o")
    ax.set_xscale("log")
    ax.set_ylim(bottom=0)
    ax.set_xlabel("note length (characters)")
    ax.set_ylabel("chars / s")
    ax.set_title("Throughput vs note length (flat = linear)")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def write_plots(report: dict[str, Any], out: Path) -> list[Path]:
    """Write every plot that has data; returns the written paths."""
    makers = {
        "throughput_vs_batch.png": throughput_vs_batch,
        "latency_by_length.png": latency_by_length,
        "time_breakdown.png": time_breakdown,
        "scaling_length.png": scaling_length,
    }
    written = []
    for name, fn in makers.items():
        p = fn(report, out / name)
        if p is not None:
            written.append(p)
    return written

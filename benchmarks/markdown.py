"""Render a benchmark report dict as ``report.md`` (tables a reviewer can read in a diff).

Example:
    >>> print(render(report)[:40])             # doctest: +SKIP
    # deid benchmark (quick)
"""

from __future__ import annotations

from typing import Any


def _table(headers: list[str], rows: list[list[Any]]) -> list[str]:
    """A GitHub markdown table."""
    out = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    out += ["| " + " | ".join(_fmt(c) for c in r) + " |" for r in rows]
    return out + [""]


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:,.1f}" if abs(v) >= 100 else f"{v:.3g}"
    if isinstance(v, int) and not isinstance(v, bool):
        return f"{v:,}"
    return "" if v is None else str(v)


def _load(snap: dict[str, Any]) -> str:
    others = ", ".join(f"{o['cmd'][:50]} ({o['cpu_percent']}%)" for o in snap.get("others", [])) or "none"
    return f"loadavg {snap.get('loadavg')}; other processes on CPU: {others}"


def _err(sec: Any) -> list[str]:
    if isinstance(sec, dict) and "error" in sec:
        return [f"**Section failed:** `{sec['error']}`", ""]
    if isinstance(sec, dict) and "skipped" in sec:
        return [f"_Skipped: {sec['skipped']}_", ""]
    return []


def render(r: dict[str, Any]) -> str:
    """The whole markdown report."""
    m = r["machine"]
    flags = ", ".join(k for k, v in m["cpu"]["flags"].items() if v) or "none"
    L = [
        f"# deid benchmark ({'quick' if r['quick'] else 'full'})",
        "",
        f"Started {r['started']}, took {r.get('duration_s')} s wall ({r.get('process_cpu_s')} s CPU), "
        f"{r['threads']} onnxruntime threads.",
        "",
    ]
    if r.get("noisy"):
        L += [
            "> **Warning: the machine was busy** (see Load). Treat these numbers as indicative; "
            "compare ratios measured in this same run rather than absolute figures.",
            "",
        ]
    if r.get("errors"):
        L += [f"> **Sections with errors:** {', '.join(map(str, r['errors']))}", ""]
    L += ["## Targets", ""]
    L += _table(
        ["target", "value", "threshold", "met"],
        [[t["description"], t["value"], t["target"], t["met"]] for t in r.get("targets", {}).values()],
    )
    L += [
        "## Machine",
        "",
        f"- CPU: {m['cpu']['model_name']} ({m['cpu']['arch']}), flags: {flags}",
        f"- cores: {m['cores']}, memory {m.get('memory_gib')} GiB, GPU: {m.get('gpu') or 'none'}",
        f"- versions: {', '.join(f'{k} {v}' for k, v in m['versions'].items())}",
        f"- model: `{r['model']['artifact']}` ({r['model']['precision']}, "
        f"sha256 {r['model']['sha256'][:16]}...),"
        f" window {r['model']['max_length']}/{r['model']['stride']}; checkpoint {r['model']['checkpoint']}",
        f"- load before: {_load(r['load']['before'])}",
        f"- load after: {_load(r['load'].get('after', {}))}",
        "",
    ]
    c = r["corpus"]
    L += [
        "## Corpus",
        "",
        f"{c['notes']} notes, {c['chars']:,} chars from `{c['source']}`; length p10/p50/p90 "
        f"{c['length_p10_p50_p90']}, buckets {c['buckets']}, kinds {c['kinds']}.",
        "",
    ]
    ml = r.get("model_level", {})
    L += ["## Model level (real tokens/s, median batch latency)", ""] + _err(ml)
    rows = [x for x in ml.get("rows", []) if "tokens_per_s" in x]
    L += _table(
        ["variant", "batch", "seq_len", "latency ms", "tokens/s"],
        [[x["variant"], x["batch"], x["seq_len"], x["latency_ms_median"], x["tokens_per_s"]] for x in rows],
    )
    L += [f"- skipped `{x['variant']}`: {x['skipped']}" for x in ml.get("rows", []) if "skipped" in x]
    L += [f"- {n}" for n in ml.get("notes", [])] + [""]
    e = r.get("end_to_end", {})
    L += ["## End to end (detect_many, redact=True)", ""] + _err(e)
    if "engine" in e:
        L += [f"Engine: {e['engine_layers']}.", ""]
        L += _table(
            ["run", "notes/s", "chars/s", "window tokens/s", "s/pass (median)"],
            [
                [k, e[k]["notes_per_s"], e[k]["chars_per_s"], e[k]["tokens_per_s"], e[k]["seconds_median"]]
                for k in ("engine", "model_only")
            ]
            + [
                [
                    "raw model (runner.run on the same windows)",
                    None,
                    None,
                    e["raw_model"]["tokens_per_s"],
                    e["raw_model"]["seconds_median"],
                ]
            ],
        )
        L += [
            f"Engine e2e = **{e['efficiency_pct']}%** of raw model tokens/s; hybrid layers cost "
            f"**{e['hybrid_cost_pct']}%** of model-only throughput.",
            "",
            "Stage breakdown (engine, s/pass):",
            "",
        ]
        L += _table(
            ["stage", "seconds", "share %"],
            [
                [k, v, round(100 * v / max(e["engine"]["seconds_median"], 1e-9), 1)]
                for k, v in sorted(e["engine"]["stages_s"].items(), key=lambda kv: -kv[1])
            ],
        )
        pr = e.get("processes", {})
        if pr.get("rows"):
            L += [
                f"Several engine processes ({pr['device']}, {pr['note']}); % of one process's raw model "
                "tokens/s on the same windows:",
                "",
            ]
            L += _table(
                ["processes", "threads each", "notes/s", "chars/s", "window tokens/s", "% of raw model"],
                [
                    [x["workers"], x["threads_per_worker"], x["notes_per_s"], x["chars_per_s"],
                     x["tokens_per_s"], x.get("pct_of_raw_model")]
                    for x in pr["rows"]
                ],
            )
        p = e["profile"]
        L += [f"cProfile top {len(p['top'])} by own time (one profiled pass, {p['total_s']} s):", ""]
        L += _table(
            ["function", "calls", "tottime s", "cumtime s", "% own"],
            [
                [x["function"], x["ncalls"], x["tottime_s"], x["cumtime_s"], x["tottime_pct"]]
                for x in p["top"]
            ],
        )
    b = r.get("baseline", {})
    L += ["## Baseline: transformers pipeline", ""] + _err(b)
    if "pipeline" in b:
        L += [
            f"Same {b['pipeline']['notes']} notes, same weights; pipeline {b['pipeline']['mode']}; "
            "batch 1 is the pipeline as called without `batch_size`, larger batches are tuned runs.",
            "",
        ]
        rows = b.get("pipeline_by_batch", [b["pipeline"]])
        ratios = b.get("speedup_by_batch", {str(b["pipeline"]["batch_size"]): b["speedup"]})
        L += _table(
            ["system", "notes/s", "seconds", "engine speedup"],
            [
                [f"transformers pipeline, batch {x['batch_size']}", x["notes_per_s"], x["seconds"],
                 f"{ratios.get(str(x['batch_size']))}x"]
                for x in rows
            ]
            + [["engine", b["engine"]["notes_per_s"], b["engine"]["seconds"], ""]],
        )
        L += [
            "Speedup: **" + "**, **".join(f"{v}x vs batch {k}" for k, v in ratios.items()) + "**.",
            "",
        ]
    lat = r.get("latency", {})
    L += ["## Single-note latency (after warm-up)", ""] + _err(lat)
    if any(v["n"] < 20 for v in lat.get("buckets", {}).values()):
        L += ["_Buckets with n < 20 have no real tail: their p95/p99 are close to the max._", ""]
    L += _table(
        ["bucket", "n", "p50 ms", "p95 ms", "p99 ms", "max ms"],
        [
            [k, v["n"], v["p50_ms"], v["p95_ms"], v["p99_ms"], v["max_ms"]]
            for k, v in lat.get("buckets", {}).items()
        ],
    )
    sc = r.get("scaling", {})
    L += ["## Scaling", ""] + _err(sc)
    if "length" in sc:
        L += _table(
            ["note chars", "seconds", "chars/s"],
            [[x["chars"], x["seconds"], x["chars_per_s"]] for x in sc["length"]["rows"]],
        )
        L += [
            f"Linearity ({sc['length'].get('linearity_def', 'chars/s ratio')}): "
            f"**{sc['length']['linearity']}** "
            "(1.0 = linear; well below 1 = super-linear cost).",
            "",
        ]
        L += _table(
            ["threads", "notes/s", "chars/s"],
            [[x["threads"], x["notes_per_s"], x["chars_per_s"]] for x in sc["threads"]],
        )
        mem = sc["memory"]
        L += [
            f"Peak RSS, fresh engine process redacting one {mem.get('chars', '?')}-char note: "
            f"**{mem.get('peak_rss_mib', mem.get('skipped'))} MiB** "
            f"(after load {mem.get('rss_mib_after_load')} MiB). "
            f"Benchmark process peak (torch included): {sc['bench_process_peak_rss_mib']} MiB.",
            "",
        ]
    a = r.get("accuracy", {})
    L += ["## Accuracy of this artifact", ""] + _err(a)
    if "strict_micro" in a:
        L += [
            f"{a['documents']} documents from `{a['dev']}` (all layers on); full tables in report.json.",
            "",
        ]
        L += _table(
            [
                "category",
                "support",
                "strict P",
                "strict R",
                "strict F1",
                "relaxed P",
                "relaxed R",
                "relaxed F1",
            ],
            [
                [c, v["support"], *v["strict"].values(), *v["relaxed"].values()]
                for c, v in [
                    (
                        "micro (all)",
                        {"support": None, "strict": a["strict_micro"], "relaxed": a["relaxed_micro"]},
                    ),
                    *a["per_category"].items(),
                ]
            ],
        )
    L += ["## Plots", ""] + [f"![{p}]({p})" for p in r.get("plots", [])] + [""]
    return "\n".join(L)

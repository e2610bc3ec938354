"""``deid eval``: score predictions (a corpus file, or the engine run now) against a gold corpus.

Example:
    $ deid eval --gold data/test_xml --pred runs/pred.jsonl --out-json eval.json --out-md eval.md
    $ deid eval --gold data/test_xml --model default --limit 50
    $ deid eval --gold data/test_xml --model artifacts/minilm --ablation --out-md table7.md
    $ deid eval --gold "$DEID_DATA_DIR/physionet-dev/notes.jsonl" --model default --profile physionet \
          --split report --leaked-out /tmp/leaked.jsonl

Gold and predictions may be in any format :func:`engine.training.corpora.read_corpus` reads and are matched
by document id. Without ``--out-md`` the markdown report goes to stdout.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from engine.errors import InputError


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``eval`` subcommand to the ``deid`` CLI."""
    p = sub.add_parser("eval", help="evaluate predictions or the engine on a gold corpus (i2b2 2014 metrics)",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_arguments(p)
    p.set_defaults(func=run)


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The ``eval`` options (split out so tests can build a bare parser)."""
    p.add_argument("--gold", required=True, help="gold corpus: i2b2 XML dir/file, BRAT dir, .jsonl or .conll")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--pred", help="predicted corpus (any readable format; text may be redacted)")
    src.add_argument("--model", help='predict now with the engine: an artifact directory, or "default"')
    p.add_argument("--ablation", action="store_true",
                   help="with --model: layers enabled cumulatively (model, +templates, +lists, +extraction, "
                        "+propagation); one strict F1 (recall) table per category per step")
    p.add_argument("--format", dest="fmt", help="format of both corpora (default: inferred)")
    p.add_argument("--gold-format", help="format of the gold corpus (overrides --format)")
    p.add_argument("--pred-format", help="format of the predicted corpus (overrides --format)")
    p.add_argument("--labelmap", help="label map applied to gold and predictions, e.g. meddocan->i2b2.v1")
    p.add_argument("--limit", type=int, help="evaluate only the first N gold documents")
    p.add_argument("--non-strict", action="store_true",
                   help="drop (and report) gold annotations whose text does not match instead of failing")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="engine config override for --model, e.g. --set decode.o_threshold=0.9 (repeatable)")
    p.add_argument("--profile", help="score under a corpus's conventions (engine.training.metrics.profiles): "
                   "i2b2, or physionet (ages over 89 only, professions not annotated, LOCATION without "
                   "subtype); adds binary token / overlap-entity scores, F2 and leaked mentions")
    part = p.add_mutually_exclusive_group()
    part.add_argument("--groups", help="score only documents whose group (patient) is listed in this file "
                      "(one per line, or a JSON list)")
    part.add_argument("--split", choices=("tune", "report"),
                      help="score one part of the fixed patient split of the physionet-dev corpus "
                      "(training/metrics/splits/physionet-dev.json)")
    p.add_argument("--leaked-out", help="with --profile: write the leaked gold mentions (PHI text!) as JSONL "
                   "here; keep it out of the repository")
    p.add_argument("--out-json", help="write the full report as JSON here")
    p.add_argument("--out-md", help="write the markdown report here (default: stdout)")
    p.add_argument("--force", action="store_true", help="overwrite existing output files")


def _check_outputs(args: argparse.Namespace) -> None:
    for out in (args.out_json, args.out_md, getattr(args, "leaked_out", None)):
        if out is None:
            continue
        p = Path(out)
        if p.exists() and not args.force:
            raise InputError("E390", f"{p} exists", fix="Pass --force to overwrite it.")
        for src in (args.gold, args.pred):
            if src and p.resolve() == Path(src).resolve():
                raise InputError("E391", f"output {p} is an input", fix="Write the report somewhere else.")


def _engine_config(args: argparse.Namespace):  # noqa: ANN202 - EngineConfig
    from engine.config import EngineConfig

    base = EngineConfig(model_dir=None if args.model == "default" else args.model)
    return EngineConfig.from_overrides(list(args.set), base=base)


def evaluate_files(args: argparse.Namespace) -> tuple[Any, dict[str, Any]]:
    """Read, predict if asked, and score; returns ``(EvalReport or AblationReport, meta)``."""
    from engine.training.corpora import AlignmentReport, read_corpus
    from engine.training.evaluate import evaluate_spans
    from engine.training.labelmaps import apply_labelmap, get_labelmap

    if args.ablation and not args.model:
        raise InputError("E392", "--ablation needs --model", fix='Add --model default (or an artifact dir).')
    if args.limit is not None and args.limit < 1:
        raise InputError("E393", "--limit must be >= 1")
    if getattr(args, "leaked_out", None) and not getattr(args, "profile", None):
        raise InputError("E396", "--leaked-out needs --profile", fix="Add --profile physionet (or i2b2).")
    groups = _wanted_groups(args)
    issues = AlignmentReport()
    gold_docs = []
    gold_fmt = args.gold_format or args.fmt
    for doc in read_corpus(args.gold, gold_fmt, strict=not args.non_strict, report=issues):
        if groups is not None and doc.group not in groups:
            continue
        if args.limit is not None and len(gold_docs) >= args.limit:
            break
        gold_docs.append(doc)
    lmap = get_labelmap(args.labelmap) if args.labelmap else None
    if lmap:
        gold_docs = [apply_labelmap(d, lmap) for d in gold_docs]
    ids = [d.id for d in gold_docs]
    if len(set(ids)) != len(ids):
        raise InputError("E394", f"{args.gold}: duplicate document ids", fix="Document ids must be unique.")
    if groups is not None and not gold_docs:
        raise InputError("E397", f"{args.gold}: no document belongs to the chosen groups",
                         fix="Check --groups / --split against the corpus's group field.")
    meta: dict[str, Any] = {"gold": str(args.gold), "n_docs": len(gold_docs), "limit": args.limit,
                            "labelmap": args.labelmap, "misaligned_gold": issues.to_json(),
                            "profile": getattr(args, "profile", None), "split": getattr(args, "split", None),
                            "groups": getattr(args, "groups", None)}
    if issues.issues:
        print(issues.summary(), file=sys.stderr)
    if args.model:
        from engine.training.metrics.engine_runs import evaluate_engine, run_ablation

        config = _engine_config(args)
        meta.update(
            model=args.model,
            config=config.model_dump(),
            windows_per_call=config.runtime.windows_per_call,
        )
        if args.ablation:
            return run_ablation(gold_docs, config), meta
        if getattr(args, "profile", None):
            from engine.training.evaluate import evaluate_profiled
            from engine.training.metrics.engine_runs import predict_spans

            pred_spans = predict_spans(gold_docs, config)
            return evaluate_profiled({d.id: d.spans for d in gold_docs}, pred_spans,
                                     {d.id: d.text for d in gold_docs}, args.profile), meta
        return evaluate_engine(gold_docs, config), meta
    wanted = set(ids)
    pred: dict[str, list] = {}
    differs = failed = 0
    gold_text = {d.id: d.text for d in gold_docs}
    for doc in read_corpus(args.pred, args.pred_format or args.fmt, check=False):
        if (args.limit is not None or groups is not None) and doc.id not in wanted:
            continue
        if lmap:
            doc = apply_labelmap(doc, lmap)
        if doc.id in pred:
            raise InputError("E394", f"{args.pred}: duplicate document id {doc.id!r}")
        has_text = not doc.meta.get("text_unavailable")
        differs += int(doc.id in gold_text and has_text and doc.text != gold_text[doc.id])
        failed += int(bool(doc.meta.get("error")))
        pred[doc.id] = list(doc.spans)
    if differs:
        print(f"note: {differs} predicted documents carry a different text (redacted?); "
              "their offsets are judged against the gold text", file=sys.stderr)
    if failed:
        print(f"note: {failed} predicted documents are fail-closed engine errors; scored as predicted",
              file=sys.stderr)
    meta.update(pred=str(args.pred), pred_text_differs=differs, pred_engine_errors=failed)
    if getattr(args, "profile", None):
        from engine.training.evaluate import evaluate_profiled

        return evaluate_profiled({d.id: d.spans for d in gold_docs}, pred, gold_text, args.profile), meta
    report = evaluate_spans({d.id: d.spans for d in gold_docs}, pred, gold_text)
    return report, meta


#: The fixed patient split of the physionet-dev corpus (see docs/real-notes.md).
SPLIT_FILE = Path(__file__).parent / "metrics" / "splits" / "physionet-dev.json"


def read_split(part: str, path: Path = SPLIT_FILE) -> frozenset[str]:
    """The patient ids of one part (``"tune"`` or ``"report"``) of the fixed split."""
    data = json.loads(path.read_text(encoding="utf-8"))
    return frozenset(data[part])


def read_groups(path: str | Path) -> frozenset[str]:
    """Group ids from a file: a JSON list, or one id per line (blank lines and ``#`` comments skipped)."""
    p = Path(path)
    if not p.is_file():
        raise InputError("E398", f"groups file not found: {p}")
    raw = p.read_text(encoding="utf-8")
    if raw.lstrip().startswith("["):
        return frozenset(str(x) for x in json.loads(raw))
    return frozenset(t.strip() for t in raw.split("\n") if t.strip() and not t.lstrip().startswith("#"))


def _wanted_groups(args: argparse.Namespace) -> frozenset[str] | None:
    if getattr(args, "split", None):
        return read_split(args.split)
    if getattr(args, "groups", None):
        return read_groups(args.groups)
    return None


def run(args: argparse.Namespace) -> int:
    """Run ``deid eval``; returns the exit code (errors propagate to ``deid``'s handler)."""
    _check_outputs(args)
    report, meta = evaluate_files(args)
    md = report.to_markdown()
    data = report.to_json()
    data["meta"] = {**data.get("meta", {}), **meta}
    leaked_out = getattr(args, "leaked_out", None)
    if leaked_out:
        Path(leaked_out).parent.mkdir(parents=True, exist_ok=True)
        rows = [json.dumps(m.to_dict(), ensure_ascii=False) for m in report.redaction.leaked]
        Path(leaked_out).write_text("".join(r + "\n" for r in rows), encoding="utf-8")
    if args.out_json:
        Path(args.out_json).parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
        Path(args.out_json).write_text(text, encoding="utf-8")
    if args.out_md:
        Path(args.out_md).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out_md).write_text(md, encoding="utf-8")
    else:
        sys.stdout.write(md)
    return 0

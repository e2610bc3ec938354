"""A seeded, realistic benchmark corpus of synthetic clinical notes (no real PHI).

Note lengths follow a log-normal mix (median about 2,200 characters, most notes 1-4k, clipped to
200-20,000). About one note in seven is an ALL-CAPS nursing note. Text comes from the synthetic
generator (:mod:`engine.training.synth`) when it is importable and its data is present; otherwise from a
small built-in template mix, so the benchmark runs on a bare install too.

Example:
    >>> notes = make_corpus(5, seed=0, source="builtin")
    >>> len(notes), all(200 <= len(n["text"]) <= 20_000 for n in notes)
    (5, True)
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from typing import Any

MIN_CHARS, MAX_CHARS = 200, 20_000
MEDIAN_CHARS, SIGMA = 2_200, 0.75
CAPS_SHARE = 0.15

#: Length buckets (characters) used by the latency and report sections.
BUCKETS: tuple[tuple[str, int, int], ...] = (
    ("<1k", 0, 1_000),
    ("1-4k", 1_000, 4_000),
    ("4-10k", 4_000, 10_000),
    (">=10k", 10_000, 10**12),
)

_FIRST = ["Alma", "Bruno", "Cecile", "Dario", "Edith", "Farid", "Greta", "Hiro", "Ines", "Jonas"]
_LAST = ["Foley", "Marsh", "Okafor", "Lindqvist", "Calvert", "Benitez", "Novak", "Pryce", "Ueda", "Strand"]
_PLACES = ["Calvert Hospital", "Northgate Clinic", "St. Brendan Medical Center", "Riverside Rehab"]
_CITIES = ["Springfield", "Lakeview", "Fairhaven", "Oakridge"]
_SENTENCES = [
    "Patient {first} {last} is a {age} year old seen on {date} for follow up of hypertension.",
    "Seen by Dr. {dlast} at {place} in {city}; vitals stable, afebrile, tolerating diet.",
    "MRN {mrn}. Call back number {phone}. Discussed plan with daughter at bedside.",
    "Assessment: community acquired pneumonia, improving on ceftriaxone and azithromycin.",
    "Plan: continue current medications, repeat CBC and BMP in the morning, PT/OT evaluation.",
    "Pt ambulating with walker, denies chest pain or shortness of breath, pain 2/10.",
    "Admitted {date} from the emergency department with productive cough and fever to 38.9 C.",
    "Family history notable for diabetes in mother; social history: retired teacher, lives with spouse.",
    "Discharge planning: follow up with Dr. {dlast} in two weeks, appointment on {date}.",
    "Labs: WBC 11.2, Hgb 12.9, Plt 245, Na 138, K 4.1, Cr 0.9, glucose 112.",
]


def lognormal_lengths(n: int, rng: random.Random) -> list[int]:
    """``n`` note lengths from a clipped log-normal (median :data:`MEDIAN_CHARS`)."""
    mu = math.log(MEDIAN_CHARS)
    return [int(min(MAX_CHARS, max(MIN_CHARS, rng.lognormvariate(mu, SIGMA)))) for _ in range(n)]


def _builtin_paragraph(rng: random.Random) -> str:
    """One paragraph of template sentences with fictional values."""
    out = []
    for _ in range(rng.randint(2, 5)):
        out.append(
            rng.choice(_SENTENCES).format(
                first=rng.choice(_FIRST),
                last=rng.choice(_LAST),
                dlast=rng.choice(_LAST),
                age=rng.randint(19, 97),
                date=f"{rng.randint(1, 12)}/{rng.randint(1, 28)}/20{rng.randint(10, 29)}",
                place=rng.choice(_PLACES),
                city=rng.choice(_CITIES),
                mrn=rng.randint(10**6, 10**7 - 1),
                phone=f"({rng.randint(200, 989)}) 555-{rng.randint(1000, 9999)}",
            )
        )
    return " ".join(out)


def _synth_source(seed: int) -> Callable[[int], str] | None:
    """A ``text(i)`` function over the synthetic generator's dev split, or ``None`` if unavailable."""
    try:
        from engine.training.synth import Generator

        gen = Generator.load("dev", seed=seed)
        gen.document(0)
    except Exception:  # noqa: BLE001 - optional teammate package or missing data: fall back
        return None
    return lambda i: str(gen.document(i)["text"])


def _fill(target: int, next_piece: Callable[[], str]) -> str:
    """Concatenate pieces up to ``target`` characters and cut at a whitespace boundary."""
    parts: list[str] = []
    size = 0
    while size < target:
        p = next_piece().strip()
        if p:
            parts.append(p)
            size += len(p) + 2
    text = "\n\n".join(parts)
    if len(text) > target:
        cut = text.rfind(" ", 0, target)
        text = text[: cut if cut >= MIN_CHARS else target]
    return text


def make_corpus(n: int, seed: int = 0, source: str = "auto") -> list[dict[str, Any]]:
    """``n`` notes ``{"id", "text", "kind", "source"}`` with a realistic length mix.

    Args:
        n: number of notes.
        seed: the same seed gives the same corpus.
        source: ``auto`` (synthetic generator if available), ``synth`` or ``builtin``.
    """
    rng = random.Random(seed)
    text_of = _synth_source(seed) if source in ("auto", "synth") else None
    if source == "synth" and text_of is None:
        raise RuntimeError("the synthetic generator (engine.training.synth) or its data is not available")
    used = "synth" if text_of is not None else "builtin"
    counter = [0]

    def piece() -> str:
        counter[0] += 1
        return text_of(counter[0]) if text_of is not None else _builtin_paragraph(rng)

    notes = []
    for i, target in enumerate(lognormal_lengths(n, rng)):
        text = _fill(target, piece)
        # deterministic share, so even a small quick corpus holds ALL-CAPS nursing notes
        kind = "nursing_caps" if i % round(1 / CAPS_SHARE) == 3 else "mixed_case"
        if kind == "nursing_caps":
            text = text.upper()
        notes.append({"id": f"bench-{i:04d}", "text": text, "kind": kind, "source": used})
    return notes


def long_note(chars: int, seed: int = 0) -> str:
    """One note of exactly ``chars`` characters (repeated template paragraphs), for length scaling."""
    rng = random.Random(seed)
    text = _fill(chars + 200, lambda: _builtin_paragraph(rng))
    return text[:chars]


def bucket_of(n_chars: int) -> str:
    """Name of the length bucket of a note with ``n_chars`` characters."""
    for name, lo, hi in BUCKETS:
        if lo <= n_chars < hi:
            return name
    return BUCKETS[-1][0]


def corpus_summary(notes: list[dict[str, Any]]) -> dict[str, Any]:
    """Counts, length percentiles and bucket/kind mix of a corpus."""
    lengths = sorted(len(n["text"]) for n in notes)

    def pct(q: float) -> int:
        return lengths[min(len(lengths) - 1, int(q * len(lengths)))] if lengths else 0

    buckets: dict[str, int] = {b[0]: 0 for b in BUCKETS}
    kinds: dict[str, int] = {}
    for n in notes:
        buckets[bucket_of(len(n["text"]))] += 1
        kinds[n["kind"]] = kinds.get(n["kind"], 0) + 1
    return {
        "notes": len(notes),
        "chars": sum(lengths),
        "source": notes[0]["source"] if notes else None,
        "length_p10_p50_p90": [pct(0.1), pct(0.5), pct(0.9)],
        "min": lengths[0] if lengths else 0,
        "max": lengths[-1] if lengths else 0,
        "buckets": buckets,
        "kinds": kinds,
    }

"""Document styles and their weights, case transforms, and pipe/caret headers.

Example:
    >>> round(sum(STYLE_WEIGHTS.values()), 2)
    1.0
"""

from __future__ import annotations

import random

from engine.training.synth import formats as F
from engine.training.synth.persona import Persona

#: Share of each document style in the corpus (no_phi gives the ~8% PHI-free notes).
STYLE_WEIGHTS: dict[str, float] = {
    "note": 0.36,
    "progress": 0.10,
    "discharge": 0.12,
    "letter": 0.05,
    "pipe": 0.07,
    "icu": 0.08,
    "query": 0.08,
    "presidio": 0.06,
    "no_phi": 0.08,
}

#: Case of prose styles: most as written, some ALL CAPS, some all lower-case.
CASES: dict[str, float] = {"as_is": 0.8, "upper": 0.11, "lower": 0.09}


def pick_case(rng: random.Random) -> str:
    """Draw ``"as_is"``, ``"upper"`` or ``"lower"``."""
    return rng.choices(list(CASES), list(CASES.values()))[0]


def pipe_header(rng: random.Random, p: Persona) -> F.Segs:
    """A caret/pipe record header, e.g. ``EDVISIT^84091519^Thomas-yosef, Julia^09/21/68^KEMPER, SYLVAN``."""
    sep = rng.choice(("^", "^", "|"))
    kind = rng.choice(("EDVISIT", "ADMISSION", "OPNOTE", "CLINIC", "DISCHARGE", "RADREPORT", "CONSULT"))
    d = rng.choice(p.doctors)
    dname = f"{d.last}, {d.first}"
    segs: F.Segs = [
        (kind + sep, None),
        (F.id_value(rng, "MEDICALRECORD"), "MEDICALRECORD"),
        (sep, None),
        (f"{p.patient.last}, {p.patient.first}", "PATIENT"),
        (sep, None),
    ]
    segs += F.date(
        rng,
        (p.ymd[0] - p.age, rng.randint(1, 12), rng.randint(1, 28)),
        rng.choice(("mdy_slash", "mdy_slash_0yy", "iso")),
    )
    segs += [(sep, None), (dname.upper() if rng.random() < 0.6 else dname, "DOCTOR")]
    if rng.random() < 0.5:
        segs += [(sep, None)] + F.date(rng, p.ymd, rng.choice(("mdy_slash", "iso")))
    if rng.random() < 0.3:
        segs += [(sep, None), (p.hospital[2], "HOSPITAL")]
    return segs

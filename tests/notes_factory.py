"""Realistic, self-contained clinical notes with planted PHI for tests (no data files needed).

Each note mixes ICU nursing, clinic and discharge-summary sentences (vitals, drugs, labs, ALL-CAPS
and lower-case) with PHI from fixed lists; lengths run from one line to several model windows.

Example:
    >>> notes = make_notes(3, seed=1)
    >>> len(notes), all(n["phi"] for n in notes)
    (3, True)
"""

from __future__ import annotations

import random

FIRST = ["Harlan", "Martha", "Xai", "Corona", "Delphine", "Ignatius", "Rosalind", "Tobias", "Wen", "Ayodele"]
LAST = ["Valdez", "Whalen", "Dunmore", "Okafor", "Lindqvist", "Petrakis", "Moreno", "Abernathy", "Nakamura"]
PLACES = ["Calvert Hospital", "Dunmore", "Scranton", "St. Agnes Medical Center", "Wilkes-Barre", "Ohio"]
CLINICAL = [
    "BP 128/76, HR 88 SR, RR 18, SAT 97% ON 2L NC.",
    "Neuro: alert and oriented x3, follows commands, MAE.",
    "CV: SR 80s-90s, no ectopy. K 3.9, Mg 2.1 repleted.",
    "RESP: LS clear bilaterally, diminished at bases. ABG 7.38/42/96.",
    "GI: abd soft, NT/ND, +BS. Tolerating clears. Protonix 40 mg IV daily.",
    "GU: foley draining clear yellow urine 40-60 cc/hr.",
    "Heparin drip at 1,100 units/hr, PTT 62 this am.",
    "Plan: continue lasix 40 mg IV BID, wean O2 as tolerated, OOB to chair.",
    "the patient was comfortable overnight; pain controlled with tylenol 650 mg po q6h prn.",
    "HEME: HCT 29.8, PLT 212, INR 1.1. NO S/S BLEEDING.",
    "Skin: intact, turned q2h, heels offloaded.",
    "He reports mild shortness of breath on exertion and denies chest pain.",
]


def _phi(rng: random.Random) -> tuple[str, list[str]]:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    day, month, year = rng.randint(1, 28), rng.randint(1, 12), rng.randint(2005, 2019)
    phone = f"({rng.randint(201, 989)}) {rng.randint(200, 999)}-{rng.randint(1000, 9999)}"
    place = rng.choice(PLACES)
    options = [
        (f"Pt {first} {last} seen on {month}/{day}/{year}.", [first, last, f"{month}/{day}/{year}"]),
        (f"DR {last.upper()} AWARE OF K 3.2.", [last.upper()]),
        (f"Wife {first} at bedside, can be reached at {phone}.", [first, phone]),
        (f"Transferred from {place} on {month}/{day}.", [place, f"{month}/{day}"]),
        (f"Signed: {first} {last}, RN", [first, last]),
    ]
    return rng.choice(options)


def make_notes(n: int, seed: int = 0) -> list[dict[str, object]]:
    """``n`` notes ``{"id", "text", "group", "phi": [planted PHI strings]}``, deterministic by seed."""
    rng = random.Random(seed)
    notes = []
    for i in range(n):
        parts: list[str] = []
        phi: list[str] = []
        for _ in range(rng.choice([1, 2, 4, 8, 16, 40])):
            if rng.random() < 0.3:
                sentence, strings = _phi(rng)
                parts.append(sentence)
                phi.extend(strings)
            else:
                parts.append(rng.choice(CLINICAL))
        if not phi:
            sentence, strings = _phi(rng)
            parts.insert(rng.randrange(len(parts) + 1), sentence)
            phi.extend(strings)
        text = (" " if rng.random() < 0.5 else "\n").join(parts)
        if rng.random() < 0.3:
            text = text.upper()
            phi = [p.upper() for p in phi]
        notes.append({"id": f"n{i:03d}", "text": text, "group": f"p{i // 3}", "phi": phi})
    return notes

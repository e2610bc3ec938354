"""Compose synthetic annotated notes: base text + persona + style, and write the corpus.

Each document is drawn from its own ``random.Random(f"{seed}:{split}:{i}")``, so the corpus is
deterministic by seed and any document can be regenerated alone.

Example:
    >>> gen = Generator.load("train", seed=13)
    >>> doc = gen.document(0)
    >>> all(doc["text"][s["start"]:s["end"]].strip() for s in doc["spans"])
    True
"""

from __future__ import annotations

import json
import os
import random
import re
import zlib
from dataclasses import dataclass
from pathlib import Path

from engine.training.synth import formats as F
from engine.training.synth import templates as T
from engine.training.synth.bases import BaseNote, load_bases, paragraphs, scrub
from engine.training.synth.builder import NoteBuilder
from engine.training.synth.clinical import icu_note, progress_note
from engine.training.synth.gazetteer import Gazetteer
from engine.training.synth.persona import Persona
from engine.training.synth.presidio import load_presidio_templates
from engine.training.synth.styles import STYLE_WEIGHTS, pick_case, pipe_header
from engine.training.synth.surrogates import Pools, cached_pools

GENERATOR_VERSION = "synth-1.3.0"
#: The vendored bases (ACI-Bench and MTS-Dialog notes, presidio-research templates; CC BY 4.0 / MIT,
#: licences beside them), so a fresh clone regenerates the corpus with no flags.
DEFAULT_DATA_DIR = Path(__file__).parent / "data" / "bases"
#: Environment variable naming another data folder (same layout); ``--data-dir`` overrides it.
DATA_DIR_ENV = "DEID_DATA_DIR"

#: Chart order of section headers when several MTS-Dialog sections are stitched into one note.
SECTION_ORDER = (
    "CHIEF COMPLAINT",
    "HISTORY OF PRESENT ILLNESS",
    "PAST MEDICAL HISTORY",
    "PAST SURGICAL HISTORY",
    "MEDICATIONS",
    "ALLERGIES",
    "SOCIAL HISTORY",
    "GYNECOLOGIC HISTORY",
    "OTHER HISTORY",
    "IMMUNIZATIONS",
    "REVIEW OF SYSTEMS",
    "PHYSICAL EXAMINATION",
    "LABORATORY DATA",
    "IMAGING",
    "PROCEDURES",
    "ED COURSE",
    "DIAGNOSIS",
    "ASSESSMENT",
    "PLAN",
    "DISPOSITION",
)


def _template_split(tpl: str) -> str:
    return "dev" if zlib.crc32(tpl.encode("utf-8")) % 7 == 0 else "train"


_HOLIDAY_WORDS = frozenset(
    {
        "Christmas",
        "Thanksgiving",
        "Easter",
        "Halloween",
        "New",
        "Labor",
        "Memorial",
        "Independence",
        "Valentine's",
        "Mother's",
        "Father's",
        "Fourth",
    }
)
_WEEKDAY = re.compile(r"^(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)days?$")
_MONTH_ONLY = re.compile(r"^[A-Z][a-z]+\.?$")
_MONTH_OF_YEAR = re.compile(r"^[A-Z][a-z]+\.? of \d{4}$")


@dataclass
class Chunked:
    """A base note pre-split into scrubbed paragraphs (lists of segments)."""

    note: BaseNote
    paras: list[list[tuple[str, str | None]]]


class Generator:
    """Makes the documents of one split."""

    def __init__(
        self, split: str, seed: int, pools: Pools, bases: list[Chunked], presidio: list[str]
    ) -> None:
        self.split, self.seed, self.pools, self.bases, self.presidio = split, seed, pools, bases, presidio
        self.mts = [b for b in bases if b.note.source == "mts"] or bases
        self.clean_paras = [p for b in bases for p in b.paras if all(k is None for _, k in p)]
        # one own template in seven is dev-only, so dev also sees sentence frames train never saw
        # (dev keeps the shared frames too, so that it still holds every subtype)
        self.sentences = [t for t in T.SENTENCES if split == "dev" or _template_split(t) == "train"]
        self.queries = [t for t in T.QUERIES if split == "dev" or _template_split(t) == "train"]

    @classmethod
    def load(cls, split: str, seed: int = 13, data_dir: str | Path | None = None) -> Generator:
        """Build pools and read base notes for ``split`` (``"train"`` or ``"dev"``).

        ``data_dir`` as in :func:`resolve_data_dir`.
        """
        data_dir = resolve_data_dir(data_dir)
        pools = cached_pools(split)
        gaz = Gazetteer.cached()
        chunked = []
        for b in load_bases(data_dir, split):
            paras = [scrub(p, b.first, b.last) for p in paragraphs(b.text)]
            # drop paragraphs that still name someone or somewhere we could not label
            paras = [
                p for p in paras if not gaz.flags("".join(t if k is None else "X" * len(t) for t, k in p))
            ]
            if paras:
                chunked.append(Chunked(b, paras))
        presidio = [
            t
            for t in load_presidio_templates(data_dir, split)
            if not gaz.flags(t) and all(k is None for _, k in scrub(t))
        ]
        return cls(split, seed, pools, chunked, presidio)

    # ------------------------------------------------------------------ one document
    def document(self, i: int) -> dict[str, object]:
        """Generate document ``i`` of this split as a corpus record."""
        rng = random.Random(f"{self.seed}:{self.split}:{i}")
        persona = Persona.draw(self.pools, rng)
        style = rng.choices(list(STYLE_WEIGHTS), list(STYLE_WEIGHTS.values()))[0]
        b = NoteBuilder()
        base_id = getattr(self, "_style_" + style)(b, rng, persona)
        case = "as_is"
        if style in ("note", "discharge", "pipe", "letter", "progress"):
            case = pick_case(rng)
        elif style == "icu":
            case = "upper"
        if case == "upper":
            b.transform(str.upper)
        elif case == "lower":
            b.transform(str.lower)
        if rng.random() < 0.04:  # Windows line ends, as exported by some EHRs
            b.transform(lambda t: t.replace("\n", "\r\n"))
        text, spans = b.render()
        return {
            "id": f"synth-{self.split}-{i:06d}",
            "text": text,
            "group": f"synth-{self.split}-p{i:06d}",
            "spans": spans,
            "meta": {"style": style, "case": case, "base": base_id, "generator": GENERATOR_VERSION},
        }

    # ------------------------------------------------------------------ base text
    def _base_chunk(self, rng: random.Random, target: int) -> tuple[list[list[tuple[str, str | None]]], str]:
        c = rng.choice(self.bases)
        if c.note.source == "mts":  # short sections: stitch several, one per header, in chart order
            chosen: dict[str, Chunked] = {}
            n, tries = 0, 0
            while n < target and len(chosen) < 14 and tries < 40:
                tries += 1
                c2 = c if not chosen else rng.choice(self.mts)
                head = c2.note.text.split(":", 1)[0]
                if head in chosen:
                    continue
                chosen[head] = c2
                n += len(c2.note.text)
            order = sorted(chosen, key=lambda h: (SECTION_ORDER.index(h) if h in SECTION_ORDER else 99, h))
            paras = [p for h in order for p in chosen[h].paras]
            return paras, "+".join(chosen[h].note.id for h in order[:3])
        start = rng.randrange(len(c.paras))
        out, n = [], 0
        for p in c.paras[start:]:
            out.append(p)
            n += sum(len(t) for t, _ in p)
            if n >= target:
                break
        return out, c.note.id

    def _fill_base(self, kind: str, text: str, persona: Persona) -> list[tuple[str, str | None]]:
        rng = persona.rng
        if kind == "@AGE":
            return [(str(persona.age) if rng.random() < 0.8 else str(rng.randint(1, 99)), "AGE")]
        if kind == "@AGEDECADE":
            return [(str(rng.randint(2, 9)) + "0" + rng.choice(("'s", "s")), "AGE")]
        if kind == "@DATE":
            if _WEEKDAY.match(text):
                return (
                    persona.fill("DATE")
                    if rng.random() < 0.3
                    else [
                        (
                            rng.choice(
                                ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
                            ),
                            "DATE",
                        )
                    ]
                )
            if re.fullmatch(r"\d{1,2}/\d\d", text):  # "in 08/07": month/yy keeps its shape
                return F.date(rng, None, rng.choice(("m_yy", "md_slash")))
            if re.fullmatch(r"'\d\d", text):  # "quit '92": an apostrophe year stays one
                return [(f"'{(persona.ymd[0] - rng.randint(0, 30)) % 100:02d}", "DATE")]
            if _MONTH_OF_YEAR.match(text):  # "in August of 2019" is one DATE, as the templates say
                return F.date(rng, (persona.ymd[0] - rng.randint(0, 12), rng.randint(1, 12), 1), "mon_of_y")
            if re.fullmatch(r"(?:19|20)\d\d", text):
                return [(str(persona.ymd[0] - rng.randint(0, 12)), "DATE")]
            if text.split()[0] in _HOLIDAY_WORDS:
                return F.date(rng, style="holiday")
            if _MONTH_ONLY.match(text):
                return F.date(rng, style="month")
            return persona.fill("DATE")
        if kind == "@DOCTOR":
            d = rng.choice(persona.doctors)
            return [(d.last if rng.random() < 0.8 else f"{d.first} {d.last}", "DOCTOR")]
        if kind == "@PERSON":
            return [(persona.patient.last, "PATIENT")]
        return persona.fill(kind[1:])

    def _add_body(self, b: NoteBuilder, rng: random.Random, persona: Persona, target: int) -> str:
        paras, base_id = self._base_chunk(rng, target)
        n_insert = max(0, int(rng.expovariate(1.0) * (1 + target / 1200)))
        slots = {rng.randrange(len(paras) + 1) for _ in range(n_insert)}
        for j, p in enumerate(paras):
            if j:
                b.add("\n\n")
            if j in slots:
                self._insert_sentences(b, rng, persona)
                b.add("\n\n")
            for t, k in p:
                if k is None:
                    b.add(t)
                else:
                    b.extend(self._fill_base(k, t, persona))
        if len(paras) in slots:
            b.add("\n\n")
            self._insert_sentences(b, rng, persona)
        return base_id

    def _insert_sentences(self, b: NoteBuilder, rng: random.Random, persona: Persona) -> None:
        sep = rng.choice((" ", "\n"))
        for k in range(rng.randint(1, 3)):
            tpl = rng.choice(T.CONFUSABLES if rng.random() < 0.25 else self.sentences)
            b.add(sep if k else "")
            b.template(tpl, persona.fill)

    @staticmethod
    def _target(rng: random.Random) -> int:
        return int(min(7000, max(150, rng.lognormvariate(7.15, 0.75))))  # median ~1300 chars, ~10% > 3000

    # ------------------------------------------------------------------ styles
    def _style_note(self, b: NoteBuilder, rng: random.Random, persona: Persona) -> str:
        r = rng.random()
        if r < 0.4:
            b.template(rng.choice(T.HEADERS), persona.fill)
            b.add("\n")
        elif r < 0.75:
            b.template(T.random_header(rng), persona.fill)
        base = self._add_body(b, rng, persona, self._target(rng))
        if rng.random() < 0.65:
            b.template(rng.choice(T.SIGNOFFS), persona.fill)
        return base

    def _style_letter(self, b: NoteBuilder, rng: random.Random, persona: Persona) -> str:
        b.template(T.HEADERS[-1], persona.fill)
        b.add("\n")
        base = self._add_body(b, rng, persona, self._target(rng))
        b.template(T.SIGNOFFS[5], persona.fill)
        return base

    def _style_discharge(self, b: NoteBuilder, rng: random.Random, persona: Persona) -> str:
        b.template(T.DISCHARGE_HEADER, persona.fill)
        b.add("\n")
        base = self._add_body(b, rng, persona, int(self._target(rng) * 1.5))
        b.template(rng.choice(T.SIGNOFFS), persona.fill)
        return base

    def _style_pipe(self, b: NoteBuilder, rng: random.Random, persona: Persona) -> str:
        b.extend(pipe_header(rng, persona))
        b.add("\n\n")
        base = self._add_body(b, rng, persona, self._target(rng))
        if rng.random() < 0.7:
            b.template(rng.choice(T.SIGNOFFS), persona.fill)
        return base

    def _style_progress(self, b: NoteBuilder, rng: random.Random, persona: Persona) -> str:
        b.template(progress_note(rng), persona.fill)
        return "progress"

    def _style_icu(self, b: NoteBuilder, rng: random.Random, persona: Persona) -> str:
        if rng.random() < 0.6:
            b.template(icu_note(rng), persona.fill)
            return "icu"
        lines = rng.sample(T.ICU_LINES, k=rng.randint(4, 12))
        sep = rng.choice(("\n", "; ", ". ", "\n"))
        for j, line in enumerate(lines):
            b.add(sep if j else "")
            b.template(line, persona.fill)
        if rng.random() < 0.5:
            b.add("\n")
            b.template(rng.choice(("{DOCTOR_BARE} RN", "-- {USERNAME}", "RN: {DOCTOR_BARE}")), persona.fill)
        return "icu"

    def _style_query(self, b: NoteBuilder, rng: random.Random, persona: Persona) -> str:
        for k in range(rng.choice((1, 1, 1, 2))):
            b.add(" " if k else "")
            b.template(rng.choice(self.queries), persona.fill)
        return "query"

    def _style_presidio(self, b: NoteBuilder, rng: random.Random, persona: Persona) -> str:
        b.template(rng.choice(self.presidio), persona.fill)
        return "presidio"

    def _style_no_phi(self, b: NoteBuilder, rng: random.Random, persona: Persona) -> str:
        if rng.random() < 0.2:
            b.add(rng.choice(T.NO_PHI_QUERIES))
            return "query"
        target, n = self._target(rng), 0
        start = rng.randrange(len(self.clean_paras))
        for j, p in enumerate(self.clean_paras[start : start + 12]):
            b.add("\n\n" if j else "")
            b.extend(p)
            n += sum(len(t) for t, _ in p)
            if n >= target:
                break
        if rng.random() < 0.3:
            b.add("\n" + " ".join(rng.sample(T.CONFUSABLES, 3)))
        return "clean"


def resolve_data_dir(data_dir: str | Path | None = None) -> Path:
    """The base-data folder: ``data_dir`` if given, else ``$DEID_DATA_DIR``, else the vendored copy.

    Read at call time (not import time), so a test or a caller can set the variable late.

    Example:
        >>> resolve_data_dir("elsewhere")
        PosixPath('elsewhere')
        >>> resolve_data_dir() == DEFAULT_DATA_DIR or DATA_DIR_ENV in os.environ
        True
    """
    if data_dir is not None:
        return Path(data_dir)
    env = os.environ.get(DATA_DIR_ENV)
    return Path(env) if env else DEFAULT_DATA_DIR


def generate_split(
    split: str, n: int, seed: int, data_dir: str | Path | None = None
) -> list[dict[str, object]]:
    """Generate ``n`` documents of ``split``."""
    gen = Generator.load(split, seed, data_dir)
    return [gen.document(i) for i in range(n)]


def corpus_stats(docs: list[dict[str, object]]) -> dict[str, object]:
    """Counts for stats.json: documents, chars, spans per subtype, styles, PHI-free documents."""
    from collections import Counter

    per: Counter[str] = Counter()
    styles: Counter[str] = Counter()
    cases: Counter[str] = Counter()
    chars = 0
    empty = 0
    for d in docs:
        chars += len(d["text"])  # type: ignore[arg-type]
        spans = d["spans"]
        empty += not spans
        per.update(s["subtype"] for s in spans)  # type: ignore[union-attr, index]
        styles[d["meta"]["style"]] += 1  # type: ignore[index]
        cases[d["meta"]["case"]] += 1  # type: ignore[index]
    return {
        "documents": len(docs),
        "chars": chars,
        "mean_chars": round(chars / max(1, len(docs)), 1),
        "spans": sum(per.values()),
        "spans_per_subtype": dict(sorted(per.items())),
        "styles": dict(sorted(styles.items())),
        "cases": dict(sorted(cases.items())),
        "no_phi_documents": empty,
    }


def write_jsonl(docs: list[dict[str, object]], path: Path) -> None:
    """Write one JSON document per line (UTF-8, no ASCII escaping)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        for d in docs:
            f.write(json.dumps(d, ensure_ascii=False) + "\n")

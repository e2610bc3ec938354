"""Synthetic annotated PHI corpus generator (the default training data).

Example:
    >>> from training.synth import generate_split
    >>> docs = generate_split("dev", 3, seed=13)   # doctest: +SKIP
"""

from training.synth.generate import GENERATOR_VERSION, Generator, corpus_stats, generate_split, write_jsonl

__all__ = ["GENERATOR_VERSION", "Generator", "corpus_stats", "generate_split", "write_jsonl"]

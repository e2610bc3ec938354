"""Corpus readers and writers: i2b2 2014 XML, BRAT standoff, JSONL interchange, CoNLL BIO.

Example:
    >>> from engine.training.corpora import read_corpus, write_corpus, FORMATS
    >>> sorted(FORMATS)
    ['brat', 'conll', 'i2b2', 'jsonl']
"""

from engine.training.corpora.base import (
    AlignmentIssue,
    AlignmentReport,
    AnnotatedDocument,
    SurfaceChecker,
    word_offsets,
)
from engine.training.corpora.registry import (
    FORMATS,
    CorpusFormat,
    get_format,
    infer_format,
    read_corpus,
    write_corpus,
)

__all__ = [
    "FORMATS",
    "AlignmentIssue",
    "AlignmentReport",
    "AnnotatedDocument",
    "CorpusFormat",
    "SurfaceChecker",
    "get_format",
    "infer_format",
    "read_corpus",
    "word_offsets",
    "write_corpus",
]

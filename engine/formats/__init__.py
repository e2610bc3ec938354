"""Output formats of spans: JSONL, i2b2 XML, BRAT standoff, CoNLL BIO, an HTML review page, Presidio.

The engine writes them itself (``training`` may import from ``engine``, never the reverse).
"""

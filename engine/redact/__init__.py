"""Redaction: operators, surrogates and the offset map."""

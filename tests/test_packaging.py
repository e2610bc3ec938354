"""Packaging: ranges in the published extras, exact pins in the constraints file, the install check."""

from __future__ import annotations

import os
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
#: Exact in the extras on purpose: an unpinned torch resolves to a multi-GB CUDA build.
EXACT_OK = {"torch"}


def _norm(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def published() -> list[Requirement]:
    """Every requirement of the core and of each extra."""
    proj = PYPROJECT["project"]
    reqs = list(proj["dependencies"])
    for extra in proj["optional-dependencies"].values():
        reqs += extra
    return [Requirement(r) for r in reqs]


def pins() -> dict[str, str]:
    """``requirements-pins.txt`` as ``{name: version}``; every line is ``name==version``."""
    out = {}
    for line in (ROOT / "requirements-pins.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        req = Requirement(line)
        specs = list(req.specifier)
        assert len(specs) == 1 and specs[0].operator == "==", f"not an exact pin: {line}"
        out[_norm(req.name)] = specs[0].version
    return out


def test_extras_are_ranges() -> None:
    exact = [str(r) for r in published() if _norm(r.name) not in EXACT_OK and any(
        s.operator in ("==", "===") for s in r.specifier)]
    assert not exact, f"published extras should carry ranges, pins go to requirements-pins.txt: {exact}"


def test_every_published_requirement_is_pinned_within_its_range() -> None:
    p = pins()
    for req in published():
        name = _norm(req.name)
        assert name in p, f"{req.name} is not pinned in requirements-pins.txt"
        assert req.specifier.contains(p[name], prereleases=True), f"pin {name}=={p[name]} outside {req}"


def test_gpu_extra_is_onnxruntime_gpu() -> None:
    gpu = [Requirement(r) for r in PYPROJECT["project"]["optional-dependencies"]["gpu"]]
    assert [r.name for r in gpu] == ["onnxruntime-gpu"]


def test_license_file_matches_pyproject() -> None:
    assert PYPROJECT["project"]["license"] == "Apache-2.0"
    text = (ROOT / "LICENSE").read_text()
    assert "Apache License" in text and "Version 2.0, January 2004" in text
    assert "END OF TERMS AND CONDITIONS" in text  # the full text, not a stub


@pytest.mark.slow
def test_install_check() -> None:
    """`make install-check`: pip install of a fresh clone + `deid redact examples/` (minutes)."""
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("needs a git checkout")
    r = subprocess.run(
        [str(ROOT / "scripts" / "install_check.sh")], cwd=ROOT, capture_output=True, text=True,
        env={**os.environ}, timeout=3600,
    )
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-2000:]

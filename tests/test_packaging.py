"""Packaging: ranges in the published extras, exact pins in the constraints file, one installed top-level
package (engine), the install check."""

from __future__ import annotations

import ast
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
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


# --- One installed top-level package ------------------------------------------------------------
#: Repository folder -> installed package (pyproject [tool.setuptools.package-dir]; docs/decisions.md).
MAPPED = {"training": "engine.training", "export": "engine.export", "benchmarks": "engine.benchmarks"}
OLD_NAMES = set(MAPPED)
DIST_INFO = "deid_engine-{}.dist-info".format(PYPROJECT["project"]["version"])


def _installed_name(folder: Path, root: Path = ROOT) -> str:
    """The package a source folder installs as: training/synth -> engine.training.synth."""
    top, *rest = folder.relative_to(root).parts
    return ".".join([MAPPED.get(top, top), *rest])


def _code_folders() -> list[Path]:
    out = set()
    for top in ("engine", *MAPPED):
        out |= {f.parent for f in (ROOT / top).rglob("*.py") if "__pycache__" not in f.parts}
    return sorted(out)


def _setup_packages() -> list[str]:
    """The package list setup.py gives setuptools (its ``packages()``, without running setup())."""
    spec = importlib.util.spec_from_file_location("deid_setup", ROOT / "setup.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.packages()


def test_package_dir_maps_the_repository_folders_under_engine() -> None:
    assert PYPROJECT["tool"]["setuptools"]["package-dir"] == {v: k for k, v in MAPPED.items()}
    packages = _setup_packages()
    assert all(p == "engine" or p.startswith("engine.") for p in packages), packages


def test_every_code_folder_is_a_package() -> None:
    packages = set(_setup_packages())
    missing = [str(f.relative_to(ROOT)) for f in _code_folders() if _installed_name(f) not in packages]
    assert not missing, f"folders with Python code that setup.py does not list: {missing}"


def _old_name_references(path: Path) -> list[str]:
    """Imports of (and module-path strings naming) the old top-level packages in one Python file."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            # "training.synth.cli" (import_module, plugin tables, monkeypatch targets), not prose
            names = [node.value] if re.fullmatch(r"[a-z_]+(\.[a-z_0-9]+)+", node.value) else []
        out += [f"{path.relative_to(ROOT)}:{node.lineno}: {n}" for n in names  # type: ignore[attr-defined]
                if n.split(".")[0] in OLD_NAMES]
    return out


def test_no_code_imports_the_old_top_level_names() -> None:
    """From the repository root `import training` still finds the folder; only engine.* is installed."""
    found = []
    for top in ("engine", *MAPPED, "tests", "scripts"):
        for f in sorted((ROOT / top).rglob("*.py")):
            if "__pycache__" not in f.parts:
                found += _old_name_references(f)
    assert not found, found


def test_docs_run_the_installed_module_names() -> None:
    old = re.compile(r"-m\s+(?:training|export|benchmarks)\.")
    docs = [ROOT / "README.md", ROOT / "engine" / "default_model" / "MODEL_CARD.md",
            *(ROOT / "docs").glob("*.md"), *(ROOT / "benchmarks").rglob("*.md")]
    found = [f"{d.relative_to(ROOT)}: {m.group(0)}" for d in docs for m in old.finditer(d.read_text())]
    assert not found, found


#: Left out of the Docker build context (.dockerignore); the wheel must build without them.
DOCKER_LEFT_OUT = ("training/synth/data", "benchmarks/results")


@pytest.mark.parametrize("context", ["clone", "docker"])
def test_wheel_installs_only_the_engine_package(tmp_path: Path, context: str) -> None:
    """A built wheel holds engine/ and its dist-info only, with every source file at its mapped place."""
    pytest.importorskip("setuptools")
    src = tmp_path / "src"  # a copy: no stale build/ of the checkout, no clash with a parallel build
    skip = shutil.ignore_patterns("__pycache__", "*.pyc", "build", "*.egg-info")
    for top in ("engine", *MAPPED):
        shutil.copytree(ROOT / top, src / top, ignore=skip)
    for f in ("pyproject.toml", "setup.py", "README.md", "LICENSE", "NOTICE"):
        if (ROOT / f).exists():
            shutil.copy2(ROOT / f, src / f)
    if context == "docker":
        for folder in DOCKER_LEFT_OUT:
            assert folder in (ROOT / ".dockerignore").read_text().split()
            shutil.rmtree(src / folder)
    r = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(src), "--no-deps", "--no-build-isolation", "--no-index",
         "-q", "-w", str(tmp_path / "dist")],
        capture_output=True, text=True, timeout=600,
    )
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    (wheel,) = (tmp_path / "dist").glob("deid_engine-*.whl")
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        top_level = z.read(f"{DIST_INFO}/top_level.txt").decode().split()
        record = [row.split(",")[0] for row in z.read(f"{DIST_INFO}/RECORD").decode().splitlines() if row]
    assert top_level == ["engine"]
    assert {p.split("/")[0] for p in record} == {"engine", DIST_INFO}
    assert set(record) == names
    expected = {
        f"{_installed_name(f.parent, src).replace('.', '/')}/{f.name}"
        for top in ("engine", *MAPPED) for f in (src / top).rglob("*.py")
    }
    assert not expected - names, f"source files missing from the wheel: {sorted(expected - names)[:10]}"
    data = ["engine/default_model/model.onnx", "engine/training/configs/default.toml",
            "engine/training/labelmap_data/presidio_i2b2.json",
            "engine/training/metrics/splits/physionet-dev.json", "engine/benchmarks/README.md"]
    if context == "clone":
        data += ["engine/training/synth/data/bases/SHA256SUMS",
                 "engine/benchmarks/results/cpu-2core-epyc-avx2/report.json"]
    assert not [d for d in data if d not in names], "package data missing from the wheel"

"""One table of error codes: every raised code is in it, and each code means one kind of error."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import engine.errors as errors
from engine.error_codes import ERROR_CODES

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
from error_table import raised_codes  # noqa: E402

#: Error classes -> the exit code family they belong to (subclasses defined outside engine.errors).
FAMILY = {
    "InputError": 2, "ConfigError": 2, "ImageInputError": 2,
    "ArtifactError": 3, "DeviceError": 3,
}  # fmt: skip


def test_the_table_is_up_to_date() -> None:
    rc = subprocess.run([sys.executable, str(ROOT / "scripts" / "error_table.py"), "--check"], cwd=ROOT)
    assert rc.returncode == 0, "run: python scripts/error_table.py"


def test_every_raised_code_is_in_the_table() -> None:
    rows = raised_codes(ROOT)
    assert len(rows) > 100
    missing = sorted({r[0] for r in rows} - set(ERROR_CODES))
    assert not missing


def test_a_code_means_one_kind_of_error() -> None:
    kinds: dict[str, set[int]] = {}
    for code, kind, _, _, _ in raised_codes(ROOT):
        kinds.setdefault(code, set()).add(FAMILY.get(kind, 1))
    mixed = {c: k for c, k in kinds.items() if len(k) > 1}
    assert not mixed, f"codes raised as errors of different exit-code families: {mixed}"
    classes: dict[str, set[str]] = {}
    for code, kind, _, _, _ in raised_codes(ROOT):
        classes.setdefault(code, set()).add(kind)
    # within a family, one class per code (ImageInputError is an InputError, so those may mix)
    assert not {c: k for c, k in classes.items() if len(k - {"ImageInputError", "InputError"}) > 1}


def test_the_exit_code_mapping() -> None:
    assert errors.exit_code_for(errors.InputError("E614", "x")) == 2
    assert errors.exit_code_for(errors.ConfigError("E100", "x")) == 2
    assert errors.exit_code_for(errors.ArtifactError("E216", "x")) == 3
    assert errors.exit_code_for(errors.DeviceError("E520", "x")) == 3
    assert errors.exit_code_for(errors.DetectionError("E503", "x")) == 1
    assert errors.describe("E614")[0] == "InputError"


def test_the_readme_lists_the_exit_codes() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("Exit codes") :][:2500]
    for code in errors.EXIT_CODES:
        assert re.search(rf"`{code}`", section), f"exit code {code} is not in the README's Exit codes list"
    import engine.cli

    for code in errors.EXIT_CODES:
        assert re.search(rf"^\s+{code}\s", engine.cli.__doc__ or "", re.M), (
            f"exit code {code} not in deid's docstring"
        )

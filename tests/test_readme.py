"""The README's shell and Python blocks run verbatim from a fresh clone.

Every ```bash and ```python block runs unless the line before it is ``<!-- readme-test: skip -->``
(blocks that install extras, train, export, benchmark or start a server, each tested elsewhere).
Shell lines run with the repository's virtual environment first on PATH, in a scratch folder where
``examples/`` is the repository's.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
BLOCK = re.compile(r"(?P<before>[^\n]*)\n```(?P<lang>bash|python)\n(?P<body>.*?)\n```", re.S)
SKIP = "<!-- readme-test: skip -->"


def blocks() -> list[tuple[str, str, int]]:
    """``(language, body, line)`` of every runnable block."""
    out = []
    for m in BLOCK.finditer(README):
        if m.group("before").strip() == SKIP:
            continue
        out.append((m.group("lang"), m.group("body"), README[: m.start("body")].count("\n") + 1))
    return out


def test_the_readme_has_runnable_blocks() -> None:
    langs = [lang for lang, _, _ in blocks()]
    assert langs.count("bash") >= 1 and langs.count("python") >= 3


def test_the_readme_is_a_guide_not_a_notebook() -> None:
    assert len(README) <= 13_000, f"README is {len(README)} characters"
    assert not re.search(r"\bcommit [0-9a-f]{7}\b", README), "no commit hashes in the README"


@pytest.mark.parametrize(
    ("lang", "body", "line"), blocks(), ids=lambda v: str(v) if isinstance(v, int) else None
)
def test_readme_block_runs(lang: str, body: str, line: int, tmp_path: Path) -> None:
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT)}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    if lang == "python":
        script = tmp_path / "snippet.py"
        script.write_text(body, encoding="utf-8")
        cmd = [sys.executable, str(script)]
    else:
        script = tmp_path / "snippet.sh"
        script.write_text("set -euo pipefail\n" + body.replace(".venv/bin/", "") + "\n", encoding="utf-8")
        cmd = [shutil.which("bash") or "/bin/bash", str(script)]
    proc = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, (
        f"README block at line {line} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}"
    )

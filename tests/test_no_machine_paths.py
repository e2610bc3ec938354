"""No absolute path of a development machine in any tracked text file.

A fresh clone on another machine must build, train and test: a default such as
``Path("/work/shared/data")`` works only where that folder happens to exist. The rules, one regex
each, are deliberately narrow so that legitimate strings pass:

* home and workspace roots anywhere (``/work/``, ``/root/``, ``/home/<user>``, ``/Users/<user>``,
  ``C:\\Users\\``): no portable file names them;
* ``/tmp/...`` only where it is a default (``Path("/tmp/x")``, ``default="/tmp/x"``, ``x = "/tmp/x"``,
  ``${VAR:-/tmp}``); an example command line (``--out /tmp/p``) is not a default;
* container paths (``/opt/deid`` in the Dockerfile), URLs and ``~/.cache`` are fine.

Example of what fails: ``DEFAULT_DATA_DIR = Path("/work/shared/data")``.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

#: (rule name, pattern). A path starts after a quote, a blank, ``=``, ``(``, ``:`` or the line start;
#: ``(?<![\w.~/:-])`` keeps ``https://host/home/x``, ``a/home/b`` and ``~/home`` out.
RULES: list[tuple[str, re.Pattern[str]]] = [
    ("workspace or home root", re.compile(r"(?<![\w.~/:-])/(?:work|root)/[\w.-]")),
    ("user home", re.compile(r"(?<![\w.~/:-])/(?:home|Users)/[\w.-]+")),
    ("windows user home", re.compile(r"\b[A-Za-z]:\\\\?Users\\\\?")),
    (
        "/tmp as a default",
        re.compile(
            r"(?:Path\(\s*|default\s*=\s*|\w\s*[:=]\s*|:-)[rbf]?[\"']?/tmp(?:/|[\"'}\s])"
        ),
    ),
]

#: This file states the rules, so it holds the patterns themselves.
SELF = Path(__file__).resolve().relative_to(ROOT).as_posix()


def tracked_text_files() -> list[Path]:
    """Tracked files (``git ls-files``) that are text: no NUL byte in the first 8 KiB."""
    try:
        out = subprocess.run(
            ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
        ).stdout.decode("utf-8")
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    files = []
    for name in out.split("\0"):
        p = ROOT / name
        if not name or name == SELF or not p.is_file():
            continue
        with open(p, "rb") as f:
            if b"\0" in f.read(8192):
                continue
        files.append(p)
    return files


def find_machine_paths(text: str) -> list[tuple[int, str, str]]:
    """``(line number, rule, line)`` for each line that names a machine path.

    Example:
        >>> find_machine_paths('DATA = Path("/work/shared/data")\\nsee https://example.org/home/x')
        [(1, 'workspace or home root', 'DATA = Path("/work/shared/data")')]
        >>> find_machine_paths('out = Path("/tmp/deid")\\ndeid train --out /tmp/p')[0][:2]
        (1, '/tmp as a default')
        >>> find_machine_paths('deid train --out /tmp/p  # and ~/.cache/deid, /opt/deid/bin')
        []
    """
    hits = []
    for n, line in enumerate(text.splitlines(), 1):
        for rule, pattern in RULES:
            if pattern.search(line):
                hits.append((n, rule, line.strip()))
                break
    return hits


@pytest.mark.parametrize(
    ("line", "bad"),
    [
        ('DEFAULT_DATA_DIR = Path("/work/shared/data")', True),
        ('default=Path("/work/shared/data"),', True),
        ('train = "/work/shared/data/meddocan/corpus/train/brat"', True),
        ('"path": "/root/.cache/deid/bench-variants/x/raw.onnx",', True),
        ("cache = /home/alice/deid", True),
        ('base = "/Users/bob/models/bert"', True),
        ('WORK=$(mktemp -d "${TMPDIR:-/tmp}/x.XXXX")', True),
        ('out_dir: Path = Path("/tmp/deid-out")', True),
        ('p.add_argument("--out", default="/tmp/x")', True),
        ("deid synth --out /tmp/x --n-train 50", False),
        ("see https://github.com/home/work/x and https://example.org/root/y", False),
        ("COPY --from=build /opt/deid /opt/deid", False),
        ("cached under ~/.cache/deid/bench-variants", False),
        ('"train": "data/synth/train.jsonl"', False),
        ("training/synth/data/bases/aci-bench/challenge_data", False),
        ('train = "${DEID_DATA_DIR}/meddocan/corpus/train/brat"', False),
    ],
)
def test_rules_table(line: str, bad: bool) -> None:
    assert bool(find_machine_paths(line)) is bad, line


def test_no_machine_paths_in_tracked_files() -> None:
    failures = []
    for p in tracked_text_files():
        text = p.read_text(encoding="utf-8", errors="replace")
        for n, rule, line in find_machine_paths(text):
            failures.append(f"{p.relative_to(ROOT)}:{n}: {rule}: {line[:120]}")
    fix = "make them relative, a flag, or $DEID_DATA_DIR"
    assert not failures, f"absolute machine paths ({fix}):\n" + "\n".join(failures)

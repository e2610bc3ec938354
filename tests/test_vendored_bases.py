"""The vendored base texts are the upstream bytes, with their licences, and are the synth default."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from engine.training.synth.generate import DATA_DIR_ENV, DEFAULT_DATA_DIR, resolve_data_dir

BASES = Path(__file__).resolve().parents[1] / "training" / "synth" / "data" / "bases"


def test_default_is_the_vendored_copy(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(DATA_DIR_ENV, raising=False)
    assert resolve_data_dir() == DEFAULT_DATA_DIR
    assert DEFAULT_DATA_DIR.resolve() == BASES.resolve()
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path))
    assert resolve_data_dir() == tmp_path  # the variable beats the vendored copy
    assert resolve_data_dir(tmp_path / "flag") == tmp_path / "flag"  # and --data-dir beats both


def test_bytes_match_sha256sums() -> None:
    """Any change of a byte (an editor's line ends, git's autocrlf) changes the corpus and the model."""
    lines = (BASES / "SHA256SUMS").read_text().splitlines()
    listed = {}
    for line in lines:
        digest, name = line.split(maxsplit=1)
        listed[name] = digest
    on_disk = {
        p.relative_to(BASES).as_posix()
        for p in BASES.rglob("*")
        if p.is_file() and p.name not in {"SHA256SUMS", "README.md", ".gitattributes"}
    }
    assert on_disk == set(listed)
    for name, digest in listed.items():
        assert hashlib.sha256((BASES / name).read_bytes()).hexdigest() == digest, name


@pytest.mark.parametrize(
    ("folder", "licence", "words"),
    [
        ("aci-bench", "LICENSE.txt", "Attribution 4.0 International"),
        ("mts-dialog", "LICENSE.txt", "Attribution 4.0 International"),
        ("presidio-synth", "LICENSE", "MIT License"),
    ],
)
def test_each_base_keeps_its_licence_and_source(folder: str, licence: str, words: str) -> None:
    assert words in (BASES / folder / licence).read_text(encoding="utf-8")
    assert "@" in (BASES / folder / "SOURCE.txt").read_text(encoding="utf-8")  # upstream @ commit


def test_no_real_notes_vendored() -> None:
    """The PhysioNet notes (real, GPL) never go into the repository: no file of that corpus is tracked."""
    import subprocess

    root = BASES.parents[3]
    try:
        names = subprocess.run(["git", "ls-files"], cwd=root, capture_output=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    tracked = names.decode("utf-8").splitlines()
    corpus_files = ("id.text", "id-phi.phrase", "COPYING")
    assert not [n for n in tracked if n.rsplit("/", 1)[-1] in corpus_files]
    # the only physionet-named file is the patient split (ids, no text)
    split = "training/metrics/splits/physionet-dev.json"
    assert [n for n in tracked if "physionet" in n.lower()] in ([], [split])
    assert not [n for n in tracked if n.startswith("training/synth/data/") and "physionet" in n.lower()]

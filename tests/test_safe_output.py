"""`deid redact` output never holds the original PHI: every input kind, style and fail-closed path.

Each test plants PHI the lexicon model finds (Harlan, Valdez, whalen, Calvert) and greps every byte
the command wrote for every planted string, case-insensitively.
"""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest

from engine.cli import main
from tests.test_engine import MODEL_ONLY, lexicon_dir  # noqa: F401 - fixture

PHI = ["Harlan", "Valdez", "whalen", "Calvert"]
NOTES = [
    "Harlan Valdez seen by DR WHALEN, transferred to Calvert.",
    "no identifiers here; BP 120/80",
    "Pt Valdez. Call whalen re: Calvert bed.",
]
STYLES = [["--style", "tag"], ["--style", "mask"], ["--style", "tag", "--with-subtype"]]


def _args(lexicon_dir: Path) -> list[str]:  # noqa: F811
    out = ["--model", str(lexicon_dir), "-q"]
    for o in MODEL_ONLY:
        out += ["--set", o]
    return out


def _assert_no_phi(data: str) -> None:
    low = data.lower()
    leaked = [p for p in PHI if p.lower() in low]
    assert not leaked, f"PHI in redact output: {leaked}"


def _stdin(monkeypatch: pytest.MonkeyPatch, data: str) -> None:
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(data.encode())))


def _jsonl(tmp_path: Path) -> Path:
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps({"id": f"n{i}", "text": t}) + "\n" for i, t in enumerate(NOTES)))
    return src


def _folder(tmp_path: Path) -> Path:
    d = tmp_path / "notes"
    d.mkdir()
    for i, t in enumerate(NOTES):
        (d / f"n{i}.txt").write_text(t)
    return d


@pytest.mark.parametrize("style", STYLES, ids=["tag", "mask", "subtype"])
@pytest.mark.parametrize("kind", ["jsonl", "txt", "dir-stdout", "dir-outdir", "stdin-jsonl", "stdin-text"])
def test_redact_output_has_no_phi(
    kind: str,
    style: list[str],
    tmp_path: Path,
    lexicon_dir: Path,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = [*style, *_args(lexicon_dir)]
    out = tmp_path / "out"
    if kind == "jsonl":
        assert main(["redact", str(_jsonl(tmp_path)), "-o", str(out), *args]) == 0
        written = out.read_text()
        assert len(written.splitlines()) == len(NOTES)
    elif kind == "txt":
        (tmp_path / "a.txt").write_text(NOTES[0])
        assert main(["redact", str(tmp_path / "a.txt"), *args]) == 0
        written = capsys.readouterr().out
    elif kind == "dir-stdout":
        assert main(["redact", str(_folder(tmp_path)), *args]) == 0
        written = capsys.readouterr().out
    elif kind == "dir-outdir":
        assert main(["redact", str(_folder(tmp_path)), "-o", str(out), *args]) == 0
        written = "".join(f.read_text() for f in sorted(out.iterdir()))
        assert len(list(out.iterdir())) == len(NOTES)
    elif kind == "stdin-jsonl":
        _stdin(monkeypatch, _jsonl(tmp_path).read_text())
        assert main(["redact", "-", *args]) == 0
        written = capsys.readouterr().out
    else:
        _stdin(monkeypatch, NOTES[0])
        assert main(["redact", "-", *args]) == 0
        written = capsys.readouterr().out
    assert written.strip()
    _assert_no_phi(written)


def test_redact_spans_point_into_the_redacted_text(tmp_path: Path, lexicon_dir: Path) -> None:  # noqa: F811
    out = tmp_path / "out.jsonl"
    assert main(["redact", str(_jsonl(tmp_path)), "-o", str(out), *_args(lexicon_dir)]) == 0
    recs = [json.loads(x) for x in out.read_text().splitlines()]
    assert [r["id"] for r in recs] == ["n0", "n1", "n2"]
    assert len(recs[0]["spans"]) == 4 and not recs[1]["spans"]
    for r in recs:
        for s in r["spans"]:
            assert r["text"][s["start"] : s["end"]] == f"[{s['label']}]"
            assert set(s) == {"start", "end", "label", "subtype", "score", "source"}


def test_include_phi_and_original_offsets_opt_in(tmp_path: Path, lexicon_dir: Path) -> None:  # noqa: F811
    src, out = _jsonl(tmp_path), tmp_path / "out.jsonl"
    assert (
        main(["redact", str(src), "-o", str(out), "--include-phi", "--original-offsets", *_args(lexicon_dir)])
        == 0
    )
    rec = json.loads(out.read_text().splitlines()[0])
    first = rec["spans"][0]
    assert first["phi"] == "Harlan" and (first["orig_start"], first["orig_end"]) == (0, 6)
    assert NOTES[0][first["orig_start"] : first["orig_end"]] == first["phi"]


def test_detect_output_keeps_the_mentions_for_review(tmp_path: Path, lexicon_dir: Path) -> None:  # noqa: F811
    out = tmp_path / "spans.jsonl"
    assert main(["detect", str(_jsonl(tmp_path)), "-o", str(out), *_args(lexicon_dir)]) == 0
    rec = json.loads(out.read_text().splitlines()[0])
    assert [s["text"] for s in rec["spans"]] == ["Harlan", "Valdez", "WHALEN", "Calvert"]


def _explode(self, docs):  # noqa: ANN001, ANN202
    raise RuntimeError(f"boom while reading {docs[0].text}")  # the message quotes the note


def test_fail_closed_output_has_no_phi_and_exits_1(
    tmp_path: Path,
    lexicon_dir: Path,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr("engine.pipeline.Deidentifier._spans", _explode)
    out = tmp_path / "out.jsonl"
    args = ["--set", "on_error=redact_all", *_args(lexicon_dir)]
    assert main(["redact", str(_jsonl(tmp_path)), "-o", str(out), *args]) == 1
    written = out.read_text()
    recs = [json.loads(x) for x in written.splitlines()]
    assert len(recs) == 3 and all(r["error"] and r["text"] == "[REDACTED]" for r in recs[::2])
    _assert_no_phi(written)
    assert "redacted entirely" in capsys.readouterr().err
    # on_error=raise: nothing written, exit 1
    out2 = tmp_path / "out2.jsonl"
    assert main(["redact", str(_jsonl(tmp_path)), "-o", str(out2), *_args(lexicon_dir)]) == 1
    assert not out2.exists() and not list(tmp_path.glob(".out2*"))


def test_stdout_failure_ends_with_a_fatal_record(
    tmp_path: Path,
    lexicon_dir: Path,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps({"id": f"n{i}", "text": NOTES[i % 3]}) + "\n" for i in range(300)))
    from engine.pipeline import Deidentifier

    real = Deidentifier._spans
    calls = {"n": 0}

    def second_chunk_fails(self, docs):  # noqa: ANN001, ANN202
        calls["n"] += 1
        if calls["n"] > 1:
            raise RuntimeError("Harlan Valdez")
        return real(self, docs)

    monkeypatch.setattr("engine.pipeline.Deidentifier._spans", second_chunk_fails)
    assert main(["redact", str(src), *_args(lexicon_dir)]) == 1
    lines = capsys.readouterr().out.splitlines()
    recs = [json.loads(x) for x in lines]
    assert recs[-1]["fatal"] is True and recs[-1]["id"] is None
    assert all("fatal" not in r for r in recs[:-1]) and 0 < len(recs) - 1 < 300
    _assert_no_phi("\n".join(lines))


def test_workers_with_a_corrupt_model_exit_3_and_write_nothing(
    tmp_path: Path,
    lexicon_dir: Path,  # noqa: F811
) -> None:
    bad = tmp_path / "bad"
    shutil.copytree(lexicon_dir, bad)
    with open(bad / "model.onnx", "ab") as f:
        f.write(b"tampered")
    out = tmp_path / "out.jsonl"
    for on_error in ("raise", "redact_all"):
        args = ["--model", str(bad), "-q", "--set", f"on_error={on_error}", "--workers", "2"]
        assert main(["redact", str(_jsonl(tmp_path)), "-o", str(out), *args]) == 3
        assert not out.exists()

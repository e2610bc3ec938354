"""The deid CLI: formats, order, bad input, exit codes."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from engine.cli import main
from tests.test_engine import MODEL_ONLY, lexicon_dir  # noqa: F401 - fixture

pytestmark = pytest.mark.usefixtures("lexicon_dir")


def _args(lexicon_dir: Path) -> list[str]:  # noqa: F811
    out = ["--model", str(lexicon_dir), "-q"]
    for o in MODEL_ONLY:
        out += ["--set", o]
    return out


def test_detect_jsonl_in_order(tmp_path: Path, lexicon_dir: Path) -> None:  # noqa: F811
    src = tmp_path / "in.jsonl"
    recs = [{"id": f"n{i}", "text": "Valdez seen" if i % 2 else "nothing", "group": "p1"} for i in range(5)]
    src.write_text("\n".join(json.dumps(r) for r in recs) + "\n")
    out = tmp_path / "out.jsonl"
    assert main(["detect", str(src), "-o", str(out), *_args(lexicon_dir)]) == 0
    lines = [json.loads(x) for x in out.read_text().splitlines()]
    assert [x["id"] for x in lines] == [r["id"] for r in recs]
    assert [len(x["spans"]) for x in lines] == [0, 1, 0, 1, 0]
    assert lines[1]["spans"][0] == {
        "start": 0,
        "end": 6,
        "label": "NAME",
        "subtype": "PATIENT",
        "score": lines[1]["spans"][0]["score"],
        "source": "model",
        "text": "Valdez",
    }


def test_workers_give_the_same_output(tmp_path: Path, lexicon_dir: Path) -> None:  # noqa: F811
    src = tmp_path / "in.jsonl"
    recs = [
        {"id": f"n{i}", "text": f"Valdez seen {i}/12/2011 by whalen", "group": f"p{i // 3}"}
        for i in range(70)
    ]
    src.write_text("\n".join(json.dumps(r) for r in recs) + "\n")
    one, two = tmp_path / "one.jsonl", tmp_path / "two.jsonl"
    assert main(["redact", str(src), "-o", str(one), "-q", *_args(lexicon_dir)]) == 0
    assert main(["redact", str(src), "-o", str(two), "-q", "--workers", "2", *_args(lexicon_dir)]) == 0
    assert one.read_text() == two.read_text() and one.read_text().count("\n") == 70


def test_malformed_line_names_line_and_writes_nothing(
    tmp_path: Path,
    lexicon_dir: Path,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text('{"id": "a", "text": "Valdez"}\n{"id": "b", "text": \n{"id": "c", "text": "x"}\n')
    out = tmp_path / "out.jsonl"
    assert main(["detect", str(src), "-o", str(out), *_args(lexicon_dir)]) == 2
    assert "in.jsonl:2" in capsys.readouterr().err
    assert not out.exists()
    assert not list(tmp_path.glob(".out.jsonl.*"))


def test_skip_bad_keeps_place(tmp_path: Path, lexicon_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: F811
    src = tmp_path / "in.jsonl"
    src.write_text('{"id": "a", "text": "Valdez"}\nnot json\n{"id": "c", "text": "x"}\n{"id": "d"}\n')
    out = tmp_path / "out.jsonl"
    assert main(["detect", str(src), "-o", str(out), "--skip-bad", *_args(lexicon_dir)]) == 4
    lines = [json.loads(x) for x in out.read_text().splitlines()]
    assert len(lines) == 4
    assert [x["id"] for x in lines] == ["a", None, "c", None]
    assert "error" in lines[1] and "in.jsonl:2" in lines[1]["error"]
    assert "2 malformed" in capsys.readouterr().err


def test_undecodable_bytes_name_file_and_offset(
    tmp_path: Path,
    lexicon_dir: Path,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    src = tmp_path / "note.txt"
    src.write_bytes(b"Valdez \xff\xfe end")
    assert main(["detect", str(src), *_args(lexicon_dir)]) == 2
    err = capsys.readouterr().err
    assert "note.txt" in err and "offset 7" in err
    assert main(["detect", str(src), "--encoding", "latin-1", *_args(lexicon_dir)]) == 0


def test_redact_directory_and_text(
    tmp_path: Path,
    lexicon_dir: Path,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    d = tmp_path / "notes"
    d.mkdir()
    (d / "a.txt").write_text("Harlan seen by whalen")
    (d / "b.txt").write_text("")
    outdir = tmp_path / "red"
    assert main(["redact", str(d), "-o", str(outdir), *_args(lexicon_dir)]) == 0
    assert (outdir / "a.txt").read_text() == "[NAME] seen by [NAME]"
    assert (outdir / "b.txt").read_text() == ""
    assert main(["redact", str(d / "a.txt"), "--style", "mask", *_args(lexicon_dir)]) == 0
    assert capsys.readouterr().out == "****** seen by ******"


def test_stdin_jsonl(
    monkeypatch: pytest.MonkeyPatch,
    lexicon_dir: Path,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    data = '{"id": "x", "text": "Valdez"}\n{"id": "y", "text": "none"}\n'
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(data.encode())))
    assert main(["redact", "-", *_args(lexicon_dir)]) == 0
    out = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [(o["id"], o["text"]) for o in out] == [("x", "[NAME]"), ("y", "none")]


def test_refuses_to_overwrite(tmp_path: Path, lexicon_dir: Path) -> None:  # noqa: F811
    src = tmp_path / "a.txt"
    src.write_text("Valdez")
    out = tmp_path / "o.jsonl"
    out.write_text("keep")
    assert main(["detect", str(src), "-o", str(out), *_args(lexicon_dir)]) == 2
    assert out.read_text() == "keep"
    assert main(["detect", str(src), "-o", str(src), "--force", *_args(lexicon_dir)]) == 2
    assert main(["detect", str(src), "-o", str(out), "--force", *_args(lexicon_dir)]) == 0


def test_bad_config_and_missing_model(tmp_path: Path, lexicon_dir: Path) -> None:  # noqa: F811
    src = tmp_path / "a.txt"
    src.write_text("x")
    assert main(["detect", str(src), "--set", "decode.o_threshold=7", *_args(lexicon_dir)]) == 2
    assert main(["detect", str(src), "--model", str(tmp_path), "-q"]) == 3

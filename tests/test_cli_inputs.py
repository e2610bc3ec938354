"""Odd input is read faithfully or refused clearly (exit 2, no traceback), never lost."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.cli import main
from engine.io import list_notes, split_lines
from engine.text.normalize import NormalizedView
from tests.test_engine import MODEL_ONLY, lexicon_dir  # noqa: F401 - fixture

DOCUMENTED_EXIT_CODES = {0, 1, 2, 3, 4}


def _args(lexicon_dir: Path) -> list[str]:  # noqa: F811
    out = ["--model", str(lexicon_dir), "-q"]
    for o in MODEL_ONLY:
        out += ["--set", o]
    return out


def _stdin(monkeypatch: pytest.MonkeyPatch, data: bytes) -> None:
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(data)))


# ------------------------------------------------------------------ JSONL lines
@pytest.mark.parametrize("sep", ["\u2028", "\u2029", "\u0085", "\x0c", "\x1c", "\r"])
def test_jsonl_lines_end_at_newline_only(
    sep: str,
    tmp_path: Path,
    lexicon_dir: Path,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    recs = [{"id": "a", "text": f"seen{sep}today Valdez"}, {"id": "b", "text": "x"}]
    data = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in recs)
    src = tmp_path / "in.jsonl"
    src.write_text(data, encoding="utf-8", newline="")
    for source in (str(src), "-"):
        _stdin(monkeypatch, data.encode())
        assert main(["redact", source, *_args(lexicon_dir)]) == 0
        written = capsys.readouterr().out
        assert len(written.splitlines()) == 2  # the separator is escaped in the output
        out = [json.loads(x) for x in written.split("\n") if x]
        assert [o["text"] for o in out] == [f"seen{sep}today [NAME]", "x"]


def test_split_lines_table() -> None:
    assert split_lines('{"t": "a\u2028b"}\n{}') == ['{"t": "a\u2028b"}', "{}"]
    assert split_lines("a\r\nb\n") == ["a\r", "b"]  # json.loads ignores the trailing \r
    assert split_lines("") == []


def test_a_utf8_bom_is_accepted(
    tmp_path: Path,
    lexicon_dir: Path,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    data = '{"id": "a", "text": "Valdez"}\n{"id": "b", "text": "x"}\n'.encode("utf-8-sig")
    src = tmp_path / "in.jsonl"
    src.write_bytes(data)
    assert main(["detect", str(src), *_args(lexicon_dir)]) == 0
    assert [json.loads(x)["id"] for x in capsys.readouterr().out.splitlines()] == ["a", "b"]
    _stdin(monkeypatch, data)
    assert main(["detect", "-", *_args(lexicon_dir)]) == 0
    assert [json.loads(x)["id"] for x in capsys.readouterr().out.splitlines()] == ["a", "b"]
    note = tmp_path / "n.txt"
    note.write_bytes("Valdez seen".encode("utf-8-sig"))
    assert main(["redact", str(note), *_args(lexicon_dir)]) == 0
    assert capsys.readouterr().out == "[NAME] seen"


@pytest.mark.parametrize(
    ("line", "code"),
    [
        ('{"id": "a", "text": "\\ud800 Valdez"}', "E617"),  # a lone surrogate
        ("[" * 100_000 + "]" * 100_000, "E616"),  # nested too deeply
        ('{"id": "a", "text": 3}', "E601"),
        ("[1, 2]", "E612"),
        ('{"id": "a", "text": "x"', "E611"),
    ],
    ids=["surrogate", "nested", "text-not-string", "not-object", "truncated"],
)
def test_a_bad_record_gets_a_clear_error_in_place(
    line: str,
    code: str,
    tmp_path: Path,
    lexicon_dir: Path,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text('{"id": "x", "text": "Valdez"}\n' + line + '\n{"id": "z", "text": "ok"}\n')
    assert main(["redact", str(src), *_args(lexicon_dir)]) == 2
    err = capsys.readouterr().err
    assert code in err and "in.jsonl:2" in err and "Traceback" not in err
    assert main(["redact", str(src), "--skip-bad", *_args(lexicon_dir)]) == 4
    out = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [o["id"] for o in out] == ["x", None, "z"] and code in out[1]["error"]


# ------------------------------------------------------------------ directories
def test_directory_means_txt_notes_any_case_and_reports_the_rest(
    tmp_path: Path,
    lexicon_dir: Path,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    d = tmp_path / "notes"
    (d / "sub").mkdir(parents=True)
    (d / "a.txt").write_text("Valdez")
    (d / "B.TXT").write_text("whalen")
    (d / "c.jsonl").write_text('{"id": "c", "text": "x"}\n')
    (d / "d.md").write_text("Harlan")
    (d / "sub" / "e.txt").write_text("Calvert")
    notes, skipped = list_notes(d)
    assert [i for i, _ in notes] == ["B", "a"]
    assert skipped == ["c.jsonl", "d.md", "sub/ (a directory; pass --recursive)"]
    assert [i for i, _ in list_notes(d, recursive=True)[0]] == ["B", "a", "sub/e"]
    out = tmp_path / "red"
    assert main(["redact", str(d), "-o", str(out), *_args(lexicon_dir)]) == 0
    err = capsys.readouterr().err
    assert all(name in err for name in ("c.jsonl", "d.md", "sub/"))
    assert sorted(p.name for p in out.iterdir()) == ["B.txt", "a.txt"]
    assert main(["redact", str(d), "-o", str(out), "--recursive", "--force", *_args(lexicon_dir)]) == 0
    assert (out / "sub" / "e.txt").read_text() == "[LOCATION]"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_uppercase_jsonl_suffix_is_jsonl(
    tmp_path: Path,
    lexicon_dir: Path,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    src = tmp_path / "NOTES.JSONL"
    src.write_text('{"id": "a", "text": "Valdez"}\n{"id": "b", "text": "x"}\n')
    assert main(["redact", str(src), *_args(lexicon_dir)]) == 0
    assert [json.loads(x)["text"] for x in capsys.readouterr().out.splitlines()] == ["[NAME]", "x"]


# ------------------------------------------------------------------ usage errors
@pytest.mark.parametrize(
    "case", ["encoding", "config-toml", "config-json", "workers", "output-dir", "config-missing"]
)
def test_usage_errors_exit_2_without_traceback(
    case: str,
    tmp_path: Path,
    lexicon_dir: Path,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    src = tmp_path / "a.txt"
    src.write_text("Valdez")
    extra = {
        "encoding": ["--encoding", "nonsense"],
        "config-toml": ["--config", str(_write(tmp_path / "c.toml", "[runtime\nthreads = "))],
        "config-json": ["--config", str(_write(tmp_path / "c.json", "{not json"))],
        "config-missing": ["--config", str(tmp_path / "nope.toml")],
        "workers": ["--workers", "0"],
        "output-dir": ["-o", str(tmp_path)],
    }[case]
    assert main(["redact", str(src), *extra, *_args(lexicon_dir)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("deid: error: [E") and "Traceback" not in err


def _write(p: Path, text: str) -> Path:
    p.write_text(text)
    return p


def test_sigterm_leaves_no_output_or_temp_file(tmp_path: Path, lexicon_dir: Path) -> None:  # noqa: F811
    src = tmp_path / "in.jsonl"
    src.write_text(
        "".join(json.dumps({"id": str(i), "text": "Valdez seen " * 400}) + "\n" for i in range(3000))
    )
    out = tmp_path / "out.jsonl"
    proc = subprocess.Popen(
        [sys.executable, "-m", "engine.cli", "redact", str(src), "-o", str(out), *_args(lexicon_dir)],
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])},
    )
    deadline = time.time() + 60
    while time.time() < deadline and not list(tmp_path.glob(".out.jsonl.*")):
        time.sleep(0.05)
    assert list(tmp_path.glob(".out.jsonl.*")), "the run never started writing"
    proc.send_signal(signal.SIGTERM)
    rc = proc.wait(timeout=60)
    assert rc == 128 + signal.SIGTERM
    assert b"Traceback" not in proc.stderr.read()  # type: ignore[union-attr]
    assert not out.exists() and not list(tmp_path.glob(".out.jsonl.*"))


# ------------------------------------------------------------------ digits outside ASCII
@pytest.mark.parametrize(
    ("original", "view"),
    [
        ("SSN １２３-４５-６７８９", "SSN 123-45-6789"),
        ("on ٣/١٢/٢٠١١", "on 3/12/2011"),
        ("call ۶۱۷-۵۵۵-۱۲۳۴", "call 617-555-1234"),  # Extended Arabic-Indic
        ("Ｈａｒｌａｎ", "Harlan"),
        ("plain ascii 3/12", "plain ascii 3/12"),
    ],
)
def test_the_detection_view_normalises_digits_and_width(original: str, view: str) -> None:
    v = NormalizedView.of(original)
    assert v.text == view
    assert v.to_original(0, len(v.text)) == (0, len(original))


@pytest.mark.parametrize(
    "text",
    [
        "Phone: ６１７-５５５-１２３４ after noon",
        "Seen on ٣/١٢/٢٠١١ in clinic",
        "Seen on ۳/۱۲/۲۰۱۱ in clinic",
        "Callback ٦١٧-٥٥٥-١٢٣٤ today",
        "Admitted ２０１１-０３-１２ from home",
    ],
)
def test_phi_in_non_ascii_digits_is_redacted_whole(text: str) -> None:
    from engine.artifacts import default_model_available
    from engine.pipeline import Deidentifier

    if not default_model_available():
        pytest.skip("no embedded default model")
    ascii_twin = NormalizedView.of(text).text
    assert Deidentifier().redact(ascii_twin).spans, f"the ASCII form is missed too: {ascii_twin!r}"
    res = Deidentifier().redact(text)
    assert res.spans, res.redacted
    digits = [c for c in res.redacted if c.isdigit()]
    assert not digits, f"digits left in {res.redacted!r}"


# ------------------------------------------------------------------ property test
PLANTED = ["Valdez", "whalen"]


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    payload=st.one_of(
        st.binary(max_size=300),
        st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass")),
        st.lists(
            st.fixed_dictionaries(
                {"id": st.text(max_size=5), "text": st.text(max_size=60).map(lambda t: t + " Valdez whalen")}
            ),
            max_size=5,
        ).map(lambda recs: "".join(json.dumps(r) + "\n" for r in recs).encode()),
    ),
    command=st.sampled_from(["detect", "redact"]),
    skip_bad=st.booleans(),
)
def test_cli_on_random_input(
    payload: bytes,
    command: str,
    skip_bad: bool,
    lexicon_dir: Path,  # noqa: F811
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    d = tmp_path_factory.mktemp("fuzz")
    src = d / "in.jsonl"
    src.write_bytes(payload)
    out = d / "out"
    args = [command, str(src), "-o", str(out), *_args(lexicon_dir)] + (["--skip-bad"] if skip_bad else [])
    rc = main(args)  # any exception here (a traceback) fails the test
    assert rc in DOCUMENTED_EXIT_CODES
    # blank lines are skipped as the reader decides it: str.strip() (U+001C and kin are blank too)
    n_records = sum(1 for line in payload.split(b"\n") if line.decode("utf-8", "replace").strip())
    if rc in (0, 4):
        lines = out.read_text(encoding="utf-8").splitlines()  # output escapes U+2028 and kin
        assert len(lines) == n_records
        if command == "redact":
            assert not any(p.lower() in out.read_text(encoding="utf-8").lower() for p in PLANTED)
    else:
        assert not out.exists()
    assert not [p for p in d.iterdir() if p.name.startswith(".")]


# ------------------------------------------------------------------ CLI plumbing
HEAVY = [
    "torch",
    "transformers",
    "datasets",
    "evaluate",
    "optimum",
    "onnx",
    "PIL",
    "pytesseract",
    "pypdfium2",
    "fastapi",
    "uvicorn",
    "faker",
    "matplotlib",
    "psutil",
    "cryptography",
    "pyspark",
]


def test_every_subcommand_registers_without_optional_extras() -> None:
    code = (
        "import sys\n"
        f"for m in {HEAVY!r}: sys.modules[m] = None\n"
        "from engine.cli import build_parser\n"
        "p = build_parser()\n"
        "sub = [a for a in p._actions if a.dest == 'command'][0]\n"
        "print(' '.join(sorted(sub.choices)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    for command in ("detect", "redact", "synth", "train", "eval", "export", "bench"):
        assert command in out.split()


def test_a_missing_extra_names_the_extra(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import engine.cli as cli

    def needs_torch(args):  # noqa: ANN001, ANN202
        raise ModuleNotFoundError("No module named 'torch'", name="torch")

    parser = cli.build_parser()
    monkeypatch.setattr(cli, "build_parser", lambda: parser)
    args = parser.parse_args(["detect", "x"])
    monkeypatch.setattr(args, "func", needs_torch)
    monkeypatch.setattr(parser, "parse_args", lambda argv=None: args)
    assert cli.main(["detect", "x"]) == 2
    assert "pip install 'deid-engine[train]'" in capsys.readouterr().err


def test_a_closed_stdout_ends_quietly(tmp_path: Path, lexicon_dir: Path) -> None:  # noqa: F811
    src = tmp_path / "in.jsonl"
    src.write_text(
        "".join(json.dumps({"id": str(i), "text": "Valdez seen " * 50}) + "\n" for i in range(2000))
    )
    cmd = [sys.executable, "-m", "engine.cli", "redact", str(src), *_args(lexicon_dir)]
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    assert proc.stdout is not None
    proc.stdout.readline()
    proc.stdout.close()
    rc = proc.wait(timeout=120)
    err = proc.stderr.read()  # type: ignore[union-attr]
    assert rc == 0 and b"Traceback" not in err, err


def test_a_patient_across_the_cli_buffer_boundary_shares_trusted_terms(
    tmp_path: Path,
    lexicon_dir: Path,  # noqa: F811
) -> None:
    from engine.config import EngineConfig
    from engine.pipeline import Deidentifier

    recs = [{"id": f"f{i}", "text": "nothing to see", "group": f"g{i}"} for i in range(254)]
    recs.append({"id": "hdr", "text": "EDVISIT^84091519^Quux, Zorba^09/21/68^KEMPER, SYLVAN", "group": "p"})
    recs += [{"id": f"z{i}", "text": "Zorba and Quux seen today", "group": "p"} for i in range(4)]
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in recs))
    out = tmp_path / "out.jsonl"
    assert main(["detect", str(src), "-o", str(out), "--model", str(lexicon_dir), "-q"]) == 0
    got = [json.loads(x) for x in out.read_text().splitlines()]
    local = list(Deidentifier(EngineConfig.from_overrides([f"model_dir={lexicon_dir}"])).detect_many(recs))
    assert [len(r["spans"]) for r in got] == [len(r.spans) for r in local]
    assert all(len(r["spans"]) == 2 for r in got[-4:])  # records 256-258 sit past the first buffer


def test_profile_flag_sets_the_output_profile() -> None:
    from engine.cli import build_config, build_parser

    args = build_parser().parse_args(["redact", "x.txt", "--profile", "hipaa"])
    assert build_config(args).profile == "hipaa"
    assert build_config(build_parser().parse_args(["redact", "x.txt"])).profile == "i2b2"

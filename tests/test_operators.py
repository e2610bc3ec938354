"""Operators (tag, mask, surrogate, hash, encrypt, callables): shapes, consistency, keys, fail closed."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest

from engine.config import EngineConfig, RedactConfig
from engine.errors import ConfigError, OperatorError
from engine.redact.operators import OPERATORS, Redactor
from engine.redact.surrogates.context import SurrogateContext
from engine.redact.surrogates.dates import date_format, shift_date
from engine.types import Document, Span

pytest.importorskip("faker")
pytest.importorskip("cryptography")

from engine.redact.crypto import Cipher  # noqa: E402
from engine.redact.keys import Secret  # noqa: E402
from engine.redact.surrogates.pools import pools  # noqa: E402
from engine.redact.surrogates.values import register_names, surrogate  # noqa: E402

KEY = "k" * 40
OTHER_KEY = "z" * 40


@pytest.fixture(scope="module")
def lexicon(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.lexicon_model import build_lexicon_artifact
    from tests.test_engine import WORDS

    return build_lexicon_artifact(tmp_path_factory.mktemp("lexicon") / "art", WORDS)


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    p = tmp_path / "deid.key"
    p.write_text(KEY + "\n")
    return p


def _scope(key: str = KEY, group: str = "p1", scope: str = "group"):  # noqa: ANN202
    return SurrogateContext(Secret(key.encode()).subkey("surrogate"), scope).scope_for(group)


def _redactor(key_file: Path, **kw: object) -> Redactor:
    return Redactor.from_config(RedactConfig(key_file=str(key_file), **kw))  # type: ignore[arg-type]


# ---------------------------------------------------------------- shapes
SHAPES = [
    # (subtype, original, regex the surrogate must match)
    ("PATIENT", "VALDEZ, HARLAN", r"[A-Z]{2,}, [A-Z]{2,}"),
    ("PATIENT", "Harlan Valdez", r"[A-Z][a-z]+ [A-Z][a-z]+"),
    ("PATIENT", "valdez", r"[a-z]+"),
    ("DOCTOR", "Dr. Foley", r"Dr\. [A-Z][a-z]+"),
    ("DOCTOR", "Xai Dunn, MD", r"[A-Z][a-z]+ [A-Z][a-z]+, MD"),
    ("PHONE", "617-555-0123", r"\d{3}-\d{3}-\d{4}"),
    ("FAX", "(617) 555 0123", r"\(\d{3}\) \d{3} \d{4}"),
    ("MEDICALRECORD", "MRN-44829", r"[A-Z]{3}-\d{5}"),
    ("ZIP", "02114", r"\d{5}"),
    ("EMAIL", "harlan.valdez@gmail.com", r"[a-z]+\.[a-z]+@[a-z.]+"),
    ("URL", "www.calverthosp.org", r"www\.[a-z]+\.org"),
    ("IPADDR", "10.0.0.12", r"\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}"),
    ("HOSPITAL", "Calvert General Hospital", r"[A-Z][A-Za-z' .\-]+ General Hospital"),
    ("HOSPITAL", "CALVERT MC", r"[A-Z' .\-]+ MC"),
    ("HOSPITAL", "CGH", r"[A-Z]{3}"),
    ("STATE", "MA", r"[A-Z]{2}"),
    ("STATE", "Massachusetts", r"[A-Z][a-z]+(?: [A-Z][a-z]+)*"),
    ("STREET", "12 Main St.", r"\d{2} [A-Z][a-z]+ St\."),
    ("LOCATION-OTHER", "Golden Gate Park", r".+ Park"),
    ("AGE", "92", r"90\+"),
    ("AGE", "45", r"45"),
]


@pytest.mark.parametrize("subtype,original,shape", SHAPES, ids=[f"{s}:{o}" for s, o, _ in SHAPES])
def test_surrogate_keeps_shape(subtype: str, original: str, shape: str) -> None:
    out = surrogate(_scope(), pools(), "X", subtype, original)
    assert out is not None and re.fullmatch(shape, out), out
    if subtype != "AGE":
        assert out.casefold() != original.casefold()


def test_places_stay_plausible() -> None:
    p = pools()
    assert surrogate(_scope(), p, "LOCATION", "CITY", "Boston") in p.cities
    assert surrogate(_scope(), p, "LOCATION", "COUNTRY", "France") in p.countries
    assert surrogate(_scope(), p, "LOCATION", "STATE", "MA") in {a for _, a in p.states}


def test_coreferent_names_map_to_forms_of_one_surrogate() -> None:
    scope = _scope()
    forms = ["Harlan Valdez", "Valdez", "VALDEZ", "H. Valdez", "Valdez, Harlan"]
    register_names(scope, forms)
    full, last, upper, initial, inverted = (surrogate(scope, pools(), "NAME", "PATIENT", f) for f in forms)
    first_s, last_s = full.split()
    assert last == last_s and upper == last_s.upper()
    assert initial == f"{first_s[0]}. {last_s}"
    assert inverted == f"{last_s}, {first_s}"


# ---------------------------------------------------------------- consistency
def _note_run(key_file: Path, group: str, text: str, spans: list[Span], **kw: object) -> str:
    return _redactor(key_file, style="surrogate", **kw).redact(Document("n", text, group), spans)[0]


NOTE = "Harlan Valdez seen 3/12/2011 at Calvert"
NOTE_SPANS = [
    Span(0, 13, "NAME", "PATIENT"),
    Span(19, 28, "DATE", "DATE"),
    Span(32, 39, "LOCATION", "HOSPITAL"),
]


def test_same_key_same_patient_same_surrogates_across_runs(key_file: Path, tmp_path: Path) -> None:
    a = _note_run(key_file, "p1", NOTE, NOTE_SPANS)
    b = _note_run(key_file, "p1", NOTE, NOTE_SPANS)  # a fresh Redactor: a separate run
    assert a == b
    other = tmp_path / "other.key"
    other.write_text(OTHER_KEY)
    assert _note_run(other, "p1", NOTE, NOTE_SPANS) != a
    assert _note_run(key_file, "p2", NOTE, NOTE_SPANS) != a  # per patient by default
    corpus = [_note_run(key_file, g, NOTE, NOTE_SPANS, surrogate_scope="corpus") for g in ("p1", "p2")]
    assert corpus[0] == corpus[1]


def test_date_intervals_kept_across_a_patients_notes(key_file: Path) -> None:
    r = _redactor(key_file, style="surrogate")
    notes = [
        ("a", "Admitted 3/12/2011."),
        ("b", "Seen again on 3/20/2011."),
        ("c", "Follow-up April 2, 2011"),
    ]
    shifted = []
    for nid, text in notes:
        m = re.search(r"\d+/\d+/\d{4}|April 2, 2011", text)
        out, _ = r.redact(Document(nid, text, "p1"), [Span(m.start(), m.end(), "DATE", "DATE")])
        shifted.append(out[m.start() :].rstrip("."))
    d = [dt.datetime.strptime(s, "%m/%d/%Y").date() for s in shifted[:2]]
    d.append(dt.datetime.strptime(shifted[2], "%B %d, %Y").date())
    assert (d[1] - d[0]).days == 8 and (d[2] - d[0]).days == 21
    assert d[0] != dt.date(2011, 3, 12)


DATES = [
    # (original, offset, expected): the format is kept
    ("3/12/2011", 30, "4/11/2011"),
    ("03/12/2011", 30, "04/11/2011"),
    ("3/12", 30, "4/11"),
    ("10-Feb-2011", -3, "7-Feb-2011"),
    ("2011-03-12", -400, "2010-02-05"),
    ("03/12/11", 5, "03/17/11"),
    ("May 5, 2011", 30, "June 4, 2011"),
    ("MAR 2011", -90, "DEC 2010"),
    ("March 3rd", 1, "March 4th"),
    ("12th of March", 1, "13th of March"),
    ("20110312", 3, "20110315"),
    ("2011", 200, "2012"),
    ("Monday", 2, "Wednesday"),
    ("Thurs", 1, "Fri"),
    ("2/30/2011", 1, None),  # not a date: the operator writes a tag
    ("Christmas", 3, None),
]


@pytest.mark.parametrize("original,offset,expected", DATES, ids=[d[0] for d in DATES])
def test_date_shift_keeps_format(original: str, offset: int, expected: str | None) -> None:
    assert shift_date(original, offset) == expected
    assert (date_format(original) is None) == (expected is None)


def test_weekday_follows_an_explicit_date(key_file: Path) -> None:
    text = "Monday, 3/14/2011"
    out, _ = _redactor(key_file, style="surrogate").redact(
        Document("n", text, "p1"), [Span(0, 6, "DATE", "DATE"), Span(8, 17, "DATE", "DATE")]
    )
    wd, date = out.split(", ")
    assert dt.datetime.strptime(date, "%m/%d/%Y").strftime("%A") == wd


def test_unparsed_date_and_unknown_label_get_tags(key_file: Path) -> None:
    text = "Christmas visit, ref XYZ"
    out, _ = _redactor(key_file, style="surrogate").redact(
        Document("n", text), [Span(0, 9, "DATE", "DATE"), Span(21, 24, "OTHER_SCHEME", None)]
    )
    assert out == "[DATE] visit, ref [OTHER_SCHEME]"


# ---------------------------------------------------------------- hash and encrypt
def test_hash_is_keyed_normalised_and_sized(key_file: Path, tmp_path: Path) -> None:
    r = _redactor(key_file, style="hash")
    a, _ = r.redact(Document("n", "Valdez and VALDEZ"), [Span(0, 6, "NAME"), Span(11, 17, "NAME")])
    x, y = a.split(" and ")
    assert re.fullmatch(r"\[NAME:[0-9a-f]{6}\]", x) and x == y
    assert (
        "[NAME:"
        in _redactor(key_file, style="hash", hash_length=12).redact(
            Document("n", "Valdez"), [Span(0, 6, "NAME")]
        )[0]
    )
    other = tmp_path / "o.key"
    other.write_text(OTHER_KEY)
    assert _redactor(other, style="hash").redact(Document("n", "Valdez"), [Span(0, 6, "NAME")])[0] != x


def test_encrypt_round_trip_and_wrong_key(key_file: Path) -> None:
    text = "Harlan Valdez, MRN 4482913, 3/12/2011"
    spans = [
        Span(0, 13, "NAME", "PATIENT"),
        Span(19, 26, "ID", "MEDICALRECORD"),
        Span(28, 37, "DATE", "DATE"),
    ]
    out, reps = _redactor(key_file, style="encrypt").redact(Document("n", text), spans)
    assert "Valdez" not in out and out.count(":enc:") == 3
    assert Cipher(Secret(KEY.encode())).reidentify(out) == text
    with pytest.raises(ConfigError, match="E135"):
        Cipher(Secret(OTHER_KEY.encode())).reidentify(out)
    tampered = out.replace(":enc:", ":enc:A", 1)
    with pytest.raises(ConfigError, match="E135"):
        Cipher(Secret(KEY.encode())).reidentify(tampered)
    for rep in reps:
        assert out[rep.out_start : rep.out_end] == rep.replacement


# ---------------------------------------------------------------- keys, per-label choice, callables
@pytest.mark.parametrize("style", ["surrogate", "hash", "encrypt"])
def test_keyed_styles_refuse_to_run_without_a_key(style: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DEID_KEY", raising=False)
    with pytest.raises(ConfigError, match="E130"):
        Redactor.from_config(RedactConfig(style=style))  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="E130"):
        Redactor.from_config(RedactConfig(styles={"NAME": style}))  # type: ignore[dict-item]


def test_key_from_env_short_key_and_no_key_in_repr(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("MY_KEY", KEY)
    r = Redactor.from_config(RedactConfig(style="hash", key_env="MY_KEY"))
    assert KEY not in repr(r.__dict__) and KEY not in repr(r.context)
    short = tmp_path / "short.key"
    short.write_text("abc")
    with pytest.raises(ConfigError, match="E131"):
        Redactor.from_config(RedactConfig(style="hash", key_file=str(short)))
    for style in ("tag", "mask"):
        Redactor.from_config(RedactConfig(style=style))  # type: ignore[arg-type]  # no key needed


def test_per_label_styles_subtype_wins(key_file: Path) -> None:
    text = "Valdez MRN 4482913 Dr Foley"
    spans = [
        Span(0, 6, "NAME", "PATIENT"),
        Span(11, 18, "ID", "MEDICALRECORD"),
        Span(22, 27, "NAME", "DOCTOR"),
    ]
    r = _redactor(key_file, style="mask", styles={"ID": "tag", "NAME": "hash", "DOCTOR": "tag"})
    out, _ = r.redact(Document("n", text), spans)
    assert re.fullmatch(r"\[NAME:[0-9a-f]{6}\] MRN \[ID\] Dr \[NAME\]", out), out
    assert r.operators() == {"*": "mask.v1", "ID": "tag.v1", "NAME": "hash.v1", "DOCTOR": "tag.v1"}


def test_unknown_style_lists_the_valid_ones() -> None:
    with pytest.raises(ConfigError, match="E100"):
        EngineConfig.from_overrides(["redact.style=scramble"])
    from engine.redact.operators import operator_name

    with pytest.raises(ConfigError, match="surrogate"):
        operator_name("scramble")


def test_python_callable_per_label_and_leak_refused() -> None:
    r = Redactor.from_config(RedactConfig(), {"NAME": lambda v, s: f"<{s.subtype.lower()}>"})
    out, _ = r.redact(Document("n", "Valdez on 3/12"), [Span(0, 6, "NAME", "PATIENT"), Span(10, 14, "DATE")])
    assert out == "<patient> on [DATE]"
    leaky = Redactor.from_config(RedactConfig(), {"NAME": lambda v, s: v.upper() + "!"})
    with pytest.raises(OperatorError, match="E140"):
        leaky.redact(Document("n", "Valdez"), [Span(0, 6, "NAME")])


def test_registry_snapshot() -> None:
    assert sorted(OPERATORS) == ["encrypt.v1", "hash.v1", "mask.v1", "surrogate.v1", "tag.v1"]


# ---------------------------------------------------------------- through the engine and the CLI
def test_engine_fails_closed_on_a_leaking_operator(lexicon: Path) -> None:
    from engine.pipeline import Deidentifier
    from tests.test_engine import MODEL_ONLY

    base = [f"model_dir={lexicon}", *MODEL_ONLY]
    leak = {"NAME": lambda v, s: v}
    with pytest.raises(OperatorError):
        Deidentifier(EngineConfig.from_overrides(base), operators=leak).redact("Pt Valdez here")
    res = Deidentifier(EngineConfig.from_overrides([*base, "on_error=redact_all"]), operators=leak).redact(
        "Pt Valdez here"
    )
    assert res.redacted == "[REDACTED]" and "E140" in res.error


PLANTED = ["Harlan", "Valdez", "whalen", "Calvert", "4482913", "3/12/2011", "617-555-0123"]
PLANTED_NOTES = [
    ("n0", "p1", "Harlan Valdez seen by DR WHALEN on 3/12/2011, transferred to Calvert."),
    ("n1", "p1", "Pt Valdez. Call whalen at 617-555-0123 re: Calvert bed. MRN: 4482913"),
    ("n2", "p2", "no identifiers here; BP 120/80"),
]


@pytest.mark.parametrize("style", ["surrogate", "hash", "encrypt"])
def test_cli_keyed_output_has_no_planted_phi_and_no_key(
    style: str,
    lexicon: Path,
    key_file: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from engine.cli import main

    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps({"id": i, "group": g, "text": t}) + "\n" for i, g, t in PLANTED_NOTES))
    args = [
        "redact",
        str(src),
        "--model",
        str(lexicon),
        "-q",
        "--style",
        style,
        "--key-file",
        str(key_file),
    ]
    args += ["--set", "layers.lists=false", "--set", "layers.propagation=false"]
    out = tmp_path / "out.jsonl"
    assert main([*args, "-o", str(out)]) == 0
    data = out.read_text() + capsys.readouterr().err
    low = data.lower()
    leaked = [p for p in PLANTED if p.lower() in low]
    assert not leaked, f"PHI in {style} output: {leaked}"
    assert KEY not in data
    recs = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["id"] for r in recs] == ["n0", "n1", "n2"]
    for r in recs:
        for s in r["spans"]:
            assert s["start"] < s["end"] <= len(r["text"])
    audit = tmp_path / "audit.jsonl"
    assert main([*args, "-o", str(tmp_path / "again.jsonl"), "--audit", str(audit)]) == 0
    recs_audit = [json.loads(x) for x in audit.read_text().splitlines()]
    assert [r["id"] for r in recs_audit] == ["n0", "n1", "n2"] and recs_audit[0]["operators"][
        "*"
    ] == f"{style}.v1"
    assert not [p for p in PLANTED if p.lower() in audit.read_text().lower()] and KEY not in audit.read_text()
    if style == "encrypt":
        restored = tmp_path / "restored.jsonl"
        assert main(["reidentify", str(out), "--key-file", str(key_file), "-o", str(restored)]) == 0
        assert [json.loads(x)["text"] for x in restored.read_text().splitlines()] == [
            t for *_, t in PLANTED_NOTES
        ]


def test_cli_surrogate_without_key_exits_2(
    lexicon: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from engine.cli import main

    monkeypatch.delenv("DEID_KEY", raising=False)
    src = tmp_path / "n.txt"
    src.write_text("Pt Valdez")
    assert main(["redact", str(src), "--model", str(lexicon), "-q", "--style", "surrogate"]) == 2
    assert "E130" in capsys.readouterr().err


def test_audit_record_counts_operators_and_hashes_without_phi(key_file: Path) -> None:
    from engine.redact.audit import audit_record

    cfg = EngineConfig.from_overrides(["redact.style=surrogate", f"redact.key_file={key_file}"])
    r = Redactor.from_config(cfg.redact)
    doc = Document("n1", NOTE, "p1")
    text, reps = r.redact(doc, NOTE_SPANS)
    from engine.types import Result

    rec = audit_record(Result("n1", NOTE, tuple(NOTE_SPANS), text, reps, group="p1"), r, cfg, "abc")
    assert rec["counts"] == {"DATE": 1, "LOCATION": 1, "NAME": 1} and rec["operators"] == {
        "*": "surrogate.v1"
    }
    assert (
        len(rec["config_sha256"]) == 64 and rec["model_sha256"] == "abc" and len(rec["key_fingerprint"]) == 12
    )
    dumped = json.dumps(rec)
    assert not [p for p in ("Harlan", "Valdez", "Calvert", "3/12/2011", "p1", KEY) if p in dumped]


def test_cli_same_patient_keeps_surrogates_across_separate_runs(
    lexicon: Path, key_file: Path, tmp_path: Path
) -> None:
    from engine.cli import main

    outs = []
    for run, text in enumerate(
        ["Harlan Valdez seen by DR WHALEN.", "Pt Valdez. Call whalen re: Calvert bed."]
    ):
        src = tmp_path / f"run{run}.jsonl"
        src.write_text(json.dumps({"id": f"n{run}", "group": "patient-7", "text": text}) + "\n")
        out = tmp_path / f"out{run}.jsonl"
        args = ["redact", str(src), "--model", str(lexicon), "-q", "--style", "surrogate"]
        assert main([*args, "--key-file", str(key_file), "--original-offsets", "-o", str(out)]) == 0
        outs.append(json.loads(out.read_text()))
    by_orig = {}
    for run, rec in enumerate(outs):
        text = ["Harlan Valdez seen by DR WHALEN.", "Pt Valdez. Call whalen re: Calvert bed."][run]
        for s in rec["spans"]:  # the offset map: original mention <-> its surrogate
            by_orig.setdefault(text[s["orig_start"] : s["orig_end"]].casefold(), set()).add(
                rec["text"][s["start"] : s["end"]].casefold()
            )
    assert len(by_orig["valdez"]) == 1 and len(by_orig["whalen"]) == 1  # one surrogate in both runs
    assert by_orig["valdez"].isdisjoint({"valdez"}) and by_orig["whalen"].isdisjoint({"whalen"})

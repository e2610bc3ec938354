"""Real-notes scoring: profiles, binary token / overlap-entity scores, leaked mentions, splits, CLI.

Synthetic sentences in the style of ICU nursing notes only; no test reads the dev notes.
"""

from __future__ import annotations

import json

import pytest

from engine.errors import InputError
from engine.training.evaluate import evaluate_profiled
from engine.training.metrics.leaks import f_beta, redaction_scores
from engine.training.metrics.profiles import PROFILES, get_profile
from engine.types import Span


def at(text: str, surface: str, label: str, subtype: str | None = None, nth: int = 0) -> Span:
    """Span of the ``nth`` occurrence of ``surface`` in ``text``."""
    i = -1
    for _ in range(nth + 1):
        i = text.index(surface, i + 1)
    return Span(i, i + len(surface), label, subtype)


NOTE = "PT SEEN BY DR Q. LANDER 7/22. SISTER MARY IN. 92 YO. HR 65, RN AWARE. TO CALVERT HOSP."


@pytest.mark.parametrize(
    ("profile", "span", "in_scope"),
    [
        ("physionet", at(NOTE, "92", "AGE", "AGE"), True),  # over 89: annotated
        ("physionet", at(NOTE, "65", "AGE", "AGE"), False),  # 89 or less: not annotated
        ("physionet", at(NOTE, "RN", "PROFESSION", "PROFESSION"), False),
        ("physionet", at(NOTE, "7/22", "DATE", "DATE"), True),
        ("physionet", at(NOTE, "MARY", "NAME", "PATIENT"), True),
        ("i2b2", at(NOTE, "65", "AGE", "AGE"), True),
        ("i2b2", at(NOTE, "RN", "PROFESSION", "PROFESSION"), True),
    ],
)
def test_profile_scope(profile: str, span: Span, in_scope: bool) -> None:
    assert get_profile(profile).in_scope(NOTE, span) is in_scope


def test_profile_drops_location_subtype_only_where_the_corpus_has_none() -> None:
    s = at(NOTE, "CALVERT HOSP", "LOCATION", "HOSPITAL")
    assert PROFILES["physionet"].normalize(s).subtype is None
    assert PROFILES["i2b2"].normalize(s).subtype == "HOSPITAL"


def test_unknown_profile_lists_the_valid_ones() -> None:
    with pytest.raises(InputError, match="physionet"):
        get_profile("nope")


@pytest.mark.parametrize(
    ("pred", "recall", "precision", "leaked"),
    [
        # first and last name as separate gold spans; one merged prediction redacts both
        (
            [at(NOTE, "Q. LANDER", "NAME", "DOCTOR"), at(NOTE, "7/22", "DATE"), at(NOTE, "MARY", "NAME")],
            1.0,
            1.0,
            [],
        ),
        # the initial is missed (punctuation tokens are not scored): the mention 'Q' leaks, LANDER does not
        (
            [at(NOTE, "LANDER", "NAME", "DOCTOR"), at(NOTE, "7/22", "DATE"), at(NOTE, "MARY", "NAME")],
            4 / 5,
            1.0,
            ["Q"],
        ),
        # half a date redacted: not leaked (a token of it is redacted), recall 2/3 on its tokens
        (
            [
                at(NOTE, "Q. LANDER", "NAME"),
                Span(NOTE.index("7/22"), NOTE.index("7/22") + 1, "DATE"),
                at(NOTE, "MARY", "NAME"),
            ],
            4 / 5,
            1.0,
            [],
        ),
        # a vital sign redacted: a false positive token, nothing leaked
        (
            [
                at(NOTE, "Q. LANDER", "NAME"),
                at(NOTE, "7/22", "DATE"),
                at(NOTE, "MARY", "NAME"),
                at(NOTE, "65", "DATE"),
            ],
            1.0,
            5 / 6,
            [],
        ),
        ([], 0.0, 0.0, ["Q", "LANDER", "7/22", "MARY"]),
    ],
)
def test_redaction_scores(pred: list[Span], recall: float, precision: float, leaked: list[str]) -> None:
    gold = [
        at(NOTE, "Q", "NAME", "DOCTOR"),
        at(NOTE, "LANDER", "NAME", "DOCTOR"),
        at(NOTE, "7/22", "DATE", "DATE"),
        at(NOTE, "MARY", "NAME", "PATIENT"),
    ]
    r = redaction_scores({"n": gold}, {"n": pred}, {"n": NOTE})
    assert r.token.recall == pytest.approx(recall)
    assert r.token.precision == pytest.approx(precision)
    assert [m.text for m in r.leaked] == leaked
    assert r.mentions == 4
    assert "MARY" not in json.dumps(r.to_json())  # no PHI text unless asked


@pytest.mark.parametrize(
    ("p", "r", "f2"), [(1.0, 1.0, 1.0), (0.0, 0.0, 0.0), (0.8, 0.98, 0.9378), (0.5, 1.0, 0.8333)]
)
def test_f_beta(p: float, r: float, f2: float) -> None:
    assert f_beta(p, r) == pytest.approx(f2, abs=1e-4)


def test_evaluate_profiled_counts_out_of_scope_apart() -> None:
    gold = {"n": [at(NOTE, "92", "AGE", "AGE")]}
    pred = {"n": [at(NOTE, "92", "AGE", "AGE"), at(NOTE, "65", "AGE", "AGE"), at(NOTE, "RN", "PROFESSION")]}
    r = evaluate_profiled(gold, pred, {"n": NOTE}, "physionet")
    assert r.out_of_scope == {"AGE": 1, "PROFESSION": 1}
    assert r.redaction.token.precision == 1.0
    assert "Redaction view (profile physionet)" in r.to_markdown()


def _corpus(tmp_path):  # noqa: ANN001, ANN202
    rows = [
        {
            "id": "a1",
            "group": "p1",
            "text": NOTE,
            "spans": [
                {
                    "start": s.start,
                    "end": s.end,
                    "label": s.label,
                    "subtype": s.subtype,
                    "text": NOTE[s.start : s.end],
                }
                for s in (at(NOTE, "MARY", "NAME", "PATIENT"),)
            ],
        },
        {"id": "b1", "group": "p2", "text": "SAT 96% ON 4L NC. BP 120/60.", "spans": []},
    ]
    gold = tmp_path / "gold.jsonl"
    gold.write_text("".join(json.dumps(r) + "\n" for r in rows))
    pred = tmp_path / "pred.jsonl"
    pred_rows = [
        dict(rows[0], spans=[]),
        dict(rows[1], spans=[{"start": 21, "end": 27, "label": "DATE", "subtype": "DATE"}]),
    ]
    pred.write_text("".join(json.dumps(r) + "\n" for r in pred_rows))
    return gold, pred


def test_cli_profile_groups_and_leaked_file(tmp_path) -> None:  # noqa: ANN001
    from engine.cli import main

    gold, pred = _corpus(tmp_path)
    out_json, leaked = tmp_path / "r.json", tmp_path / "leaked.jsonl"
    groups = tmp_path / "groups.txt"
    groups.write_text("# tune part\np1\n")
    args = [
        "eval",
        "--gold",
        str(gold),
        "--pred",
        str(pred),
        "--profile",
        "physionet",
        "--out-json",
        str(out_json),
        "--out-md",
        str(tmp_path / "r.md"),
        "--leaked-out",
        str(leaked),
    ]
    assert main(args) == 0
    data = json.loads(out_json.read_text())
    assert data["redaction"]["leaked"] == 1 and data["redaction"]["token"]["fp"] == 2  # 120, 60
    assert "MARY" not in out_json.read_text()
    assert [json.loads(x)["text"] for x in leaked.read_text().splitlines()] == ["MARY"]
    assert main([*args, "--force", "--groups", str(groups)]) == 0
    data = json.loads(out_json.read_text())
    assert data["n_docs"] == 1 and data["redaction"]["token"]["fp"] == 0


def test_cli_leaked_out_needs_profile(tmp_path, capsys) -> None:  # noqa: ANN001
    from engine.cli import main

    gold, pred = _corpus(tmp_path)
    assert main(["eval", "--gold", str(gold), "--pred", str(pred), "--leaked-out", str(tmp_path / "l")]) == 2
    assert "E396" in capsys.readouterr().err


def test_fixed_split_is_disjoint_and_written_down() -> None:
    from engine.training.eval_cli import SPLIT_FILE, read_split

    tune, report = read_split("tune"), read_split("report")
    assert not tune & report
    assert len(report) == 18 and len(tune) == 36
    assert "sha256" in json.loads(SPLIT_FILE.read_text())["rule"]

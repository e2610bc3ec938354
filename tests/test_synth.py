"""Tests of the synthetic PHI corpus generator (training/synth), on a tiny fixture data folder."""

from __future__ import annotations

import csv
import json
import random
import re
from pathlib import Path

import pytest

pytest.importorskip("faker")

from engine.errors import AlignmentError  # noqa: E402
from engine.labels import MODEL_SUBTYPES, category_of  # noqa: E402
from engine.training.synth import formats as F  # noqa: E402
from engine.training.synth.bases import scrub  # noqa: E402
from engine.training.synth.builder import NoteBuilder  # noqa: E402
from engine.training.synth.generate import GENERATOR_VERSION, Generator, corpus_stats  # noqa: E402

ACI_NOTE = (
    "CHIEF COMPLAINT\n\nBack pain.\n\nHISTORY OF PRESENT ILLNESS\n\nMartha Collins is a 50-year-old female "
    "seen on 03/22/2021 by Dr. Reyes. Martha reports pain since Monday. Ms. Collins takes metformin.\n\n"
    "PHYSICAL EXAMINATION\n\nStrength 5/5. BP 120/80, HR 88.\n\nASSESSMENT AND PLAN\n\nAcute lumbar strain. "
    "Start meloxicam 15 mg daily. Physical therapy referral."
)
MTS_SECTIONS = [
    ("GENHX", "The patient is a 76-year-old white female followed by Dr. Kumar for hypertension."),
    ("ROS", "No fever, chills, chest pain or shortness of breath. Negative Babinski."),
    ("PASTMEDICALHX", "Hypertension, osteoarthritis, hypothyroidism. Foley catheter placed 2019."),
    ("MEDICATIONS", "Lisinopril 10 mg daily and levothyroxine 50 mcg daily."),
]


def _write_fixture(root: Path) -> Path:
    aci = root / "aci-bench" / "challenge_data"
    mts = root / "mts-dialog" / "Main-Dataset"
    aci.mkdir(parents=True)
    mts.mkdir(parents=True)
    names = {
        "train": ["train", "clinicalnlp_taskB_test1", "clinicalnlp_taskC_test2"],
        "dev": ["valid", "clef_taskC_test3"],
    }
    for files in names.values():
        for f in files:
            with open(aci / f"{f}.csv", "w", newline="") as fh:
                w = csv.writer(fh)
                w.writerow(["dataset", "encounter_id", "dialogue", "note"])
                w.writerow(["virtassist", "D1", "", ACI_NOTE])
            with open(aci / f"{f}_metadata.csv", "w", newline="") as fh:
                w = csv.writer(fh)
                w.writerow(
                    [
                        "encounter_id",
                        "patient_gender",
                        "patient_age",
                        "patient_firstname",
                        "patient_familyname",
                    ]
                )
                w.writerow(["D1", "female", "50", "Martha", "Collins"])
    for f in [
        "MTS-Dialog-TrainingSet",
        "MTS-Dialog-TestSet-2-MEDIQA-Sum-2023",
        "MTS-Dialog-ValidationSet",
        "MTS-Dialog-TestSet-1-MEDIQA-Chat-2023",
    ]:
        with open(mts / f"{f}.csv", "w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["ID", "section_header", "section_text", "dialogue"])
            for i, (h, t) in enumerate(MTS_SECTIONS):
                w.writerow([i, h, t, ""])
    (root / "presidio-synth").mkdir()
    (root / "presidio-synth" / "templates.txt").write_text(
        "\n".join(
            [f"My name is {{{{person}}}} and I live in {{{{city}}}} ({i})" for i in range(20)]
            + ["Send it to {{building_number}} {{street_name}}", "My IP is {{ip_address}}"]
        )
        + "\n"
    )
    return root


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _write_fixture(tmp_path_factory.mktemp("synthdata"))


@pytest.fixture(scope="module")
def train_gen(data_dir: Path) -> Generator:
    return Generator.load("train", 13, data_dir)


@pytest.fixture(scope="module")
def dev_gen(data_dir: Path) -> Generator:
    return Generator.load("dev", 13, data_dir)


@pytest.fixture(scope="module")
def train_docs(train_gen: Generator) -> list[dict]:
    return [train_gen.document(i) for i in range(300)]


@pytest.fixture(scope="module")
def dev_docs(dev_gen: Generator) -> list[dict]:
    return [dev_gen.document(i) for i in range(300)]


def test_deterministic_by_seed(train_gen: Generator, train_docs: list[dict], data_dir: Path) -> None:
    assert [train_gen.document(i) for i in range(5)] == train_docs[:5]
    other = Generator.load("train", 14, data_dir)
    assert [other.document(i)["text"] for i in range(5)] != [d["text"] for d in train_docs[:5]]


def test_every_subtype_present(train_docs: list[dict], dev_docs: list[dict]) -> None:
    for docs in (train_docs, dev_docs):
        seen = {s["subtype"] for d in docs for s in d["spans"]}
        assert set(MODEL_SUBTYPES) <= seen, set(MODEL_SUBTYPES) - seen


def test_spans_consistent_and_disjoint(train_docs: list[dict], dev_docs: list[dict]) -> None:
    for d in train_docs + dev_docs:
        text, prev_end = d["text"], 0
        assert set(d) == {"id", "text", "group", "spans", "meta"}
        for s in d["spans"]:
            surface = text[s["start"] : s["end"]]
            assert surface and surface == surface.strip(), (d["id"], s)
            assert s["label"] == category_of(s["subtype"]) and s["subtype"] in MODEL_SUBTYPES
            assert s["start"] >= prev_end, f"overlap or unsorted in {d['id']}"
            prev_end = s["end"]


def test_base_note_names_are_replaced(train_docs: list[dict]) -> None:
    """The fixture note's own patient (Martha Collins) and Dr. Reyes never survive unlabelled."""
    for d in train_docs:
        for name in ("Martha", "Collins", "Reyes", "Kumar"):
            for m in re.finditer(rf"\b{name}\b", d["text"], re.I):
                assert any(s["start"] <= m.start() and m.end() <= s["end"] for s in d["spans"]), (
                    d["id"],
                    name,
                )


def _name_tokens(docs: list[dict]) -> set[str]:
    out = set()
    for d in docs:
        for s in d["spans"]:
            if s["subtype"] in ("PATIENT", "DOCTOR"):
                out |= {
                    t.casefold() for t in re.split(r"[^\w']+", d["text"][s["start"] : s["end"]]) if len(t) > 2
                }
    return out


def test_dev_names_disjoint_from_train(
    train_gen: Generator, dev_gen: Generator, dev_docs: list[dict]
) -> None:
    tp, dp = train_gen.pools, dev_gen.pools
    train_names = {n.casefold() for loc in tp.locales for n in tp.first[loc] + tp.last[loc]}
    dev_names = {n.casefold() for loc in dp.locales for n in dp.first[loc] + dp.last[loc]}
    assert not train_names & dev_names
    assert not set(tp.cities) & set(dp.cities)
    leaked = {t for t in _name_tokens(dev_docs) if t in train_names and t not in dev_names}
    assert not leaked, sorted(leaked)[:10]


def test_styles_present(train_docs: list[dict]) -> None:
    st = corpus_stats(train_docs)
    assert st["cases"].get("upper", 0) >= 10 and st["cases"].get("lower", 0) >= 5
    upper = [d for d in train_docs if d["meta"]["case"] == "upper"]
    assert all(d["text"] == d["text"].upper() for d in upper)
    lower = [d for d in train_docs if d["meta"]["case"] == "lower"]
    assert all(d["text"] == d["text"].lower() for d in lower)
    no_phi = sum(1 for d in train_docs if not d["spans"])
    assert 0.04 * len(train_docs) <= no_phi <= 0.2 * len(train_docs)
    assert {"icu", "query", "pipe", "discharge"} <= set(st["styles"])
    assert all(d["meta"]["generator"] == GENERATOR_VERSION for d in train_docs)


def test_age_convention_number_only(train_docs: list[dict]) -> None:
    segs = F.age(random.Random(0), 79, "yo")
    assert segs[0] == ("79", "AGE") and segs[1][0].strip().lower() == "yo" and segs[1][1] is None
    assert F.age(random.Random(0), 37, "yoM", sex="M")[0] == ("37", "AGE")
    hits = 0
    for d in train_docs:
        for s in d["spans"]:
            if s["subtype"] == "AGE" and re.match(
                r"\s?(y\.?o|y/o|-year|yr)", d["text"][s["end"] : s["end"] + 6], re.I
            ):
                assert d["text"][s["start"] : s["end"]].isdigit()
                hits += 1
    assert hits > 20


def test_scrub_marks_base_phi() -> None:
    segs = scrub(
        "Martha Collins is a 50-year-old seen 03/22/2021 by Dr. Reyes. BP 120/80.", "Martha", "Collins"
    )
    assert [(t, k) for t, k in segs if k] == [
        ("Martha Collins", "@PATIENT_FULL"),
        ("50", "@AGE"),
        ("03/22/2021", "@DATE"),
        ("Reyes", "@DOCTOR"),
    ]


def test_scrub_multiword_titles_and_mts_placeholders() -> None:
    segs = scrub(
        "Sees Dr. Mary Jo Allen. Dr. Kumar In clinic. Presents to ABCD General Hospital, per Dr. XYZ."
    )
    assert [(t, k) for t, k in segs if k] == [
        ("Mary Jo Allen", "@DOCTOR"),
        ("Kumar", "@DOCTOR"),
        ("ABCD General Hospital", "@HOSPITAL"),
        ("XYZ", "@DOCTOR"),
    ]
    assert "".join(t for t, _ in segs).startswith("Sees Dr. Mary Jo Allen. Dr. Kumar In clinic.")


def test_date_formats_cover_i2b2_table() -> None:
    rng = random.Random(0)
    assert F.date(rng, (2059, 1, 10), "iso") == [("2059-01-10", "DATE")]
    assert F.date(rng, (2011, 2, 10), "dmy_mon") == [("10-Feb-2011", "DATE")]
    assert F.date(rng, (1976, 9, 1), "mon3_y") == [("Sep-1976", "DATE")]
    assert F.date(rng, (1963, 9, 1), "apos_yy") == [("'63", "DATE")]
    assert F.date(rng, (1963, 9, 1), "decade")[0][0] in ("60's", "60s")
    assert F.date(rng, style="weekday_letters")[0][0] in F.WEEKDAY_LETTERS


def test_builder_rejects_bad_spans() -> None:
    b = NoteBuilder()
    b.add(" Valdez ", "PATIENT")  # edge whitespace is moved out of the span
    text, spans = b.render()
    assert text[spans[0]["start"] : spans[0]["end"]] == "Valdez"
    b2 = NoteBuilder()
    b2.add("x", "NOT_A_TYPE")
    with pytest.raises(AlignmentError):
        b2.render()


def test_presidio_templates_map_to_placeholders() -> None:
    from engine.training.synth.presidio import to_placeholders

    assert (
        to_placeholders("Hi {{prefix_male}} {{last_name}}, {{building_number}} {{street_name}}")
        == "Hi Mr. {PATIENT_LAST}, {STREET}"
    )
    assert to_placeholders("My IP is {{ip_address}}") is None


def test_gazetteer_flags_unlabelled_names_not_eponyms() -> None:
    from engine.training.synth.gazetteer import Gazetteer

    g = Gazetteer.cached()
    assert g.flags("He was seen by Betty Ross in Cheyenne, Wyoming.") == [
        "Betty",
        "Ross",
        "Cheyenne",
        "Wyoming",
    ]
    assert g.flags("Negative Babinski. Foley catheter in place. Parkinson disease.") == []


def test_new_styles_present(train_docs: list[dict]) -> None:
    styles = {d["meta"]["style"] for d in train_docs}
    assert {"progress", "icu", "presidio", "letter", "no_phi"} <= styles
    icu = [d for d in train_docs if d["meta"]["style"] == "icu"]
    assert icu and all(d["text"] == d["text"].upper() for d in icu)


def test_cli_writes_corpus_and_stats(data_dir: Path, tmp_path: Path) -> None:
    import argparse

    from engine.training.synth.cli import main, register

    out = tmp_path / "synth"
    assert main(["--out", str(out), "--n-train", "40", "--n-dev", "10", "--data-dir", str(data_dir)]) == 0
    stats = json.loads((out / "stats.json").read_text())
    assert stats["generator_version"] == GENERATOR_VERSION and stats["train"]["documents"] == 40
    lines = (out / "dev.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 10 and all(json.loads(x)["id"].startswith("synth-dev-") for x in lines)
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    args = parser.parse_args(["synth", "--out", str(out), "--n-train", "1"])
    assert args.func.__name__ == "run"


def test_eponym_surnames_are_doctors_in_train(train_gen: Generator) -> None:
    from engine.training.synth.persona import EPONYM_SURNAMES, Persona

    p = Persona.draw(train_gen.pools, random.Random(5))
    names = {p.fill("EPONYM_DOCTOR")[0] for _ in range(200)}
    surfaces = {t for t, _ in names}
    assert {k for _, k in names} == {"DOCTOR"}
    assert "Foley" in surfaces and surfaces <= set(EPONYM_SURNAMES)

"""The shipped default gives the same spans for a note whatever else shares its model calls.

A note's result must not depend on batch size, batch composition, chunking, input order or the
number of worker processes: the int8 graph has frozen activation scales (engine.export.freeze_scales) and
the runner pads each window to a width of its own (engine.model.runner).
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from engine.artifacts import default_model_available, load_artifacts
from engine.config import EngineConfig
from engine.model.runner import ModelRunner, padded_width
from engine.parallel import ParallelDeidentifier
from engine.pipeline import Deidentifier
from engine.types import Document
from tests.notes_factory import make_notes

pytestmark = pytest.mark.skipif(not default_model_available(), reason="no embedded default model")


def _key(results) -> list[str]:  # noqa: ANN001
    return [json.dumps(r.to_dict(), sort_keys=True) for r in results]


@pytest.fixture(scope="module")
def notes() -> list[Document]:
    return [Document(str(n["id"]), str(n["text"]), str(n["group"])) for n in make_notes(200, seed=12)]


def test_the_shipped_graph_has_frozen_activation_scales() -> None:
    art = load_artifacts(None)
    assert art.batch_invariant
    assert art.manifest["quantization"]["activation_scales"]["frozen_nodes"] > 0


def _check_invariance(notes: list[Document], reference: list[str]) -> None:
    for batch in (1, 4, 8):
        deid = Deidentifier(EngineConfig.from_overrides([f"runtime.batch_size={batch}"]))
        assert _key(deid.detect_many(notes)) == reference, f"batch {batch}"
        assert _key(deid.detect_many(notes, chunk_docs=7)) == reference, f"batch {batch}, chunks of 7"
    # reversed order (a patient's notes stay together, so propagation sees the same notes)
    assert _key(reversed(list(deid.detect_many(notes[::-1])))) == reference
    with ParallelDeidentifier(EngineConfig(), workers=2) as par:
        assert _key(par.detect_many(notes)) == reference


def test_a_note_alone_or_in_any_batch_gets_the_same_spans(notes: list[Document]) -> None:
    single = [Document(d.id, d.text) for d in notes]  # no patient: each note stands alone
    base = Deidentifier(EngineConfig.from_overrides(["runtime.batch_size=1"]))
    alone = _key(base.detect(d) for d in single)
    assert sum(bool(json.loads(k)["spans"]) for k in alone) > 150  # the notes do carry PHI
    _check_invariance(single, alone)


def test_a_patients_notes_get_the_same_spans_in_any_batch(notes: list[Document]) -> None:
    reference = _key(Deidentifier(EngineConfig.from_overrides(["runtime.batch_size=1"])).detect_many(notes))
    _check_invariance(notes, reference)


def test_a_dynamic_int8_graph_runs_one_window_per_call(tiny_artifact_int8, tmp_path) -> None:  # noqa: ANN001
    import shutil

    dynamic = tmp_path / "dynamic"
    shutil.copytree(tiny_artifact_int8, dynamic)
    manifest = json.loads((dynamic / "manifest.json").read_text())
    del manifest["quantization"]["activation_scales"]  # as exported before scales were frozen
    (dynamic / "manifest.json").write_text(json.dumps(manifest))
    assert not load_artifacts(dynamic).batch_invariant
    deid = Deidentifier(EngineConfig.from_overrides([f"model_dir={dynamic}", "runtime.batch_size=8"]))
    assert deid.runner is not None and deid.runner.batch_size == 1
    frozen = Deidentifier(
        EngineConfig.from_overrides([f"model_dir={tiny_artifact_int8}", "runtime.batch_size=8"])
    )
    assert frozen.runner is not None and frozen.runner.batch_size == 8


@pytest.mark.parametrize(
    ("n", "expected"), [(1, 16), (14, 16), (15, 32), (30, 32), (31, 48), (253, 256), (254, 256)]
)
def test_padded_width_depends_on_the_window_alone(n: int, expected: int) -> None:
    assert padded_width(n, max_width=256) == expected


def test_batches_hold_one_width_each() -> None:
    class Session:
        def get_inputs(self):  # noqa: ANN202
            return []

        def get_outputs(self):  # noqa: ANN202
            class Output:
                name = "logits"

            return [Output()]

    runner = ModelRunner(Session(), 101, 102, 0, batch_size=3, max_width=256)
    lengths = [10, 12, 40, 14, 200, 13, 41, 254]
    batches = runner.batches(lengths)
    assert sorted(int(i) for b in batches for i in b) == list(range(len(lengths)))
    for b in batches:
        assert len(b) <= 3 and len({runner.width(lengths[int(i)]) for i in b}) == 1
    assert [len(b) for b in batches if runner.width(lengths[int(b[0])]) == 16] == [3, 1]
    assert np.all(np.diff([runner.width(lengths[int(b[0])]) for b in batches]) <= 0)  # widest first

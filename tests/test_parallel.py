"""Multi-process engine: same results as one process, input order, fail closed when a worker dies."""

from __future__ import annotations

import os
import pickle
import shutil
import signal
import time
from pathlib import Path

import pytest

from engine.config import EngineConfig
from engine.errors import ArtifactError, DetectionError
from engine.parallel import ParallelDeidentifier
from engine.pipeline import Deidentifier
from engine.types import Document
from tests.lexicon_model import build_lexicon_artifact

WORDS = {"valdez": "PATIENT", "harlan": "PATIENT", "calvert": "HOSPITAL", "whalen": "DOCTOR"}


@pytest.fixture(scope="module")
def lexicon_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_lexicon_artifact(tmp_path_factory.mktemp("lexicon") / "art", WORDS)


def _docs() -> list[Document]:
    notes = [
        "PT SEEN BY DR WHALEN 7/22; TO CALVERT HOSP. Call 617-555-1234.",
        "Harlan Valdez, 79yo, MRN: 6746781. f/u 3/12/2011.",
        "No PHI in this note at all.",
        "Dictated by: GQ/NV/whalen",
    ]
    # 40 documents, patients in runs of 2 so propagation across a patient's notes is exercised
    return [Document(f"d{i}", notes[i % 4] + f" Note {i}.", group=f"p{i // 2}") for i in range(40)]


def test_parallel_matches_one_process_in_input_order(lexicon_dir: Path) -> None:
    cfg = EngineConfig.from_overrides([f"model_dir={lexicon_dir}", "runtime.threads=1"])
    docs = _docs()
    one = list(Deidentifier(cfg).detect_many(docs, redact=True, chunk_docs=4))
    with ParallelDeidentifier(cfg, workers=2, max_in_flight=3) as par:
        many = list(par.detect_many(docs, redact=True, chunk_docs=4))
    assert [r.id for r in many] == [d.id for d in docs]
    assert [(r.spans, r.redacted, r.error) for r in many] == [(r.spans, r.redacted, r.error) for r in one]
    assert any(r.spans for r in many) and all(r.error is None for r in many)


def test_a_corrupt_artifact_is_an_artifact_error_whatever_on_error(lexicon_dir: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad"
    shutil.copytree(lexicon_dir, bad)
    with open(bad / "model.onnx", "ab") as f:
        f.write(b"tampered")
    for on_error in ("raise", "redact_all"):
        cfg = EngineConfig.from_overrides([f"model_dir={bad}", "runtime.threads=1", f"on_error={on_error}"])
        with pytest.raises(ArtifactError, match="E216"):
            ParallelDeidentifier(cfg, workers=2)


def test_a_dead_worker_fails_closed(lexicon_dir: Path) -> None:
    docs = _docs()[:6]
    for on_error in ("raise", "redact_all"):
        cfg = EngineConfig.from_overrides(
            [f"model_dir={lexicon_dir}", "runtime.threads=1", f"on_error={on_error}"]
        )
        with ParallelDeidentifier(cfg, workers=2) as par:
            list(par.detect_many(docs[:2], redact=True, chunk_docs=2))  # workers are up
            for proc in list(par._pool._processes.values()):  # noqa: SLF001 - kill them for the test
                os.kill(proc.pid, signal.SIGKILL)
            time.sleep(0.5)
            if on_error == "raise":
                with pytest.raises(DetectionError, match="E506"):
                    list(par.detect_many(docs, redact=True, chunk_docs=2))
                continue
            out = list(par.detect_many(docs, redact=True, chunk_docs=2))
        assert [r.id for r in out] == [d.id for d in docs]
        for d, r in zip(docs, out, strict=True):
            assert r.error and r.redacted is not None and "E506" in r.error
            assert not any(c.isalpha() for c in r.redacted.replace("REDACTED", ""))
            assert [(s.start, s.end) for s in r.spans] == [(0, len(d.text))]


def test_engine_errors_survive_a_process_boundary() -> None:
    e = ArtifactError("E201", "hash mismatch", fix="Re-export.")
    back = pickle.loads(pickle.dumps(e))
    assert type(back) is ArtifactError and (back.code, back.fix, str(back)) == (e.code, e.fix, str(e))


def test_default_chunks_fill_a_device_call() -> None:
    from engine.config import DEFAULT_BATCH
    from engine.parallel import default_chunk_docs

    assert default_chunk_docs("cpu") == 32
    # the benchmark notes average 3.6 windows: a CUDA chunk holds several full 64-window calls
    assert default_chunk_docs("cuda") * 3.6 >= 4 * DEFAULT_BATCH["cuda"]

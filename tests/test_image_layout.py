"""Offsets -> boxes: page text in reading order, spans at word starts, inside words, across lines and
pages; uncertain words next to PHI; TSV parsing; config validation; drawing. No Tesseract needed."""

from __future__ import annotations

import pytest

pytest.importorskip("PIL")

from engine.errors import ConfigError  # noqa: E402
from engine.image.config import ImageConfig  # noqa: E402
from engine.image.errors import OcrError  # noqa: E402
from engine.image.layout import (  # noqa: E402
    LOW_CONF_SOURCE,
    build_page_text,
    pad,
    page_regions,
    span_boxes,
)
from engine.image.ocr import Word, parse_tsv  # noqa: E402
from engine.types import Span  # noqa: E402

ROWS = {(1, 1, 1): 0, (1, 1, 2): 1, (1, 2, 1): 2}


def _w(text: str, x: int, line: tuple[int, int, int], i: int, conf: float = 95.0) -> Word:
    top = 10 + 30 * ROWS[line]
    return Word(text, (x, top, x + 10 * len(text), top + 20), conf, line, i)


# Page 1: "Patient: John Smith" / "seen by Dr." / "Xai Dunn today" (a new paragraph after line 2)
PAGE1 = [
    _w("Patient:", 10, (1, 1, 1), 0),
    _w("John", 100, (1, 1, 1), 1),
    _w("Smith", 150, (1, 1, 1), 2),
    _w("seen", 10, (1, 1, 2), 3),
    _w("by", 60, (1, 1, 2), 4),
    _w("Dr.", 90, (1, 1, 2), 5),
    _w("Xai", 10, (1, 2, 1), 6),
    _w("Dunn", 50, (1, 2, 1), 7),
    _w("today", 100, (1, 2, 1), 8),
]
# Page 2: one line, other positions (a page's spans map through that page's words only)
PAGE2 = [_w("MRN", 20, (1, 1, 1), 0), _w("4482913", 70, (1, 1, 1), 1)]


def test_page_text_reading_order_and_offsets() -> None:
    page = build_page_text(PAGE1)
    assert page.text == "Patient: John Smith\nseen by Dr.\n\nXai Dunn today"
    assert len(page.offsets) == len(PAGE1)
    for w, o in zip(page.words, page.offsets, strict=True):
        assert o is not None
        assert page.text[o[0] : o[1]] == w.text


# (name, page, start, end, expected word indices grouped by line)
CASES = [
    ("word start to end", PAGE1, 9, 13, [[1]]),
    ("two words on a line", PAGE1, 9, 19, [[1, 2]]),
    ("inside a word covers the word", PAGE1, 11, 12, [[1]]),
    ("word prefix", PAGE1, 14, 16, [[2]]),
    ("across a line break", PAGE1, 14, 24, [[2], [3]]),
    ("across a paragraph break", PAGE1, 28, 41, [[5], [6, 7]]),
    ("three lines", PAGE1, 9, 41, [[1, 2], [3, 4, 5], [6, 7]]),
    ("last word of the page", PAGE1, 41, 46, [[8]]),
    ("page 2: same offsets, its own words", PAGE2, 0, 3, [[0]]),
    ("page 2: inside the number", PAGE2, 6, 8, [[1]]),
    ("separator only: no box", PAGE1, 19, 20, []),
]


@pytest.mark.parametrize(("name", "words", "start", "end", "lines"), CASES, ids=[c[0] for c in CASES])
def test_span_to_boxes(name: str, words: list[Word], start: int, end: int, lines: list[list[int]]) -> None:
    page = build_page_text(words)
    boxes = span_boxes(Span(start, end, "NAME"), page)
    assert len(boxes) == len(lines)
    for box, idx in zip(boxes, lines, strict=True):
        ws = [words[i].box for i in idx]
        assert box == (
            min(b[0] for b in ws),
            min(b[1] for b in ws),
            max(b[2] for b in ws),
            max(b[3] for b in ws),
        )


def test_regions_are_padded_clipped_and_carry_no_text() -> None:
    page = build_page_text(PAGE1)
    regions = page_regions(3, page, [Span(9, 19, "NAME", "PATIENT", 0.9, "model")], (165, 100), padding=5)
    assert len(regions) == 1
    r = regions[0]
    assert r.page == 3
    assert r.box == (95, 5, 165, 35)  # John..Smith grown by 5 px, the right edge clipped to the page
    assert r.to_dict() == {
        "page": 3,
        "box": list(r.box),
        "label": "NAME",
        "subtype": "PATIENT",
        "score": 0.9,
        "source": "model",
    }
    assert pad((0, 0, 4, 4), 3, (5, 5)) == (0, 0, 5, 5)


# (name, confidences by word index, span, expected extra word indices covered as low_conf)
LOW = [
    ("uncertain right neighbour", {3: 40}, (14, 19), []),  # next line: not a neighbour
    ("uncertain word after the span", {2: 40}, (9, 13), [2]),
    ("chain of uncertain words", {1: 30, 0: 20}, (14, 19), [0, 1]),
    ("certain neighbour stops the chain", {0: 20}, (14, 19), []),
    ("uncertain word before the span", {5: 50}, (42, 46), []),  # 'today' is on the paragraph's line
    ("uncertain left neighbour on the line", {7: 50, 6: 10}, (41, 46), [6, 7]),
]


@pytest.mark.parametrize(("name", "confs", "span", "extra"), LOW, ids=[c[0] for c in LOW])
def test_uncertain_words_next_to_phi_are_covered(
    name: str, confs: dict[int, float], span: tuple[int, int], extra: list[int]
) -> None:
    words = [Word(w.text, w.box, confs.get(i, w.conf), w.line, i) for i, w in enumerate(PAGE1)]
    page = build_page_text(words)
    regions = page_regions(1, page, [Span(*span, "NAME")], (1000, 1000), conf_threshold=70)
    low = [r for r in regions if r.source == LOW_CONF_SOURCE]
    assert sorted(i for i, w in enumerate(words) if any(_inside(w.box, r.box) for r in low)) == extra
    assert all(r.label == "NAME" for r in low)


def _inside(b: tuple[int, int, int, int], r: tuple[int, int, int, int]) -> bool:
    return r[0] <= b[0] and r[1] <= b[1] and b[2] <= r[2] and b[3] <= r[3]


def test_word_left_out_of_text_between_phi_words_is_covered() -> None:
    words = [Word(w.text, w.box, 5.0 if i == 2 else w.conf, w.line, i) for i, w in enumerate(PAGE1)]
    page = build_page_text(words, min_conf=20)
    assert page.offsets[2] is None
    assert page.text.startswith("Patient: John\nseen")
    regions = page_regions(1, page, [Span(9, 13, "NAME")], (1000, 1000), conf_threshold=70)
    assert any(_inside(words[2].box, r.box) and r.source == LOW_CONF_SOURCE for r in regions)


def test_low_conf_all_covers_every_uncertain_word() -> None:
    words = [Word(w.text, w.box, 50.0 if i in (0, 8) else w.conf, w.line, i) for i, w in enumerate(PAGE1)]
    regions = page_regions(1, build_page_text(words), [], (1000, 1000), conf_threshold=70, low_conf="all")
    assert sorted(r.box for r in regions) == sorted([words[0].box, words[8].box])
    assert {r.label for r in regions} == {"LOW_CONFIDENCE"}


HEADER = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext"


def test_parse_tsv_keeps_words_in_order_and_skips_layout_rows() -> None:
    rows = [
        "1\t1\t0\t0\t0\t0\t0\t0\t800\t600\t-1\t",
        "4\t1\t1\t1\t1\t0\t40\t44\t300\t20\t-1\t",
        "5\t1\t1\t1\t1\t1\t40\t44\t72\t15\t96.5\tPatient:",
        "5\t1\t1\t1\t1\t2\t120\t44\t40\t15\t91\t ",
        "5\t1\t1\t1\t1\t3\t170\t44\t50\t15\t-1\tSmith",
    ]
    words = parse_tsv("\n".join([HEADER, *rows]))
    assert [w.text for w in words] == ["Patient:", "Smith"]
    assert words[0].box == (40, 44, 112, 59)
    assert words[1].conf == 0.0 and words[1].index == 1
    assert words[0].line == (1, 1, 1)


@pytest.mark.parametrize("bad", ["", "no header\n5\t1", HEADER + "\n5\t1\t1\t1\t1\t1\tx\t1\t1\t1\t90\tA"])
def test_parse_tsv_rejects_garbage(bad: str) -> None:
    with pytest.raises(OcrError) as e:
        parse_tsv(bad)
    assert e.value.code == "E713"


CONFIGS = [
    (["image.ocr.psm=11"], "ocr.psm", 11),
    (["image.draw.color=#808080"], "draw.color", "#808080"),
    (['image.labels=["NAME","DATE"]'], "labels", ("NAME", "DATE")),
    (["image.draw.padding=0", "decode.o_threshold=0.5"], "draw.padding", 0),
]


@pytest.mark.parametrize(("overrides", "field", "value"), CONFIGS)
def test_image_config_overrides(overrides: list[str], field: str, value: object) -> None:
    cfg: object = ImageConfig.from_overrides(overrides)
    for part in field.split("."):
        cfg = getattr(cfg, part)
    assert cfg == value


@pytest.mark.parametrize(
    "bad", ["image.ocr.psm=14", "image.draw.color=grey", "image.on_ocr_error=skip", "image.nope=1"]
)
def test_image_config_rejects_bad_values(bad: str) -> None:
    with pytest.raises(ConfigError) as e:
        ImageConfig.from_overrides([bad])
    assert e.value.code == "E700"
    assert "image." in str(e.value)


def test_image_error_codes_are_in_the_project_table() -> None:
    from engine.error_codes import ERROR_CODES

    image = {c for c in ERROR_CODES if c.startswith("E7")}
    assert {"E700", "E701", "E702", "E703", "E704", "E705", "E706", "E710", "E711", "E720"} <= image


MODES = [("RGB", (0, 0, 0)), ("L", 0), ("1", 0), ("RGBA", (0, 0, 0, 255)), ("P", (0, 0, 0)), ("I;16", 0)]


@pytest.mark.parametrize(("mode", "black"), MODES)
def test_fill_regions_in_each_pixel_mode(mode: str, black: object) -> None:
    from PIL import Image

    from engine.image.draw import fill_regions, ocr_view
    from engine.image.layout import Region

    page = Image.new("RGB", (40, 30), (255, 255, 255)).convert(mode)
    out = fill_regions(page, [Region(1, (10, 5, 20, 15), "NAME", None, 1.0, "model")], (0, 0, 0))
    assert out.getpixel((10, 5)) == black and out.getpixel((19, 14)) == black
    assert out.getpixel((20, 15)) != black and out.getpixel((9, 5)) != black  # half-open box
    assert page.getpixel((10, 5)) != black  # the input page is not modified
    assert ocr_view(out).mode == "L"


def test_every_kind_has_one_reader_and_one_writer() -> None:
    from engine.image.formats import KINDS, READERS, WRITERS

    assert set(READERS) == set(WRITERS) == set(KINDS.values()) == {"png", "jpeg", "tiff", "pdf", "dicom"}
    assert sorted(KINDS) == [".dcm", ".jpeg", ".jpg", ".pdf", ".png", ".tif", ".tiff"]


hypothesis = pytest.importorskip("hypothesis")
st = hypothesis.strategies


@st.composite
def _pages(draw: object) -> list[Word]:
    d = draw  # type: ignore[assignment]
    words = []
    for li in range(d(st.integers(1, 4))):
        x = 5
        for _ in range(d(st.integers(1, 5))):
            text = d(st.text("abcXYZ019/-.", min_size=1, max_size=6))
            conf = d(st.sampled_from([10.0, 60.0, 95.0]))
            words.append(
                Word(
                    text,
                    (x, 10 + 30 * li, x + 8 * len(text), 30 + 30 * li),
                    conf,
                    (1, li // 2 + 1, li + 1),
                    len(words),
                )
            )
            x += 8 * len(text) + 6
    return words


@hypothesis.given(_pages(), st.data())
@hypothesis.settings(max_examples=150, deadline=None)
def test_every_word_a_span_touches_is_inside_one_of_its_boxes(words: list[Word], data: object) -> None:
    page = build_page_text(words)
    n = len(page.text)
    start = data.draw(st.integers(0, n - 1))  # type: ignore[attr-defined]
    end = data.draw(st.integers(start + 1, n))  # type: ignore[attr-defined]
    boxes = span_boxes(Span(start, end, "NAME"), page)
    touched = [w for w, (s, e) in zip(words, page.offsets, strict=True) if s < end and start < e]  # type: ignore[misc]
    assert len(boxes) == len({w.line for w in touched})  # one box per text line
    for w in touched:
        assert any(
            b[0] <= w.box[0] and b[1] <= w.box[1] and w.box[2] <= b[2] and w.box[3] <= b[3] for b in boxes
        )
    regions = page_regions(1, page, [Span(start, end, "NAME")], (2000, 2000), 2, 70.0)
    for w in touched:  # padded regions hold every touched word too, and uncertain neighbours on top
        assert any(r.box[0] <= w.box[0] and r.box[2] >= w.box[2] for r in regions)


def _conf_words(confs: list[float], text: str = "word") -> list[Word]:
    return [Word(text, (10 * i, 0, 10 * i + 8, 10), c, (1, 1, 1), i) for i, c in enumerate(confs)]


@pytest.mark.parametrize(
    ("words", "median"),
    [
        (_conf_words([96, 96, 96, 96, 96]) + _conf_words([12], "~"), 96.0),  # a speck does not count
        (_conf_words([90, 80, 30, 20, 10, 40]), 35.0),
        (_conf_words([90, 90, 90, 90]), None),  # too few words to judge
    ],
)
def test_page_confidence(words: list[Word], median: float | None) -> None:
    from engine.image.ocr import page_confidence

    assert page_confidence(words) == median


# (name, confidences of the first reading, of the psm-1 reading, min_page_conf, outcome)
READS = [
    ("confident page: one reading", [95] * 6, None, 50, "first"),
    ("garbage, orientation fixes it", [30] * 6, [93] * 6, 50, "second"),
    ("garbage both times: unreadable", [30] * 6, [35] * 6, 50, "E715"),
    ("check off", [30] * 6, None, 0, "first"),
]


@pytest.mark.parametrize(
    ("name", "first", "second", "threshold", "outcome"), READS, ids=[r[0] for r in READS]
)
def test_read_page_retries_with_orientation_detection(
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    first: list[float],
    second: list[float] | None,
    threshold: float,
    outcome: str,
) -> None:
    import engine.image.ocr as ocr
    from engine.image.config import OcrConfig

    calls: list[int] = []

    def fake(image: object, cfg: OcrConfig, dpi: int | None = None) -> list[Word]:
        calls.append(cfg.psm)
        return _conf_words(first if cfg.psm == 3 else (second or []))

    monkeypatch.setattr(ocr, "ocr_page", fake)
    cfg = OcrConfig(min_page_conf=threshold)
    if outcome == "E715":
        with pytest.raises(OcrError) as e:
            ocr.read_page(object(), cfg)  # type: ignore[arg-type]
        assert e.value.code == "E715"
    else:
        words = ocr.read_page(object(), cfg)  # type: ignore[arg-type]
        assert [w.conf for w in words] == (first if outcome == "first" else second)
    assert calls == ([3] if outcome == "first" else [3, 1])


def test_cli_config_file_splits_image_and_engine_sections(tmp_path: object) -> None:
    import argparse
    from pathlib import Path

    from engine.image.cli import build_configs

    cfg = Path(str(tmp_path)) / "deid.toml"
    cfg.write_text('[image]\nlabels = ["NAME"]\n[image.ocr]\npsm = 11\n[decode]\no_threshold = 0.8\n')
    args = argparse.Namespace(
        set=["image.draw.padding=1"], config=str(cfg), psm=None, conf=55.0, dpi=None, padding=None,
        color=None,
        workers=None, on_ocr_error=None, model=None, threads=None, labels=None,
    )  # fmt: skip
    image, engine = build_configs(args)
    assert (image.ocr.psm, image.ocr.conf_threshold, image.draw.padding, image.labels) == (
        11,
        55.0,
        1,
        ("NAME",),
    )
    assert engine.decode.o_threshold == 0.8


@pytest.mark.parametrize("module", ["config", "errors", "layout", "ocr", "synth", "formats", "draw"])
def test_docstring_examples_run(module: str) -> None:
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(f"engine.image.{module}"), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0

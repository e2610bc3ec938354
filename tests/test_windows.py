"""Windows: cores partition the tokens, nothing is truncated, bad configs fail loudly."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.decode.stitch import stitch
from engine.errors import ConfigError, CoverageError
from engine.text.windows import check_coverage, make_windows
from engine.types import Window


@given(n=st.integers(0, 5000), max_length=st.integers(3, 600), frac=st.floats(0, 0.9))
def test_cores_partition_every_token(n: int, max_length: int, frac: float) -> None:
    size = max_length - 2
    stride = min(int(size * frac), size - 1)
    ws = make_windows(n, max_length, stride)
    covered = np.zeros(n, dtype=int)
    for w in ws:
        assert 0 <= w.start <= w.core_start < w.core_end <= w.end <= n
        assert w.length <= size
        covered[w.core_start : w.core_end] += 1
    assert (covered == 1).all()
    # each token's core window is the one where it sits most centrally (up to rounding)
    for i, w in enumerate(ws[1:], 1):
        prev = ws[i - 1]
        t = w.core_start
        assert min(t - w.start, w.end - t) + 1 >= min(t - 1 - prev.start, prev.end - t)


def test_example() -> None:
    assert [(w.start, w.end, w.core_start, w.core_end) for w in make_windows(10, 8, 2)] == [
        (0, 6, 0, 5),
        (4, 10, 5, 10),
    ]
    assert make_windows(0, 8, 2) == []


@pytest.mark.parametrize("max_length,stride", [(2, 0), (8, 6), (8, -1)])
def test_bad_window_config(max_length: int, stride: int) -> None:
    with pytest.raises(ConfigError):
        make_windows(100, max_length, stride)


def test_coverage_gap_detected() -> None:
    with pytest.raises(CoverageError):
        check_coverage([Window(0, 5, 0, 4), Window(5, 10, 5, 10)], 10)
    with pytest.raises(CoverageError):
        stitch([Window(0, 5, 0, 5)], [np.zeros((4, 3))], 5)

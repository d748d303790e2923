"""The benchmarks' one percentile is the nearest rank: always a measured value (bench/stats.py)."""

from __future__ import annotations

import pytest

from bench import stats


@pytest.mark.parametrize(
    ("samples", "fraction", "expected"),
    [
        (400, 0.99, 396),  # rank ceil(0.99 x 400) = 396, not the 397th
        (100, 0.99, 99),
        (20, 0.99, 20),  # with fewer than 100 samples, p99 is the maximum
        (1, 0.99, 1),
        (4, 0.5, 2),
    ],
)
def test_percentile_is_the_nearest_rank(samples: int, fraction: float, expected: float) -> None:
    values = [float(value) for value in range(samples, 0, -1)]  # descending: the order must not matter
    assert stats.percentile(values, fraction) == expected


def test_no_samples_have_no_percentile() -> None:
    with pytest.raises(ValueError, match="no samples"):
        stats.p99([])

"""Order statistics for the benchmarks (bench.run, bench.load, bench.db_pool, bench.scale): median, p99 (nearest
rank) and the interquartile range; and the weighted draw of the load mixes."""

from __future__ import annotations

import math
import random
import statistics
from collections.abc import Sequence


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile: a value that was measured (with few samples, p99 is the maximum)."""
    if not values:
        raise ValueError("no samples")
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, math.ceil(fraction * len(ordered)) - 1))]


def median(values: Sequence[float]) -> float:
    if not values:
        raise ValueError("no samples")
    return statistics.median(values)


def p99(values: Sequence[float]) -> float:
    return percentile(values, 0.99)


def quartiles(values: Sequence[float]) -> tuple[float, float]:
    """First and third quartile; one sample is its own range."""
    if len(values) < 2:
        return median(values), median(values)
    first, _, third = statistics.quantiles(values, n=4, method="inclusive")
    return first, third


def ratios(numerators: Sequence[float], denominators: Sequence[float]) -> list[float]:
    """Pairwise ratios of samples taken side by side (the same round, the same step)."""
    return [top / bottom for top, bottom in zip(numerators, denominators, strict=True) if bottom > 0]


def median_p99(values: Sequence[float], digits: int = 1) -> str:
    return f"{median(values):.{digits}f} / {p99(values):.{digits}f}"


def weighted_pick(rng: random.Random, weights: Sequence[tuple[str, float]]) -> str:
    """A name of ``weights`` (name, share; the shares add up to 1), drawn with ``rng``."""
    roll = rng.random()
    for name, weight in weights:
        if roll < weight:
            return name
        roll -= weight
    return weights[0][0]

"""The median engaged time of a period from a histogram of engaged seconds (docs/dashboards.md, "Median
engaged time").

Engaged seconds are whole seconds. The roll-up ``VisitDurationDaily`` counts visits per bucket of
``BOUNDS``: one bucket per second below 10 s, then each bucket starts 10 % above the previous one
(``[low, high)`` with ``high - 1 - low <= low / 10``), up to 24 hours; a last bucket holds the longer
visits. Each bucket also keeps its shortest and longest visit (MIN and MAX, which add up across days and
networks like the counts).

The median is the middle visit's engaged time (the mean of the two middle ones for an even number of
visits, as ``statistics.median``). Each middle value is estimated inside its bucket by interpolating,
by rank, between the bucket's shortest and longest visit. The estimate lies between those two, as the
true value does, so it is **exact** below 10 s, when the bucket's visits share one duration, or when the
value is the bucket's first or last; otherwise it is within ``max - min`` of the true value, which is
less than **10 %** of it (``MAX_RELATIVE_ERROR``) for medians under 24 hours. A test bounds it.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable

EXACT_BELOW = 10  # seconds: one bucket per second
RATIO = 1.1
LAST = 86_400  # longer visits share the last bucket
MAX_RELATIVE_ERROR = RATIO - 1


def _bounds() -> tuple[int, ...]:
    bounds = list(range(EXACT_BELOW + 1))
    while bounds[-1] < LAST:
        low = bounds[-1]
        bounds.append(max(low + 1, int(low * RATIO) + 1))
    return tuple(bounds)


BOUNDS = _bounds()  # bucket n holds [BOUNDS[n], BOUNDS[n + 1]) seconds; the last one has no end


def bucket(seconds: int) -> int:
    return max(0, bisect.bisect_right(BOUNDS, seconds) - 1)


# A histogram: bucket -> [visits, shortest, longest].
Histogram = dict[int, list[int]]


def add(histogram: Histogram, bucket_number: int, visits: int, shortest: int, longest: int) -> None:
    found = histogram.get(bucket_number)
    if found is None:
        histogram[bucket_number] = [visits, shortest, longest]
    else:
        found[0] += visits
        found[1] = min(found[1], shortest)
        found[2] = max(found[2], longest)


def merge(histograms: Iterable[Histogram]) -> Histogram:
    total: Histogram = {}
    for histogram in histograms:
        for number, (visits, shortest, longest) in histogram.items():
            add(total, number, visits, shortest, longest)
    return total


def _order_statistic(ordered: list[tuple[int, list[int]]], rank: int) -> float:
    """The ``rank``-th smallest engaged time (1-based), interpolated inside its bucket."""
    before = 0
    for _number, (visits, shortest, longest) in ordered:
        if rank <= before + visits:
            if visits == 1:
                return float(shortest)
            return shortest + (longest - shortest) * (rank - before - 1) / (visits - 1)
        before += visits
    raise ValueError("rank beyond the histogram")


def median(histogram: Histogram) -> float | None:
    """The median engaged seconds (rounded to 0.1 s), or None without visits."""
    ordered = sorted((number, entry) for number, entry in histogram.items() if entry[0] > 0)
    total = sum(entry[0] for _number, entry in ordered)
    if not total:
        return None
    low = _order_statistic(ordered, (total + 1) // 2)
    high = low if total % 2 else _order_statistic(ordered, total // 2 + 1)
    return round((low + high) / 2, 1)


def histogram_of(values: Iterable[int]) -> Histogram:
    """The histogram of raw engaged seconds (tests, and the exact path of a rubric filter)."""
    result: Histogram = {}
    for value in values:
        add(result, bucket(value), 1, value, value)
    return result

"""The followers panel reads the month rows (FollowerMonth); its figures must be those the daily table
gives, for any period: counts with gaps, periods across month and year ends, before any count, and the
start's look-back across two months."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from portevoix.dashboards import selectors
from portevoix.dashboards.selectors.followers import _follower_readings
from portevoix.dashboards.tests import factory
from portevoix.metrics.models import FollowerDaily

pytestmark = pytest.mark.django_db
FIRST = dt.date(2025, 11, 20)


def reference(f, channel) -> tuple[int | None, list[int | None]]:
    """The channel's count before the period and per day, straight from the daily table."""
    counts = dict(FollowerDaily.objects.filter(channel=channel).values_list("day", "followers"))
    lookback = selectors.FOLLOWER_START_LOOKBACK.days
    before = next(
        (
            counts[day]
            for back in range(1, lookback + 1)
            if (day := f.start - dt.timedelta(days=back)) in counts
        ),
        None,
    )
    return before, [counts.get(f.start + dt.timedelta(days=n)) for n in range(f.days)]


def test_followers_from_month_rows_equal_the_daily_table_for_any_period(team):
    rng = random.Random(5)
    ws = team.workspace
    channels = [
        factory.channel(ws, network, f"{network} {n}") for n, network in enumerate(("vk", "x", "vk", "x"))
    ]
    density = (0.7, 0.7, 0.7, 0.04)  # the last one is counted about once a month
    for n, channel in enumerate(channels):
        count, written = 1000 * (n + 1), []
        for offset in range(150):  # November to April, with gaps (a month without counts on one)
            count += rng.randint(-5, 20)
            if rng.random() < density[n] and not (n == 1 and 40 <= offset < 75):
                written.append((FIRST + dt.timedelta(days=offset), count))
        rng.shuffle(written)  # the month rows are made, and read back, in no particular order
        for day, count in written:
            factory.followers(channel, day, count)
    periods = [
        (FIRST - dt.timedelta(days=30), FIRST - dt.timedelta(days=1)),  # before any count
        (FIRST, FIRST),
        (dt.date(2025, 12, 31), dt.date(2026, 1, 1)),  # across the year's end
        (dt.date(2026, 2, 1), dt.date(2026, 2, 28)),  # a whole February: looks back into January
        (dt.date(2026, 3, 2), dt.date(2026, 3, 3)),  # looks back across February into January
        (dt.date(2026, 4, 1), dt.date(2026, 6, 30)),  # past the last count
    ]
    for _ in range(40):
        start = FIRST + dt.timedelta(days=rng.randint(-20, 160))
        periods.append((start, start + dt.timedelta(days=rng.randint(0, 120))))
    for start, end in periods:
        for network in (None, "vk"):
            f = selectors.filters_make(ws, start, end, network=network)
            found = _follower_readings(f)
            expected = [c for c in channels if network in (None, c.network)]
            assert [r.channel_id for r in found] == [
                c.pk for c in sorted(expected, key=lambda c: (c.network, c.name))
            ]
            for readings, channel in zip(
                found, sorted(expected, key=lambda c: (c.network, c.name)), strict=True
            ):
                assert (readings.before, readings.series) == reference(f, channel), (start, end, channel.name)
            panel = selectors.panel_followers(f)
            for row, readings in zip(panel["channels"], found, strict=True):
                known = [value for value in readings.series if value is not None]
                start_count = (
                    readings.before if readings.before is not None else (known[0] if known else None)
                )
                assert row["start_followers"] == start_count
                assert row["end_followers"] == (known[-1] if known else readings.before)


def test_month_rows_may_come_in_any_order():
    """The query does not sort the month rows (an index scan happens to return them in order): the count
    before the period is the latest one whichever month comes first."""
    from portevoix.dashboards.selectors.followers import _Found

    # A period starting on 10 March: February (offset -37) and early March (offset -9) both look back.
    february = [None] * 27 + [280]  # 28 February: offset -10
    march = [300, None, None, None, None, None, None, None, None, 310, 320]  # 1 March, then the 10th on
    for order in ((february, march), (march, february)):
        found = _Found(size=2)
        for counts in order:
            found.add(-37 if counts is february else -9, counts, lookback=31)
        assert (found.before, found.series) == (300, [310, 320])
    only_february = _Found(size=2)
    only_february.add(-37, february, lookback=31)
    assert only_february.before == 280
    too_old = _Found(size=2)
    too_old.add(-37, february, lookback=9)  # the 28th is 10 days before the period
    assert (too_old.before, too_old.series) == (None, [None, None])

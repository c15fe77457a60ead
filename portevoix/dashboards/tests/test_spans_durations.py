"""The period covers (day, week and month rows) and the median's histogram with its error bound
(docs/dashboards.md, "Median engaged time"). No database."""

from __future__ import annotations

import datetime as dt
import itertools
import random
import statistics
import zoneinfo

import pytest

from portevoix.dashboards import durations, localtime, spans


def _days_of(ranges):
    covered = []
    for span, low, high in ranges:
        key = low
        while key <= high:
            if span == spans.DAY:
                end = key
            elif span == spans.WEEK:
                assert key.weekday() == 0
                end = key + dt.timedelta(days=6)
            else:
                assert key.day == 1
                end = spans.month_end(key)
            day = key
            while day <= end:
                covered.append(day)
                day += dt.timedelta(days=1)
            key = end + dt.timedelta(days=1)
    return sorted(covered)


def test_cover_is_exact_and_small_for_many_periods():
    rng = random.Random(3)
    for _ in range(500):
        start = dt.date(2024, 1, 1) + dt.timedelta(days=rng.randrange(0, 800))
        end = start + dt.timedelta(days=rng.randrange(0, 366))
        ranges = spans.cover(start, end)
        days = _days_of(ranges)
        assert days == [start + dt.timedelta(days=n) for n in range((end - start).days + 1)]  # no overlap
        assert len(ranges) <= 7
        rows = sum(len(_days_of([unit])) and _units(unit) for unit in ranges)
        if (end - start).days < 92:  # at most 3 months, 2 x 4 weeks and 2 x 12 days (instead of 92 days)
            assert rows <= 35


def _units(unit):
    span, low, high = unit
    if span == spans.DAY:
        return (high - low).days + 1
    if span == spans.WEEK:
        return (high - low).days // 7 + 1
    return (high.year - low.year) * 12 + high.month - low.month + 1


def test_cover_of_familiar_periods():
    assert spans.cover(dt.date(2025, 10, 1), dt.date(2025, 10, 31)) == [
        (spans.MONTH, dt.date(2025, 10, 1), dt.date(2025, 10, 1))
    ]
    assert spans.cover(dt.date(2025, 10, 20), dt.date(2025, 10, 26)) == [
        (spans.WEEK, dt.date(2025, 10, 20), dt.date(2025, 10, 20))
    ]
    # 90 days: two whole months, the weeks and days around them.
    ranges = spans.cover(dt.date(2025, 8, 29), dt.date(2025, 11, 26))
    assert ranges[0] == (spans.MONTH, dt.date(2025, 9, 1), dt.date(2025, 10, 1))
    assert (spans.WEEK, dt.date(2025, 11, 3), dt.date(2025, 11, 17)) in ranges
    assert spans.cover(dt.date(2025, 10, 2), dt.date(2025, 10, 1)) == []


def test_expand_adds_each_row_to_its_day_week_and_month():
    rows = [(1, dt.date(2025, 10, 30), "vk", 2), (1, dt.date(2025, 10, 31), "vk", 3)]
    expanded = {row[:4]: row[4] for row in spans.expand(rows, 1, 1)}
    assert expanded == {
        (1, "d", "2025-10-30", "vk"): 2,
        (1, "d", "2025-10-31", "vk"): 3,
        (1, "w", "2025-10-27", "vk"): 5,
        (1, "m", "2025-10-01", "vk"): 5,
    }


def test_bucket_bounds():
    bounds = durations.BOUNDS
    assert bounds[: durations.EXACT_BELOW + 1] == tuple(range(durations.EXACT_BELOW + 1))
    for low, high in itertools.pairwise(bounds):
        assert high > low
        assert high - 1 - low <= low * durations.MAX_RELATIVE_ERROR  # the spread inside a bucket
    assert bounds[-1] >= durations.LAST
    for seconds in (0, 1, 9, 10, 11, 59, 60, 61, 3599, 86_399, 86_400, 10**7):
        number = durations.bucket(seconds)
        assert bounds[number] <= seconds
        assert number == len(bounds) - 1 or seconds < bounds[number + 1]


@pytest.mark.parametrize("seed", range(40))
def test_the_median_of_the_histogram_is_within_the_documented_bound(seed):
    rng = random.Random(seed)
    kind = seed % 4
    size = rng.choice([1, 2, 3, 10, 101, 1000, 5000])
    if kind == 0:
        values = [int(rng.lognormvariate(4, 1.2)) for _ in range(size)]
    elif kind == 1:
        values = [rng.choice([0, 0, 0, rng.randint(5, 300)]) for _ in range(size)]
    elif kind == 2:
        values = [rng.randint(0, 20_000) for _ in range(size)]
    else:
        values = [rng.choice([30, 31, 45, 600, 601]) for _ in range(size)]
    exact = statistics.median(values)
    # Split the visits over days and networks, then add the histograms up as the panel does.
    parts = [durations.histogram_of(values[n::7]) for n in range(7)]
    estimate = durations.median(durations.merge(parts))
    assert estimate is not None
    assert abs(estimate - exact) <= exact * durations.MAX_RELATIVE_ERROR + 0.05  # + rounding to 0.1 s
    if exact < durations.EXACT_BELOW:
        assert estimate == round(exact, 1)


def test_the_median_is_exact_when_each_bucket_holds_one_duration():
    values = [0, 0, 7, 12, 30, 30, 40, 95]
    assert durations.median(durations.histogram_of(values)) == 21.0
    assert durations.median(durations.histogram_of([600] * 5 + [4000] * 2)) == 600.0
    assert durations.median({}) is None


def test_local_dates_in_sql_know_every_offset_change():
    paris = zoneinfo.ZoneInfo("Europe/Paris")
    found = localtime.changes(
        paris, dt.datetime(2025, 1, 1, tzinfo=dt.UTC), dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    )
    assert [(at.isoformat(), offset) for at, offset in found] == [
        ("2025-01-01T00:00:00+00:00", 3600),
        ("2025-03-30T01:00:00+00:00", 7200),
        ("2025-10-26T01:00:00+00:00", 3600),
    ]
    kolkata = zoneinfo.ZoneInfo("Asia/Kolkata")
    assert len(localtime.changes(kolkata, found[0][0], found[-1][0])) == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    "zone",
    ["Europe/Paris", "America/New_York", "Asia/Kolkata", "Pacific/Chatham", "Australia/Lord_Howe", "UTC"],
)
def test_local_dates_in_sql_equal_pythons_on_either_side_of_every_change(zone):
    """The SQL of localtime.day_sql gives the same local date as zoneinfo for instants a second on either
    side of each offset change of a year, at local midnights and at random times."""
    from django.db import connection

    tz = zoneinfo.ZoneInfo(zone)
    since, until = dt.datetime(2025, 1, 1, tzinfo=dt.UTC), dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    instants = [since, until - dt.timedelta(seconds=1)]
    for at, _offset in localtime.changes(tz, since, until)[1:]:
        instants += [at - dt.timedelta(seconds=1), at, at + dt.timedelta(seconds=1)]
    rng = random.Random(zone)
    instants += [since + dt.timedelta(seconds=rng.randrange(365 * 86_400)) for _ in range(200)]
    for day in range(0, 365, 7):  # around local midnights
        midnight = dt.datetime.combine(dt.date(2025, 1, 1) + dt.timedelta(days=day), dt.time.min, tzinfo=tz)
        instants += [midnight - dt.timedelta(seconds=1), midnight]
    sql, params = localtime.day_sql("v.at", tz, since, until)
    cast = "CAST(%s AS timestamptz)" if connection.vendor == "postgresql" else "%s"
    values = ", ".join(f"({cast})" for _at in instants)
    arguments = [at if connection.vendor == "postgresql" else localtime._sqlite_time(at) for at in instants]
    with connection.cursor() as cursor:
        cursor.execute(f"WITH v (at) AS (VALUES {values}) SELECT {sql} FROM v", [*arguments, *params])
        found = [localtime.as_date(row[0]) for row in cursor.fetchall()]
    assert found == [at.astimezone(tz).date() for at in instants]

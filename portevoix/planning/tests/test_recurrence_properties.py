"""Properties of the recurrence engine over many IANA zones and start dates around their DST changes
(hypothesis). The expectations are computed independently of planning/recurrence.py: which wall times
exist is found by trying both UTC offsets, and the dates of simple rules by counting days."""

from __future__ import annotations

import functools
import zoneinfo
from datetime import UTC, date, datetime, time, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portevoix.planning import recurrence

NAMED_ZONES = [
    "Europe/Paris",
    "America/New_York",
    "Australia/Lord_Howe",  # a 30-minute DST
    "America/Santiago",  # changes at midnight
    "Asia/Tehran",  # DST at midnight until 2022
    "Pacific/Apia",  # skipped 2011-12-30 entirely
    "Africa/Casablanca",  # Ramadan changes (negative DST in the data)
    "Europe/London",
    "America/Havana",
    "Pacific/Chatham",
    "Asia/Gaza",
    "America/St_Johns",
]
_ALL = sorted(zoneinfo.available_timezones() - {"Factory", "localtime"})
ZONES = sorted(set(NAMED_ZONES) | set(_ALL[:: max(1, len(_ALL) // 40)]))
YEARS = range(2008, 2028)
WEEKDAYS = recurrence.WEEKDAY_ORDER


@functools.cache
def transitions(name: str) -> tuple[datetime, ...]:
    """The local wall times (naive) at which the zone's UTC offset changed, 2008-2027: found by a day-by-day
    scan of offsets, then an hour-by-hour one inside the day."""
    zone = zoneinfo.ZoneInfo(name)
    found: list[datetime] = []
    moment = datetime(YEARS[0], 1, 1, tzinfo=UTC)
    end = datetime(YEARS[-1] + 1, 1, 1, tzinfo=UTC)
    offset = moment.astimezone(zone).utcoffset()
    while moment < end:
        following = moment + timedelta(days=1)
        if following.astimezone(zone).utcoffset() != offset:
            step = moment
            while step.astimezone(zone).utcoffset() == offset:
                step += timedelta(minutes=15)
            found.append((step - timedelta(minutes=15)).astimezone(zone).replace(tzinfo=None))
            offset = following.astimezone(zone).utcoffset()
        moment = following
    return tuple(found)


def _exists(wall: datetime, zone: zoneinfo.ZoneInfo) -> bool:
    offsets = {wall.replace(tzinfo=zone, fold=fold).utcoffset() for fold in (0, 1)}
    return any(
        (wall - offset).replace(tzinfo=UTC).astimezone(zone).replace(tzinfo=None) == wall
        for offset in offsets
        if offset is not None
    )


@st.composite
def cases(draw):
    name = draw(st.sampled_from(ZONES))
    zone = zoneinfo.ZoneInfo(name)
    changes = transitions(name)
    if changes and draw(st.booleans() | st.just(True)):
        change = draw(st.sampled_from(changes))
        day = change.date() - timedelta(days=draw(st.integers(0, 20)))
        # Often exactly the wall time of the change (in the gap or the repeated hour), else any quarter.
        if draw(st.booleans()):
            at = (change + timedelta(minutes=draw(st.sampled_from([0, 15, 30, 45])))).time()
        else:
            at = time(draw(st.integers(0, 23)), draw(st.sampled_from([0, 15, 30, 45])))
    else:
        day = date(draw(st.sampled_from(list(YEARS))), draw(st.integers(1, 12)), draw(st.integers(1, 28)))
        at = time(draw(st.integers(0, 23)), draw(st.sampled_from([0, 30])))
    freq = draw(st.sampled_from(["DAILY", "WEEKLY"]))
    interval = draw(st.integers(1, 3))
    weekdays = draw(st.lists(st.sampled_from(WEEKDAYS), unique=True, max_size=7)) if freq == "WEEKLY" else []
    if draw(st.booleans()):
        end = {"count": draw(st.integers(1, 60))}
    else:
        end = {"until": day + timedelta(days=draw(st.integers(0, 90)))}
    rule = recurrence.build_rule(freq=freq, interval=interval, weekdays=weekdays, **end)
    return zone, datetime.combine(day, at), rule, weekdays


def expected_walls(rule: recurrence.Rule, start: datetime, weekdays: list[str], limit: int) -> list[datetime]:
    """The wall times of a DAILY or WEEKLY rule, by counting days (not with dateutil)."""
    walls: list[datetime] = []
    chosen = {WEEKDAYS.index(day) for day in weekdays} or {start.weekday()}
    monday = start.date() - timedelta(days=start.weekday())
    day = start.date()
    while len(walls) < limit:
        if rule.until is not None and day > rule.until:
            break
        if rule.freq == "DAILY":
            take = (day - start.date()).days % rule.interval == 0
        else:
            take = day.weekday() in chosen and ((day - monday).days // 7) % rule.interval == 0
        if take:
            walls.append(datetime.combine(day, start.time()))
        day += timedelta(days=1)
    return walls


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_occurrences_keep_the_wall_time_across_changes(case):
    zone, start, rule, weekdays = case
    found = list(recurrence.iter_occurrences(rule, start, zone))
    limit = rule.count if rule.count is not None else 10_000
    walls = expected_walls(rule, start, weekdays, limit)

    # Instants strictly increase: no duplicates, no reordering.
    instants = [occurrence.instant for occurrence in found]
    assert instants == sorted(set(instants))
    assert all(instant.utcoffset() == timedelta(0) for instant in instants)

    # Each wall time is the rule's; a merged one (a skipped whole day) is the only way to lose one.
    assert [occurrence.wall for occurrence in found] == [w for w in walls if w in {o.wall for o in found}]
    missing = [wall for wall in walls if wall not in {o.wall for o in found}]
    for wall in missing:
        # Lost only by merging into an earlier occurrence shifted forward over a whole skipped day.
        would_be = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
        assert any(o.kind == recurrence.Kind.GAP and o.wall < wall and o.instant >= would_be for o in found)
    if not any(not _exists(wall, zone) for wall in walls):
        assert not missing  # no gap at all: every occurrence is there

    for occurrence in found:
        local = occurrence.instant.astimezone(zone).replace(tzinfo=None)
        assert occurrence.local.replace(tzinfo=None) == local
        if _exists(occurrence.wall, zone):
            # The rule's wall time; when it happens twice, the first of the two.
            assert local == occurrence.wall
            earlier = [
                (occurrence.wall - offset).replace(tzinfo=UTC)
                for offset in {occurrence.wall.replace(tzinfo=zone, fold=f).utcoffset() for f in (0, 1)}
                if offset is not None
                and (occurrence.wall - offset).replace(tzinfo=UTC).astimezone(zone).replace(tzinfo=None)
                == occurrence.wall
            ]
            assert occurrence.instant == min(earlier)
        else:
            # In a gap: shifted forward by the gap's length.
            gap = (
                occurrence.wall.replace(tzinfo=zone, fold=1).utcoffset()
                - occurrence.wall.replace(tzinfo=zone, fold=0).utcoffset()
            )
            assert gap > timedelta(0)
            assert local - occurrence.wall == gap
            assert occurrence.kind == recurrence.Kind.GAP

    # COUNT and UNTIL (inclusive, in the local calendar) are respected.
    if rule.count is not None:
        assert len(found) == rule.count - len(missing)
    if rule.until is not None:
        assert all(occurrence.wall.date() <= rule.until for occurrence in found)
        assert len(found) == len(walls) - len(missing)


@settings(max_examples=150, deadline=None)
@given(cases(), st.integers(0, 30), st.integers(1, 40))
def test_a_window_is_a_slice_of_the_whole(case, skip, span):
    """``occurrences(after, until)`` (what the horizon job asks for) is exactly the matching part of the
    whole expansion: regenerating a window never adds or loses one."""
    zone, start, rule, _weekdays = case
    whole = list(recurrence.iter_occurrences(rule, start, zone))
    if not whole:
        return
    after = whole[min(skip, len(whole) - 1)].instant - timedelta(seconds=1)
    until = after + timedelta(days=span)
    window = recurrence.occurrences(rule, start, zone, after=after, until=until, limit=10_000)
    assert window == [o for o in whole if after < o.instant <= until]

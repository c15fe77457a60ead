"""The recurrence engine on known cases: parsing and refusals, and the written rule for non-existent and
repeated local times in named zones (docs/decisions/0009-recurrence-local-times.md)."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, date, datetime

import pytest

from portevoix.planning import recurrence
from portevoix.planning.recurrence import Kind, RuleError


def occ(rule: str, start: datetime, zone: str, **kwargs):
    return list(recurrence.iter_occurrences(recurrence.parse_rule(rule), start, zoneinfo.ZoneInfo(zone)))


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("FREQ=DAILY", "FREQ=DAILY"),
        ("rrule:freq=weekly;byday=we,mo;interval=2;count=5", "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE;COUNT=5"),
        ("FREQ=MONTHLY;BYDAY=-1FR;UNTIL=2026-12-31", "FREQ=MONTHLY;BYDAY=-1FR;UNTIL=20261231"),
        ("FREQ=MONTHLY;BYMONTHDAY=15,-1;COUNT=3", "FREQ=MONTHLY;BYMONTHDAY=-1,15;COUNT=3"),
        ("FREQ=YEARLY;INTERVAL=1;", "FREQ=YEARLY"),
    ],
)
def test_rules_are_normalised(text, canonical):
    assert str(recurrence.parse_rule(text)) == canonical


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", "FREQ=WEEKLY"),
        ("FREQ=HOURLY", "HOURLY"),
        ("FREQ=DAILY;INTERVAL=0", "INTERVAL"),
        ("FREQ=DAILY;INTERVAL=x", "whole number"),
        ("FREQ=DAILY;COUNT=1001", "COUNT"),
        ("FREQ=DAILY;COUNT=0", "COUNT"),
        ("FREQ=DAILY;COUNT=3;UNTIL=20260101", "not both"),
        ("FREQ=DAILY;BYHOUR=9", "BYHOUR"),
        ("FREQ=DAILY;WKST=SU", "WKST"),
        ("FREQ=DAILY;FREQ=WEEKLY", "twice"),
        ("INTERVAL=2", "needs FREQ"),
        ("FREQ=WEEKLY;BYDAY=1MO", "MONTHLY"),
        ("FREQ=MONTHLY;BYDAY=6MO", "1 to 5"),
        ("FREQ=WEEKLY;BYDAY=XX", "BYDAY"),
        ("FREQ=WEEKLY;BYMONTHDAY=3", "BYMONTHDAY"),
        ("FREQ=MONTHLY;BYMONTHDAY=32", "1 to 31"),
        ("FREQ=DAILY;UNTIL=20261231T000000Z", "UNTIL"),
        ("FREQ=DAILY;UNTIL=20260230", "UNTIL"),
        ("FREQ", "NAME=VALUE"),
        ("FREQ=DAILY\x00", "characters"),
        ("FREQ=DAILY;" + "COUNT=1;" * 80, "characters"),
    ],
)
def test_bad_rules_are_refused_with_the_problem_named(text, words):
    with pytest.raises(RuleError) as caught:
        recurrence.parse_rule(text)
    assert words in caught.value.message
    assert caught.value.field == "rule"


def test_a_rule_that_produces_nothing_is_refused():
    zone = zoneinfo.ZoneInfo("Europe/Paris")
    with pytest.raises(RuleError, match="produces no occurrence"):
        recurrence.check(
            recurrence.parse_rule("FREQ=MONTHLY;BYDAY=1MO;BYMONTHDAY=15"), datetime(2026, 1, 1, 9), zone
        )
    with pytest.raises(RuleError, match="before the start"):
        recurrence.check(recurrence.parse_rule("FREQ=DAILY;UNTIL=20251231"), datetime(2026, 1, 1, 9), zone)


@pytest.mark.parametrize(
    "value", ["", "soon", "2026-13-01T09:00", "2026-03-29T09:30+02:00", "0001-01-01T00:00", "x" * 30]
)
def test_bad_starts_are_refused(value):
    with pytest.raises(RuleError) as caught:
        recurrence.parse_start(value)
    assert caught.value.field == "start"


@pytest.mark.parametrize("value", ["", "Mars/Base", "../etc/passwd", "Europe/Paris\x00", "x" * 70])
def test_bad_zones_are_refused(value):
    with pytest.raises(RuleError) as caught:
        recurrence.parse_zone(value)
    assert caught.value.field == "timezone"


def test_spring_forward_in_paris_shifts_by_the_gap_and_keeps_every_day():
    found = occ("FREQ=DAILY;COUNT=3", datetime(2026, 3, 28, 2, 30), "Europe/Paris")
    assert [o.kind for o in found] == [Kind.PLAIN, Kind.GAP, Kind.PLAIN]
    assert [o.local.strftime("%Y-%m-%d %H:%M %Z") for o in found] == [
        "2026-03-28 02:30 CET",
        "2026-03-29 03:30 CEST",
        "2026-03-30 02:30 CEST",
    ]
    assert found[1].instant == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    assert "does not exist" in recurrence.describe_kind(found[1])


def test_fall_back_in_paris_takes_the_first_occurrence():
    found = occ("FREQ=WEEKLY;COUNT=2", datetime(2026, 10, 25, 2, 30), "Europe/Paris")
    assert found[0].kind == Kind.AMBIGUOUS
    assert found[0].instant == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # 02:30 CEST, not CET
    assert found[1].local.strftime("%H:%M %Z") == "02:30 CET"
    assert "twice" in recurrence.describe_kind(found[0])


def test_new_york_gap_and_weekly_byday():
    found = occ("FREQ=WEEKLY;BYDAY=SU,MO;COUNT=4", datetime(2026, 3, 2, 2, 15), "America/New_York")
    assert [o.wall.date() for o in found] == [
        date(2026, 3, 2),
        date(2026, 3, 8),
        date(2026, 3, 9),
        date(2026, 3, 15),
    ]
    assert found[1].local.strftime("%H:%M %Z") == "03:15 EDT"
    assert found[2].local.strftime("%H:%M %Z") == "02:15 EDT"


def test_lord_howe_half_hour_gap():
    found = occ("FREQ=DAILY;COUNT=2", datetime(2026, 10, 4, 2, 15), "Australia/Lord_Howe")
    assert found[0].kind == Kind.GAP
    assert found[0].local.strftime("%H:%M") == "02:45"  # shifted by 30 minutes
    assert found[1].local.strftime("%H:%M") == "02:15"


def test_santiago_midnight_gap():
    found = occ("FREQ=DAILY;COUNT=2", datetime(2026, 9, 6, 0, 0), "America/Santiago")
    assert found[0].kind == Kind.GAP
    assert found[0].local.strftime("%Y-%m-%d %H:%M") == "2026-09-06 01:00"


def test_apia_skipped_day_merges_instead_of_duplicating():
    found = occ("FREQ=DAILY;COUNT=4", datetime(2011, 12, 28, 9, 0), "Pacific/Apia")
    instants = [o.instant for o in found]
    assert len(instants) == len(set(instants)) == 3
    assert found[2].kind == Kind.GAP
    assert found[2].local.strftime("%Y-%m-%d %H:%M") == "2011-12-31 09:00"


def test_monthly_last_friday_and_until_inclusive():
    found = occ("FREQ=MONTHLY;BYDAY=-1FR;UNTIL=20260731", datetime(2026, 1, 1, 18, 0), "Asia/Tehran")
    assert [o.wall.date() for o in found] == [
        date(2026, 1, 30),
        date(2026, 2, 27),
        date(2026, 3, 27),
        date(2026, 4, 24),
        date(2026, 5, 29),
        date(2026, 6, 26),
        date(2026, 7, 31),
    ]


def test_window_selection_and_limits():
    rule = recurrence.parse_rule("FREQ=DAILY")
    zone = zoneinfo.ZoneInfo("UTC")
    start = datetime(2026, 1, 1, 9)
    after = datetime(2026, 1, 10, 9, tzinfo=UTC)
    until = datetime(2026, 1, 15, 9, tzinfo=UTC)
    window = recurrence.occurrences(rule, start, zone, after=after, until=until, limit=100)
    assert [o.wall.day for o in window] == [11, 12, 13, 14, 15]
    assert window[0].index == 10
    assert len(recurrence.occurrences(rule, start, zone, limit=3)) == 3
    assert recurrence.occurrences(rule, start, zone, limit=0) == []


def test_build_rule_from_form_choices():
    assert str(recurrence.build_rule(freq="WEEKLY", interval=2, weekdays=["FR", "MO"], count=6)) == (
        "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,FR;COUNT=6"
    )
    assert str(recurrence.build_rule(freq="MONTHLY", weekdays=["FR"], nth=-1, until=date(2026, 12, 31))) == (
        "FREQ=MONTHLY;BYDAY=-1FR;UNTIL=20261231"
    )
    assert (
        str(recurrence.build_rule(freq="MONTHLY", monthday=15, count=3))
        == "FREQ=MONTHLY;BYMONTHDAY=15;COUNT=3"
    )
    with pytest.raises(RuleError):
        recurrence.build_rule(freq="DAILY", interval=0)

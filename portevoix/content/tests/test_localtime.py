"""Local wall times to instants: the written rule for the non-existent and the repeated hour
(docs/decisions/0006-local-times.md)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from portevoix.content.localtime import NonExistentLocalTime, parse_datetime, parse_zone, resolve
from portevoix.core.errors import ValidationFailed

PARIS = ZoneInfo("Europe/Paris")


def test_an_ordinary_local_time():
    when = resolve(parse_datetime("2026-07-01T10:00"), PARIS)
    assert when.instant == datetime(2026, 7, 1, 8, 0, tzinfo=UTC)
    assert (when.zone, when.ambiguous, when.note) == ("Europe/Paris", False, "")


def test_the_hour_skipped_in_spring_is_refused_with_a_suggestion():
    with pytest.raises(NonExistentLocalTime) as raised:
        resolve(parse_datetime("2026-03-29T02:30"), PARIS)
    error = raised.value
    assert error.status == 422
    assert error.code == "nonexistent_local_time"
    assert "does not exist in Europe/Paris" in error.message
    assert "03:30" in error.message  # the same instant read after the jump
    assert error.fields == {"at": [error.message]}


def test_the_hour_repeated_in_autumn_takes_the_first_occurrence_and_says_so():
    when = resolve(parse_datetime("2026-10-25T02:30"), PARIS)
    assert when.instant == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # 02:30 CEST, UTC+2
    assert when.ambiguous
    assert "happens twice" in when.note
    assert "first occurrence" in when.note
    assert "UTC+02:00" in when.note
    after = resolve(parse_datetime("2026-10-25T03:30"), PARIS)
    assert after.instant == datetime(2026, 10, 25, 2, 30, tzinfo=UTC)
    assert not after.ambiguous


def test_a_value_with_an_offset_is_taken_as_is():
    second = resolve(parse_datetime("2026-10-25T02:30+01:00"), PARIS)
    assert second.instant == datetime(2026, 10, 25, 1, 30, tzinfo=UTC)
    assert not second.ambiguous
    assert resolve(parse_datetime("2026-10-25T00:30Z"), PARIS).instant == datetime(
        2026, 10, 25, 0, 30, tzinfo=UTC
    )


@pytest.mark.parametrize(
    "value", ["", "tomorrow", "2026-02-30T10:00", "2026-13-01T10:00", "10:00", "x" * 100, "2026-01-01\x00"]
)
def test_garbage_dates_are_validation_errors(value):
    with pytest.raises(ValidationFailed):
        parse_datetime(value)


def test_dates_at_the_edges_of_the_calendar_are_refused_not_crashed():
    with pytest.raises(ValidationFailed):
        resolve(parse_datetime("0001-01-01T00:00"), ZoneInfo("Asia/Tokyo"))  # UTC would be year 0
    with pytest.raises(ValidationFailed):
        resolve(parse_datetime("9999-12-31T23:59"), ZoneInfo("America/New_York"))  # UTC: year 10000


@pytest.mark.parametrize("name", ["Mars/Olympus", "../../etc/passwd", "x" * 100, "UTC\x00"])
def test_unknown_zones_are_refused(name):
    with pytest.raises(ValidationFailed) as raised:
        parse_zone(name, "UTC")
    assert "timezone" in raised.value.fields


def test_the_default_zone_applies_when_none_is_given():
    assert parse_zone(None, "Europe/Paris").key == "Europe/Paris"
    assert parse_zone("  ", "Europe/Paris").key == "Europe/Paris"
    assert parse_zone("Asia/Tokyo", "Europe/Paris").key == "Asia/Tokyo"

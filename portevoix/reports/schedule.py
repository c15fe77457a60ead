"""When a report schedule runs next, and which period it reports on: pure functions of local wall time.

Rule for daylight-saving changes (ARCHITECTURE.md, "Time"): a local time that does not exist on a day
(the hour skipped in spring) runs at the same offset as before the change, which is that many minutes later
on the clock (02:30 in Paris on the last Sunday of March runs at 03:30); a local time that happens twice
(autumn) runs at its first occurrence. A monthly day past the end of a month (31 in April) runs on the
month's last day.
"""

from __future__ import annotations

import calendar
import datetime as dt
from zoneinfo import ZoneInfo


def _instant(day: dt.date, at: dt.time, tz: ZoneInfo) -> dt.datetime:
    local = dt.datetime.combine(day, at.replace(tzinfo=None), tzinfo=tz).replace(fold=0)
    # A wall time in a gap converts with the offset before the change; round-tripping shows it moved.
    return local.astimezone(dt.UTC)


def _month_day(year: int, month: int, day_of_month: int) -> dt.date:
    return dt.date(year, month, min(day_of_month, calendar.monthrange(year, month)[1]))


def next_run(
    *,
    frequency: str,
    weekday: int,
    day_of_month: int,
    at: dt.time,
    tz: ZoneInfo,
    after: dt.datetime,
) -> dt.datetime:
    """The first run strictly after ``after`` (aware), as a UTC instant."""
    local_today = after.astimezone(tz).date()
    if frequency == "weekly":
        day = local_today - dt.timedelta(days=local_today.weekday()) + dt.timedelta(days=weekday)
        for _week in range(3):
            candidate = _instant(day, at, tz)
            if candidate > after:
                return candidate
            day += dt.timedelta(days=7)
    else:
        year, month = local_today.year, local_today.month
        for _month in range(3):
            candidate = _instant(_month_day(year, month, day_of_month), at, tz)
            if candidate > after:
                return candidate
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    raise AssertionError("unreachable: a run always falls within three periods")


def reported_period(*, frequency: str, run_day: dt.date) -> tuple[dt.date, dt.date]:
    """Weekly: the week (Monday to Sunday) before the run's week; monthly: the calendar month before."""
    if frequency == "weekly":
        monday = run_day - dt.timedelta(days=run_day.weekday())
        return monday - dt.timedelta(days=7), monday - dt.timedelta(days=1)
    first = run_day.replace(day=1)
    last_of_previous = first - dt.timedelta(days=1)
    return last_of_previous.replace(day=1), last_of_previous

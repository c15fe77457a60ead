"""Roll-up rows at three resolutions: a local day, an ISO week (Monday to Sunday) and a calendar month.

Every roll-up table keeps, beside its day rows, week and month rows holding the sums of their days
(``span`` = "d", "w" or "m"; ``day`` = the first day of the unit). A period is read as the fewest units
that cover it exactly (``cover``): the whole months inside it, then the whole weeks inside what is left,
then single days. A 90-day period reads about 2 months + 4 weeks + 6 days instead of 90 days: a post that
is clicked on 14 days has one or two rows to add instead of 14. Units never overlap and never reach out
of the period, so the sums are the day sums, exactly.

Additive sources (clicks, conversions) add each new row to its day, week and month (``expand``); visits,
which are recomputed, rebuild the week and month rows of the days they rewrote from the day rows
(``respan``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection
from django.db.models import BooleanField, Q
from django.db.models.expressions import RawSQL

DAY, WEEK, MONTH = "d", "w", "m"
SPANS = (DAY, WEEK, MONTH)
ONE_DAY = dt.timedelta(days=1)


def week_start(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def month_end(day: dt.date) -> dt.date:
    following = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return following - ONE_DAY


def keys(day: dt.date) -> tuple[tuple[str, dt.date], ...]:
    """The (span, key day) of the three units holding ``day``."""
    return ((DAY, day), (WEEK, week_start(day)), (MONTH, month_start(day)))


def _weeks_and_days(start: dt.date, end: dt.date) -> list[tuple[str, dt.date, dt.date]]:
    first = start if start.weekday() == 0 else week_start(start) + dt.timedelta(days=7)
    last = end if end.weekday() == 6 else week_start(end) - ONE_DAY  # last Sunday inside
    if first > last:
        return [(DAY, start, end)]
    result = [(WEEK, first, last - dt.timedelta(days=6))]
    if start < first:
        result.append((DAY, start, first - ONE_DAY))
    if last < end:
        result.append((DAY, last + ONE_DAY, end))
    return result


def cover(start: dt.date, end: dt.date) -> list[tuple[str, dt.date, dt.date]]:
    """Units covering exactly ``start``..``end`` (both included), as (span, first key, last key) ranges of
    row keys: at most one range of months, two of weeks and four of days."""
    if start > end:
        return []
    first = start if start.day == 1 else month_end(start) + ONE_DAY
    last = end if (end + ONE_DAY).day == 1 else month_start(end) - ONE_DAY
    if first > last:
        return _weeks_and_days(start, end)
    result = [(MONTH, first, month_start(last))]
    if start < first:
        result += _weeks_and_days(start, first - ONE_DAY)
    if last < end:
        result += _weeks_and_days(last + ONE_DAY, end)
    return result


def cover_sql(table: str, start: dt.date, end: dt.date) -> tuple[str, list[Any]]:
    """(SQL, params) of a condition keeping the rows of ``table`` of the units that cover ``start``..``end``;
    ("", []) for an empty period."""
    ranges = cover(start, end)
    if not ranges:
        return "", []
    q = connection.ops.quote_name
    span, day = f"{q(table)}.{q('span')}", f"{q(table)}.{q('day')}"
    sql = " OR ".join(f"({span} = %s AND {day} >= %s AND {day} <= %s)" for _unit in ranges)
    params = [value for unit, low, high in ranges for value in (unit, low.isoformat(), high.isoformat())]
    return f"({sql})", params


def cover_q(table: str, start: dt.date, end: dt.date) -> Any:
    """cover_sql as a filter (written as SQL: the ORM's Q objects for seven ranges cost more to build than
    the query takes)."""
    sql, params = cover_sql(table, start, end)
    if not sql:
        return Q(pk__in=[])  # nothing, for an empty period
    return RawSQL(sql, params, output_field=BooleanField())  # noqa: S611 (fixed SQL, bound values)


def days_q(start: dt.date, end: dt.date) -> Q:
    """The day rows of ``start``..``end`` (for per-day series)."""
    return Q(span=DAY, day__gte=start, day__lte=end)


def expand(rows: Iterable[tuple[Any, ...]], day_index: int, measures: int) -> list[tuple[Any, ...]]:
    """Day rows -> the same rows for their day, week and month, merged by key (the last ``measures``
    values are added up). A row is a tuple whose ``day_index`` item is the day (a date); a span is
    inserted before the day."""
    merged: dict[tuple[Any, ...], list[Any]] = {}
    for row in rows:
        head, tail = row[: len(row) - measures], row[len(row) - measures :]
        day = head[day_index]
        for span, key in keys(day):
            name = (*head[:day_index], span, key.isoformat(), *head[day_index + 1 :])
            found = merged.get(name)
            if found is None:
                merged[name] = list(tail)
            else:
                for n, value in enumerate(tail):
                    found[n] += value
    return [(*name, *values) for name, values in merged.items()]


def units_touching(first: dt.date, last: dt.date) -> list[tuple[str, dt.date, dt.date]]:
    """The weeks and months that hold at least one day of ``first``..``last``: (span, key, last day)."""
    units = []
    week = week_start(first)
    while week <= last:
        units.append((WEEK, week, week + dt.timedelta(days=6)))
        week += dt.timedelta(days=7)
    month = month_start(first)
    while month <= last:
        units.append((MONTH, month, month_end(month)))
        month = month_end(month) + ONE_DAY
    return units


def respan(
    table: str,
    workspace_id: int,
    first: dt.date,
    last: dt.date,
    dimensions: Sequence[str],
    measures: Sequence[tuple[str, str]],
) -> None:
    """Rebuild the week and month rows of one workspace that hold a day of ``first``..``last`` from its day
    rows. ``measures``: (column, aggregate) pairs, e.g. ("visits", "SUM"), ("min_seconds", "MIN")."""
    q = connection.ops.quote_name
    dims = ", ".join(q(c) for c in dimensions)
    values = ", ".join(f"{aggregate}({q(c)})" for c, aggregate in measures)
    names = ", ".join(q(c) for c in ("workspace_id", "span", "day", *dimensions, *(c for c, _a in measures)))
    insert = (
        f"INSERT INTO {q(table)} ({names}) SELECT %s, %s, %s, {dims}, {values} "  # noqa: S608 (fixed names)
        f"FROM {q(table)} WHERE workspace_id = %s AND span = %s AND day >= %s AND day <= %s GROUP BY {dims}"
    )
    delete = f"DELETE FROM {q(table)} WHERE workspace_id = %s AND span = %s AND day = %s"  # noqa: S608
    with connection.cursor() as cursor:
        for span, key, end in units_touching(first, last):
            cursor.execute(delete, [workspace_id, span, key.isoformat()])
            cursor.execute(
                insert,
                [workspace_id, span, key.isoformat(), workspace_id, DAY, key.isoformat(), end.isoformat()],
            )

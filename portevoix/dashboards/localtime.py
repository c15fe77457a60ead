"""The workspace-local date of a timestamp column, in SQL, exact across daylight-saving changes.

PostgreSQL converts with ``AT TIME ZONE``. SQLite knows no time zones: the zone's UTC offsets between two
instants are found here (zoneinfo) and written as a CASE on the column (``col < change1 THEN offset0 ...``),
so that ``date(col, '+N seconds')`` is the local date. A period crossing one summer-time change has two
branches; a year, three.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from typing import Any

from django.db import connection

STEP_SECONDS = 86_400


def _offset(tz: dt.tzinfo, instant: dt.datetime) -> int:
    offset = instant.astimezone(tz).utcoffset()
    return int(offset.total_seconds()) if offset is not None else 0


def changes(tz: dt.tzinfo, since: dt.datetime, until: dt.datetime) -> list[tuple[dt.datetime, int]]:
    """[(from, offset seconds)]: the zone's UTC offset from each instant on, the first from ``since``.
    Offsets change on whole seconds; a day is searched by bisection when its ends differ."""
    start, end = math.floor(since.timestamp()), math.ceil(until.timestamp())

    def offset_at(second: int) -> int:
        return _offset(tz, dt.datetime.fromtimestamp(second, dt.UTC))

    found = [(start, offset_at(start))]
    at = start
    while at < end:
        following = min(at + STEP_SECONDS, end)
        if offset_at(following) != found[-1][1]:
            low, high = at, following  # same offset at ``low``, the new one at ``high``
            while high - low > 1:
                middle = (low + high) // 2
                if offset_at(middle) == found[-1][1]:
                    low = middle
                else:
                    high = middle
            found.append((high, offset_at(high)))
        at = following
    return [(dt.datetime.fromtimestamp(second, dt.UTC), offset) for second, offset in found]


def _sqlite_time(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).replace(tzinfo=None).isoformat(" ")


def day_sql(column: str, tz: dt.tzinfo, since: dt.datetime, until: dt.datetime) -> tuple[str, list[Any]]:
    """(SQL, params) for the local date of ``column`` (a timestamp between ``since`` and ``until``; outside,
    the nearest known offset applies). The SQL yields a date (PostgreSQL) or 'YYYY-MM-DD' text (SQLite)."""
    if connection.vendor == "postgresql":
        return f"CAST(({column} AT TIME ZONE %s) AS date)", [str(tz)]
    found = changes(tz, since, until)
    if len(found) == 1:
        return f"date({column}, %s)", [f"{found[0][1]:+d} seconds"]
    params: list[Any] = []
    branches = []
    for (_start, offset), (following, _next) in itertools.pairwise(found):
        branches.append(f"WHEN {column} < %s THEN %s")
        params += [_sqlite_time(following), f"{offset:+d} seconds"]
    params.append(f"{found[-1][1]:+d} seconds")
    return f"date({column}, CASE {' '.join(branches)} ELSE %s END)", params


def as_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])

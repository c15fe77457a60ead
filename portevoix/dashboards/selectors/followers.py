"""The followers panel: daily counts per channel, growth and the total per day."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, NamedTuple

from django.db import connection

from portevoix.channels.models import Channel
from portevoix.dashboards.selectors.common import _channel_conditions, _days, _formulas, _rate
from portevoix.dashboards.selectors.filters import FOLLOWER_START_LOOKBACK, Filters
from portevoix.metrics.models import FollowerMonth


class FollowerReadings(NamedTuple):
    """A filtered channel with its last daily count before the period (at most FOLLOWER_START_LOOKBACK
    before it; None: none) and its count on each day of the period (None on days without one)."""

    channel_id: int
    name: str
    network: str
    before: int | None
    series: list[int | None]


class _Found:
    """One channel's readings while the month rows come in (in no order)."""

    __slots__ = ("before", "before_at", "series")

    def __init__(self, size: int) -> None:
        self.series: list[int | None] = [None] * size
        self.before: int | None = None
        self.before_at = -(10**6)  # the day (relative to the period's first) of ``before``

    def add(self, offset: int, counts: list[int | None], lookback: int) -> None:
        """A month whose first day is ``offset`` days from the period's first."""
        size = len(self.series)
        first, last = max(0, -offset), min(len(counts), size - offset)
        if first < last:
            self.series[offset + first : offset + last] = counts[first:last]
        for n in range(min(len(counts), -offset) - 1, max(0, -lookback - offset) - 1, -1):
            if counts[n] is not None:
                if offset + n > self.before_at:
                    self.before, self.before_at = counts[n], offset + n
                break


def _follower_readings(f: Filters) -> list[FollowerReadings]:
    """The filtered channels' readings, ordered by network and name. One round trip of a few dozen rows
    read without the ORM's converters: the channels (put in order by the database's collation) then
    their month rows (FollowerMonth: a month of daily counts each) from the lookback's month to the
    period's last, in no order."""
    channel, months = Channel._meta.db_table, FollowerMonth._meta.db_table
    where, params = _channel_conditions(f, "c")
    lookback = FOLLOWER_START_LOOKBACK.days
    first_month = (f.start - FOLLOWER_START_LOOKBACK).replace(day=1)
    # Dates as ISO text, as _tracker_raw passes them: text compares the same on both databases.
    inside = "m.workspace_id = %s AND m.month >= %s AND m.month <= %s"
    inside_params: list[Any] = [f.workspace.pk, first_month.isoformat(), f.end.isoformat()]
    if f.channel or f.network:
        inside += f" AND m.channel_id IN (SELECT c.id FROM {channel} c WHERE {' AND '.join(where)})"  # noqa: S608
        inside_params += params
    sql = (
        "SELECT c.id, c.name, c.network, ROW_NUMBER() OVER (ORDER BY c.network, c.name, c.id), "  # noqa: S608
        f"CAST(NULL AS DATE), NULL FROM {channel} c WHERE {' AND '.join(where)} "
        f"UNION ALL SELECT m.channel_id, NULL, NULL, NULL, m.month, m.counts FROM {months} m WHERE {inside}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *inside_params])
        rows = cursor.fetchall()
    size = (f.end - f.start).days + 1
    channels: list[tuple[int, int, str, str]] = []
    months_found: list[tuple[int, Any]] = []
    texts: list[str] = []
    for channel_id, name, network, place, month, counts in rows:
        if place is not None:
            channels.append((place, channel_id, name, network))
        else:
            months_found.append((channel_id, month))
            texts.append(counts if isinstance(counts, str) else json.dumps(counts))
    # JSON text on both databases (Django has the drivers read jsonb as text): decoded in one call.
    decoded = json.loads(f"[{','.join(texts)}]")
    found: dict[int, _Found] = {}
    for (channel_id, month), counts in zip(months_found, decoded, strict=True):
        if not isinstance(month, dt.date):
            month = dt.date.fromisoformat(month)
        if channel_id not in found:
            found[channel_id] = _Found(size)
        found[channel_id].add((month - f.start).days, counts, lookback)
    channels.sort()
    readings = []
    for _, channel_id, name, network in channels:
        got = found.get(channel_id) or _Found(size)
        readings.append(FollowerReadings(channel_id, name, network, got.before, got.series))
    return readings


def panel_followers(f: Filters, *, totals_only: bool = False) -> dict[str, Any]:
    """Per channel: the followers at the start (the last count before the period, else its first) and at
    the end, the growth and the daily series (None on days without a count); the total per day carries
    each channel's last count forward."""
    days = _days(f)
    size = len(days)
    per_channel = []
    total: list[int | None] = [None] * size
    total_start = total_growth = 0
    known_growth = False
    for channel_id, name, network, before, series in _follower_readings(f):
        known = [value for value in series if value is not None]
        start = before if before is not None else (known[0] if known else None)
        end = known[-1] if known else before
        growth = end - start if start is not None and end is not None else None
        last = before
        for n, value in enumerate(series):
            if value is not None:
                last = value
            if last is not None:
                total[n] = (total[n] or 0) + last
        if growth is not None and start is not None:
            known_growth = True
            total_start += start
            total_growth += growth
        per_channel.append(
            {
                "channel_id": channel_id,
                "channel_name": name,
                "network": network,
                "start_followers": start,
                "end_followers": end,
                "growth": growth,
                "growth_rate": _rate(growth, start) if start is not None and growth is not None else None,
                "series": series,
            }
        )
    return {
        "totals": {
            "followers": total[-1] if total else None,
            "growth": total_growth if known_growth else None,
            "growth_rate": _rate(total_growth, total_start) if known_growth else None,
        },
        "days": [day.isoformat() for day in days],
        "series": total,
        "channels": per_channel,
        "formulas": _formulas("growth", "growth_rate"),
    }

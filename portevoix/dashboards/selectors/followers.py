"""The followers panel: daily counts per channel, growth and the total per day."""

from __future__ import annotations

import datetime as dt
from typing import Any, NamedTuple

from django.db import connection

from portevoix.channels.models import Channel
from portevoix.dashboards.selectors.common import _channel_conditions, _days, _formulas, _rate
from portevoix.dashboards.selectors.filters import FOLLOWER_START_LOOKBACK, Filters
from portevoix.metrics.models import FollowerDaily


class FollowerReadings(NamedTuple):
    """A filtered channel with its last daily count before the period (at most FOLLOWER_START_LOOKBACK
    before it; None: none) and its daily counts in the period, by day."""

    channel_id: int
    name: str
    network: str
    before: int | None
    inside: list[tuple[dt.date, int]]


def _follower_readings(f: Filters) -> list[FollowerReadings]:
    """The filtered channels' readings, ordered by network and name. One round trip of a few hundred rows
    read without the ORM's converters: the channels (put in order by the database's collation, each with
    its count before the period) then the period's daily counts, in no order (sorted here: cheaper than a
    sort of the joined rows there, and a simpler query to plan, which costs as much as running it)."""
    channel, daily = Channel._meta.db_table, FollowerDaily._meta.db_table
    where, params = _channel_conditions(f, "c")
    start, end = f.start.isoformat(), f.end.isoformat()  # as _tracker_raw: text compares on both databases
    inside = "d.workspace_id = %s AND d.day >= %s AND d.day <= %s"
    inside_params: list[Any] = [f.workspace.pk, start, end]
    if f.channel or f.network:
        inside += f" AND d.channel_id IN (SELECT c.id FROM {channel} c WHERE {' AND '.join(where)})"  # noqa: S608
        inside_params += params
    sql = (
        "SELECT c.id, c.name, c.network, ROW_NUMBER() OVER (ORDER BY c.network, c.name, c.id), "  # noqa: S608
        f"CAST(NULL AS DATE), (SELECT b.followers FROM {daily} b WHERE b.channel_id = c.id "
        f"AND b.day >= %s AND b.day < %s ORDER BY b.day DESC LIMIT 1) "
        f"FROM {channel} c WHERE {' AND '.join(where)} "
        f"UNION ALL SELECT d.channel_id, NULL, NULL, NULL, d.day, d.followers FROM {daily} d WHERE {inside}"
    )
    lookback_start = (f.start - FOLLOWER_START_LOOKBACK).isoformat()
    with connection.cursor() as cursor:
        cursor.execute(sql, [lookback_start, start, *params, *inside_params])
        rows = cursor.fetchall()
    channels: list[tuple[int, int, str, str, int | None]] = []
    readings: dict[int, list[tuple[dt.date, int]]] = {}
    for channel_id, name, network, place, day, count in rows:
        if place is not None:
            channels.append((place, channel_id, name, network, count))
        else:
            readings.setdefault(channel_id, []).append(
                (day if isinstance(day, dt.date) else dt.date.fromisoformat(day), count)
            )
    channels.sort()
    return [
        FollowerReadings(channel_id, name, network, before, sorted(readings.get(channel_id, ())))
        for _, channel_id, name, network, before in channels
    ]


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
    for channel_id, name, network, before, inside in _follower_readings(f):
        start = before if before is not None else (inside[0][1] if inside else None)
        end = inside[-1][1] if inside else before
        growth = end - start if start is not None and end is not None else None
        series: list[int | None] = [None] * size
        for day, reading in inside:
            series[(day - f.start).days] = reading
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

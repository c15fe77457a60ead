"""Keeping the dashboards' roll-ups (models.py) up to date: ``rollups_refresh`` is the periodic job
``dashboards.refresh`` (every minute, tasks.py); docs/dashboards.md explains the freshness.

- Clicks and conversions never change once written: each is added exactly once, by id. A state row per
  source holds the watermark (every raw id <= watermark is in the roll-up). A run reads the raw table's
  highest id, and adds the rows up to the highest id it read at least ``SETTLE`` earlier, in batches of
  ``BATCH`` ids, each batch in one transaction that also moves the watermark: a batch is added wholly or
  not at all (idempotent), and a crash in between loses nothing. A PostgreSQL id is taken before its
  transaction commits, so rows with ids just below the newest id may still be invisible: waiting
  ``SETTLE`` lets those transactions (the click writer's take milliseconds) commit first.
- Visits change while their session lasts (pages, engaged time, bounce): the days of the visits that may
  still change (ids above a floor that trails the newest id by at least ``VISIT_FLOOR_LAG``) are
  recomputed from the raw rows each run (delete and insert, idempotent).
- Several workers: each batch starts with an UPDATE of the source's state row, which takes its row lock
  (PostgreSQL) or the write lock (SQLite); a second worker waits, then re-reads the watermark.
- Days are the workspace's local days. The SQL groups by quarter-hour of UTC (every zone's offset is a
  multiple of 15 minutes today) and Python maps each quarter-hour to its local day with zoneinfo, so
  DST changes are exact on SQLite and PostgreSQL alike. A workspace whose time zone changed has its
  roll-ups rebuilt by the next run (``ZoneSeen`` remembers the zone used).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.db import connection, transaction
from django.utils import timezone

from portevoix.dashboards.models import ClickDaily, ConversionDaily, RollupState, VisitDaily
from portevoix.links.models import Click, ShortLink
from portevoix.workspaces.models import Workspace

SETTLE = dt.timedelta(seconds=20)
VISIT_FLOOR_LAG = dt.timedelta(hours=6)
BATCH = 250_000
QUARTER = 900  # seconds
CHUNK = 500


@dataclass
class RefreshReport:
    clicks: int = 0  # raw rows added
    conversions: int = 0
    visit_workspaces: int = 0  # workspaces whose recent visit days were recomputed
    rebuilt: list[int] = field(default_factory=list)  # workspaces rebuilt after a time-zone change

    def as_dict(self) -> dict[str, Any]:
        return {
            "clicks": self.clicks,
            "conversions": self.conversions,
            "visit_workspaces": self.visit_workspaces,
            "rebuilt": self.rebuilt,
        }


# --- Helpers ----------------------------------------------------------------------------------------


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _bucket(column: str) -> str:
    """SQL for the UTC quarter-hour number of a timestamp column."""
    if connection.vendor == "postgresql":
        return f"FLOOR(EXTRACT(EPOCH FROM {column}) / {QUARTER})::bigint"
    return f"CAST(strftime('%%s', {column}) AS INTEGER) / {QUARTER}"


def _param_time(value: dt.datetime) -> Any:
    if connection.vendor == "sqlite":
        return value.astimezone(dt.UTC).replace(tzinfo=None).isoformat(" ")
    return value


class Days:
    """Quarter-hour number -> local date, per workspace (cached: thousands of rows share a few days)."""

    def __init__(self) -> None:
        self._zones: dict[int, zoneinfo.ZoneInfo] = {}
        self._cache: dict[tuple[int, int], dt.date] = {}

    def load(self, workspace_ids: Iterable[int]) -> None:
        missing = [pk for pk in set(workspace_ids) if pk not in self._zones]
        for start in range(0, len(missing), CHUNK):
            for pk, name in Workspace.objects.filter(pk__in=missing[start : start + CHUNK]).values_list(
                "pk", "timezone"
            ):
                self._zones[pk] = _zone(name)

    def zone(self, workspace_id: int) -> zoneinfo.ZoneInfo:
        if workspace_id not in self._zones:
            self.load([workspace_id])
        return self._zones.get(workspace_id) or zoneinfo.ZoneInfo("UTC")

    def day(self, workspace_id: int, quarter: int) -> dt.date:
        key = (workspace_id, quarter)
        found = self._cache.get(key)
        if found is None:
            instant = dt.datetime.fromtimestamp(int(quarter) * QUARTER, dt.UTC)
            found = instant.astimezone(self.zone(workspace_id)).date()
            self._cache[key] = found
        return found


def _zone(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def local_midnight(day: dt.date, tz: dt.tzinfo) -> dt.datetime:
    """The first instant of ``day`` in ``tz`` (zoneinfo: midnight that does not exist moves forward)."""
    return dt.datetime.combine(day, dt.time.min, tzinfo=tz).astimezone(dt.UTC)


def _state(source: str) -> RollupState:
    state, _created = RollupState.objects.get_or_create(source=source)
    return state


def _locked_state(source: str) -> RollupState:
    """Inside a transaction: take the state row's lock (an UPDATE), then read it."""
    RollupState.objects.filter(source=source).update(updated_at=timezone.now())
    return RollupState.objects.get(source=source)


def _max_id(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT MAX(id) FROM {_q(table)}")  # noqa: S608 (a model's table)
        row = cursor.fetchone()
    return int(row[0] or 0) if row else 0


def _upsert(
    table: str, key: Sequence[str], columns: Sequence[str], add: Sequence[str], rows: list[tuple]
) -> None:  # type: ignore[type-arg]
    """INSERT rows, adding ``add`` columns to an existing row of the same ``key``."""
    if not rows:
        return
    names = ", ".join(_q(c) for c in columns)
    marks = ", ".join(["%s"] * len(columns))
    updates = ", ".join(f"{_q(c)} = {_q(table)}.{_q(c)} + excluded.{_q(c)}" for c in add)
    sql = (
        f"INSERT INTO {_q(table)} ({names}) VALUES ({marks}) "  # noqa: S608 (fixed names)
        f"ON CONFLICT ({', '.join(_q(c) for c in key)}) DO UPDATE SET {updates}"
    )
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 1000):
            cursor.executemany(sql, rows[start : start + 1000])


# --- Clicks -----------------------------------------------------------------------------------------


def _click_rows(where: str, params: list[Any], days: Days) -> tuple[int, list[tuple]]:  # type: ignore[type-arg]
    """(raw rows, ClickDaily rows to add) for the clicks matching ``where``."""
    bucket = _bucket(_q("at"))
    sql = (
        f"SELECT link_id, workspace_id, {bucket} AS q, "  # noqa: S608 (fixed names)
        f"SUM(CASE WHEN is_bot THEN 0 ELSE 1 END), SUM(CASE WHEN is_bot THEN 1 ELSE 0 END) "
        f"FROM {_q(Click._meta.db_table)} WHERE {where} GROUP BY link_id, workspace_id, q"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        grouped = cursor.fetchall()
    days.load(row[1] for row in grouped)
    counts: dict[tuple[int, int, dt.date], list[int]] = defaultdict(lambda: [0, 0])
    total = 0
    for link_id, workspace_id, quarter, humans, bots in grouped:
        entry = counts[(link_id, workspace_id, days.day(workspace_id, quarter))]
        entry[0] += int(humans)
        entry[1] += int(bots)
        total += int(humans) + int(bots)
    link_ids = sorted({key[0] for key in counts})
    info: dict[int, tuple[int, int, str]] = {}
    for start in range(0, len(link_ids), CHUNK):
        for pk, post_id, channel_id, network in ShortLink.objects.filter(
            pk__in=link_ids[start : start + CHUNK]
        ).values_list("pk", "post_id", "channel_id", "channel__network"):
            info[pk] = (post_id or 0, channel_id or 0, network or "")
    rows = []
    for (link_id, workspace_id, day), (humans, bots) in counts.items():
        post_id, channel_id, network = info.get(link_id, (0, 0, ""))
        rows.append((workspace_id, day.isoformat(), link_id, post_id, channel_id, network, humans, bots))
    return total, rows


_CLICK_COLUMNS = ("workspace_id", "day", "link_id", "post_id", "channel_id", "network", "humans", "bots")


def _add_clicks(rows: list[tuple]) -> None:  # type: ignore[type-arg]
    _upsert(ClickDaily._meta.db_table, ("link_id", "day"), _CLICK_COLUMNS, ("humans", "bots"), rows)


# --- Conversions ------------------------------------------------------------------------------------


def _conversion_model() -> Any:
    return apps.get_model("analytics", "Conversion") if apps.is_installed("portevoix.analytics") else None


def _visit_model() -> Any:
    return apps.get_model("analytics", "Visit") if apps.is_installed("portevoix.analytics") else None


def _conversion_rows(where: str, params: list[Any], days: Days) -> tuple[int, list[tuple]]:  # type: ignore[type-arg]
    model = _conversion_model()
    bucket = _bucket(_q("at"))
    sql = (
        f"SELECT workspace_id, network, campaign, COALESCE(post_id, 0), goal, currency, {bucket} AS q, "  # noqa: S608
        f"COUNT(*), COUNT(revenue), SUM(revenue) FROM {_q(model._meta.db_table)} WHERE {where} "
        "GROUP BY workspace_id, network, campaign, COALESCE(post_id, 0), goal, currency, q"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        grouped = cursor.fetchall()
    days.load(row[0] for row in grouped)
    sums: dict[tuple[Any, ...], list[Any]] = defaultdict(lambda: [0, 0, Decimal(0)])
    total = 0
    for workspace_id, network, campaign, post_id, goal, currency, quarter, count, paid, revenue in grouped:
        entry = sums[
            (
                workspace_id,
                days.day(workspace_id, quarter),
                network,
                campaign[:255],
                post_id,
                goal[:80],
                currency,
            )
        ]
        entry[0] += int(count)
        entry[1] += int(paid)
        entry[2] += Decimal(str(revenue or 0)).quantize(Decimal("0.01"))
        total += int(count)
    rows = [
        (key[0], key[1].isoformat(), *key[2:], count, paid, str(revenue))
        for key, (count, paid, revenue) in sums.items()
    ]
    return total, rows


_CONVERSION_COLUMNS = (
    "workspace_id", "day", "network", "campaign", "post_id", "goal", "currency", "conversions",
    "with_revenue", "revenue",
)  # fmt: skip


def _add_conversions(rows: list[tuple]) -> None:  # type: ignore[type-arg]
    _upsert(
        ConversionDaily._meta.db_table,
        _CONVERSION_COLUMNS[:7],
        _CONVERSION_COLUMNS,
        ("conversions", "with_revenue", "revenue"),
        rows,
    )


# --- The incremental driver -------------------------------------------------------------------------


def _incremental(
    source: str,
    table: str,
    make_rows: Any,
    add_rows: Any,
    *,
    now: dt.datetime,
    settle: dt.timedelta,
    batch: int,
) -> int:
    """Add the raw rows of ``table`` above the watermark (see the module's docstring). Returns rows added."""
    state = _state(source)
    newest = _max_id(table)
    if settle:
        if state.seen_at is not None and state.seen_at > now - settle:
            return 0  # the ids read last time have not settled yet
        target = state.seen_max
    else:
        target = newest
    added = 0
    days = Days()
    while True:
        with transaction.atomic():
            state = _locked_state(source)
            low = state.watermark
            if low >= target:
                break
            high = min(target, low + batch)
            count, rows = make_rows("id > %s AND id <= %s", [low, high], days)
            add_rows(rows)
            RollupState.objects.filter(pk=state.pk).update(watermark=high)
            added += count
    if settle:
        RollupState.objects.filter(source=source).update(seen_max=newest, seen_at=now)
    return added


def clicks_refresh(
    *, now: dt.datetime | None = None, settle: dt.timedelta = SETTLE, batch: int = BATCH
) -> int:
    return _incremental(
        "clicks",
        Click._meta.db_table,
        _click_rows,
        _add_clicks,
        now=now or timezone.now(),
        settle=settle,
        batch=batch,
    )


def conversions_refresh(
    *, now: dt.datetime | None = None, settle: dt.timedelta = SETTLE, batch: int = BATCH
) -> int:
    model = _conversion_model()
    if model is None:
        return 0
    return _incremental(
        "conversions",
        model._meta.db_table,
        _conversion_rows,
        _add_conversions,
        now=now or timezone.now(),
        settle=settle,
        batch=batch,
    )


# --- Visits: recent days recomputed -----------------------------------------------------------------


def _visit_days(workspace_id: int, since: dt.datetime, days: Days) -> list[tuple]:  # type: ignore[type-arg]
    model = _visit_model()
    bucket = _bucket(_q("started_at"))
    sql = (
        f"SELECT network, campaign, COALESCE(post_id, 0), {bucket} AS q, COUNT(*), "  # noqa: S608
        "SUM(CASE WHEN bounced THEN 1 ELSE 0 END), SUM(engaged_seconds), SUM(pageviews) "
        f"FROM {_q(model._meta.db_table)} WHERE workspace_id = %s AND started_at >= %s "
        "GROUP BY network, campaign, COALESCE(post_id, 0), q"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [workspace_id, _param_time(since)])
        grouped = cursor.fetchall()
    sums: dict[tuple[Any, ...], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for network, campaign, post_id, quarter, visits, bounces, seconds, pages in grouped:
        entry = sums[(days.day(workspace_id, quarter), network, campaign[:255], post_id)]
        for index, value in enumerate((visits, bounces, seconds, pages)):
            entry[index] += int(value or 0)
    return [(workspace_id, key[0].isoformat(), *key[1:], *values) for key, values in sums.items()]


_VISIT_COLUMNS = (
    "workspace_id", "day", "network", "campaign", "post_id",
    "visits", "bounces", "engaged_seconds", "pageviews",
)  # fmt: skip


def _recompute_visits(workspace_id: int, first_day: dt.date, days: Days) -> None:
    since = local_midnight(first_day, days.zone(workspace_id))
    rows = _visit_days(workspace_id, since, days)
    VisitDaily.objects.filter(workspace_id=workspace_id, day__gte=first_day).delete()
    _upsert(VisitDaily._meta.db_table, _VISIT_COLUMNS[:5], _VISIT_COLUMNS, _VISIT_COLUMNS[5:], rows)


def visits_refresh(*, now: dt.datetime | None = None, lag: dt.timedelta = VISIT_FLOOR_LAG) -> int:
    """Recompute the days of the visits above the floor; returns the number of workspaces recomputed."""
    model = _visit_model()
    if model is None:
        return 0
    now = now or timezone.now()
    _state("visits")
    days = Days()
    with transaction.atomic():
        state = _locked_state("visits")
        floor = state.watermark
        newest = _max_id(model._meta.db_table)
        firsts = list(
            model.objects.filter(pk__gt=floor)
            .values("workspace_id")
            .annotate(first=_min("started_at"))
            .values_list("workspace_id", "first")
        )
        days.load(w for w, _first in firsts)
        for workspace_id, first in firsts:
            _recompute_visits(workspace_id, first.astimezone(days.zone(workspace_id)).date(), days)
        updates: dict[str, Any] = {}
        if state.seen_at is None:
            # First run: every day was just computed; only the visits of the last ``lag`` may still change.
            settled = model.objects.filter(started_at__lt=now - lag).aggregate(top=_max("id"))["top"] or 0
            updates = {"watermark": max(floor, settled), "seen_max": newest, "seen_at": now}
        elif state.seen_at <= now - lag:
            # The previous candidate is old enough: its visits are over. Advance the floor to it.
            updates = {"watermark": max(floor, state.seen_max), "seen_max": newest, "seen_at": now}
        if updates:
            RollupState.objects.filter(pk=state.pk).update(**updates)
    return len(firsts)


def _min(name: str) -> Any:
    from django.db.models import Min

    return Min(name)


def _max(name: str) -> Any:
    from django.db.models import Max

    return Max(name)


# --- Time zones and rebuilds ------------------------------------------------------------------------


def workspace_rebuild(*, workspace_id: int) -> None:
    """Recompute every roll-up of one workspace from the raw rows up to the watermarks (after a time-zone
    change, or to repair). Idempotent."""
    days = Days()
    with transaction.atomic():
        clicks = _locked_state("clicks") if RollupState.objects.filter(source="clicks").exists() else None
        ClickDaily.objects.filter(workspace_id=workspace_id).delete()
        if clicks is not None and clicks.watermark:
            _total, rows = _click_rows(
                "workspace_id = %s AND id <= %s", [workspace_id, clicks.watermark], days
            )
            _add_clicks(rows)
        if _conversion_model() is not None:
            state = RollupState.objects.filter(source="conversions").first()
            ConversionDaily.objects.filter(workspace_id=workspace_id).delete()
            if state is not None and state.watermark:
                _total, rows = _conversion_rows(
                    "workspace_id = %s AND id <= %s", [workspace_id, state.watermark], days
                )
                _add_conversions(rows)
        model = _visit_model()
        if model is not None:
            first = model.objects.filter(workspace_id=workspace_id).aggregate(first=_min("started_at"))[
                "first"
            ]
            VisitDaily.objects.filter(workspace_id=workspace_id).delete()
            if first is not None:
                _recompute_visits(workspace_id, first.astimezone(days.zone(workspace_id)).date(), days)
        zone = Workspace.objects.filter(pk=workspace_id).values_list("timezone", flat=True).first() or "UTC"
        _remember_zone(workspace_id, zone)


# The zone a workspace's roll-ups were computed in is kept in a small table of its own (ZoneSeen).
def _remember_zone(workspace_id: int, zone: str) -> None:
    from portevoix.dashboards.models import ZoneSeen

    ZoneSeen.objects.update_or_create(workspace_id=workspace_id, defaults={"timezone": zone})


def zones_check() -> list[int]:
    """Rebuild the workspaces whose time zone differs from the one their roll-ups were computed in."""
    from portevoix.dashboards.models import ZoneSeen

    seen = dict(ZoneSeen.objects.values_list("workspace_id", "timezone"))
    rebuilt = []
    for pk, zone in Workspace.objects.values_list("pk", "timezone"):
        if pk not in seen:
            ZoneSeen.objects.get_or_create(workspace_id=pk, defaults={"timezone": zone})
        elif seen[pk] != zone:
            workspace_rebuild(workspace_id=pk)
            rebuilt.append(pk)
    return rebuilt


def rollups_refresh(*, now: dt.datetime | None = None, settle: dt.timedelta = SETTLE) -> RefreshReport:
    """The periodic job: time zones first (a changed zone rebuilds), then clicks, conversions, visits."""
    report = RefreshReport()
    report.rebuilt = zones_check()
    report.clicks = clicks_refresh(now=now, settle=settle)
    report.conversions = conversions_refresh(now=now, settle=settle)
    report.visit_workspaces = visits_refresh(now=now)
    return report

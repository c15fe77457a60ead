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
- A conversion joined to a visit makes that visit "converted" (``VisitDaily.converted``: visits with at
  least one conversion, counted once however many they have). A conversion may arrive after its visit's
  day stopped being recomputed (a server-side conversion sent later with its time): each batch of
  conversions recomputes the days of the visits it joins, under the visits' lock.
- Every table keeps day, week and month rows (spans.py): clicks and conversions add each row to its
  three units; a recomputation of visit days rebuilds the weeks and months holding those days.
- Days are the workspace's local days. Clicks and conversions are grouped by quarter-hour of UTC (every
  zone's offset is a multiple of 15 minutes today) and Python maps each quarter-hour to its local day
  with zoneinfo; visits are grouped by their local date computed in SQL (localtime.py). Both are exact
  across DST changes on SQLite and PostgreSQL alike. A workspace whose time zone changed has its roll-ups
  rebuilt by the next run (``ZoneSeen`` remembers the zone used).
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

from portevoix.core.sql import upsert_adding
from portevoix.dashboards import durations, localtime, spans
from portevoix.dashboards.models import (
    ClickChannelDaily,
    ClickDaily,
    ClickPostDaily,
    ConversionDaily,
    ConversionGoalDaily,
    RollupState,
    VisitDaily,
    VisitDurationDaily,
    VisitNetworkDaily,
    VisitPostDaily,
)
from portevoix.links.models import Click, ShortLink
from portevoix.metrics.services import followers_daily_rebuild, publication
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


# --- Clicks -----------------------------------------------------------------------------------------


def _click_rows(where: str, params: list[Any], days: Days) -> tuple[int, list[tuple]]:  # type: ignore[type-arg]
    """(raw rows, day rows per link) for the clicks matching ``where``."""
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
        rows.append((workspace_id, day, link_id, post_id, channel_id, network, humans, bots))
    return total, rows


_CLICK_COLUMNS = (
    "workspace_id", "span", "day", "link_id", "post_id", "channel_id", "network", "humans", "bots",
)  # fmt: skip
_CLICK_CHANNEL_COLUMNS = ("workspace_id", "span", "day", "channel_id", "network", "humans", "bots")
_CLICK_POST_COLUMNS = ("workspace_id", "span", "day", "post_id", "humans", "bots")


def _add_clicks(rows: list[tuple]) -> None:  # type: ignore[type-arg]
    """Add day rows per link to ClickDaily and ClickChannelDaily, for their day, week and month."""
    upsert_adding(
        ClickDaily._meta.db_table,
        ("link_id", "span", "day"),
        _CLICK_COLUMNS,
        ("humans", "bots"),
        spans.expand(rows, 1, 2),
    )
    channels = [(ws, day, channel, network, h, b) for ws, day, _l, _p, channel, network, h, b in rows]
    upsert_adding(
        ClickChannelDaily._meta.db_table,
        _CLICK_CHANNEL_COLUMNS[:5],
        _CLICK_CHANNEL_COLUMNS,
        ("humans", "bots"),
        spans.expand(channels, 1, 2),
    )
    posts = [(ws, day, post, h, b) for ws, day, _l, post, _c, _n, h, b in rows]
    upsert_adding(
        ClickPostDaily._meta.db_table,
        _CLICK_POST_COLUMNS[:4],
        _CLICK_POST_COLUMNS,
        ("humans", "bots"),
        spans.expand(posts, 1, 2),
    )


# --- Conversions ------------------------------------------------------------------------------------


def _conversion_model() -> Any:
    return apps.get_model("analytics", "Conversion") if apps.is_installed("portevoix.analytics") else None


def _visit_model() -> Any:
    return apps.get_model("analytics", "Visit") if apps.is_installed("portevoix.analytics") else None


@dataclass
class ConversionBatch:
    rows: list[tuple]  # type: ignore[type-arg]  # day rows
    visit_days: dict[int, set[dt.date]]  # workspace -> local days of the visits these conversions join


def _conversion_rows(where: str, params: list[Any], days: Days) -> tuple[int, ConversionBatch]:
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
        # The visits these conversions join: their days' "converted" counts change.
        visit_table = _q(_visit_model()._meta.db_table)
        cursor.execute(
            f"SELECT workspace_id, {_bucket(_q('started_at'))} AS q FROM {visit_table} "  # noqa: S608
            f"WHERE id IN (SELECT visit_id FROM {_q(model._meta.db_table)} WHERE {where} "
            "AND visit_id IS NOT NULL) GROUP BY workspace_id, q",
            params,
        )
        joined = cursor.fetchall()
    days.load([row[0] for row in grouped] + [row[0] for row in joined])
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
    visit_days: dict[int, set[dt.date]] = defaultdict(set)
    for workspace_id, quarter in joined:
        visit_days[workspace_id].add(days.day(workspace_id, quarter))
    rows = [(*key, count, paid, revenue) for key, (count, paid, revenue) in sums.items()]
    return total, ConversionBatch(rows, dict(visit_days))


_CONVERSION_COLUMNS = (
    "workspace_id", "span", "day", "network", "campaign", "post_id", "goal", "currency", "conversions",
    "with_revenue", "revenue",
)  # fmt: skip
_CONVERSION_GOAL_COLUMNS = (
    "workspace_id", "span", "day", "network", "campaign", "goal", "currency", "conversions",
    "with_revenue", "revenue",
)  # fmt: skip


def _money_text(rows: list[tuple]) -> list[tuple]:  # type: ignore[type-arg]
    return [(*row[:-1], str(row[-1])) for row in rows]


def _add_conversions(batch: ConversionBatch, *, visits: bool = True) -> None:
    """Add day rows to ConversionDaily and ConversionGoalDaily (day, week and month), then recompute the
    days of the visits the conversions join (``visits``; a rebuild recomputes every visit anyway)."""
    upsert_adding(
        ConversionDaily._meta.db_table,
        _CONVERSION_COLUMNS[:8],
        _CONVERSION_COLUMNS,
        ("conversions", "with_revenue", "revenue"),
        _money_text(spans.expand(batch.rows, 1, 3)),
    )
    goals = [(*row[:4], *row[5:]) for row in batch.rows]  # without the post
    upsert_adding(
        ConversionGoalDaily._meta.db_table,
        _CONVERSION_GOAL_COLUMNS[:7],
        _CONVERSION_GOAL_COLUMNS,
        ("conversions", "with_revenue", "revenue"),
        _money_text(spans.expand(goals, 1, 3)),
    )
    if visits and batch.visit_days and _visit_model() is not None:
        _state("visits")
        state = _locked_state("visits")  # lock order: conversions, then visits (visits_refresh: visits only)
        if state.seen_at is None:
            return  # the visits have never been rolled up: their first run computes every day
        days = Days()
        for workspace_id, wanted in batch.visit_days.items():
            for first, last in _runs(sorted(wanted)):
                _recompute_visits(workspace_id, first, days, last=last)


def _runs(ordered: list[dt.date]) -> list[tuple[dt.date, dt.date]]:
    """Consecutive days grouped: [1, 2, 3, 7] -> [(1, 3), (7, 7)]."""
    runs: list[tuple[dt.date, dt.date]] = []
    for day in ordered:
        if runs and day == runs[-1][1] + dt.timedelta(days=1):
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


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


def _visit_days(
    workspace_id: int, since: dt.datetime, until: dt.datetime | None, days: Days
) -> tuple[list[tuple], list[tuple]]:  # type: ignore[type-arg]
    """Day rows of VisitDaily and VisitDurationDaily for the visits started in [since, until)."""
    model = _visit_model()
    conversions = _q(_conversion_model()._meta.db_table)
    tz = days.zone(workspace_id)
    now = timezone.now()
    day_sql, day_params = localtime.day_sql(
        _q("started_at"), tz, since, max(until or now, now) + dt.timedelta(days=2)
    )
    where = "workspace_id = %s AND started_at >= %s" + (" AND started_at < %s" if until else "")
    params = [workspace_id, _param_time(since)] + ([_param_time(until)] if until else [])
    table = _q(model._meta.db_table)
    visits_sql = (
        f"SELECT {day_sql} AS d, network, campaign, COALESCE(post_id, 0), COUNT(*), "  # noqa: S608
        "SUM(CASE WHEN bounced THEN 1 ELSE 0 END), SUM(engaged_seconds), SUM(pageviews), "
        f"SUM(CASE WHEN EXISTS (SELECT 1 FROM {conversions} c WHERE c.visit_id = v.id) THEN 1 ELSE 0 END) "
        f"FROM {table} v WHERE {where} GROUP BY d, network, campaign, COALESCE(post_id, 0)"
    )
    bucket_sql, bucket_params = _bucket_case(_q("engaged_seconds"))
    durations_sql = (
        f"SELECT {day_sql} AS d, network, {bucket_sql} AS b, COUNT(*), MIN(engaged_seconds), "  # noqa: S608
        f"MAX(engaged_seconds) FROM {table} WHERE {where} GROUP BY d, network, b"
    )
    with connection.cursor() as cursor:
        cursor.execute(visits_sql, day_params + params)
        grouped = cursor.fetchall()
        cursor.execute(durations_sql, day_params + bucket_params + params)
        buckets = cursor.fetchall()
    visits = [
        (
            workspace_id,
            localtime.as_date(day),
            network,
            campaign[:255],
            post_id,
            *(int(v or 0) for v in values),
        )
        for day, network, campaign, post_id, *values in grouped
    ]
    histogram = [
        (workspace_id, localtime.as_date(day), network, int(number), int(count), int(low), int(high))
        for day, network, number, count, low, high in buckets
    ]
    return visits, histogram


def _bucket_case(column: str) -> tuple[str, list[Any]]:
    """SQL for durations.bucket(column): a binary search over the bounds, as nested CASEs."""
    params: list[Any] = []

    def search(low: int, high: int) -> str:  # buckets low..high
        if low == high:
            params.append(low)
            return "%s"
        middle = (low + high + 1) // 2
        params.append(durations.BOUNDS[middle])
        below = search(low, middle - 1)
        above = search(middle, high)
        return f"(CASE WHEN {column} < %s THEN {below} ELSE {above} END)"

    sql = search(0, len(durations.BOUNDS) - 1)
    return sql, params


_VISIT_COLUMNS = (
    "workspace_id", "span", "day", "network", "campaign", "post_id",
    "visits", "bounces", "engaged_seconds", "pageviews", "converted",
)  # fmt: skip
_VISIT_NETWORK_COLUMNS = (
    "workspace_id", "span", "day", "network", "campaign",
    "visits", "bounces", "engaged_seconds", "pageviews", "converted",
)  # fmt: skip
_VISIT_POST_COLUMNS = (
    "workspace_id", "span", "day", "post_id", "social",
    "visits", "bounces", "engaged_seconds", "pageviews", "converted",
)  # fmt: skip
_VISIT_DURATION_COLUMNS = (
    "workspace_id", "span", "day", "network", "bucket", "visits", "min_seconds", "max_seconds",
)  # fmt: skip
_VISIT_SUMS = [(c, "SUM") for c in ("visits", "bounces", "engaged_seconds", "pageviews", "converted")]
_VISIT_TABLES: tuple[tuple[Any, tuple[str, ...], list[tuple[str, str]]], ...] = (
    (VisitDaily, ("network", "campaign", "post_id"), _VISIT_SUMS),
    (VisitNetworkDaily, ("network", "campaign"), _VISIT_SUMS),
    (VisitPostDaily, ("post_id", "social"), _VISIT_SUMS),
    (
        VisitDurationDaily,
        ("network", "bucket"),
        [("visits", "SUM"), ("min_seconds", "MIN"), ("max_seconds", "MAX")],
    ),
)


def _insert(table: str, columns: Sequence[str], rows: list[tuple]) -> None:  # type: ignore[type-arg]
    if not rows:
        return
    sql = (
        f"INSERT INTO {_q(table)} ({', '.join(_q(c) for c in columns)}) "  # noqa: S608 (fixed names)
        f"VALUES ({', '.join(['%s'] * len(columns))})"
    )
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 1000):
            cursor.executemany(sql, rows[start : start + 1000])


def _recompute_visits(
    workspace_id: int, first_day: dt.date, days: Days, *, last: dt.date | None = None
) -> None:
    """Recompute the visit roll-ups of the days ``first_day``..``last`` (no ``last``: every later day) from
    the raw visits, then the weeks and months holding them. Inside a transaction, under the visits' lock."""
    tz = days.zone(workspace_id)
    since = local_midnight(first_day, tz)
    until = local_midnight(last + dt.timedelta(days=1), tz) if last else None
    visits, histogram = _visit_days(workspace_id, since, until, days)
    day_rows = VisitDaily.objects.filter(workspace_id=workspace_id, span=spans.DAY, day__gte=first_day)
    if last:
        day_rows = day_rows.filter(day__lte=last)
    before = day_rows.aggregate(last=_max("day"))["last"]
    touched = [day for day in (before, *(row[1] for row in visits)) if day is not None]
    for model, _dims, _measures in _VISIT_TABLES:
        stale = model.objects.filter(workspace_id=workspace_id, span=spans.DAY, day__gte=first_day)
        (stale.filter(day__lte=last) if last else stale).delete()
    networks: dict[tuple[Any, ...], list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    posts: dict[tuple[Any, ...], list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    for row in visits:  # (workspace, day, network, campaign, post, *sums)
        for entry in (networks[row[:4]], posts[(row[0], row[1], row[4], row[2] != "")]):
            for n, value in enumerate(row[5:]):
                entry[n] += value
    _insert(VisitDaily._meta.db_table, _VISIT_COLUMNS, [(r[0], spans.DAY, *r[1:]) for r in visits])
    _insert(
        VisitNetworkDaily._meta.db_table,
        _VISIT_NETWORK_COLUMNS,
        [(k[0], spans.DAY, *k[1:], *v) for k, v in networks.items()],
    )
    _insert(
        VisitPostDaily._meta.db_table,
        _VISIT_POST_COLUMNS,
        [(k[0], spans.DAY, *k[1:], *v) for k, v in posts.items()],
    )
    _insert(
        VisitDurationDaily._meta.db_table,
        _VISIT_DURATION_COLUMNS,
        [(r[0], spans.DAY, *r[1:]) for r in histogram],
    )
    if touched:
        end = last or max(touched)
        for model, dims, measures in _VISIT_TABLES:
            spans.respan(model._meta.db_table, workspace_id, first_day, end, dims, measures)


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


_TABLES = (
    ClickDaily, ClickChannelDaily, ClickPostDaily, ConversionDaily, ConversionGoalDaily, VisitDaily,
    VisitNetworkDaily, VisitPostDaily, VisitDurationDaily,
)  # fmt: skip


def workspace_rebuild(*, workspace_id: int) -> None:
    """Recompute every roll-up of one workspace from the raw rows up to the watermarks (after a time-zone
    change, or to repair). Idempotent. Takes the sources' locks in the order clicks, conversions, visits."""
    days = Days()
    for source in ("clicks", "conversions", "visits"):
        _state(source)
    with transaction.atomic():
        clicks = _locked_state("clicks")
        conversions = _locked_state("conversions")
        _locked_state("visits")
        for model in _TABLES:
            model.objects.filter(workspace_id=workspace_id).delete()
        if clicks.watermark:
            _total, rows = _click_rows(
                "workspace_id = %s AND id <= %s", [workspace_id, clicks.watermark], days
            )
            _add_clicks(rows)
        if _conversion_model() is not None and conversions.watermark:
            _total, batch = _conversion_rows(
                "workspace_id = %s AND id <= %s", [workspace_id, conversions.watermark], days
            )
            _add_conversions(batch, visits=False)
        model = _visit_model()
        if model is not None:
            first = model.objects.filter(workspace_id=workspace_id).aggregate(first=_min("started_at"))[
                "first"
            ]
            if first is not None:
                _recompute_visits(workspace_id, first.astimezone(days.zone(workspace_id)).date(), days)
        workspace = Workspace.objects.filter(pk=workspace_id).first()
        if workspace is not None:
            # The follower readings' local days moved, and so did the posts' days of publication.
            followers_daily_rebuild(workspace=workspace)
            publication.workspace_refresh(workspace=workspace)
        _remember_zone(workspace_id, workspace.timezone if workspace else "UTC")


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

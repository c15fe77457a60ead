"""The dashboards' panels: plain functions over the roll-ups and the metrics' small tables, for the page, the
API and the reports (portevoix/reports calls them too). docs/dashboards.md describes every figure.

Signatures (all reads, scoped to ``filters.workspace``; every result is a JSON-ready dict: dates as
ISO strings, money as decimal strings, rates as percentages rounded to 2 places, and ``None`` for "not
available" — never 0 for a figure nobody gave):

    filters_make(workspace, start=None, end=None, *, channel=None, network=None, rubric=None) -> Filters
        Validates (ValidationFailed: reversed range, more than MAX_RANGE_DAYS, unknown channel/rubric).
        Default: the last 30 days up to today in the workspace's zone.
    preset_range(workspace, preset, now=None) -> (start, end)
        "7d", "30d", "90d", "this_month", "previous_month" (ValidationFailed otherwise).
    filters_from_choice(workspace, *, preset, start, end, channel, network, rubric) -> Filters
    filter_choices(workspace) -> {"channels": [(id, label)], "networks": [key], "rubrics": [(id, name)]}
    Filters.previous() -> Filters            the period of equal length just before.
    panel_followers(filters)    follower counts per day and growth per channel, and totals
    panel_posts(filters)        post metrics: totals, per post, per channel / network / rubric
    panel_best_worst(filters)   the 5 best and 5 worst posts by ER by reach (or by engagements)
    panel_clicks(filters)       short-link clicks (humans; bots apart) per day, network, channel, post
    panel_site(filters)         tracker visits (all and from social), bounce rate, average and median
                                engaged time (durations.py: a histogram, exact under 10 s, else within 10 %)
    panel_conversions(filters)  conversions and revenue by goal, network, campaign, post; sessions,
                                converted sessions and conversion rate overall, per network and campaign
    panel_traffic(filters)      GA4 / Metrica sessions by source and medium beside the tracker's visits
    panel_funnel(filters)       posts -> clicks -> visits -> conversions -> revenue, totals and per post
    PANELS: dict name -> function (the names above without ``panel_``); each takes ``totals_only=True``
        to compute its totals alone (what the comparison period needs)
    summary(filters, compare=True) -> {"period", "previous", "panels": {name: {..., "previous_totals",
        "deltas"}}}; ``deltas[key]`` = {"change": current - previous, "percent": change / previous x 100}.

Each panel returns ``{"totals": {...}, ...}`` plus its tables and ``"formulas"`` (figure -> formula).
Panels read the roll-ups (models.py) through the fewest day, week and month rows covering the period
(spans.py), the small per-channel and per-network tables for totals and series, and the per-post tables
only for the per-post lists; they never cache an answer.
Filters: ``channel`` and ``network`` filter everything that knows them (site visits and conversions
know the network only: a channel filter keeps its network); ``rubric`` keeps the posts of the rubric and
their clicks, visits and conversions (follower counts are per channel: not filtered by rubric).
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any, NamedTuple

from django.apps import apps
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import (
    BigIntegerField,
    Count,
    F,
    FloatField,
    Q,
    QuerySet,
    Sum,
    TextField,
    Window,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast, Substr
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from portevoix.channels.models import Channel
from portevoix.content.models import Post
from portevoix.core.errors import ValidationFailed
from portevoix.dashboards import durations, localtime, spans
from portevoix.dashboards.models import (
    ClickChannelDaily,
    ClickDaily,
    ClickPostDaily,
    ConversionDaily,
    ConversionGoalDaily,
    VisitDaily,
    VisitDurationDaily,
    VisitNetworkDaily,
    VisitPostDaily,
)
from portevoix.metrics import formulas
from portevoix.metrics.models import METRIC_FIELDS, FollowerDaily, PostMetricLatest
from portevoix.planning.models import Rubric
from portevoix.publishing.models import Target, TargetState
from portevoix.workspaces.models import Workspace

MAX_RANGE_DAYS = 366
TOP = 20  # rows of the "by post / by campaign" tables
MAX_POSTS = 200  # posts listed by panel_posts
BEST = 5
PRESETS = ("7d", "30d", "90d", "this_month", "previous_month")
FOLLOWER_START_LOOKBACK = dt.timedelta(days=31)


@dataclass(frozen=True)
class Filters:
    workspace: Workspace
    start: dt.date
    end: dt.date
    channel: int | None = None
    network: str | None = None  # with ``channel``: the channel's network
    rubric: int | None = None
    channel_network: str | None = None  # the network of ``channel`` (for visits and conversions)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Filters:
        end = self.start - dt.timedelta(days=1)
        return replace(self, start=end - dt.timedelta(days=self.days - 1), end=end)

    def as_dict(self) -> dict[str, Any]:
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "days": self.days,
            "timezone": self.workspace.timezone,
            "channel": self.channel,
            "network": self.network or None,
            "rubric": self.rubric,
        }


def today(workspace: Workspace) -> dt.date:
    return timezone.localtime(timezone.now(), workspace.tzinfo).date()


def preset_range(workspace: Workspace, preset: str, now: dt.date | None = None) -> tuple[dt.date, dt.date]:
    day = now or today(workspace)
    if preset in ("7d", "30d", "90d"):
        return day - dt.timedelta(days=int(preset[:-1]) - 1), day
    if preset == "this_month":
        return day.replace(day=1), day
    if preset == "previous_month":
        last = day.replace(day=1) - dt.timedelta(days=1)
        return last.replace(day=1), last
    raise ValidationFailed(_("Unknown period."), fields={"preset": [_("Unknown period.")]})


def filters_make(
    workspace: Workspace,
    start: dt.date | None = None,
    end: dt.date | None = None,
    *,
    channel: int | None = None,
    network: str | None = None,
    rubric: int | None = None,
) -> Filters:
    end = end or today(workspace)
    start = start or end - dt.timedelta(days=29)
    if start > end:
        message = _("The start must not be after the end.")
        raise ValidationFailed(message, fields={"start": [message]})
    if (end - start).days >= MAX_RANGE_DAYS:
        message = _("Choose at most %(n)s days.") % {"n": MAX_RANGE_DAYS}
        raise ValidationFailed(message, fields={"start": [message]})
    channel_network = None
    if channel:
        channel_network = (
            Channel.objects.filter(workspace=workspace, pk=channel).values_list("network", flat=True).first()
        )
        if channel_network is None:
            raise ValidationFailed(_("No such channel."), fields={"channel": [_("No such channel.")]})
    if rubric and not Rubric.objects.filter(workspace=workspace, pk=rubric).exists():
        raise ValidationFailed(_("No such rubric."), fields={"rubric": [_("No such rubric.")]})
    return Filters(
        workspace=workspace,
        start=start,
        end=end,
        channel=channel or None,
        network=(network or "").strip()[:32] or None,
        rubric=rubric or None,
        channel_network=channel_network,
    )


def filters_from_choice(
    workspace: Workspace,
    *,
    preset: str,
    start: dt.date | None = None,
    end: dt.date | None = None,
    channel: int | None = None,
    network: str | None = None,
    rubric: int | None = None,
) -> Filters:
    """The page's form: a preset, or "custom" (or no preset) with ``start`` and ``end``."""
    if preset and preset != "custom":
        start, end = preset_range(workspace, preset)
    return filters_make(workspace, start, end, channel=channel, network=network, rubric=rubric)


def filter_choices(workspace: Workspace) -> dict[str, Any]:
    channels = list(
        Channel.objects.filter(workspace=workspace)
        .order_by("network", "name")
        .values_list("pk", "name", "network")
    )
    return {
        "channels": [(pk, f"{name} ({network})") for pk, name, network in channels],
        "networks": sorted({network for _pk, _name, network in channels}),
        "rubrics": list(
            Rubric.objects.filter(workspace=workspace).order_by("name").values_list("pk", "name")
        ),
    }


# --- Formulas shown with the figures (docs/metrics.md) ----------------------------------------------


# Each figure's formula as shown beside it; translated only for the figures a panel returns.
_FORMULAS = {
    "growth": gettext_noop("followers at the end - followers at the start"),
    "growth_rate": gettext_noop("growth / followers at the start x 100 %"),
    "engagements": gettext_noop("reactions + comments + shares (+ quotes, + saves where given)"),
    "er": gettext_noop("sum of engagements / number of posts / average followers at publication x 100 %"),
    "err": gettext_noop("sum of engagements / sum of reach (views where reach is not given) x 100 %"),
    "post_er": gettext_noop("engagements / followers at publication x 100 %"),
    "post_err": gettext_noop("engagements / reach (or views) x 100 %"),
    "clicks": gettext_noop("clicks on tracked short links by people; bots and link previewers counted apart"),
    "ctr": gettext_noop("human clicks / views x 100 %"),
    "visits_social": gettext_noop("tracker sessions whose source is a social network (UTM or referrer)"),
    "bounce_rate": gettext_noop(
        "single-page sessions without engagement / sessions x 100 % (tracker definition)"
    ),
    "avg_duration": gettext_noop("sum of engaged seconds / sessions (visible-tab time)"),
    "median_duration": gettext_noop(
        "median of the sessions' engaged seconds (visible-tab time); from a histogram: exact under 10 s, "
        "otherwise within 10 %"
    ),
    "conversion_rate": gettext_noop(
        "sessions with at least one goal completion / sessions x 100 % (sessions of the period, by their "
        "own network and campaign)"
    ),
    "conversions": gettext_noop("goal completions, attributed to the last social touch within 30 days"),
    "revenue": gettext_noop("sum of purchase revenue, per currency"),
    "ga_bounce_rate": gettext_noop("as each service defines it (GA4: sessions not engaged)"),
}


def _formulas(*names: str) -> dict[str, str]:
    return {name: _(_FORMULAS[name]) for name in names}


# --- Helpers ----------------------------------------------------------------------------------------


def _rate(numerator: float | int | None, denominator: float | int | None) -> float | None:
    value = formulas.rate(numerator, denominator)
    return None if value is None else round(value, 2)


def _money(value: Decimal | int | float | None) -> str:
    return str(Decimal(str(value or 0)).quantize(Decimal("0.01")))


def _rubric_posts(f: Filters) -> QuerySet[Post]:
    return Post.objects.filter(workspace=f.workspace, rubric_id=f.rubric or 0).values("pk")  # type: ignore[return-value]


def _titles(workspace: Workspace, post_ids: Iterable[int]) -> dict[int, str]:
    ids = [pk for pk in set(post_ids) if pk]
    if not ids:
        return {}
    found = Post.objects.filter(workspace=workspace, pk__in=ids).values_list(
        "pk", "title", Substr("text", 1, 80)
    )
    return {pk: (title or text or f"#{pk}")[:80] for pk, title, text in found}


def _channel_names(workspace: Workspace, ids: Iterable[int]) -> dict[int, str]:
    wanted = [pk for pk in set(ids) if pk]
    if not wanted:
        return {}
    return dict(Channel.objects.filter(workspace=workspace, pk__in=wanted).values_list("pk", "name"))


def _sql(queryset: QuerySet[Any]) -> tuple[str, tuple[Any, ...]]:
    """The SQL of a queryset, to wrap or to run without the ORM's per-row work; ("", ()) when it can match
    nothing (an empty ``__in``)."""
    try:
        return queryset.query.sql_with_params()
    except EmptyResultSet:
        return "", ()


class Raw(NamedTuple):
    """A query written by hand for _together: its SQL, parameters and the SQL types of its columns."""

    sql: str
    params: tuple[Any, ...]
    types: tuple[str, ...]


def _together(*querysets: QuerySet[Any] | Raw) -> list[list[tuple[Any, ...]]]:
    """The rows of several ``values_list`` querysets (or Raw queries) in one round trip to the database:
    each is a CTE, read by UNION ALL with its columns in positions of its own (the others typed NULLs, so
    that no two types meet). Without the ORM's converters: the caller converts what it needs (PostgreSQL's
    integer sums are decimals, SQLite's dates text) and sorts what must be sorted."""
    shapes = []
    compiled: list[tuple[str, tuple[Any, ...]]] = []
    for queryset in querysets:  # compiled once: the SQL, then the types of the columns it selects
        if isinstance(queryset, Raw):
            compiled.append((queryset.sql, queryset.params))
            shapes.append(list(queryset.types))
            continue
        compiler = queryset.query.get_compiler(using=queryset.db)
        try:
            compiled.append(compiler.as_sql())
        except EmptyResultSet:  # an empty ``__in``: matches nothing
            compiled.append(("", ()))
            compiler.setup_query()
        shapes.append(
            [column.output_field.db_type(connection) or "text" for column, _sql, _alias in compiler.select]
        )
    widths = [len(shape) for shape in shapes]
    types = [kind for shape in shapes for kind in shape]
    ctes: list[str] = []
    selects: list[str] = []
    params: list[Any] = []
    before = 0
    for n, ((sql, part_params), width) in enumerate(zip(compiled, widths, strict=True)):
        if sql:
            columns = [f"CAST(NULL AS {kind})" for kind in types]
            for k in range(width):
                columns[before + k] = f"t{n}.c{k}"
            ctes.append(f"t{n} ({', '.join(f'c{k}' for k in range(width))}) AS ({sql})")
            selects.append(f"SELECT {n} AS q, {', '.join(columns)} FROM t{n}")  # noqa: S608 (the ORM's SQL)
            params.extend(part_params)
        before += width
    found: list[list[tuple[Any, ...]]] = [[] for _queryset in querysets]
    if selects:
        offsets = [sum(widths[:n]) for n in range(len(widths))]
        with connection.cursor() as cursor:
            cursor.execute(f"WITH {', '.join(ctes)} {' UNION ALL '.join(selects)}", params)
            for row in cursor.fetchall():
                n = row[0]
                found[n].append(tuple(row[1 + offsets[n] : 1 + offsets[n] + widths[n]]))
    return found


def _days(f: Filters) -> list[dt.date]:
    return [f.start + dt.timedelta(days=n) for n in range(f.days)]


# --- Followers --------------------------------------------------------------------------------------


def _channel_conditions(f: Filters, alias: str) -> tuple[list[str], list[Any]]:
    """The conditions on the workspace's channels (``alias``) that the filters keep, for SQL by hand."""
    where = [f"{alias}.workspace_id = %s"]
    params: list[Any] = [f.workspace.pk]
    if f.channel:
        where.append(f"{alias}.id = %s")
        params.append(f.channel)
    if f.network:
        where.append(f"{alias}.network = %s")
        params.append(f.network)
    return where, params


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
    start, end = _day_param(f.start), _day_param(f.end)
    inside = "d.workspace_id = %s AND d.day >= %s AND d.day <= %s"
    inside_params = [f.workspace.pk, start, end]
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
    lookback_start = _day_param(f.start - FOLLOWER_START_LOOKBACK)
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
                (day if isinstance(day, dt.date) else _date(day), count)
            )
    channels.sort()
    return [
        FollowerReadings(channel_id, name, network, before, sorted(readings.get(channel_id, ())))
        for _, channel_id, name, network, before in channels
    ]


_date = dt.date.fromisoformat


def _day_param(day: dt.date) -> Any:
    """A date for a raw query: SQLite compares the ISO text."""
    return day if connection.vendor == "postgresql" else day.isoformat()


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


# --- Post metrics -----------------------------------------------------------------------------------


class PostRow(NamedTuple):
    """One published post x channel with its newest figures (None: not available) and the engagement
    figures of metrics/formulas.py (a tuple: thousands are made per request)."""

    target_id: int
    post_id: int
    post_title: str
    channel_id: int
    channel_name: str
    network: str
    rubric_id: int | None
    published_at: dt.datetime
    views: int | None
    reach: int | None
    likes: int | None
    comments: int | None
    shares: int | None  # reposts + quotes (formulas.shares_total)
    saves: int | None
    followers: int | None  # the channel's followers on the day of publication (None: not known)
    engagements: int | None
    er: float | None
    err: float | None


def _bounds(f: Filters) -> tuple[dt.datetime, dt.datetime]:
    tz = f.workspace.tzinfo
    return (
        dt.datetime.combine(f.start, dt.time.min, tzinfo=tz),
        dt.datetime.combine(f.end + dt.timedelta(days=1), dt.time.min, tzinfo=tz),
    )


def _latest(f: Filters, channels: dict[int, tuple[str, str]]) -> QuerySet[PostMetricLatest]:
    """The newest figures of the posts x channels published in the period (PostMetricLatest)."""
    since, until = _bounds(f)
    latest = PostMetricLatest.objects.filter(
        workspace=f.workspace, published_at__gte=since, published_at__lt=until
    )
    if f.channel or f.network:
        latest = latest.filter(channel_id__in=list(channels))
    if f.rubric:
        latest = latest.filter(rubric_id=f.rubric)
    return latest


def _ranking() -> tuple[RawSQL, RawSQL, RawSQL]:
    """(engagements, seen, ERR) of a PostMetricLatest row in SQL (written once: the ORM's expressions cost
    more to build than to run). Engagements: formulas.engagements, the sum of the parts a network gives,
    NULL when it gives none; seen: reach, or views where there is no reach (formulas.err); ERR:
    engagements / seen x 100 computed as Python does (a double divided, then x 100)."""
    table = PostMetricLatest._meta.db_table
    parts = [f'"{table}"."{name}"' for name in ("likes", "comments", "shares", "quotes", "saves")]
    engagements = (
        f"CASE WHEN COALESCE({', '.join(parts)}) IS NULL THEN NULL "
        f"ELSE {' + '.join(f'COALESCE({part}, 0)' for part in parts)} END"
    )
    seen = f'COALESCE("{table}"."reach", "{table}"."views")'
    double = "double precision" if connection.vendor == "postgresql" else "REAL"
    return (
        RawSQL(engagements, [], output_field=BigIntegerField()),  # noqa: S611 (fixed SQL)
        RawSQL(seen, [], output_field=BigIntegerField()),  # noqa: S611
        RawSQL(f"CAST(({engagements}) AS {double}) / ({seen}) * 100.0", [], output_field=FloatField()),  # noqa: S611
    )


_HAS_ERR = Q(eng__isnull=False, seen__gt=0)  # formulas.err is not None


def _channels(f: Filters) -> dict[int, tuple[str, str]]:
    """Channel id -> (name, network) of the workspace's channels that the filters keep."""
    channels = Channel.objects.filter(workspace=f.workspace)
    if f.channel:
        channels = channels.filter(pk=f.channel)
    if f.network:
        channels = channels.filter(network=f.network)
    return {pk: (name, network) for pk, name, network in channels.values_list("pk", "name", "network")}


_ROW_FIELDS = (
    "target_id", "post_id", "channel_id", "rubric_id", "post__title", "published_at", *METRIC_FIELDS,
    "followers",
)  # fmt: skip


def _aware(value: Any) -> dt.datetime:
    """A timestamp as the database gives it (a datetime, or text: UTC without an offset on SQLite, with
    one on PostgreSQL) -> an aware datetime in UTC."""
    if not isinstance(value, dt.datetime):
        value = dt.datetime.fromisoformat(str(value))
    return value.astimezone(dt.UTC) if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _post_row(
    row: tuple[Any, ...],
    text: str,
    channels: dict[int, tuple[str, str]],
) -> PostRow:
    target_id, post_id, channel_id, rubric_id, title, published = row[:6]
    views, reach, likes, comments, shares, saves, quotes, count = row[6:14]
    engagements = formulas.engagements(
        likes=likes, comments=comments, shares=shares, saves=saves, quotes=quotes
    )
    name, network = channels.get(channel_id, ("", ""))
    return PostRow(
        target_id,
        post_id,
        (title or text or f"#{post_id}")[:80],
        channel_id,
        name,
        network,
        rubric_id,
        published,
        views,
        reach,
        likes,
        comments,
        formulas.shares_total(shares, quotes),
        saves,
        count,
        engagements,
        formulas.er(engagements, count),
        formulas.err(engagements, reach=reach, views=views),
    )


def _fetch_rows(latest: QuerySet[PostMetricLatest], count: str = "") -> list[tuple[Any, ...]]:
    """The rows of ``latest`` (ordered and sliced by the caller): _ROW_FIELDS, the start of the post's text
    and, with ``count``, the number of rows before slicing (a window). Without the ORM's converters."""
    if count:
        latest = latest.annotate(**{count: Window(Count("pk"))})
    # The time as text: parsed here in C (datetime.fromisoformat), not by the driver's loader in Python.
    fields: list[Any] = [Cast(name, TextField()) if name == "published_at" else name for name in _ROW_FIELDS]
    fields += [Substr("post__text", 1, 80), *((count,) if count else ())]
    sql, params = _sql(latest.values_list(*fields))
    if not sql:
        return []
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [(*row[:5], _aware(row[5]), *row[6:]) for row in cursor.fetchall()]


def _post_rows(
    found: list[list[tuple[Any, ...]]],
    channels: dict[int, tuple[str, str]],
) -> list[list[PostRow]]:
    """PostRows of fetched rows (_fetch_rows)."""
    text = len(_ROW_FIELDS)
    return [[_post_row(row, row[text], channels) for row in rows] for rows in found]


class PostSums:
    """The totals of a group of posts, added up from the database's sums: the sum of each figure where it
    is known (None when it never is), ER by followers (formulas.er_channel: sum of engagements / posts
    with engagements / average followers at publication x 100) and ERR (sum of engagements / sum of
    reach or views, over the posts that have both)."""

    FIELDS = ("views", "reach", "likes", "comments", "shares", "saves", "engagements")
    __slots__ = (
        "engagements_known", "err_engagements", "err_known", "err_seen", "followers", "followers_known",
        "posts", "sums",
    )  # fmt: skip

    def __init__(self) -> None:
        self.posts = self.engagements_known = 0
        self.sums: dict[str, int | None] = dict.fromkeys(self.FIELDS)
        self.err_engagements = self.err_seen = self.err_known = 0
        self.followers = self.followers_known = 0

    def add(self, item: dict[str, Any]) -> None:
        self.posts += item["n"]
        parts = [item[name] for name in ("likes", "comments", "reposts", "quotes", "saves")]
        values = {
            **{name: item[name] for name in ("views", "reach", "likes", "comments", "saves")},
            "shares": formulas.shares_total(item["reposts"], item["quotes"]),
            "engagements": sum(p for p in parts if p is not None) if item["engagements_n"] else None,
        }
        for name in self.FIELDS:
            value = values[name]
            if value is not None:
                self.sums[name] = (self.sums[name] or 0) + value
        self.engagements_known += item["engagements_n"]
        self.err_known += item["err_n"]
        self.err_engagements += item["err_eng"] or 0
        self.err_seen += item["err_seen"] or 0
        self.followers += item["followers"] or 0
        self.followers_known += item["followers_n"]

    def figures(self) -> dict[str, Any]:
        er = None
        total = self.sums["engagements"]
        if self.engagements_known and self.followers_known and total is not None:
            er = formulas.rate(total / self.engagements_known, self.followers / self.followers_known)
        return {
            "posts": self.posts,
            **self.sums,
            "er": None if er is None else round(er, 2),
            "err": _rate(self.err_engagements, self.err_seen) if self.err_known else None,
        }


def _post_dict(row: PostRow) -> dict[str, Any]:
    result = row._asdict()
    result["title"] = result.pop("post_title")
    result["published_at"] = row.published_at.isoformat()
    result["er"] = None if row.er is None else round(row.er, 2)
    result["err"] = None if row.err is None else round(row.err, 2)
    return result


def _published(f: Filters) -> QuerySet[Target]:
    """The targets published in the period (metrics or not), filtered."""
    tz = f.workspace.tzinfo
    targets = Target.objects.filter(
        workspace=f.workspace,
        state=TargetState.PUBLISHED,
        published_at__gte=dt.datetime.combine(f.start, dt.time.min, tzinfo=tz),
        published_at__lt=dt.datetime.combine(f.end + dt.timedelta(days=1), dt.time.min, tzinfo=tz),
    )
    if f.channel:
        targets = targets.filter(channel_id=f.channel)
    if f.network:
        targets = targets.filter(channel__network=f.network)
    if f.rubric:
        targets = targets.filter(post__rubric_id=f.rubric)
    return targets


# The sums of _post_groups over plain columns (cheap for the database): formulas.engagements of a group is
# the sum of its parts' sums (a post without any part adds nothing), known when one post has a part.
_SEEN_SQL = "COALESCE(i.reach, i.views)"
_ANY_PART_SQL = "COALESCE(i.likes, i.comments, i.shares, i.quotes, i.saves)"
_PARTS_SQL = " + ".join(
    f"COALESCE(i.{name}, 0)" for name in ("likes", "comments", "shares", "quotes", "saves")
)
_GROUP_SUMS = (
    "COUNT(*) AS n, SUM(i.views) AS views, SUM(i.reach) AS reach, SUM(i.likes) AS likes, "
    "SUM(i.comments) AS comments, SUM(i.shares) AS reposts, SUM(i.quotes) AS quotes, SUM(i.saves) AS saves, "
    f"COUNT({_ANY_PART_SQL}) AS engagements_n, "
    f"SUM(CASE WHEN {_SEEN_SQL} > 0 THEN {_PARTS_SQL} END) AS err_eng, "
    f"SUM(CASE WHEN {_ANY_PART_SQL} IS NOT NULL AND {_SEEN_SQL} > 0 THEN {_SEEN_SQL} END) AS err_seen, "
    f"COUNT(CASE WHEN {_SEEN_SQL} > 0 THEN {_ANY_PART_SQL} END) AS err_n, "
    "SUM(i.followers) AS followers, COUNT(i.followers) AS followers_n"
)


_GROUP_COLUMNS = (
    "channel_id",
    "rubric_id",
    "rubric_name",
    "n",
    "views",
    "reach",
    "likes",
    "comments",
    "reposts",
    "quotes",
    "saves",
    "engagements_n",
    "err_eng",
    "err_seen",
    "err_n",
    "followers",
    "followers_n",
)  # fmt: skip (the columns of _GROUP_SUMS after the three keys)


def _time_param(value: dt.datetime) -> Any:
    """A timestamp for a query written by hand (SQLite compares Django's UTC text)."""
    if connection.vendor == "sqlite":
        return value.astimezone(dt.UTC).replace(tzinfo=None).isoformat(" ")
    return value


def _posts_where(f: Filters, alias: str, *, rubric_of_post: bool = False) -> tuple[list[str], list[Any]]:
    """The conditions on rows published in the period that the filters keep (PostMetricLatest, or Target
    with ``rubric_of_post``: the rubric is the post's), for SQL by hand."""
    since, until = _bounds(f)
    conditions = [f"{alias}.workspace_id = %s", f"{alias}.published_at >= %s", f"{alias}.published_at < %s"]
    params: list[Any] = [f.workspace.pk, _time_param(since), _time_param(until)]
    if f.channel:
        conditions.append(f"{alias}.channel_id = %s")
        params.append(f.channel)
    if f.network:
        channels = connection.ops.quote_name(Channel._meta.db_table)
        of_network = f"SELECT id FROM {channels} WHERE workspace_id = %s AND network = %s"  # noqa: S608 (names)
        conditions.append(f"{alias}.channel_id IN ({of_network})")
        params += [f.workspace.pk, f.network]
    if f.rubric and rubric_of_post:
        posts = connection.ops.quote_name(Post._meta.db_table)
        of_rubric = f"SELECT id FROM {posts} WHERE workspace_id = %s AND rubric_id = %s"  # noqa: S608 (names)
        conditions.append(f"{alias}.post_id IN ({of_rubric})")
        params += [f.workspace.pk, f.rubric]
    elif f.rubric:
        conditions.append(f"{alias}.rubric_id = %s")
        params.append(f.rubric)
    return conditions, params


def _posts_reads(f: Filters, *, newest: bool) -> list[Raw]:
    """The posts panel's reads, written by hand (sent together): the filtered channels; sums per channel
    and rubric (_GROUP_COLUMNS); the number of targets published in the period (metrics or not); and with
    ``newest`` the MAX_POSTS newest rows (_ROW_FIELDS, the start of the text: _fetch_rows' shape)."""
    q = connection.ops.quote_name
    latest, rubric = q(PostMetricLatest._meta.db_table), q(Rubric._meta.db_table)
    channels, targets, posts = q(Channel._meta.db_table), q(Target._meta.db_table), q(Post._meta.db_table)
    conditions, params = _posts_where(f, "i")
    where = " AND ".join(conditions)
    channel_where, channel_params = _channel_conditions(f, "c")
    target_where, target_params = _posts_where(f, "t", rubric_of_post=True)
    target_where.append("t.state = %s")
    target_params.append(TargetState.PUBLISHED)
    reads = [
        Raw(
            f"SELECT c.id, c.name, c.network FROM {channels} c WHERE {' AND '.join(channel_where)}",  # noqa: S608
            tuple(channel_params),
            ("bigint", "text", "text"),
        ),
        Raw(
            # "+": group after reading the period's rows by their index (not by scanning a channel index).
            f"SELECT +i.channel_id, +i.rubric_id, MAX(r.name), {_GROUP_SUMS} FROM {latest} i "  # noqa: S608
            f"LEFT JOIN {rubric} r ON r.id = i.rubric_id WHERE {where} GROUP BY 1, 2",
            tuple(params),
            ("bigint", "bigint", "text", *["numeric"] * (len(_GROUP_COLUMNS) - 3)),
        ),
        Raw(
            f"SELECT COUNT(*) FROM {targets} t WHERE {' AND '.join(target_where)}",  # noqa: S608 (names)
            tuple(target_params),
            ("bigint",),
        ),
    ]
    if newest:
        metrics = ", ".join(f"i.{name}" for name in METRIC_FIELDS)
        reads.append(
            Raw(
                # The time as text: parsed in C (datetime.fromisoformat), not by the driver's Python loader.
                f"SELECT i.target_id, i.post_id, i.channel_id, i.rubric_id, p.title, "  # noqa: S608 (names)
                f"CAST(i.published_at AS TEXT), {metrics}, "
                f"i.followers, SUBSTR(p.text, 1, 80) FROM {latest} i JOIN {posts} p ON p.id = i.post_id "
                f"WHERE {where} ORDER BY i.published_at DESC, i.target_id DESC LIMIT {MAX_POSTS}",
                tuple(params),
                (
                    "bigint",
                    "bigint",
                    "bigint",
                    "bigint",
                    "text",
                    "text",
                    *["bigint"] * len(METRIC_FIELDS),
                    "bigint",
                    "text",
                ),
            )
        )
    return reads


def panel_posts(f: Filters, *, totals_only: bool = False) -> dict[str, Any]:
    """One round trip (_posts_reads): the sums per channel and rubric are added up here per channel,
    network and rubric; the only per-post work is on the MAX_POSTS newest rows listed."""
    found, grouped, published, *newest = _together(*_posts_reads(f, newest=not totals_only))
    channels = {int(pk): (name, network) for pk, name, network in found}
    totals = PostSums()
    by_channel: dict[int, PostSums] = defaultdict(PostSums)
    by_network: dict[str, PostSums] = defaultdict(PostSums)
    by_rubric: dict[int, PostSums] = defaultdict(PostSums)
    rubric_names: dict[int, str] = {}
    for row in grouped:
        # PostgreSQL sums integers as numeric: back to int.
        item: dict[str, Any] = {
            name: int(value) if isinstance(value, Decimal) else value
            for name, value in zip(_GROUP_COLUMNS, row, strict=True)
        }
        if item["rubric_id"]:
            rubric_names[item["rubric_id"]] = item["rubric_name"]
        network = channels.get(item["channel_id"], ("", ""))[1]
        for group in (
            totals,
            by_channel[item["channel_id"]],
            by_network[network],
            by_rubric[item["rubric_id"] or 0],
        ):
            group.add(item)
    summed = totals.figures()
    summed["published"] = int(published[0][0]) if published else 0
    if totals_only:
        return {"totals": summed}
    rows = [(*row[:5], _aware(row[5]), *row[6:]) for row in newest[0]]
    rows.sort(key=lambda row: (row[5], row[0]), reverse=True)  # UNION ALL keeps no order
    (listed,) = _post_rows([rows], channels)
    return {
        "totals": summed,
        "posts": [_post_dict(row) for row in listed],
        "more_posts": max(0, totals.posts - MAX_POSTS),
        "by_channel": [
            {
                "channel_id": pk,
                "channel_name": channels.get(pk, ("", ""))[0],
                "network": channels.get(pk, ("", ""))[1],
                **sums.figures(),
            }
            for pk, sums in sorted(by_channel.items())
        ],
        "by_network": [{"network": key, **sums.figures()} for key, sums in sorted(by_network.items())],
        "by_rubric": [
            {"rubric_id": key or None, "rubric_name": rubric_names.get(key, ""), **sums.figures()}
            for key, sums in sorted(by_rubric.items())
        ],
        "formulas": _formulas("engagements", "er", "err", "post_er", "post_err"),
    }


def panel_best_worst(f: Filters, *, totals_only: bool = False) -> dict[str, Any]:
    """Ranked in the database by ERR (or by engagements when no post has reach or views): two ORDER BY ...
    LIMIT read the best (with the number of posts ranked, COUNT(*) OVER ()) and the worst (newer target
    first among ties) whole."""
    channels = _channels(f)
    engagements, seen, err = _ranking()
    base = _latest(f, channels).annotate(eng=engagements, seen=seen)
    by = "err"
    ranked = base.filter(_HAS_ERR).annotate(k=err)
    best = _fetch_rows(ranked.order_by("-k", "target_id")[:BEST], "ranked")
    if not best:
        by = "engagements"
        ranked = base.filter(eng__isnull=False).annotate(k=F("eng"))
        best = _fetch_rows(ranked.order_by("-k", "target_id")[:BEST], "ranked")
    count = best[0][-1] if best else 0
    totals = {"ranked": count, "ranked_by": by if count else None}
    if totals_only:
        return {"totals": totals}
    tail = _fetch_rows(ranked.order_by("k", "-target_id")[: 2 * BEST]) if count else []
    best_rows, tail_rows = _post_rows([best, tail], channels)
    chosen = {row.target_id for row in best_rows}
    if count <= BEST:  # every ranked post is among the best
        tail_rows = []
    worst = [row for row in tail_rows if row.target_id not in chosen][:BEST]
    return {
        "totals": totals,
        "best": [_post_dict(r) for r in best_rows],
        "worst": [_post_dict(r) for r in worst],
        "formulas": _formulas("post_err", "engagements"),
    }


# --- Clicks -----------------------------------------------------------------------------------------


def _click_filter(rows: QuerySet[Any], f: Filters) -> QuerySet[Any]:
    rows = rows.filter(workspace_id=f.workspace.pk)
    if f.channel:
        rows = rows.filter(channel_id=f.channel)
    if f.network:
        rows = rows.filter(network=f.network)
    if f.rubric:
        rows = rows.filter(post_id__in=_rubric_posts(f))
    return rows


def _clicks(f: Filters) -> QuerySet[ClickDaily]:
    """Clicks per link over the period (its months, weeks and days: spans.py)."""
    return _click_filter(
        ClickDaily.objects.filter(spans.cover_q(ClickDaily._meta.db_table, f.start, f.end)), f
    )


def _click_days(f: Filters) -> QuerySet[Any]:
    """Clicks per day and channel: the small per-channel table, or per link with a rubric filter."""
    model: Any = ClickDaily if f.rubric else ClickChannelDaily
    return _click_filter(model.objects.filter(spans.days_q(f.start, f.end)), f)


def _post_clicks(f: Filters) -> QuerySet[Any]:
    """Clicks over the period for ranking posts: the per-post table, or per link with a channel or network
    filter (the per-post table knows neither)."""
    if f.channel or f.network:
        return _clicks(f)
    return _click_filter(
        ClickPostDaily.objects.filter(spans.cover_q(ClickPostDaily._meta.db_table, f.start, f.end)), f
    )


def panel_clicks(f: Filters, *, totals_only: bool = False) -> dict[str, Any]:
    per_day: dict[dt.date, list[int]] = defaultdict(lambda: [0, 0])
    per_channel: dict[tuple[int, str], list[int]] = defaultdict(lambda: [0, 0])
    for day, channel_id, network, humans, bots in (
        _click_days(f)
        .values_list("day", "channel_id", "network")
        .annotate(h=Sum("humans"), b=Sum("bots"))
        .order_by()
    ):
        for counts in (per_day[day], per_channel[(channel_id, network)]):
            counts[0] += humans
            counts[1] += bots
    totals = {"humans": sum(v[0] for v in per_day.values()), "bots": sum(v[1] for v in per_day.values())}
    if totals_only:
        return {"totals": totals}
    days = _days(f)
    networks: dict[str, dict[str, Any]] = {}
    for (_channel_id, network), (humans, bots) in per_channel.items():
        entry = networks.setdefault(network, {"network": network, "humans": 0, "bots": 0})
        entry["humans"] += humans
        entry["bots"] += bots
    by_channel = sorted(per_channel.items(), key=lambda item: (-item[1][0], item[0]))[:TOP]
    by_post = list(
        _post_clicks(f)
        .exclude(post_id=0)
        .values("post_id")
        .annotate(humans=Sum("humans"), bots=Sum("bots"))
        .order_by("-humans", "post_id")[:TOP]
    )
    names = _channel_names(f.workspace, (key[0] for key, _values in by_channel))
    titles = _titles(f.workspace, (item["post_id"] for item in by_post))
    return {
        "totals": totals,
        "days": [day.isoformat() for day in days],
        "humans": [per_day[day][0] if day in per_day else 0 for day in days],
        "bots": [per_day[day][1] if day in per_day else 0 for day in days],
        "by_network": sorted(networks.values(), key=lambda item: (-item["humans"], item["network"])),
        "by_channel": [
            {
                "channel_id": channel_id,
                "channel_name": names.get(channel_id, ""),
                "humans": humans,
                "bots": bots,
            }
            for (channel_id, _network), (humans, bots) in by_channel
        ],
        "by_post": [{**item, "title": titles.get(item["post_id"], "")} for item in by_post],
        "formulas": _formulas("clicks"),
    }


# --- Site visits and conversions --------------------------------------------------------------------


def _tracker_filter(rows: QuerySet[Any], f: Filters) -> QuerySet[Any]:
    rows = rows.filter(workspace_id=f.workspace.pk)
    network = f.network or f.channel_network
    if network:
        rows = rows.filter(network=network)
    if f.rubric:
        rows = rows.filter(post_id__in=_rubric_posts(f))
    return rows


def _visits(f: Filters) -> QuerySet[VisitDaily]:
    """Visits per network x campaign x post over the period (months, weeks, days)."""
    return _tracker_filter(
        VisitDaily.objects.filter(spans.cover_q(VisitDaily._meta.db_table, f.start, f.end)), f
    )


def _post_visits(f: Filters, *, social: bool = False) -> QuerySet[Any]:
    """Visits over the period for ranking posts (``social``: from social networks only): the per-post
    table, or per network x campaign with a network filter (the per-post table knows no network)."""
    if f.network or f.channel_network:
        by_network = _visits(f)
        return by_network.exclude(network="") if social else by_network
    by_post = _tracker_filter(
        VisitPostDaily.objects.filter(spans.cover_q(VisitPostDaily._meta.db_table, f.start, f.end)), f
    )
    return by_post.filter(social=True) if social else by_post


def _visit_groups(f: Filters, where: Q | None = None) -> QuerySet[Any]:
    """Visits per network x campaign over the period: the table without posts, unless a rubric filter
    needs them."""
    model: Any = VisitDaily if f.rubric else VisitNetworkDaily
    return _tracker_filter(
        model.objects.filter(where or spans.cover_q(model._meta.db_table, f.start, f.end)), f
    )


def _tracker_raw(
    model: Any,
    f: Filters,
    select: str,
    types: tuple[str, ...],
    *,
    group: str,
    days_only: bool = False,
    where: str = "",
    order: str = "",
    network_filter: bool = True,
    channel_filter: bool = False,
    extra: Iterable[Any] = (),
) -> Raw:
    """A grouped read of a tracker roll-up (visits, conversions) for _together, written without the ORM
    (building and compiling querysets cost more than these queries take): the workspace, the period
    (the fewest day, week and month rows, or ``days_only``), the network filter (a channel filter keeps
    its network; ``channel_filter``: the channel itself, for the clicks' tables) and the rubric filter (the
    rubric's posts), then ``where`` (its parameters: ``extra``), GROUP BY ``group`` (if any), ``order``."""
    table = connection.ops.quote_name(model._meta.db_table)
    posts = connection.ops.quote_name(Post._meta.db_table)
    period_params: list[Any]
    if days_only:
        period = f"{table}.span = %s AND {table}.day >= %s AND {table}.day <= %s"
        period_params = [spans.DAY, f.start.isoformat(), f.end.isoformat()]
    else:
        period, period_params = spans.cover_sql(model._meta.db_table, f.start, f.end)
    if not period:
        return Raw("", (), types)
    conditions = [f"{table}.workspace_id = %s", period]
    params: list[Any] = [f.workspace.pk, *period_params]
    network = f.network or f.channel_network
    if network and network_filter:
        conditions.append(f"{table}.network = %s")
        params.append(network)
    if f.channel and channel_filter:
        conditions.append(f"{table}.channel_id = %s")
        params.append(f.channel)
    if f.rubric:
        rubric = f"SELECT id FROM {posts} WHERE workspace_id = %s AND rubric_id = %s"  # noqa: S608 (names)
        conditions.append(f"{table}.post_id IN ({rubric})")
        params += [f.workspace.pk, f.rubric]
    if where:
        conditions.append(where)
        params += list(extra)
    grouped = f"GROUP BY {group}" if group else ""
    sql = f"SELECT {select} FROM {table} WHERE {' AND '.join(conditions)} {grouped} {order}"  # noqa: S608 (names)
    return Raw(sql.rstrip(), tuple(params), types)


_SUMS = ("numeric", "numeric", "numeric", "numeric")


_VISIT_SUMS = {
    "v": Sum("visits"),
    "b": Sum("bounces"),
    "s": Sum("engaged_seconds"),
    "c": Sum("converted"),
}


class VisitSums:
    """Visits, bounces, engaged seconds and converted visits of a group, added up."""

    __slots__ = ("bounces", "converted", "seconds", "visits")

    def __init__(self) -> None:
        self.visits = self.bounces = self.seconds = self.converted = 0

    def add(self, item: Mapping[str, Any]) -> None:
        # int(): sums read without the ORM are numeric (Decimal) on PostgreSQL.
        self.visits += int(item["v"] or 0)
        self.bounces += int(item["b"] or 0)
        self.seconds += int(item["s"] or 0)
        self.converted += int(item["c"] or 0)

    def figures(self) -> dict[str, Any]:
        return {
            "visits": self.visits,
            "bounce_rate": _rate(self.bounces, self.visits),
            "avg_duration": round(self.seconds / self.visits, 1) if self.visits else None,
        }

    def conversion(self) -> dict[str, Any]:
        return {
            "sessions": self.visits,
            "converted_sessions": self.converted,
            "conversion_rate": _rate(self.converted, self.visits),
        }


def _visit_sums_query(f: Filters) -> Raw:
    """(network, campaign, visits, bounces, engaged seconds, converted) over the period: the table without
    posts, unless a rubric filter needs them."""
    return _tracker_raw(
        VisitDaily if f.rubric else VisitNetworkDaily,
        f,
        "network, campaign, SUM(visits), SUM(bounces), SUM(engaged_seconds), SUM(converted)",
        ("text", "text", *_SUMS),
        group="network, campaign",
    )


def _visit_sums(
    f: Filters, rows: list[tuple[Any, ...]] | None = None
) -> tuple[VisitSums, VisitSums, dict[str, VisitSums], dict[str, VisitSums]]:
    """(all visits, visits from social, per social network, per campaign of social visits), from the rows
    of _visit_sums_query (read here when not given)."""
    everything, social = VisitSums(), VisitSums()
    networks: dict[str, VisitSums] = defaultdict(VisitSums)
    campaigns: dict[str, VisitSums] = defaultdict(VisitSums)
    for network, campaign, visits, bounces, seconds, converted in (
        _together(_visit_sums_query(f))[0] if rows is None else rows
    ):
        item = {"v": visits, "b": bounces, "s": seconds, "c": converted}
        everything.add(item)
        if network:
            social.add(item)
            networks[network].add(item)
            campaigns[campaign].add(item)
    return everything, social, networks, campaigns


def _rubric_durations(f: Filters) -> dict[str, durations.Histogram]:
    """With a rubric filter: the histograms (which have no post) cannot be used; the raw visits of the
    rubric's posts give the exact median."""
    result: dict[str, durations.Histogram] = defaultdict(dict)
    since, until = _bounds(f)
    visits = apps.get_model("analytics", "Visit").objects.filter(
        workspace=f.workspace, started_at__gte=since, started_at__lt=until, post_id__in=_rubric_posts(f)
    )
    network = f.network or f.channel_network
    if network:
        visits = visits.filter(network=network)
    for network_key, seconds in visits.values_list("network", "engaged_seconds"):
        durations.add(result[network_key], durations.bucket(seconds), 1, seconds, seconds)
    return result


def _durations_query(f: Filters) -> Raw:
    """Engaged-time histograms per network ("" = not social) over the period (none with a rubric filter:
    _rubric_durations)."""
    types = ("text", "integer", "numeric", "bigint", "bigint")
    if f.rubric:
        return Raw("", (), types)
    return _tracker_raw(
        VisitDurationDaily,
        f,
        "network, bucket, SUM(visits), MIN(min_seconds), MAX(max_seconds)",
        types,
        group="network, bucket",
    )


def _histograms(rows: Iterable[tuple[Any, ...]]) -> dict[str, durations.Histogram]:
    result: dict[str, durations.Histogram] = defaultdict(dict)
    for network, number, visits, shortest, longest in rows:
        durations.add(result[network], int(number), int(visits), int(shortest), int(longest))
    return result


def _visits_by_post_query(f: Filters) -> Raw:
    """The TOP posts with most visits over the period (visits, bounces, engaged seconds, converted), from
    the per-post table (per network with a network filter, which it does not know)."""
    by_network = bool(f.network or f.channel_network)
    return _tracker_raw(
        VisitDaily if by_network else VisitPostDaily,
        f,
        "post_id, SUM(visits), SUM(bounces), SUM(engaged_seconds), SUM(converted)",
        ("bigint", *_SUMS),
        group="post_id",
        where="post_id <> 0",
        order=f"ORDER BY 2 DESC, 1 LIMIT {TOP}",
        network_filter=by_network,
    )


def panel_site(f: Filters, *, totals_only: bool = False) -> dict[str, Any]:
    """One round trip for the totals, networks, campaigns, medians, the daily series and the top posts
    (_together), then the posts' titles."""
    queries = [_visit_sums_query(f), _durations_query(f)]
    if not totals_only:
        queries += [
            _tracker_raw(
                VisitDaily if f.rubric else VisitNetworkDaily,
                f,
                "day, SUM(visits)",
                ("date", "numeric"),
                group="day",
                days_only=True,
                where="network <> ''",
            ),
            _visits_by_post_query(f),
        ]
    found = _together(*queries)
    everything, social, networks, campaigns = _visit_sums(f, found[0])
    histograms = _rubric_durations(f) if f.rubric else _histograms(found[1])
    social_histogram = durations.merge(h for network, h in histograms.items() if network)
    totals = {
        **everything.figures(),
        "median_duration": durations.median(durations.merge(histograms.values())),
        "social_visits": social.visits,
        "social_bounce_rate": _rate(social.bounces, social.visits),
        "social_avg_duration": social.figures()["avg_duration"],
        "social_median_duration": durations.median(social_histogram),
    }
    if totals_only:
        return {"totals": totals}
    per_day = {localtime.as_date(day): int(visits) for day, visits in found[2]}
    days = _days(f)
    by_network = [
        {
            "network": network,
            **sums.figures(),
            "median_duration": durations.median(histograms.get(network, {})),
        }
        for network, sums in sorted(networks.items(), key=lambda item: (-item[1].visits, item[0]))
    ]
    by_campaign = [
        {"campaign": campaign, **sums.figures()}
        for campaign, sums in sorted(campaigns.items(), key=lambda item: (-item[1].visits, item[0]))[:TOP]
    ]
    by_post_rows = sorted(found[3], key=lambda row: (-int(row[1]), row[0]))
    titles = _titles(f.workspace, (row[0] for row in by_post_rows))
    by_post = []
    for post_id, visits, bounces, seconds, converted in by_post_rows:
        sums = VisitSums()
        sums.add({"v": visits, "b": bounces, "s": seconds, "c": converted})
        by_post.append({"post_id": post_id, "title": titles.get(post_id, ""), **sums.figures()})
    return {
        "totals": totals,
        "days": [day.isoformat() for day in days],
        "social_visits": [per_day.get(day, 0) for day in days],
        "by_network": by_network,
        "by_campaign": by_campaign,
        "by_post": by_post,
        "formulas": _formulas("visits_social", "bounce_rate", "avg_duration", "median_duration"),
    }


def _revenue(items: Iterable[tuple[str, int, Any]]) -> dict[str, str]:
    """Revenue per currency from (currency, conversions with revenue, revenue) rows."""
    money: dict[str, Decimal] = defaultdict(Decimal)
    for currency, paid, revenue in items:
        if paid:
            money[currency or "?"] += Decimal(str(revenue or 0))
    return {currency: _money(value) for currency, value in sorted(money.items())}


class ConversionSums:
    __slots__ = ("conversions", "money")

    def __init__(self) -> None:
        self.conversions = 0
        self.money: list[tuple[str, int, Any]] = []

    def add(self, conversions: int, currency: str, paid: int, revenue: Any) -> None:
        self.conversions += conversions
        self.money.append((currency, paid, revenue))


def _conversion_groups_query(f: Filters) -> Raw:
    """(goal, network, campaign, currency, conversions, with revenue, revenue) over the period."""
    return _tracker_raw(
        ConversionDaily if f.rubric else ConversionGoalDaily,
        f,
        "goal, network, campaign, currency, SUM(conversions), SUM(with_revenue), SUM(revenue)",
        ("text", "text", "text", "text", "numeric", "numeric", "numeric"),
        group="goal, network, campaign, currency",
    )


def _post_conversions(f: Filters, post_ids: list[int]) -> tuple[dict[int, ConversionSums], dict[int, str]]:
    """Conversions and revenue of a few posts over the period, from their day rows (an index leads with
    the post: a handful of rows each), and the posts' titles: one round trip."""
    sums: dict[int, ConversionSums] = defaultdict(ConversionSums)
    if not post_ids:
        return sums, {}
    marks = ", ".join(["%s"] * len(post_ids))
    posts = connection.ops.quote_name(Post._meta.db_table)
    conversions, titles = _together(
        _tracker_raw(
            ConversionDaily,
            f,
            "post_id, currency, SUM(conversions), SUM(with_revenue), SUM(revenue)",
            ("bigint", "text", "numeric", "numeric", "numeric"),
            group="post_id, currency",
            days_only=True,
            where=f"post_id IN ({marks})",
            extra=post_ids,
        ),
        Raw(
            f"SELECT id, title, SUBSTR(text, 1, 80) FROM {posts} WHERE workspace_id = %s AND id IN ({marks})",  # noqa: S608
            (f.workspace.pk, *post_ids),
            ("bigint", "text", "text"),
        ),
    )
    for post_id, currency, count, paid, revenue in conversions:
        sums[int(post_id)].add(int(count), currency, int(paid or 0), revenue)
    return sums, {int(pk): (title or text or f"#{pk}")[:80] for pk, title, text in titles}


def _ranked_conversion_posts_query(f: Filters) -> Raw:
    """(post, conversions) of the TOP posts with most conversions over the period, most first (then by id),
    from the fewest day, week and month rows. (Ranking and summing per currency in one query, with window
    functions or with the ranking as a subquery, was measured slower.)"""
    return _tracker_raw(
        ConversionDaily,
        f,
        "post_id, SUM(conversions)",
        ("bigint", "numeric"),
        group="post_id",
        where="post_id <> 0",
        order=f"ORDER BY 2 DESC, 1 LIMIT {TOP}",
    )


def _conversions_by_post(f: Filters, ranked: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
    """The ranked posts (_ranked_conversion_posts_query's rows) with their conversions and revenue."""
    post_ids = [int(post_id) for post_id, _count in sorted(ranked, key=lambda row: (-int(row[1]), row[0]))]
    per_post, titles = _post_conversions(f, post_ids)
    return [
        {
            "post_id": pk,
            "conversions": per_post[pk].conversions,
            "revenue": _revenue(per_post[pk].money),
            "title": titles.get(pk, ""),
        }
        for pk in post_ids
    ]


def _merge_rates(
    conversions: dict[str, ConversionSums], sessions: dict[str, VisitSums], field: str, limit: int | None
) -> list[dict[str, Any]]:
    """Conversions and revenue per ``field`` value beside the conversion rate of its sessions."""
    keys = sorted(
        set(conversions) | set(sessions),
        key=lambda k: (
            -(conversions[k].conversions if k in conversions else 0),
            -(sessions[k].visits if k in sessions else 0),
            k,
        ),
    )
    result = []
    for key in keys[:limit] if limit else keys:
        found = conversions.get(key)
        rate = (sessions[key] if key in sessions else VisitSums()).conversion()
        result.append(
            {
                field: key,
                "conversions": found.conversions if found else 0,
                "revenue": _revenue(found.money) if found else {},
                **rate,
            }
        )
    return result


def panel_conversions(f: Filters, *, totals_only: bool = False) -> dict[str, Any]:
    goals: dict[str, ConversionSums] = defaultdict(ConversionSums)
    networks: dict[str, ConversionSums] = defaultdict(ConversionSums)
    campaigns: dict[str, ConversionSums] = defaultdict(ConversionSums)
    total = ConversionSums()
    queries = [_conversion_groups_query(f), _visit_sums_query(f)]
    groups, visit_rows, *ranked = _together(
        *queries if totals_only else [*queries, _ranked_conversion_posts_query(f)]
    )
    for goal, network, campaign, currency, count, paid, revenue in groups:
        count, paid = int(count), int(paid or 0)
        total.add(count, currency, paid, revenue)
        goals[goal].add(count, currency, paid, revenue)
        if network:
            networks[network].add(count, currency, paid, revenue)
        if campaign:
            campaigns[campaign].add(count, currency, paid, revenue)
    everything, social, visit_networks, visit_campaigns = _visit_sums(f, visit_rows)
    totals = {
        "conversions": total.conversions,
        "revenue": _revenue(total.money),
        **everything.conversion(),
        **{f"social_{key}": value for key, value in social.conversion().items()},
    }
    if totals_only:
        return {"totals": totals}
    visit_campaigns.pop("", None)
    return {
        "totals": totals,
        "by_goal": [
            {"goal": goal, "conversions": sums.conversions, "revenue": _revenue(sums.money)}
            for goal, sums in sorted(goals.items(), key=lambda item: (-item[1].conversions, item[0]))
        ],
        "by_network": _merge_rates(networks, visit_networks, "network", None),
        "by_campaign": _merge_rates(campaigns, visit_campaigns, "campaign", TOP),
        "by_post": _conversions_by_post(f, ranked[0]),
        "formulas": _formulas("conversions", "revenue", "conversion_rate"),
    }


def panel_traffic(f: Filters, *, totals_only: bool = False) -> dict[str, Any]:
    from portevoix.integrations.selectors import traffic_by_source

    imported = traffic_by_source(f.workspace, f.start, f.end, ("kind", "source", "medium"))
    for item in imported:
        item["service"] = item.pop("kind")
        if isinstance(item.get("revenue"), Decimal):
            item["revenue"] = _money(item["revenue"])
    tracker = [
        {"network": item["network"], "visits": item["v"]}
        for item in _visit_groups(f)
        .exclude(network="")
        .values("network")
        .annotate(v=Sum("visits"))
        .order_by("-v")
    ]
    sessions: dict[str, int] = defaultdict(int)
    for item in imported:
        sessions[item["service"]] += item["sessions"] or 0
    return {
        "totals": {
            "tracker_social_visits": sum(t["visits"] for t in tracker),
            **{f"{k}_sessions": v for k, v in sessions.items()},
        },
        "imported": imported[:50],
        "tracker": tracker,
        "formulas": _formulas("visits_social", "ga_bounce_rate"),
    }


# --- The funnel -------------------------------------------------------------------------------------


def _funnel_ranking(f: Filters) -> Raw:
    """The TOP posts by human clicks, then visits from social networks, then id, ranked in the database
    from the per-post tables (per link and per network with a channel or network filter, which they do
    not know): (post, clicks, visits)."""
    by_link = bool(f.channel or f.network)
    clicks = _tracker_raw(
        ClickDaily if by_link else ClickPostDaily,
        f,
        "post_id, SUM(humans) AS h, 0 AS v",
        (),
        group="post_id",
        where="post_id <> 0",
        network_filter=bool(f.network),  # as _click_filter: the network asked for, and the channel
        channel_filter=True,
    )
    by_network = bool(f.network or f.channel_network)
    visits = _tracker_raw(
        VisitDaily if by_network else VisitPostDaily,
        f,
        "post_id, 0 AS h, SUM(visits) AS v",
        (),
        group="post_id",
        where="post_id <> 0 AND network <> ''" if by_network else "post_id <> 0 AND social = %s",
        network_filter=by_network,
        extra=() if by_network else (True,),
    )
    parts = [part for part in (clicks, visits) if part.sql]
    types = ("bigint", "numeric", "numeric")
    if not parts:
        return Raw("", (), types)
    sql = (
        f"SELECT u.post_id, SUM(u.h), SUM(u.v) FROM ({' UNION ALL '.join(p.sql for p in parts)}) u "  # noqa: S608
        f"GROUP BY u.post_id ORDER BY 2 DESC, 3 DESC, 1 LIMIT {TOP}"
    )
    return Raw(sql, tuple(value for part in parts for value in part.params), types)


def panel_funnel(f: Filters, *, totals_only: bool = False) -> dict[str, Any]:
    """Totals from the small tables; the 20 posts with most clicks (then visits, then id; posts with only
    conversions come last) ranked in the database from the per-post roll-ups, with the conversions of
    those 20 only. One round trip, then one for the posts' conversions and titles."""
    queries: list[QuerySet[Any] | Raw] = [
        _conversion_groups_query(f),
        _tracker_raw(  # the small per-channel table (per link with a rubric filter)
            ClickDaily if f.rubric else ClickChannelDaily,
            f,
            "SUM(humans)",
            ("numeric",),
            group="",
            days_only=True,
            network_filter=bool(f.network),
            channel_filter=True,
        ),
        _tracker_raw(
            VisitDaily if f.rubric else VisitNetworkDaily,
            f,
            "SUM(visits)",
            ("numeric",),
            group="",
            where="network <> ''",
        ),
        _published(f).order_by().values("workspace_id").annotate(n=Count("pk")).values_list("n"),
    ]
    if not totals_only:
        queries.append(_funnel_ranking(f))
    groups, clicks_found, visits_found, published, *ranked = _together(*queries)
    total = ConversionSums()
    for _goal, _network, _campaign, currency, count, paid, revenue in groups:
        total.add(int(count), currency, int(paid or 0), revenue)
    clicks_total = int(clicks_found[0][0] or 0) if clicks_found else 0
    visits_total = int(visits_found[0][0] or 0) if visits_found else 0
    totals = {
        "published": int(published[0][0]) if published else 0,
        "clicks": clicks_total,
        "visits": visits_total,
        "conversions": total.conversions,
        "revenue": _revenue(total.money),
        "click_to_visit": _rate(visits_total, clicks_total),
        "visit_to_conversion": _rate(total.conversions, visits_total),
    }
    if totals_only:
        return {"totals": totals}
    clicks = {int(pk): int(h) for pk, h, _v in ranked[0]}
    visits = {int(pk): int(v) for pk, _h, v in ranked[0]}
    ordered = sorted(clicks, key=lambda pk: (-clicks[pk], -visits[pk], pk))
    if len(ordered) < TOP:
        converting = (
            _tracker_filter(
                ConversionDaily.objects.filter(spans.cover_q(ConversionDaily._meta.db_table, f.start, f.end)),
                f,
            )
            .exclude(post_id=0)
            .exclude(post_id__in=ordered)
            .values_list("post_id", flat=True)
            .distinct()
            .order_by("post_id")
        )
        ordered += list(converting[: TOP - len(ordered)])
    ordered = ordered[:TOP]
    per_post_conv, titles = _post_conversions(f, ordered)
    per_post = [
        {
            "post_id": pk,
            "title": titles.get(pk, ""),
            "clicks": clicks.get(pk, 0),
            "visits": visits.get(pk, 0),
            "conversions": per_post_conv[pk].conversions if pk in per_post_conv else 0,
            "revenue": _revenue(per_post_conv[pk].money) if pk in per_post_conv else {},
        }
        for pk in ordered
    ]
    return {
        "totals": totals,
        "posts": per_post,
        "formulas": _formulas("clicks", "visits_social", "conversions", "revenue"),
    }


PANELS: dict[str, Callable[..., dict[str, Any]]] = {
    "followers": panel_followers,
    "posts": panel_posts,
    "best_worst": panel_best_worst,
    "clicks": panel_clicks,
    "site": panel_site,
    "conversions": panel_conversions,
    "traffic": panel_traffic,
    "funnel": panel_funnel,
}


def deltas(current: dict[str, Any], previous: dict[str, Any]) -> dict[str, Any]:
    """Change of each numeric total (None where either side is not available)."""
    result: dict[str, Any] = {}
    for key, value in current.items():
        before = previous.get(key)
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not isinstance(before, int | float)
        ):
            continue
        change = value - before
        result[key] = {
            "change": round(change, 2) if isinstance(change, float) else change,
            "percent": _rate(change, before) if before > 0 else None,
        }
    return result


def panel(f: Filters, name: str, *, compare: bool = False) -> dict[str, Any]:
    result = PANELS[name](f)
    if compare:
        previous = PANELS[name](f.previous(), totals_only=True)["totals"]
        result["previous_totals"] = previous
        result["deltas"] = deltas(result["totals"], previous)
    return result


def summary(f: Filters, *, compare: bool = True, names: Iterable[str] | None = None) -> dict[str, Any]:
    wanted = list(names or PANELS)
    return {
        "period": f.as_dict(),
        "previous": f.previous().as_dict() if compare else None,
        "panels": {name: panel(f, name, compare=compare) for name in wanted},
    }


def month_bounds(day: dt.date) -> tuple[dt.date, dt.date]:
    return day.replace(day=1), day.replace(day=calendar.monthrange(day.year, day.month)[1])

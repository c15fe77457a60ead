"""The post metrics panels: totals, per post, per channel, network and rubric with ER and ERR; the best and
worst posts."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any, NamedTuple

from django.db import connection
from django.db.models import (
    BigIntegerField,
    Count,
    F,
    FloatField,
    Q,
    QuerySet,
    TextField,
    Window,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast, Substr

from portevoix.channels.models import Channel
from portevoix.content.models import Post
from portevoix.dashboards.selectors.common import (
    Raw,
    _bounds,
    _channel_conditions,
    _formulas,
    _rate,
    _sql,
    _together,
)
from portevoix.dashboards.selectors.filters import BEST, MAX_POSTS, Filters
from portevoix.metrics import formulas
from portevoix.metrics.models import METRIC_FIELDS, PostMetricLatest
from portevoix.planning.models import Rubric
from portevoix.publishing.models import Target, TargetState


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

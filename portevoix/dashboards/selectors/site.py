"""The site panel: the tracker's visits, bounce rate, average and median engaged time, from social and by
network, campaign and post."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.apps import apps
from django.db import connection
from django.db.models import (
    Q,
    QuerySet,
    Sum,
)

from portevoix.content.models import Post
from portevoix.dashboards import durations, localtime, spans
from portevoix.dashboards.models import (
    VisitDaily,
    VisitDurationDaily,
    VisitNetworkDaily,
    VisitPostDaily,
)
from portevoix.dashboards.selectors.common import (
    Raw,
    _bounds,
    _days,
    _formulas,
    _rate,
    _rubric_posts,
    _titles,
    _together,
)
from portevoix.dashboards.selectors.filters import TOP, Filters


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

    def add(self, visits: int, bounces: int, seconds: int, converted: int) -> None:
        self.visits += visits
        self.bounces += bounces
        self.seconds += seconds
        self.converted += converted

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
        # int(): sums read without the ORM are numeric (Decimal) on PostgreSQL.
        sums = (int(visits or 0), int(bounces or 0), int(seconds or 0), int(converted or 0))
        everything.add(*sums)
        if network:
            social.add(*sums)
            networks[network].add(*sums)
            campaigns[campaign].add(*sums)
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
        sums.add(int(visits or 0), int(bounces or 0), int(seconds or 0), int(converted or 0))
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

"""Reading a period's sources: site figures (tracker, else imported traffic), human clicks, followers."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.db.models import Avg, Count, Q, Sum
from django.db.models.functions import TruncDate

from portevoix.channels.models import Channel
from portevoix.integrations.selectors import traffic_by_source
from portevoix.links.models import LinkHourly, ShortLink
from portevoix.metrics import formulas
from portevoix.metrics import selectors as metrics
from portevoix.workspaces.models import Workspace

# utm_source values and referrer hosts that mean a social network (imported traffic): lower case.
SOCIAL_SOURCES = {
    "vk": "vk",
    "vk.com": "vk",
    "away.vk.com": "vk",
    "m.vk.com": "vk",
    "vkontakte": "vk",
    "telegram": "telegram",
    "t.me": "telegram",
    "web.telegram.org": "telegram",
    "facebook": "facebook",
    "facebook.com": "facebook",
    "m.facebook.com": "facebook",
    "l.facebook.com": "facebook",
    "instagram": "instagram",
    "instagram.com": "instagram",
    "l.instagram.com": "instagram",
    "bluesky": "bluesky",
    "bsky.app": "bluesky",
    "mastodon": "mastodon",
    "mastodon.social": "mastodon",
    "twitter": "x",
    "x": "x",
    "x.com": "x",
    "t.co": "x",
    "linkedin": "linkedin",
    "linkedin.com": "linkedin",
    "lnkd.in": "linkedin",
    "ok": "ok",
    "ok.ru": "ok",
    "youtube": "youtube",
    "youtube.com": "youtube",
    "threads": "threads",
    "threads.net": "threads",
    "pinterest": "pinterest",
    "pinterest.com": "pinterest",
    "tiktok": "tiktok",
    "tiktok.com": "tiktok",
    "dzen": "dzen",
    "dzen.ru": "dzen",
}
SOCIAL_MEDIUMS = {"social", "social-network", "social_network", "sm", "smm"}


# --- Site figures (tracker, else imports) --------------------------------------------------------------


@dataclass
class Site:
    source: str  # "tracker", "ga4" or "metrica"
    visits: int
    bounce_rate: float | None
    avg_duration: float | None
    median_duration: float | None
    conversions: int | float | None
    revenue: dict[str, Decimal]  # currency -> amount
    by_network: dict[str, int]
    by_network_conversions: dict[str, int | float]
    by_post: dict[tuple[int, str], tuple[int, int, Decimal | None]]  # (post, network) -> visits, conv, rev
    per_day: dict[dt.date, int]


def tracker_installed() -> bool:
    return apps.is_installed("portevoix.analytics")


def _tracker(workspace: Workspace, start: dt.date, end: dt.date) -> Site | None:
    """Social visits and conversions from the first-party tracker (analytics app); None when the app is
    not installed or the workspace has no site."""
    if not tracker_installed():
        return None
    try:
        site_model = apps.get_model("analytics", "Site")
        visit_model = apps.get_model("analytics", "Visit")
        conversion_model = apps.get_model("analytics", "Conversion")
    except LookupError:
        return None
    if not site_model.objects.filter(workspace=workspace).exists():
        return None
    since, until = metrics.bounds(workspace, start, end)
    tz = workspace.tzinfo
    visits = visit_model.objects.filter(
        workspace=workspace, started_at__gte=since, started_at__lt=until
    ).exclude(network="")
    conversions = conversion_model.objects.filter(workspace=workspace, at__gte=since, at__lt=until).exclude(
        network=""
    )
    totals = visits.aggregate(
        count=Count("pk"), bounced=Count("pk", filter=Q(bounced=True)), avg=Avg("engaged_seconds")
    )
    count = totals["count"] or 0
    median = None
    if count:
        ordered = visits.order_by("engaged_seconds").values_list("engaged_seconds", flat=True)
        if count % 2:
            median = float(ordered[count // 2])
        else:
            pair = list(ordered[count // 2 - 1 : count // 2 + 1])
            median = (pair[0] + pair[1]) / 2
    by_network = dict(visits.values_list("network").annotate(n=Count("pk")).order_by())
    per_day = dict(
        visits.annotate(day=TruncDate("started_at", tzinfo=tz))
        .values_list("day")
        .annotate(n=Count("pk"))
        .order_by()
    )
    by_post: dict[tuple[int, str], list[Any]] = defaultdict(lambda: [0, 0, None])
    for post_id, network, n in (
        visits.filter(post__isnull=False).values_list("post_id", "network").annotate(n=Count("pk")).order_by()
    ):
        by_post[(post_id, network)][0] += n
    revenue: dict[str, Decimal] = {}
    for currency, amount in (
        conversions.filter(revenue__isnull=False)
        .exclude(currency="")
        .values_list("currency")
        .annotate(total=Sum("revenue"))
        .order_by()
    ):
        revenue[currency] = amount
    by_network_conv = dict(conversions.values_list("network").annotate(n=Count("pk")).order_by())
    for post_id, network, n, amount in (
        conversions.filter(post__isnull=False)
        .values_list("post_id", "network")
        .annotate(n=Count("pk"), total=Sum("revenue"))
        .order_by()
    ):
        entry = by_post[(post_id, network)]
        entry[1] += n
        if amount is not None:
            entry[2] = (entry[2] or Decimal(0)) + amount
    return Site(
        source="tracker",
        visits=count,
        bounce_rate=formulas.rate(totals["bounced"], count),
        avg_duration=float(totals["avg"]) if totals["avg"] is not None else None,
        median_duration=median,
        conversions=conversions.count(),
        revenue=revenue,
        by_network=by_network,
        by_network_conversions=by_network_conv,
        by_post={key: (value[0], value[1], value[2]) for key, value in by_post.items()},
        per_day=per_day,
    )


def social_network_of(source: str, medium: str) -> str | None:
    """The network an imported row's source names, or the source itself when the medium says social."""
    key = (source or "").strip().lower()
    if key in SOCIAL_SOURCES:
        return SOCIAL_SOURCES[key]
    if (medium or "").strip().lower() in SOCIAL_MEDIUMS:
        return key or "other"
    return None


def _imported(workspace: Workspace, start: dt.date, end: dt.date) -> Site | None:
    """Social sessions from one imported service (GA4 first, else Yandex Metrica): the two count the same
    visits their own way, so they are never added up."""
    rows = traffic_by_source(workspace, start, end, group_by=("kind", "day", "source", "medium"))
    kinds = {row["kind"] for row in rows}
    if not kinds:
        return None
    kind = "ga4" if "ga4" in kinds else sorted(kinds)[0]
    visits = 0
    bounce_weighted = bounce_sessions = 0.0
    duration_weighted = duration_sessions = 0.0
    conversions: float | None = None
    revenue: dict[str, Decimal] = defaultdict(Decimal)
    by_network: Counter[str] = Counter()
    by_network_conv: Counter[str] = Counter()
    per_day: Counter[dt.date] = Counter()
    for row in rows:
        if row["kind"] != kind:
            continue
        network = social_network_of(row["source"], row["medium"])
        if network is None:
            continue
        sessions = row["sessions"] or 0
        visits += sessions
        by_network[network] += sessions
        per_day[row["day"]] += sessions
        if row["bounce_rate"] is not None:
            bounce_weighted += row["bounce_rate"] * sessions
            bounce_sessions += sessions
        if row["avg_duration"] is not None:
            duration_weighted += row["avg_duration"] * sessions
            duration_sessions += sessions
        if row["conversions"] is not None:
            conversions = (conversions or 0) + row["conversions"]
            by_network_conv[network] += row["conversions"]
        if row["revenue"] is not None and row["currency"]:
            revenue[row["currency"]] += row["revenue"]
    return Site(
        source=kind,
        visits=visits,
        bounce_rate=(bounce_weighted / bounce_sessions) if bounce_sessions else None,
        avg_duration=(duration_weighted / duration_sessions) if duration_sessions else None,
        median_duration=None,
        conversions=conversions,
        revenue=dict(revenue),
        by_network=dict(by_network),
        by_network_conversions=dict(by_network_conv),
        by_post={},
        per_day=dict(per_day),
    )


def site_figures(workspace: Workspace, start: dt.date, end: dt.date) -> Site | None:
    return _tracker(workspace, start, end) or _imported(workspace, start, end)


# --- Clicks --------------------------------------------------------------------------------------------


@dataclass
class Clicks:
    total: int
    per_day: dict[dt.date, int]
    by_network: dict[str, int]
    by_target: dict[tuple[int, int], int]  # (post, channel) -> human clicks
    tracked: set[tuple[int, int]]  # (post, channel) pairs that have a tracked link


def clicks(workspace: Workspace, start: dt.date, end: dt.date) -> Clicks | None:
    """Human clicks (bots excluded) on the workspace's short links during the period, from the hourly
    roll-up; None when the workspace has no short link at all (not available)."""
    links = ShortLink.objects.filter(workspace=workspace)
    if not links.exists():
        return None
    since, until = metrics.bounds(workspace, start, end)
    tz = workspace.tzinfo
    hourly = LinkHourly.objects.filter(workspace_id=workspace.pk, hour__gte=since, hour__lt=until)
    per_day = {
        row["day"]: row["humans"] or 0
        for row in hourly.annotate(day=TruncDate("hour", tzinfo=tz))
        .values("day")
        .annotate(humans=Sum("humans"))
        .order_by()
    }
    by_network: Counter[str] = Counter()
    by_target: Counter[tuple[int, int]] = Counter()
    for row in (
        hourly.values("link__channel__network", "link__post_id", "link__channel_id")
        .annotate(humans=Sum("humans"))
        .order_by()
    ):
        by_network[row["link__channel__network"] or ""] += row["humans"] or 0
        if row["link__post_id"] and row["link__channel_id"]:
            by_target[(row["link__post_id"], row["link__channel_id"])] += row["humans"] or 0
    tracked = {
        (post_id, channel_id)
        for post_id, channel_id in links.filter(post__isnull=False, channel__isnull=False).values_list(
            "post_id", "channel_id"
        )
    }
    return Clicks(
        total=sum(per_day.values()),
        per_day=per_day,
        by_network=dict(by_network),
        by_target=dict(by_target),
        tracked=tracked,
    )


def known_sum(values: Iterable[int | None]) -> int | None:
    known = [value for value in values if value is not None]
    return sum(known) if known else None


def _err_total(rows: list[metrics.PostMetricRow]) -> float | None:
    """Sum of engagements / sum of reach (views where a post has no reach) x 100, over the posts that
    have both."""
    engagements = denominator = 0
    seen = False
    for row in rows:
        base = row.reach if row.reach is not None else row.views
        if row.engagements is None or base is None:
            continue
        seen = True
        engagements += row.engagements
        denominator += base
    return formulas.rate(engagements, denominator) if seen else None


def _er_total(rows: list[metrics.PostMetricRow]) -> float | None:
    return formulas.er_channel(
        [row.engagements for row in rows if row.followers is not None],
        [row.followers for row in rows if row.engagements is not None],
    )


@dataclass
class Audience:
    followers: int | None
    start_followers: int | None
    growth: int | None
    by_network: dict[str, tuple[int | None, int | None]]  # network -> (followers, growth)


def audience(workspace: Workspace, channels: list[Channel], start: dt.date, end: dt.date) -> Audience:
    followers: list[int | None] = []
    starts: list[int | None] = []
    growths: list[int | None] = []
    by_network: dict[str, list[list[int | None]]] = defaultdict(lambda: [[], []])
    for channel in channels:
        growth = metrics.follower_growth(workspace, channel, start, end)
        followers.append(growth.end_followers)
        if growth.growth is not None:
            starts.append(growth.start_followers)
        growths.append(growth.growth)
        by_network[channel.network][0].append(growth.end_followers)
        by_network[channel.network][1].append(growth.growth)
    return Audience(
        followers=known_sum(followers),
        start_followers=known_sum(starts),
        growth=known_sum(growths),
        by_network={key: (known_sum(value[0]), known_sum(value[1])) for key, value in by_network.items()},
    )

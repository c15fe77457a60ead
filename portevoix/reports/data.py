"""A period's report figures, assembled from the other apps' reads (docs/reports.md).

Sources: post metrics and followers (metrics/selectors.py, formulas in metrics/formulas.py), human clicks on
short links (the links app's hourly roll-up), site visits and conversions from the first-party tracker
(the analytics app, when installed) or else from the imported GA4 / Yandex Metrica traffic
(integrations/selectors.py ``traffic_by_source``). Every figure names its formula (METRICS.md); a figure a
source does not give is ``None`` ("not available"), never 0.

Call inside ``translation.override(language)``: labels and notes are translated when built.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.db.models import Avg, Count, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from portevoix.channels.models import Channel
from portevoix.integrations.selectors import traffic_by_source
from portevoix.links.models import LinkHourly, ShortLink
from portevoix.metrics import formulas
from portevoix.metrics import selectors as metrics
from portevoix.workspaces.models import Workspace

TOP_POSTS = 5
MAX_CHART_CHANNELS = 6
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


# --- What a report holds -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    value: int | float | Decimal | None  # None: not available
    previous: int | float | Decimal | None
    unit: str  # "", "%", "s", or a currency code
    formula: str
    source: str = ""
    text: str = ""  # shown instead of the value when set (revenue in several currencies)

    @property
    def change(self) -> float | None:
        """Relative change from the previous period (percent); None when either is unknown or it was 0."""
        if self.value is None or self.previous is None or not self.previous:
            return None
        return (float(self.value) - float(self.previous)) / abs(float(self.previous)) * 100


@dataclass(frozen=True)
class PostRow:
    post_id: int
    title: str
    channel_name: str
    network: str
    published_at: dt.datetime
    url: str
    views: int | None
    reach: int | None
    likes: int | None
    comments: int | None
    shares: int | None
    engagements: int | None
    er: float | None
    err: float | None
    clicks: int | None  # None: the post has no tracked link on this channel
    visits: int | None
    conversions: int | None
    revenue: Decimal | None


@dataclass(frozen=True)
class NetworkRow:
    network: str
    channels: int
    posts: int
    followers: int | None
    growth: int | None
    views: int | None
    engagements: int | None
    er: float | None
    err: float | None
    clicks: int | None
    visits: int | None
    conversions: int | None


@dataclass(frozen=True)
class FunnelStep:
    key: str
    label: str
    value: int | Decimal | None
    rate: float | None  # this step / the previous step x 100
    unit: str = ""
    text: str = ""


@dataclass(frozen=True)
class Series:
    label: str
    points: list[tuple[dt.date, float | None]]


@dataclass(frozen=True)
class Chart:
    key: str
    title: str
    kind: str  # "line" or "bar"
    series: list[Series]
    categories: list[str] = field(default_factory=list)  # bar charts: one label per value
    note: str = ""

    @property
    def empty(self) -> bool:
        return not any(value for s in self.series for _day, value in s.points if value is not None)


@dataclass(frozen=True)
class Report:
    workspace_name: str
    timezone: str
    language: str
    start: dt.date
    end: dt.date
    previous_start: dt.date
    previous_end: dt.date
    generated_at: dt.datetime
    kpis: list[Figure]
    networks: list[NetworkRow]
    posts: list[PostRow]
    top_posts: list[PostRow]
    bottom_posts: list[PostRow]
    funnel: list[FunnelStep]
    charts: list[Chart]
    site_source: str  # "tracker", "ga4", "metrica" or "" (not available)
    notes: list[str]

    def kpi(self, key: str) -> Figure:
        return next(figure for figure in self.kpis if figure.key == key)


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


# --- Network figures -----------------------------------------------------------------------------------


def _sum(values: Iterable[int | None]) -> int | None:
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
        followers=_sum(followers),
        start_followers=_sum(starts),
        growth=_sum(growths),
        by_network={key: (_sum(value[0]), _sum(value[1])) for key, value in by_network.items()},
    )


def _days(start: dt.date, end: dt.date) -> list[dt.date]:
    return [start + dt.timedelta(days=offset) for offset in range((end - start).days + 1)]


def _follower_chart(workspace: Workspace, channels: list[Channel], start: dt.date, end: dt.date) -> Chart:
    series = []
    for channel in channels[:MAX_CHART_CHANNELS]:
        days = metrics.follower_series(workspace, channel, start, end)
        if all(day.followers is None for day in days):
            continue
        points: list[tuple[dt.date, float | None]] = []
        last: int | None = None
        for day in days:  # carry the last known count forward: a day without reading keeps it
            last = day.followers if day.followers is not None else last
            points.append((day.date, float(last) if last is not None else None))
        series.append(Series(label=f"{channel.name} ({channel.network})", points=points))
    note = ""
    if len(channels) > MAX_CHART_CHANNELS:
        note = _("The first %(n)s channels are drawn.") % {"n": MAX_CHART_CHANNELS}
    return Chart("followers", _("Followers over time"), "line", series, note=note)


def _network_label(network: str) -> str:
    return network or _("other")


# --- The report ----------------------------------------------------------------------------------------


def previous_period(start: dt.date, end: dt.date) -> tuple[dt.date, dt.date]:
    length = (end - start).days + 1
    return start - dt.timedelta(days=length), start - dt.timedelta(days=1)


def _revenue_value(revenue: dict[str, Decimal]) -> tuple[Decimal | None, str, str]:
    """(value, unit, text): one currency gives a value; several give a text listing each."""
    known = {currency: amount for currency, amount in revenue.items() if amount is not None}
    if not known:
        return None, "", ""
    if len(known) == 1:
        ((currency, amount),) = known.items()
        return amount, currency, ""
    text = "; ".join(f"{amount:.2f} {currency}" for currency, amount in sorted(known.items()))
    return None, "", text


@dataclass
class _Period:
    rows: list[metrics.PostMetricRow]
    audience: Audience
    clicks: Clicks | None
    site: Site | None


def _collect(workspace: Workspace, channels: list[Channel], start: dt.date, end: dt.date) -> _Period:
    return _Period(
        rows=metrics.post_metrics(workspace, start, end),
        audience=audience(workspace, channels, start, end),
        clicks=clicks(workspace, start, end),
        site=site_figures(workspace, start, end),
    )


def _site_label(source: str) -> str:
    return {
        "tracker": _("Portevoix site tracker"),
        "ga4": _("Google Analytics 4 (imported)"),
        "metrica": _("Yandex Metrica (imported)"),
    }.get(source, "")


def _kpis(now: _Period, before: _Period) -> list[Figure]:
    def both(getter: Any) -> tuple[Any, Any]:
        return getter(now), getter(before)

    site_source = _site_label(now.site.source) if now.site else ""
    clicks_source = _("Short links, bots excluded")
    metrics_source = _("Network metrics")
    figures: list[Figure] = []

    def add(key: str, label: str, getter: Any, unit: str, formula: str, source: str) -> None:
        value, previous = both(getter)
        figures.append(Figure(key, label, value, previous, unit, formula, source))

    def growth_rate(period: _Period) -> float | None:
        return formulas.rate(period.audience.growth, period.audience.start_followers)

    add(
        "followers",
        _("Followers"),
        lambda p: p.audience.followers,
        "",
        _("Followers at the end of the period, summed over the channels whose count is known."),
        metrics_source,
    )
    add(
        "follower_growth",
        _("Follower growth"),
        lambda p: p.audience.growth,
        "",
        _("Followers at the end − followers at the start of the period."),
        metrics_source,
    )
    add(
        "growth_rate",
        _("Growth rate"),
        growth_rate,
        "%",
        _("Growth / followers at the start × 100."),
        metrics_source,
    )
    add("posts", _("Posts published"), lambda p: len(p.rows), "", _("Post × channel published."), "")
    add(
        "views",
        _("Views"),
        lambda p: _sum(row.views for row in p.rows),
        "",
        _("Sum of the newest view counts of the period's posts (networks that give views)."),
        metrics_source,
    )
    add(
        "engagements",
        _("Engagements"),
        lambda p: _sum(row.engagements for row in p.rows),
        "",
        _("Reactions + comments + shares (+ quotes and saves where given)."),
        metrics_source,
    )
    add(
        "er",
        _("ER by followers"),
        lambda p: _er_total(p.rows),
        "%",
        _("Sum of engagements / number of posts / average followers at publication × 100."),
        metrics_source,
    )
    add(
        "err",
        _("ER by reach"),
        lambda p: _err_total(p.rows),
        "%",
        _("Sum of engagements / sum of reach (views where reach is not given) × 100."),
        metrics_source,
    )
    add(
        "clicks",
        _("Clicks (humans)"),
        lambda p: p.clicks.total if p.clicks else None,
        "",
        _("Clicks on tracked short links during the period, bots excluded."),
        clicks_source,
    )
    add(
        "visits",
        _("Visits from social"),
        lambda p: p.site.visits if p.site else None,
        "",
        _("Sessions whose source is a social network (UTM or referrer)."),
        site_source,
    )
    add(
        "bounce_rate",
        _("Bounce rate"),
        lambda p: p.site.bounce_rate if p.site else None,
        "%",
        _(
            "Single-page sessions without engagement / all sessions × 100 "
            "(imports: the service's own definition)."
        ),
        site_source,
    )
    add(
        "avg_duration",
        _("Visit duration (average)"),
        lambda p: p.site.avg_duration if p.site else None,
        "s",
        _("Engaged time from the first to the last hit of a session, averaged."),
        site_source,
    )
    add(
        "conversions",
        _("Conversions"),
        lambda p: p.site.conversions if p.site else None,
        "",
        _("Goal completions (sign-up, purchase, registration, custom) from social visits."),
        site_source,
    )
    value, unit, text = _revenue_value(now.site.revenue if now.site else {})
    previous, previous_unit, _text = _revenue_value(before.site.revenue if before.site else {})
    figures.append(
        Figure(
            "revenue",
            _("Revenue"),
            value,
            previous if previous_unit == unit else None,
            unit,
            _("Sum of conversion revenue attributed to social (last social touch within 30 days)."),
            site_source,
            text=text,
        )
    )
    return figures


def _post_rows(now: _Period) -> list[PostRow]:
    result = []
    for row in now.rows:
        key = (row.post_id, row.channel_id)
        row_clicks = None
        if now.clicks is not None and key in now.clicks.tracked:
            row_clicks = now.clicks.by_target.get(key, 0)
        visits = conversions = None
        revenue = None
        if now.site is not None and now.site.source == "tracker":
            found = now.site.by_post.get((row.post_id, row.network))
            visits, conversions, revenue = found if found else (0, 0, None)
        result.append(
            PostRow(
                post_id=row.post_id,
                title=row.post_title,
                channel_name=row.channel_name,
                network=row.network,
                published_at=row.published_at,
                url=row.url,
                views=row.views,
                reach=row.reach,
                likes=row.likes,
                comments=row.comments,
                shares=formulas.shares_total(row.shares, row.quotes),
                engagements=row.engagements,
                er=row.er,
                err=row.err,
                clicks=row_clicks,
                visits=visits,
                conversions=conversions,
                revenue=revenue,
            )
        )
    return result


def _network_rows(now: _Period, channels: list[Channel]) -> list[NetworkRow]:
    networks = sorted({channel.network for channel in channels} | {row.network for row in now.rows})
    result = []
    for network in networks:
        rows = [row for row in now.rows if row.network == network]
        followers, growth = now.audience.by_network.get(network, (None, None))
        result.append(
            NetworkRow(
                network=network,
                channels=sum(1 for channel in channels if channel.network == network),
                posts=len(rows),
                followers=followers,
                growth=growth,
                views=_sum(row.views for row in rows),
                engagements=_sum(row.engagements for row in rows),
                er=_er_total(rows),
                err=_err_total(rows),
                clicks=now.clicks.by_network.get(network, 0) if now.clicks else None,
                visits=now.site.by_network.get(network, 0) if now.site else None,
                conversions=(
                    now.site.by_network_conversions.get(network, 0)  # type: ignore[arg-type]
                    if now.site and now.site.conversions is not None
                    else None
                ),
            )
        )
    return result


def _funnel(report_kpis: list[Figure]) -> list[FunnelStep]:
    by_key = {figure.key: figure for figure in report_kpis}
    steps = [
        ("posts", _("Posts")),
        ("clicks", _("Clicks (humans)")),
        ("visits", _("Visits from social")),
        ("conversions", _("Conversions")),
        ("revenue", _("Revenue")),
    ]
    result: list[FunnelStep] = []
    previous: Any = None
    for key, label in steps:
        value = by_key[key].value
        rate = None
        if key not in ("revenue", "clicks") and previous is not None and value is not None:
            rate = formulas.rate(value, previous)  # type: ignore[arg-type]
        figure = by_key[key]
        result.append(FunnelStep(key, label, value, rate, figure.unit, figure.text))  # type: ignore[arg-type]
        previous = value
    return result


def _by_day_chart(key: str, title: str, per_day: dict[dt.date, float] | None, days: list[dt.date]) -> Chart:
    if per_day is None:
        return Chart(key, title, "line", [], note=_("Not available"))
    points = [(day, float(per_day.get(day, 0))) for day in days]
    return Chart(key, title, "line", [Series(title, points)])


def report_build(workspace: Workspace, start: dt.date, end: dt.date, *, language: str = "") -> Report:
    """The report of ``start`` .. ``end`` (inclusive, the workspace's time zone) with the previous period
    of the same length for comparison. Validate the period first (metrics.selectors.period)."""
    channels = list(Channel.objects.filter(workspace=workspace).order_by("network", "name", "pk"))
    previous_start, previous_end = previous_period(start, end)
    now = _collect(workspace, channels, start, end)
    before = _collect(workspace, channels, previous_start, previous_end)
    kpis = _kpis(now, before)
    posts = _post_rows(now)
    ranked = sorted(
        (row for row in posts if row.engagements is not None),
        key=lambda row: (row.engagements, row.views or 0),
        reverse=True,
    )
    top = ranked[:TOP_POSTS]
    bottom = [row for row in reversed(ranked) if row not in top][:TOP_POSTS]
    days = _days(start, end)
    engagements_per_day: dict[dt.date, float] | None = None
    known = [row for row in now.rows if row.engagements is not None]
    if known:
        engagements_per_day = defaultdict(float)
        for row in known:
            day = timezone.localtime(row.published_at, workspace.tzinfo).date()
            engagements_per_day[day] += row.engagements or 0
    visits_chart = Chart("visits_by_network", _("Visits by network"), "bar", [], note=_("Not available"))
    if now.site is not None:
        ordered = sorted(now.site.by_network.items(), key=lambda item: (-item[1], item[0]))
        visits_chart = Chart(
            "visits_by_network",
            _("Visits by network"),
            "bar",
            [Series(_("Visits"), [(start, float(count)) for _name, count in ordered])],
            categories=[_network_label(name) for name, _count in ordered],
        )
    charts = [
        _follower_chart(workspace, channels, start, end),
        _by_day_chart(
            "engagements", _("Engagements per day (by publication day)"), engagements_per_day, days
        ),
        _by_day_chart(
            "clicks", _("Clicks per day (humans)"), now.clicks.per_day if now.clicks else None, days
        ),
        visits_chart,
    ]
    notes = [
        _("Dates are in the workspace's time zone (%(tz)s).") % {"tz": workspace.timezone},
        _("“Not available”: the source gives no value for this figure (it is not 0)."),
    ]
    if now.site is None:
        notes.append(
            _(
                "Site visits and conversions are not available: no site tracker data and no GA4 or "
                "Yandex Metrica import for this period."
            )
        )
    elif now.site.source != "tracker":
        notes.append(
            _("Site figures come from %(source)s; visits per post need the Portevoix site tracker.")
            % {"source": _site_label(now.site.source)}
        )
    return Report(
        workspace_name=workspace.name,
        timezone=workspace.timezone,
        language=language or workspace.language,
        start=start,
        end=end,
        previous_start=previous_start,
        previous_end=previous_end,
        generated_at=timezone.now(),
        kpis=kpis,
        networks=_network_rows(now, channels),
        posts=posts,
        top_posts=top,
        bottom_posts=bottom,
        funnel=_funnel(kpis),
        charts=charts,
        site_source=now.site.source if now.site else "",
        notes=notes,
    )

"""The report of a period: key figures with the previous period, tables, funnel and charts."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from portevoix.channels.models import Channel
from portevoix.metrics import formulas
from portevoix.metrics import selectors as metrics
from portevoix.reports.data.sources import (
    Audience,
    Clicks,
    Site,
    audience,
    clicks,
    known_sum,
    site_figures,
)
from portevoix.reports.data.types import Chart, Figure, FunnelStep, NetworkRow, PostRow, Report, Series
from portevoix.workspaces.models import Workspace

TOP_POSTS = 5
MAX_CHART_CHANNELS = 6


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
        lambda p: known_sum(row.views for row in p.rows),
        "",
        _("Sum of the newest view counts of the period's posts (networks that give views)."),
        metrics_source,
    )
    add(
        "engagements",
        _("Engagements"),
        lambda p: known_sum(row.engagements for row in p.rows),
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
                views=known_sum(row.views for row in rows),
                engagements=known_sum(row.engagements for row in rows),
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


def _by_day_chart(
    key: str, title: str, per_day: Mapping[dt.date, float] | None, days: list[dt.date]
) -> Chart:
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

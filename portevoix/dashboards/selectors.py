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
    panel_site(filters)         tracker visits (all and from social), bounce rate, engaged time
    panel_conversions(filters)  conversions and revenue by goal, network, campaign, post
    panel_traffic(filters)      GA4 / Metrica sessions by source and medium beside the tracker's visits
    panel_funnel(filters)       posts -> clicks -> visits -> conversions -> revenue, totals and per post
    PANELS: dict name -> function (the names above without ``panel_``)
    summary(filters, compare=True) -> {"period", "previous", "panels": {name: {..., "previous_totals",
        "deltas"}}}; ``deltas[key]`` = {"change": current - previous, "percent": change / previous x 100}.

Each panel returns ``{"totals": {...}, ...}`` plus its tables and ``"formulas"`` (figure -> formula).
Filters: ``channel`` and ``network`` filter everything that knows them (site visits and conversions
know the network only: a channel filter keeps its network); ``rubric`` keeps the posts of the rubric and
their clicks, visits and conversions (follower counts are per channel: not filtered by rubric).
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any, NamedTuple

from django.db.models import Q, QuerySet, Sum
from django.db.models.functions import Substr
from django.utils import timezone
from django.utils.translation import gettext as _

from portevoix.channels.models import Channel
from portevoix.content.models import Post
from portevoix.core.errors import ValidationFailed
from portevoix.dashboards.models import ClickDaily, ConversionDaily, VisitDaily
from portevoix.metrics import formulas
from portevoix.metrics.models import METRIC_FIELDS, FollowerDaily, PostMetricLatest
from portevoix.metrics.selectors import FOLLOWERS_LOOKBACK
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


def _formulas(*names: str) -> dict[str, str]:
    known = {
        "growth": _("followers at the end - followers at the start"),
        "growth_rate": _("growth / followers at the start x 100 %"),
        "engagements": _("reactions + comments + shares (+ quotes, + saves where given)"),
        "er": _("sum of engagements / number of posts / average followers at publication x 100 %"),
        "err": _("sum of engagements / sum of reach (views where reach is not given) x 100 %"),
        "post_er": _("engagements / followers at publication x 100 %"),
        "post_err": _("engagements / reach (or views) x 100 %"),
        "clicks": _("clicks on tracked short links by people; bots and link previewers counted apart"),
        "ctr": _("human clicks / views x 100 %"),
        "visits_social": _("tracker sessions whose source is a social network (UTM or referrer)"),
        "bounce_rate": _("single-page sessions without engagement / sessions x 100 % (tracker definition)"),
        "avg_duration": _("sum of engaged seconds / sessions (visible-tab time)"),
        "conversions": _("goal completions, attributed to the last social touch within 30 days"),
        "revenue": _("sum of purchase revenue, per currency"),
        "ga_bounce_rate": _("as each service defines it (GA4: sessions not engaged)"),
    }
    return {name: known[name] for name in names}


# --- Helpers ----------------------------------------------------------------------------------------


def _rate(numerator: float | int | None, denominator: float | int | None) -> float | None:
    value = formulas.rate(numerator, denominator)
    return None if value is None else round(value, 2)


def _known_sum(values: Iterable[int | None]) -> int | None:
    known = [value for value in values if value is not None]
    return sum(known) if known else None


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


def _days(f: Filters) -> list[dt.date]:
    return [f.start + dt.timedelta(days=n) for n in range(f.days)]


# --- Followers --------------------------------------------------------------------------------------


def panel_followers(f: Filters) -> dict[str, Any]:
    channels = Channel.objects.filter(workspace=f.workspace)
    if f.channel:
        channels = channels.filter(pk=f.channel)
    if f.network:
        channels = channels.filter(network=f.network)
    found = list(channels.order_by("network", "name").values_list("pk", "name", "network"))
    readings: dict[int, list[tuple[dt.date, int]]] = defaultdict(list)
    for channel_id, day, count in (
        FollowerDaily.objects.filter(
            workspace=f.workspace,
            channel_id__in=[c[0] for c in found],
            day__gte=f.start - FOLLOWER_START_LOOKBACK,
            day__lte=f.end,
        )
        .order_by("channel_id", "day")
        .values_list("channel_id", "day", "followers")
    ):
        readings[channel_id].append((day, count))
    days = _days(f)
    per_channel = []
    carried: dict[int, dict[dt.date, int]] = {}
    total_start = total_growth = 0
    known_growth = False
    for channel_id, name, network in found:
        values = readings.get(channel_id, [])
        before = [v for v in values if v[0] < f.start]
        inside = [v for v in values if f.start <= v[0] <= f.end]
        start = before[-1] if before else (inside[0] if inside else None)
        end = inside[-1] if inside else (before[-1] if before else None)
        growth = end[1] - start[1] if start and end else None
        by_day = dict(inside)
        series = [by_day.get(day) for day in days]
        last = before[-1][1] if before else None
        carry: dict[dt.date, int] = {}
        for day in days:
            last = by_day.get(day, last)
            if last is not None:
                carry[day] = last
        carried[channel_id] = carry
        if growth is not None and start is not None:
            known_growth = True
            total_start += start[1]
            total_growth += growth
        per_channel.append(
            {
                "channel_id": channel_id,
                "channel_name": name,
                "network": network,
                "start_followers": start[1] if start else None,
                "end_followers": end[1] if end else None,
                "growth": growth,
                "growth_rate": _rate(growth, start[1]) if start and growth is not None else None,
                "series": series,
            }
        )
    total_series = []
    for day in days:
        known = [carry[day] for carry in carried.values() if day in carry]
        total_series.append(sum(known) if known else None)
    end_total = total_series[-1] if total_series else None
    return {
        "totals": {
            "followers": end_total,
            "growth": total_growth if known_growth else None,
            "growth_rate": _rate(total_growth, total_start) if known_growth else None,
        },
        "days": [day.isoformat() for day in days],
        "series": total_series,
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


def _post_rows(f: Filters) -> list[PostRow]:
    """Latest figures of the posts x channels published in the period, newest first (PostMetricLatest,
    followers at publication as in metrics.selectors.post_metrics: the last daily count within a week)."""
    tz = f.workspace.tzinfo
    since = dt.datetime.combine(f.start, dt.time.min, tzinfo=tz)
    until = dt.datetime.combine(f.end + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    latest = PostMetricLatest.objects.filter(
        workspace=f.workspace, published_at__gte=since, published_at__lt=until
    )
    if f.channel:
        latest = latest.filter(channel_id=f.channel)
    if f.network:
        latest = latest.filter(channel__network=f.network)
    if f.rubric:
        latest = latest.filter(post__rubric_id=f.rubric)
    found = list(
        latest.order_by("-published_at", "-target_id").values_list(
            "target_id",
            "post_id",
            "channel_id",
            "channel__name",
            "channel__network",
            "post__rubric_id",
            "post__title",
            Substr("post__text", 1, 80),
            "published_at",
            *METRIC_FIELDS,
        )
    )
    followers: dict[int, dict[dt.date, int]] = defaultdict(dict)
    channel_ids = {row[2] for row in found}
    if channel_ids:
        for channel_id, day, number in FollowerDaily.objects.filter(
            workspace=f.workspace,
            channel_id__in=channel_ids,
            day__gte=f.start - FOLLOWERS_LOOKBACK,
            day__lte=f.end,
        ).values_list("channel_id", "day", "followers"):
            followers[channel_id][day] = number
    lookback = FOLLOWERS_LOOKBACK.days
    one_day = dt.timedelta(days=1)
    engagements_of, er_of, err_of, shares_of = (
        formulas.engagements,
        formulas.er,
        formulas.err,
        formulas.shares_total,
    )
    rows = []
    for row in found:
        target_id, post_id, channel_id, channel_name, network, rubric_id, title, text, published = row[:9]
        views, reach, likes, comments, shares, saves, quotes = row[9:]
        day = published.astimezone(tz).date()
        counts = followers.get(channel_id)
        count = None
        if counts:
            for back in range(lookback + 1):
                count = counts.get(day - one_day * back)
                if count is not None:
                    break
        engagements = engagements_of(
            likes=likes, comments=comments, shares=shares, saves=saves, quotes=quotes
        )
        rows.append(
            PostRow(
                target_id,
                post_id,
                (title or text or f"#{post_id}")[:80],
                channel_id,
                channel_name,
                network,
                rubric_id,
                published,
                views,
                reach,
                likes,
                comments,
                shares_of(shares, quotes),
                saves,
                count,
                engagements,
                er_of(engagements, count),
                err_of(engagements, reach=reach, views=views),
            )
        )
    return rows


def _aggregate(rows: list[PostRow]) -> dict[str, Any]:
    """Totals of a group of posts: sums of what is known (None when nothing is), ER of the group
    (formulas.er_channel) and ERR as sum of engagements / sum of reach-or-views of the posts having both."""
    sums: dict[str, int | None] = dict.fromkeys(
        ("views", "reach", "likes", "comments", "shares", "saves", "engagements")
    )
    err_engagements = err_reach = 0
    err_known = False
    for r in rows:
        for name, value in (
            ("views", r.views), ("reach", r.reach), ("likes", r.likes), ("comments", r.comments),
            ("shares", r.shares), ("saves", r.saves), ("engagements", r.engagements),
        ):  # fmt: skip
            if value is not None:
                sums[name] = (sums[name] or 0) + value
        seen = r.reach if r.reach is not None else r.views
        if r.engagements is not None and seen:
            err_known = True
            err_engagements += r.engagements
            err_reach += seen
    er = formulas.er_channel([r.engagements for r in rows], [r.followers for r in rows])
    return {
        "posts": len(rows),
        **sums,
        "er": None if er is None else round(er, 2),
        "err": _rate(err_engagements, err_reach) if err_known else None,
    }


def _post_dict(row: PostRow) -> dict[str, Any]:
    result = row._asdict()
    result["title"] = result.pop("post_title")
    result["published_at"] = row.published_at.isoformat()
    result["er"] = None if row.er is None else round(row.er, 2)
    result["err"] = None if row.err is None else round(row.err, 2)
    return result


def _grouped(rows: list[PostRow], key: Callable[[PostRow], Any]) -> dict[Any, list[PostRow]]:
    groups: dict[Any, list[PostRow]] = defaultdict(list)
    for row in rows:
        groups[key(row)].append(row)
    return groups


def _published_count(f: Filters) -> int:
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
    return targets.count()


def panel_posts(f: Filters) -> dict[str, Any]:
    rows = _post_rows(f)
    rubric_names = dict(
        Rubric.objects.filter(
            workspace=f.workspace, pk__in={r.rubric_id for r in rows if r.rubric_id}
        ).values_list("pk", "name")
    )
    totals = _aggregate(rows)
    totals["published"] = _published_count(f)
    return {
        "totals": totals,
        "posts": [_post_dict(row) for row in rows[:MAX_POSTS]],
        "more_posts": max(0, len(rows) - MAX_POSTS),
        "by_channel": [
            {"channel_id": key[0], "channel_name": key[1], "network": key[2], **_aggregate(group)}
            for key, group in sorted(
                _grouped(rows, lambda r: (r.channel_id, r.channel_name, r.network)).items()
            )
        ],
        "by_network": [
            {"network": key, **_aggregate(group)}
            for key, group in sorted(_grouped(rows, lambda r: r.network).items())
        ],
        "by_rubric": [
            {"rubric_id": key or None, "rubric_name": rubric_names.get(key, ""), **_aggregate(group)}
            for key, group in sorted(_grouped(rows, lambda r: r.rubric_id or 0).items())
        ],
        "formulas": _formulas("engagements", "er", "err", "post_er", "post_err"),
    }


def panel_best_worst(f: Filters) -> dict[str, Any]:
    rows = _post_rows(f)
    ranked = [r for r in rows if r.err is not None]
    by = "err"
    if not ranked:
        ranked, by = [r for r in rows if r.engagements is not None], "engagements"

    def key(r: PostRow) -> float:
        return float(r.err if by == "err" else r.engagements)  # type: ignore[arg-type]

    ordered = sorted(ranked, key=lambda r: (-key(r), r.target_id))
    best = ordered[:BEST]
    worst = [r for r in reversed(ordered) if r not in best][:BEST]
    return {
        "totals": {"ranked": len(ranked), "ranked_by": by if ranked else None},
        "best": [_post_dict(r) for r in best],
        "worst": [_post_dict(r) for r in worst],
        "formulas": _formulas("post_err", "engagements"),
    }


# --- Clicks -----------------------------------------------------------------------------------------


def _clicks(f: Filters) -> QuerySet[ClickDaily]:
    rows = ClickDaily.objects.filter(workspace_id=f.workspace.pk, day__gte=f.start, day__lte=f.end)
    if f.channel:
        rows = rows.filter(channel_id=f.channel)
    if f.network:
        rows = rows.filter(network=f.network)
    if f.rubric:
        rows = rows.filter(post_id__in=_rubric_posts(f))
    return rows


def panel_clicks(f: Filters) -> dict[str, Any]:
    rows = _clicks(f)
    per_day = {
        item["day"]: (item["h"], item["b"])
        for item in rows.values("day").annotate(h=Sum("humans"), b=Sum("bots")).order_by()
    }
    days = _days(f)
    networks: dict[str, dict[str, Any]] = {}
    channels = []
    for item in (
        rows.values("channel_id", "network").annotate(humans=Sum("humans"), bots=Sum("bots")).order_by()
    ):
        entry = networks.setdefault(item["network"], {"network": item["network"], "humans": 0, "bots": 0})
        entry["humans"] += item["humans"]
        entry["bots"] += item["bots"]
        channels.append(item)
    by_channel = sorted(channels, key=lambda item: -item["humans"])[:TOP]
    by_post = list(
        rows.exclude(post_id=0)
        .values("post_id")
        .annotate(humans=Sum("humans"), bots=Sum("bots"))
        .order_by("-humans")[:TOP]
    )
    names = _channel_names(f.workspace, (item["channel_id"] for item in by_channel))
    titles = _titles(f.workspace, (item["post_id"] for item in by_post))
    return {
        "totals": {
            "humans": sum(v[0] for v in per_day.values()),
            "bots": sum(v[1] for v in per_day.values()),
        },
        "days": [day.isoformat() for day in days],
        "humans": [per_day.get(day, (0, 0))[0] for day in days],
        "bots": [per_day.get(day, (0, 0))[1] for day in days],
        "by_network": sorted(networks.values(), key=lambda item: (-item["humans"], item["network"])),
        "by_channel": [
            {
                "channel_id": item["channel_id"],
                "channel_name": names.get(item["channel_id"], ""),
                "humans": item["humans"],
                "bots": item["bots"],
            }
            for item in by_channel
        ],
        "by_post": [{**item, "title": titles.get(item["post_id"], "")} for item in by_post],
        "formulas": _formulas("clicks"),
    }


# --- Site visits and conversions --------------------------------------------------------------------


def _tracker_filter(rows: QuerySet[Any], f: Filters) -> QuerySet[Any]:
    network = f.network or f.channel_network
    if network:
        rows = rows.filter(network=network)
    if f.rubric:
        rows = rows.filter(post_id__in=_rubric_posts(f))
    return rows


def _visits(f: Filters) -> QuerySet[VisitDaily]:
    return _tracker_filter(
        VisitDaily.objects.filter(workspace_id=f.workspace.pk, day__gte=f.start, day__lte=f.end), f
    )


def _visit_figures(visits: int, bounces: int, seconds: int) -> dict[str, Any]:
    return {
        "visits": visits,
        "bounce_rate": _rate(bounces, visits),
        "avg_duration": round(seconds / visits, 1) if visits else None,
    }


def panel_site(f: Filters) -> dict[str, Any]:
    rows = _visits(f)
    social_only = ~Q(network="")
    all_ = rows.aggregate(
        v=Sum("visits"),
        b=Sum("bounces"),
        s=Sum("engaged_seconds"),
        sv=Sum("visits", filter=social_only),
        sb=Sum("bounces", filter=social_only),
        ss=Sum("engaged_seconds", filter=social_only),
    )
    social = rows.exclude(network="")
    per_day = dict(social.values("day").annotate(v=Sum("visits")).order_by().values_list("day", "v"))
    days = _days(f)
    by_network = [
        {"network": item["network"], **_visit_figures(item["v"], item["b"], item["s"])}
        for item in social.values("network")
        .annotate(v=Sum("visits"), b=Sum("bounces"), s=Sum("engaged_seconds"))
        .order_by("-v")
    ]
    by_campaign = [
        {"campaign": item["campaign"], **_visit_figures(item["v"], item["b"], item["s"])}
        for item in social.values("campaign")
        .annotate(v=Sum("visits"), b=Sum("bounces"), s=Sum("engaged_seconds"))
        .order_by("-v")[:TOP]
    ]
    by_post_rows = list(
        rows.exclude(post_id=0)
        .values("post_id")
        .annotate(v=Sum("visits"), b=Sum("bounces"), s=Sum("engaged_seconds"))
        .order_by("-v")[:TOP]
    )
    titles = _titles(f.workspace, (item["post_id"] for item in by_post_rows))
    return {
        "totals": {
            **_visit_figures(all_["v"] or 0, all_["b"] or 0, all_["s"] or 0),
            "social_visits": all_["sv"] or 0,
            "social_bounce_rate": _rate(all_["sb"] or 0, all_["sv"] or 0),
            "social_avg_duration": round((all_["ss"] or 0) / all_["sv"], 1) if all_["sv"] else None,
        },
        "days": [day.isoformat() for day in days],
        "social_visits": [per_day.get(day, 0) for day in days],
        "by_network": by_network,
        "by_campaign": by_campaign,
        "by_post": [
            {
                "post_id": item["post_id"],
                "title": titles.get(item["post_id"], ""),
                **_visit_figures(item["v"], item["b"], item["s"]),
            }
            for item in by_post_rows
        ],
        "formulas": _formulas("visits_social", "bounce_rate", "avg_duration"),
    }


def _conversions(f: Filters) -> QuerySet[ConversionDaily]:
    return _tracker_filter(
        ConversionDaily.objects.filter(workspace_id=f.workspace.pk, day__gte=f.start, day__lte=f.end), f
    )


def _revenue(items: Iterable[dict[str, Any]]) -> dict[str, str]:
    money: dict[str, Decimal] = defaultdict(Decimal)
    for item in items:
        if item["paid"]:
            money[item["currency"] or "?"] += Decimal(str(item["r"] or 0))
    return {currency: _money(value) for currency, value in sorted(money.items())}


def _by(items: list[dict[str, Any]], field: str, limit: int | None = None) -> list[dict[str, Any]]:
    """Conversions and revenue per value of ``field`` from the grouped rows, most conversions first."""
    grouped: dict[Any, dict[str, Any]] = {}
    for item in items:
        entry = grouped.setdefault(item[field], {field: item[field], "conversions": 0, "_items": []})
        entry["conversions"] += item["c"]
        entry["_items"].append(item)
    result = sorted(grouped.values(), key=lambda e: (-e["conversions"], str(e[field])))
    if limit:
        result = result[:limit]
    for entry in result:
        entry["revenue"] = _revenue(entry.pop("_items"))
    return result


def _grouped_conversions(rows: QuerySet[ConversionDaily], field: str) -> list[dict[str, Any]]:
    """Conversions and revenue per ``field`` and currency, summed by the database (a few rows)."""
    return [
        dict(item)
        for item in rows.values(field, "currency")
        .annotate(c=Sum("conversions"), paid=Sum("with_revenue"), r=Sum("revenue"))
        .order_by()
    ]


def panel_conversions(f: Filters) -> dict[str, Any]:
    rows = _conversions(f)
    goals = _grouped_conversions(rows, "goal")
    by_post = _by(_grouped_conversions(rows.exclude(post_id=0), "post_id"), "post_id", TOP)
    titles = _titles(f.workspace, (item["post_id"] for item in by_post))
    return {
        "totals": {"conversions": sum(i["c"] for i in goals), "revenue": _revenue(goals)},
        "by_goal": _by(goals, "goal"),
        "by_network": _by(_grouped_conversions(rows.exclude(network=""), "network"), "network"),
        "by_campaign": _by(_grouped_conversions(rows.exclude(campaign=""), "campaign"), "campaign", TOP),
        "by_post": [{**item, "title": titles.get(item["post_id"], "")} for item in by_post],
        "formulas": _formulas("conversions", "revenue"),
    }


def panel_traffic(f: Filters) -> dict[str, Any]:
    from portevoix.integrations.selectors import traffic_by_source

    imported = traffic_by_source(f.workspace, f.start, f.end, ("kind", "source", "medium"))
    for item in imported:
        item["service"] = item.pop("kind")
        if isinstance(item.get("revenue"), Decimal):
            item["revenue"] = _money(item["revenue"])
    tracker = [
        {"network": item["network"], "visits": item["v"]}
        for item in _visits(f).exclude(network="").values("network").annotate(v=Sum("visits")).order_by("-v")
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


def panel_funnel(f: Filters) -> dict[str, Any]:
    clicks = dict(
        _clicks(f).values("post_id").annotate(h=Sum("humans")).order_by().values_list("post_id", "h")
    )
    total_clicks = sum(clicks.values())
    clicks.pop(0, None)
    visit_rows = _visits(f).exclude(network="")
    visits = dict(
        visit_rows.values("post_id").annotate(v=Sum("visits")).order_by().values_list("post_id", "v")
    )
    total_visits = sum(visits.values())
    visits.pop(0, None)
    conversion_rows = _conversions(f)
    per_post_conv: dict[int, list[dict[str, Any]]] = defaultdict(list)
    total_conversions = 0
    all_items = []
    for item in (
        conversion_rows.values("post_id", "currency")
        .annotate(c=Sum("conversions"), paid=Sum("with_revenue"), r=Sum("revenue"))
        .order_by()
    ):
        total_conversions += item["c"]
        all_items.append(dict(item))
        if item["post_id"]:
            per_post_conv[item["post_id"]].append(dict(item))
    post_ids = set(clicks) | set(visits) | set(per_post_conv)
    ordered = sorted(post_ids, key=lambda pk: (-(clicks.get(pk) or 0), -(visits.get(pk) or 0), pk))[:TOP]
    titles = _titles(f.workspace, ordered)
    per_post = [
        {
            "post_id": pk,
            "title": titles.get(pk, ""),
            "clicks": clicks.get(pk, 0),
            "visits": visits.get(pk, 0),
            "conversions": sum(i["c"] for i in per_post_conv.get(pk, ())),
            "revenue": _revenue(per_post_conv.get(pk, ())),
        }
        for pk in ordered
    ]
    return {
        "totals": {
            "published": _published_count(f),
            "clicks": total_clicks,
            "visits": total_visits,
            "conversions": total_conversions,
            "revenue": _revenue(all_items),
            "click_to_visit": _rate(total_visits, total_clicks),
            "visit_to_conversion": _rate(total_conversions, total_visits),
        },
        "posts": per_post,
        "formulas": _formulas("clicks", "visits_social", "conversions", "revenue"),
    }


PANELS: dict[str, Callable[[Filters], dict[str, Any]]] = {
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
        previous = PANELS[name](f.previous())["totals"]
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

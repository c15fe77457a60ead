"""Reads for network metrics, scoped to a workspace; what the dashboards and reports call.

Periods are dates in the workspace's time zone, both ends included. Values a network does not give are
``None`` ("not available"), never 0; the formulas are in formulas.py and docs/metrics.md.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from portevoix.channels.models import Channel
from portevoix.core.errors import NotFound, ValidationFailed
from portevoix.core.periods import MAX_DAYS, period_days
from portevoix.metrics import formulas
from portevoix.metrics.models import METRIC_FIELDS, ChannelCollection, FollowerDaily, PostMetricLatest
from portevoix.publishing.models import Target, TargetState
from portevoix.workspaces.models import Workspace

MAX_RANGE_DAYS = MAX_DAYS
FOLLOWERS_LOOKBACK = dt.timedelta(days=7)  # followers "at publication": the last daily value within a week


# --- Periods ----------------------------------------------------------------------------------------


def period(
    workspace: Workspace, start: dt.date | None, end: dt.date | None, *, default_days: int = 30
) -> tuple[dt.date, dt.date]:
    """The period asked for (default: the last ``default_days`` days up to today); refused when reversed
    or longer than ``MAX_RANGE_DAYS``."""
    today = timezone.localtime(timezone.now(), workspace.tzinfo).date()
    return period_days(start, end, today=today, default_days=default_days, max_days=MAX_RANGE_DAYS)


def bounds(workspace: Workspace, start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[start 00:00, the day after end 00:00) in the workspace's zone, as aware datetimes."""
    tz = workspace.tzinfo
    return (
        dt.datetime.combine(start, dt.time.min, tzinfo=tz),
        dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=tz),
    )


# --- Lookups ----------------------------------------------------------------------------------------


def channel_get(*, workspace: Workspace, channel_id: int, field_name: str = "channel_id") -> Channel:
    channel = Channel.objects.filter(workspace=workspace, pk=channel_id).select_related("workspace").first()
    if channel is None:
        raise ValidationFailed(_("No such channel."), fields={field_name: [_("No such channel.")]})
    return channel


def published_targets(workspace: Workspace) -> QuerySet[Target]:
    return Target.objects.filter(workspace=workspace, state=TargetState.PUBLISHED, published_at__isnull=False)


def published_target(*, workspace: Workspace, post_id: int, channel_id: int) -> Target:
    """The published post x channel; ValidationFailed when there is none (not published there)."""
    target = published_targets(workspace).filter(post_id=post_id, channel_id=channel_id).first()
    if target is None:
        message = _("This post is not published on this channel.")
        raise ValidationFailed(message, fields={"post_id": [message]})
    return target


# --- Post metrics -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PostMetricRow:
    target_id: int
    post_id: int
    post_title: str
    channel_id: int
    channel_name: str
    network: str
    rubric_id: int | None
    published_at: dt.datetime
    url: str
    collected_at: dt.datetime | None
    source: str
    views: int | None
    reach: int | None
    likes: int | None
    comments: int | None
    shares: int | None
    saves: int | None
    quotes: int | None
    followers: int | None  # at publication (the channel's daily count), None when not known
    engagements: int | None = field(init=False)
    er: float | None = field(init=False)
    err: float | None = field(init=False)
    love_rate: float | None = field(init=False)
    talk_rate: float | None = field(init=False)
    amplification: float | None = field(init=False)
    virality: float | None = field(init=False)

    def __post_init__(self) -> None:
        shares = formulas.shares_total(self.shares, self.quotes)
        engagements = formulas.engagements(
            likes=self.likes, comments=self.comments, shares=self.shares, saves=self.saves, quotes=self.quotes
        )
        values = {
            "engagements": engagements,
            "er": formulas.er(engagements, self.followers),
            "err": formulas.err(engagements, reach=self.reach, views=self.views),
            "love_rate": formulas.love_rate(self.likes, self.followers),
            "talk_rate": formulas.talk_rate(self.comments, self.followers),
            "amplification": formulas.amplification(shares, self.followers),
            "virality": formulas.virality(shares, self.views),
        }
        for name, value in values.items():
            object.__setattr__(self, name, value)


def post_metrics(
    workspace: Workspace,
    start: dt.date,
    end: dt.date,
    channel: Channel | int | None = None,
    network: str | None = None,
    rubric: object | None = None,
) -> list[PostMetricRow]:
    """Latest values per post x channel for the posts published from ``start`` to ``end`` (inclusive, the
    workspace's zone), newest first. Published posts without any reading are listed with every value
    None. ``rubric``: a Rubric or its id."""
    since, until = bounds(workspace, start, end)
    targets = (
        published_targets(workspace)
        .filter(published_at__gte=since, published_at__lt=until)
        .select_related("post", "channel", "metrics")
        .order_by("-published_at", "-pk")
    )
    if channel is not None:
        targets = targets.filter(channel_id=getattr(channel, "pk", channel))
    if network:
        targets = targets.filter(channel__network=network)
    if rubric is not None:
        targets = targets.filter(post__rubric_id=getattr(rubric, "pk", rubric))
    found = list(targets)
    followers = _followers_at_publication(found, workspace.tzinfo)
    rows = []
    for target in found:
        latest: PostMetricLatest | None = getattr(target, "metrics", None)
        values = {name: getattr(latest, name) if latest else None for name in METRIC_FIELDS}
        rows.append(
            PostMetricRow(
                target_id=target.pk,
                post_id=target.post_id,
                post_title=str(target.post)[:80],
                channel_id=target.channel_id,
                channel_name=target.channel.name,
                network=target.channel.network,
                rubric_id=target.post.rubric_id,
                published_at=target.published_at,  # type: ignore[arg-type]
                url=target.remote_url,
                collected_at=latest.collected_at if latest else None,
                source=latest.source if latest else "",
                followers=followers.get(target.pk),
                **values,
            )
        )
    return rows


def _followers_at_publication(targets: Iterable[Target], tz: dt.tzinfo) -> dict[int, int]:
    """Target id -> the channel's followers on the day of publication (the last daily value on or before
    that day, at most a week old)."""
    by_channel: dict[int, list[Target]] = {}
    for target in targets:
        by_channel.setdefault(target.channel_id, []).append(target)
    result: dict[int, int] = {}
    for channel_id, items in by_channel.items():
        days = {t.pk: timezone.localtime(t.published_at, tz).date() for t in items if t.published_at}
        if not days:
            continue
        first, last = min(days.values()) - FOLLOWERS_LOOKBACK, max(days.values())
        series = list(
            FollowerDaily.objects.filter(channel_id=channel_id, day__gte=first, day__lte=last)
            .order_by("day")
            .values_list("day", "followers")
        )
        for target_id, day in days.items():
            known = [count for when, count in series if day - FOLLOWERS_LOOKBACK <= when <= day]
            if known:
                result[target_id] = known[-1]
    return result


# --- Followers --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FollowerDay:
    date: dt.date
    followers: int | None  # the end-of-day count; None when no reading that day


def follower_series(
    workspace: Workspace, channel: Channel, start: dt.date, end: dt.date
) -> list[FollowerDay]:
    """Every day from ``start`` to ``end``, with the channel's end-of-day follower count or None."""
    if channel.workspace_id != workspace.pk:
        raise NotFound(_("No such channel."))
    found = dict(
        FollowerDaily.objects.filter(channel=channel, day__gte=start, day__lte=end).values_list(
            "day", "followers"
        )
    )
    days = []
    day = start
    while day <= end:
        days.append(FollowerDay(date=day, followers=found.get(day)))
        day += dt.timedelta(days=1)
    return days


@dataclass(frozen=True)
class Growth:
    start_date: dt.date | None  # the day whose count is the starting point
    start_followers: int | None
    end_date: dt.date | None
    end_followers: int | None
    growth: int | None  # end - start
    rate: float | None  # growth / start x 100


def follower_growth(workspace: Workspace, channel: Channel, start: dt.date, end: dt.date) -> Growth:
    """Follower growth over the period (METRICS.md, "Audience"): the count at the end (the last daily value
    on or before ``end``) minus the count at the start (the end-of-day value of the day before ``start``;
    when there is none, the first value inside the period). None where a count is not known."""
    if channel.workspace_id != workspace.pk:
        raise NotFound(_("No such channel."))
    daily = FollowerDaily.objects.filter(channel=channel)
    before = daily.filter(day__lt=start).order_by("-day").values_list("day", "followers").first()
    if before is None:
        before = (
            daily.filter(day__gte=start, day__lte=end).order_by("day").values_list("day", "followers").first()
        )
    after = daily.filter(day__lte=end).order_by("-day").values_list("day", "followers").first()
    if before is None or after is None:
        return Growth(
            start_date=before[0] if before else None,
            start_followers=before[1] if before else None,
            end_date=after[0] if after else None,
            end_followers=after[1] if after else None,
            growth=None,
            rate=None,
        )
    growth = after[1] - before[1]
    return Growth(
        start_date=before[0],
        start_followers=before[1],
        end_date=after[0],
        end_followers=after[1],
        growth=growth,
        rate=formulas.rate(growth, before[1]),
    )


# --- For the page -----------------------------------------------------------------------------------


def collection_status(workspace: Workspace) -> list[tuple[Channel, ChannelCollection | None]]:
    channels = list(Channel.objects.filter(workspace=workspace).order_by("network", "name"))
    states = {
        state.channel_id: state
        for state in ChannelCollection.objects.filter(channel_id__in=[c.pk for c in channels])
    }
    return [(channel, states.get(channel.pk)) for channel in channels]

"""The dashboards' filters: a period in the workspace's zone (presets or a custom range) and the channel,
network and rubric filters, validated."""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass, replace
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from portevoix.channels.models import Channel
from portevoix.core.errors import ValidationFailed
from portevoix.core.periods import MAX_DAYS, period_days
from portevoix.planning.models import Rubric
from portevoix.workspaces.models import Workspace

MAX_RANGE_DAYS = MAX_DAYS
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
    start, end = period_days(start, end, today=today(workspace), max_days=MAX_RANGE_DAYS)
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


def month_bounds(day: dt.date) -> tuple[dt.date, dt.date]:
    return day.replace(day=1), day.replace(day=calendar.monthrange(day.year, day.month)[1])

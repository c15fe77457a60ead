"""Reads for tracked links, scoped to the caller's workspace; and the two unscoped reads of the public
redirect (a code's target, the custom domains), which disclose nothing but a stored link's address."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Count, IntegerField, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, TruncDate
from django.utils.translation import gettext as _

from portevoix.core.errors import NotFound, ValidationFailed
from portevoix.core.periods import MAX_DAYS, period_days
from portevoix.links.models import Click, LinkSettings, ShortLink
from portevoix.workspaces import permissions
from portevoix.workspaces.models import Membership, Workspace

PREFIX = "/l/"  # short links are served at <base>/l/<code> (links/fastpath.py)
MAX_RANGE_DAYS = MAX_DAYS


def link_list(*, by: Membership, post_id: int | None = None) -> QuerySet[ShortLink]:
    """Newest first, with ``human_clicks`` and ``bot_clicks`` summed from the hourly roll-up."""
    permissions.require(by, "post.view")
    links = ShortLink.objects.filter(workspace=by.workspace)
    if post_id is not None:
        links = links.filter(post_id=post_id)
    return links.select_related("post", "channel").annotate(
        human_clicks=Coalesce(Sum("hourly__humans"), Value(0), output_field=IntegerField()),
        bot_clicks=Coalesce(Sum("hourly__bots"), Value(0), output_field=IntegerField()),
    )


def link_get(*, by: Membership, link_id: int) -> ShortLink:
    permissions.require(by, "post.view")
    link = link_list(by=by).filter(pk=link_id).first()
    if link is None:
        raise NotFound(_("No such link."))
    return link


def link_settings(*, workspace: Workspace) -> LinkSettings:
    """The workspace's rules; the defaults (not saved) when it never changed them."""
    found = LinkSettings.objects.filter(workspace=workspace).first()
    return found if found is not None else LinkSettings(workspace=workspace)


def short_base(*, workspace: Workspace | None = None, domain: str | None = None) -> str:
    """Where short links are served: ``https://<custom domain>``, else PORTEVOIX_SHORT_BASE_URL, else
    PORTEVOIX_BASE_URL; empty when none is set (addresses are then shown relative to the current site)."""
    if domain is None and workspace is not None:
        domain = link_settings(workspace=workspace).custom_domain
    if domain:
        return f"https://{domain}"
    return (getattr(settings, "PORTEVOIX_SHORT_BASE_URL", "") or settings.PORTEVOIX_BASE_URL).rstrip("/")


def short_url(link: ShortLink, *, base: str | None = None) -> str:
    return f"{short_base(workspace=link.workspace) if base is None else base}{PREFIX}{link.code}"


@dataclass(frozen=True)
class DayCount:
    date: dt.date
    clicks: int
    bots: int


def link_clicks_by_day(
    *, by: Membership, link: ShortLink, start: dt.date | None = None, end: dt.date | None = None
) -> tuple[dt.date, dt.date, list[DayCount]]:
    """Clicks per day (the workspace's time zone) from ``start`` to ``end`` inclusive, every day listed;
    humans and bots apart. Default: the last 30 days."""
    permissions.require(by, "post.view")
    tz = by.workspace.tzinfo
    start, end = period_days(start, end, today=dt.datetime.now(tz).date(), max_days=MAX_RANGE_DAYS)
    since = dt.datetime.combine(start, dt.time.min, tzinfo=tz)
    until = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    rows = (
        Click.objects.filter(link=link, at__gte=since, at__lt=until)
        .annotate(day=TruncDate("at", tzinfo=tz))
        .values("day")
        .annotate(humans=Count("id", filter=Q(is_bot=False)), bots=Count("id", filter=Q(is_bot=True)))
        .order_by("day")
    )
    found: dict[Any, tuple[int, int]] = {row["day"]: (row["humans"], row["bots"]) for row in rows}
    days = []
    day = start
    while day <= end:
        humans, bots = found.get(day, (0, 0))
        days.append(DayCount(date=day, clicks=humans, bots=bots))
        day += dt.timedelta(days=1)
    return start, end, days


# --- For the public redirect (no caller: the code is the capability) --------------------------------


@dataclass(frozen=True)
class Resolved:
    link_id: int
    url: str
    workspace_id: int


def resolve_code(code: str) -> Resolved | None:
    """An enabled link's address by its code; None for an unknown or disabled code."""
    row = (
        ShortLink.objects.filter(code=code, disabled=False)
        .values_list("pk", "final_url", "workspace_id")
        .first()
    )
    return Resolved(link_id=row[0], url=row[1], workspace_id=row[2]) if row else None


def custom_domains() -> dict[str, int]:
    """Custom short domain (lower case) -> workspace id."""
    return {
        domain.lower(): workspace_id
        for domain, workspace_id in LinkSettings.objects.exclude(custom_domain="").values_list(
            "custom_domain", "workspace_id"
        )
    }


def post_for_link(*, workspace: Workspace, post_id: int | None) -> Any:
    """The post a new link is for, by id, in the workspace; ValidationFailed (``post_id``) otherwise."""
    from portevoix.content.models import Post

    if post_id is None:
        return None
    post = Post.objects.filter(workspace=workspace, pk=post_id).select_related("rubric").first()
    if post is None:
        raise ValidationFailed(_("No such post."), fields={"post_id": [_("No such post.")]})
    return post


def channel_for_link(*, workspace: Workspace, channel_id: int | None) -> Any:
    from portevoix.channels.models import Channel

    if channel_id is None:
        return None
    channel = Channel.objects.filter(workspace=workspace, pk=channel_id).first()
    if channel is None:
        raise ValidationFailed(_("No such channel."), fields={"channel_id": [_("No such channel.")]})
    return channel

"""Reads for private iCalendar feeds: a person's feeds, resolving a presented secret, and the feed itself.

The feed lists the workspace's planned and published posts from ``PAST`` ago to ``AHEAD`` from now (at
most ``MAX_EVENTS``) as VEVENTs, in a bounded number of queries (posts, then their targets with channels):
UID stable per post, DTSTART in UTC, a 15-minute DURATION, SUMMARY from the title or the text, DESCRIPTION
with the channels and the status, URL to the post's page, and X-WR-CALNAME naming the workspace.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar import Calendar, Event

from portevoix.content.models import Post
from portevoix.content.selectors import STATUS_LABELS, PostStatus, status_from_states
from portevoix.core.errors import NotFound
from portevoix.core.secrets import digest
from portevoix.planning.models import CalendarFeed
from portevoix.publishing.models import Target, TargetState
from portevoix.workspaces import permissions
from portevoix.workspaces.models import Membership, Workspace

PAST = timedelta(days=30)
AHEAD = timedelta(days=365)
MAX_EVENTS = 2000
EVENT_LENGTH = timedelta(minutes=15)
SUMMARY_LENGTH = 80
MAX_TOKEN_LENGTH = 100
# A post belongs in the feed when a channel has it planned, under way or published.
LISTED_STATES = (
    TargetState.AWAITING_APPROVAL,
    TargetState.SCHEDULED,
    TargetState.PUBLISHING,
    TargetState.PUBLISHED,
    TargetState.PENDING_REMOTE,
    TargetState.RETRY_WAIT,
    TargetState.UNCONFIRMED,
    TargetState.FAILED,
)


def feed_list(*, by: Membership) -> QuerySet[CalendarFeed]:
    """The caller's own active feeds in the workspace."""
    permissions.require(by, "post.view")
    return CalendarFeed.objects.filter(
        workspace=by.workspace, user=by.user, revoked_at__isnull=True
    ).order_by("-created_at", "-pk")


def feed_get(*, by: Membership, feed_id: int) -> CalendarFeed:
    """One of the caller's own feeds; another person's or workspace's is NotFound."""
    permissions.require(by, "post.view")
    found = CalendarFeed.objects.filter(workspace=by.workspace, user=by.user, pk=feed_id).first()
    if found is None:
        raise NotFound(_("No such feed."))
    return found


@dataclass(frozen=True)
class ResolvedFeed:
    feed: CalendarFeed
    membership: Membership


def feed_resolve(token: str) -> ResolvedFeed | None:
    """The active feed a secret names, with its person's membership; None when unknown, revoked, or when
    the person is no longer an active member allowed to see posts. One indexed query, then one more."""
    if not token or len(token) > MAX_TOKEN_LENGTH or "\x00" in token:
        return None
    feed = (
        CalendarFeed.objects.select_related("workspace", "user")
        .filter(token_hash=digest(token), revoked_at__isnull=True)
        .first()
    )
    if feed is None or not feed.user.is_active:
        return None
    membership = (
        Membership.objects.select_related("workspace", "user")
        .filter(workspace_id=feed.workspace_id, user_id=feed.user_id)
        .first()
    )
    if membership is None or not permissions.can(membership, "post.view"):
        return None
    return ResolvedFeed(feed=feed, membership=membership)


def feed_posts(*, workspace: Workspace, now: datetime | None = None) -> list[Post]:
    """The posts the feed lists: planned or published in the window, earliest first, bounded."""
    now = now or timezone.now()
    listed = Target.objects.filter(workspace=workspace, state__in=LISTED_STATES).values("post_id")
    return list(
        Post.objects.filter(
            workspace=workspace,
            scheduled_at__gte=now - PAST,
            scheduled_at__lte=now + AHEAD,
            pk__in=listed,
        )
        .order_by("scheduled_at", "pk")
        .prefetch_related(
            Prefetch("targets", queryset=Target.objects.select_related("channel").order_by("pk"))
        )[:MAX_EVENTS]
    )


def _summary(post: Post) -> str:
    text = (post.title or " ".join(post.text.split()) or _("Post %(id)s") % {"id": post.pk}).strip()
    return text if len(text) <= SUMMARY_LENGTH else text[: SUMMARY_LENGTH - 1].rstrip() + "…"


def feed_calendar(
    *, workspace: Workspace, posts: list[Post], post_url: Callable[[Post], str], host: str
) -> bytes:
    """The iCalendar document (RFC 5545) of ``posts``."""
    calendar = Calendar()
    calendar.add("prodid", "-//Portevoix//Content plan//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", _("%(workspace)s: content plan") % {"workspace": workspace.name})
    calendar.add("x-wr-timezone", workspace.timezone)
    calendar.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT1H")
    stamp = timezone.now()
    for post in posts:
        targets = list(post.targets.all())
        status = status_from_states([target.state for target in targets])
        published = [t.published_at for t in targets if t.state == TargetState.PUBLISHED and t.published_at]
        start = min(published) if published and status == PostStatus.PUBLISHED else post.scheduled_at
        lines = [
            _("Status: %(status)s") % {"status": STATUS_LABELS[status]},
            _("Channels: %(channels)s")
            % {
                "channels": ", ".join(
                    f"{target.channel.name} ({TargetState(target.state).label})" for target in targets
                )
            },
        ]
        if post.text:
            lines += ["", post.text[:1000]]
        event = Event()
        event.add("uid", f"post-{post.pk}@{host}")
        event.add("dtstamp", stamp)
        event.add("dtstart", start)
        event.add("duration", EVENT_LENGTH)
        event.add("summary", _summary(post))
        event.add("description", "\n".join(str(line) for line in lines))
        event.add("url", post_url(post))
        event.add("last-modified", post.updated_at)
        event.add("status", "CONFIRMED" if status == PostStatus.PUBLISHED else "TENTATIVE")
        event.add("transp", "TRANSPARENT")
        calendar.add_component(event)
    return calendar.to_ical()

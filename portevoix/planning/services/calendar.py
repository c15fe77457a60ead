"""Writes of the calendar: move a post to another day or time (drag and drop, or the API), with the
previous time returned so the move can be undone.

A move goes through the composer's ``content.services.post_schedule`` (the role, the post checked against
each channel's rules, a time in the past or more than five years ahead refused, the audit record). The new
time is a wall time read in the zone the person sees (``zone_name``; the post's own zone by default): a
local time that does not exist there (clocks jumping forward) is refused, one that happens twice is its
first occurrence (docs/decisions/0006-local-times.md). The post keeps its own zone. A post that a network
may already have (published, being sent, unconfirmed) cannot be moved.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils.translation import gettext as _

from portevoix.content import localtime
from portevoix.content import selectors as content_selectors
from portevoix.content import services as content_services
from portevoix.content.models import Post
from portevoix.core.errors import Conflict, NotFound
from portevoix.workspaces import permissions
from portevoix.workspaces.models import Membership


@dataclass(frozen=True)
class Rescheduled:
    post: Post
    previous: datetime | None  # aware UTC instant before the move (None: the post had no time)
    previous_zone: str
    scheduled: datetime  # aware UTC instant now planned
    zone: str  # the post's zone
    note: str  # the rule applied to an ambiguous local time, in plain words (empty when none)


def post_reschedule(*, by: Membership, post: Post, at: str, zone_name: str | None = None) -> Rescheduled:
    """Plan ``post`` for the wall time ``at`` ("2026-03-29T09:30", or an ISO 8601 value with its offset)
    read in ``zone_name`` (default: the post's zone)."""
    permissions.require(by, "post.publish")
    if post.workspace_id != by.workspace_id:
        raise NotFound(_("No such post."))
    sent = [
        target.channel.name
        for target in content_selectors.post_targets(post=post)
        if target.state in content_selectors.SENT_STATES
    ]
    if sent:
        raise Conflict(
            _("This post was already sent (or is being sent) on %(channels)s: it can no longer be moved.")
            % {"channels": ", ".join(sent)}
        )
    zone = localtime.parse_zone(zone_name, post.timezone or by.workspace.timezone)
    when = localtime.resolve(localtime.parse_datetime(at), zone)
    previous, previous_zone = post.scheduled_at, post.timezone
    # The instant with its offset: the post keeps its own zone, whatever zone the person sees.
    scheduled = content_services.post_schedule(
        by=by, post=post, at=when.instant.isoformat(), timezone_name=post.timezone or None
    )
    post = scheduled.post
    assert post.scheduled_at is not None
    return Rescheduled(
        post=post,
        previous=previous,
        previous_zone=previous_zone,
        scheduled=post.scheduled_at,
        zone=post.timezone,
        note=when.note,
    )

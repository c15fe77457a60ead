"""Private iCalendar feeds: a secret URL per person and workspace that calendar apps subscribe to.

The secret (``secrets.token_urlsafe(32)``: 256 random bits) is shown once, at creation; only its SHA-256
is stored (core/secrets.py), with a short prefix to tell feeds apart. A revoked feed answers 404. Rotating
revokes the feed and issues a new one. A feed only works while its person is an active member of the
workspace with ``post.view``: a removed member's feed stops at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portevoix.core.errors import Conflict, NotFound, ValidationFailed
from portevoix.core.secrets import digest, new_secret
from portevoix.planning.models import CalendarFeed
from portevoix.workspaces import audit, permissions
from portevoix.workspaces.models import Membership

# Active feeds one person may have in one workspace.
MAX_FEEDS = 10
PREFIX_LENGTH = 8


@dataclass(frozen=True)
class IssuedFeed:
    feed: CalendarFeed
    token: str  # the secret of the URL, shown once


def _issue(by: Membership) -> IssuedFeed:
    token = new_secret(32)
    feed = CalendarFeed.objects.create(
        workspace=by.workspace, user=by.user, token_hash=digest(token), prefix=token[:PREFIX_LENGTH]
    )
    return IssuedFeed(feed=feed, token=token)


def feed_create(*, by: Membership) -> IssuedFeed:
    """A new private feed of the workspace's plan for the caller."""
    permissions.require(by, "post.view")
    active = CalendarFeed.objects.filter(workspace=by.workspace, user=by.user, revoked_at__isnull=True)
    if active.count() >= MAX_FEEDS:
        raise ValidationFailed(
            _("You have %(max)s feeds already; revoke one first.") % {"max": MAX_FEEDS},
            fields={"feed": [_("Too many feeds.")]},
        )
    with transaction.atomic():
        issued = _issue(by)
        audit.record(actor=by.user, action="calendar_feed.create", workspace=by.workspace, obj=issued.feed)
    return issued


def _own(by: Membership, feed: CalendarFeed) -> None:
    if feed.workspace_id != by.workspace_id or feed.user_id != by.user_id:
        raise NotFound(_("No such feed."))


def feed_revoke(*, by: Membership, feed: CalendarFeed) -> CalendarFeed:
    """Stop a feed: its URL answers 404 from now on."""
    permissions.require(by, "post.view")
    _own(by, feed)
    if feed.revoked_at is not None:
        return feed
    with transaction.atomic():
        feed.revoked_at = timezone.now()
        feed.save(update_fields=["revoked_at", "updated_at"])
        audit.record(actor=by.user, action="calendar_feed.revoke", workspace=by.workspace, obj=feed)
    return feed


def feed_rotate(*, by: Membership, feed: CalendarFeed) -> IssuedFeed:
    """Replace a feed's URL: the old one stops, a new one is issued (shown once)."""
    permissions.require(by, "post.view")
    _own(by, feed)
    if feed.revoked_at is not None:
        raise Conflict(_("This feed is revoked; create a new one."))
    with transaction.atomic():
        feed.revoked_at = timezone.now()
        feed.save(update_fields=["revoked_at", "updated_at"])
        issued = _issue(by)
        audit.record(
            actor=by.user,
            action="calendar_feed.rotate",
            workspace=by.workspace,
            obj=issued.feed,
            replaced=feed.prefix,
        )
    return issued


def feed_touch(feed: CalendarFeed) -> None:
    """Remember when a calendar app last fetched the feed (at most one write an hour)."""
    now = timezone.now()
    if feed.last_used_at is None or now - feed.last_used_at > timedelta(hours=1):
        CalendarFeed.objects.filter(pk=feed.pk).update(last_used_at=now)

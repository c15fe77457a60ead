"""A person's private iCalendar feeds: /api/v1/calendar-feeds. The feed's URL (with its secret) is in the
answer of the creation (and of a rotation) only. Another person's feed answers 404."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from ninja import Field, Path, Query, Router, Schema, Status

from portevoix.core.api import MAX_ID, Page, PageParams, error_responses
from portevoix.planning.models import CalendarFeed
from portevoix.planning.selectors import feeds as selectors
from portevoix.planning.services import feeds as services
from portevoix.workspaces.api_auth import API_AUTH, member

router = Router(auth=API_AUTH, tags=["plan"])

ID = Path(..., ge=1, le=MAX_ID, description="The feed's id.")


class FeedOut(Schema):
    id: int
    prefix: str = Field(description="The first characters of the secret, to tell feeds apart.")
    created_at: datetime
    last_used_at: datetime | None = Field(description="When a calendar app last fetched it (to the hour).")


class IssuedFeedOut(FeedOut):
    url: str = Field(description="The feed's private address: shown only now. Anyone with it sees the plan.")


class FeedPage(Page):
    items: list[FeedOut]


def _feed(feed: CalendarFeed) -> dict[str, Any]:
    return {
        "id": feed.pk,
        "prefix": feed.prefix,
        "created_at": feed.created_at,
        "last_used_at": feed.last_used_at,
    }


def _issued(request: HttpRequest, issued: services.IssuedFeed) -> dict[str, Any]:
    url = request.build_absolute_uri(reverse("planning:feed_ics", args=[issued.token]))
    return {**_feed(issued.feed), "url": url}


@router.get(
    "/calendar-feeds",
    response={200: FeedPage, **error_responses(403)},
    summary="My private iCalendar feeds of this workspace's plan",
)
def calendar_feed_list(request: HttpRequest, params: Query[PageParams]) -> dict[str, Any]:
    found = selectors.feed_list(by=member(request))
    return {
        "items": [_feed(f) for f in found[params.offset : params.offset + params.limit]],
        "count": found.count(),
        "limit": params.limit,
        "offset": params.offset,
    }


@router.post(
    "/calendar-feeds",
    response={201: IssuedFeedOut, **error_responses(403)},
    summary="Create a private iCalendar feed",
    description="The answer holds the feed's URL, shown only once: subscribe to it in a calendar app "
    "(docs/planning/ical.md). It lists the workspace's planned and published posts from 30 days ago to a "
    "year ahead, and stops working when revoked or when you leave the workspace.",
)
def calendar_feed_create(request: HttpRequest) -> Status[Any]:
    issued = services.feed_create(by=member(request))
    return Status(201, _issued(request, issued))


@router.post(
    "/calendar-feeds/{id}/rotate",
    response={201: IssuedFeedOut, **error_responses(403, 404, 409)},
    summary="Replace a feed's URL (the old one stops working)",
)
def calendar_feed_rotate(request: HttpRequest, id: int = ID) -> Status[Any]:
    membership = member(request)
    feed = selectors.feed_get(by=membership, feed_id=id)
    return Status(201, _issued(request, services.feed_rotate(by=membership, feed=feed)))


@router.delete(
    "/calendar-feeds/{id}",
    response={204: None, **error_responses(403, 404)},
    summary="Revoke a feed: its URL answers 404 from now on",
)
def calendar_feed_revoke(request: HttpRequest, id: int = ID) -> Status[None]:
    membership = member(request)
    feed = selectors.feed_get(by=membership, feed_id=id)
    services.feed_revoke(by=membership, feed=feed)
    return Status(204, None)

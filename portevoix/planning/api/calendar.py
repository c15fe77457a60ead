"""The calendar's API: the posts planned in a range (with filters), the rubric mix of a range, and moving a
post to another time (with the previous time, to undo). Thin: selectors and services check the role and the
workspace."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Path, Query, Router, Schema
from pydantic import AfterValidator, StringConstraints

from portevoix.content import localtime
from portevoix.content import selectors as content_selectors
from portevoix.content.selectors import PostStatus
from portevoix.core.api import MAX_ID, InputSchema, Instant, ObjectId, error_responses, no_nul
from portevoix.core.errors import ValidationFailed
from portevoix.planning.selectors import calendar as selectors
from portevoix.planning.selectors.rubrics import rubric_mix
from portevoix.planning.services import calendar as services
from portevoix.workspaces import permissions
from portevoix.workspaces.api_auth import API_AUTH, member

router = Router(auth=API_AUTH, tags=["plan"])

ID = Path(..., ge=1, le=MAX_ID, description="The post's id.")
Short = Annotated[str, StringConstraints(max_length=64), AfterValidator(no_nul)]
NetworkKey = Annotated[str, StringConstraints(max_length=32), AfterValidator(no_nul)]


def _rubric_filter(value: str) -> int | str:
    if value == selectors.NO_RUBRIC:
        return value
    if value.isascii() and value.isdigit() and 0 < int(value) <= MAX_ID:
        return int(value)
    raise ValueError(_('Enter a rubric id, or "none" for posts without a rubric.'))


RubricFilter = Annotated[str, StringConstraints(max_length=20), AfterValidator(_rubric_filter)]
RANGE = f"At most {selectors.MAX_RANGE_DAYS} days."
DEFAULT_DAYS = 31


class RangeParams(Schema):
    start: Instant | None = Field(
        None, description="From this instant (ISO 8601; a date alone is midnight UTC). Default: now."
    )
    end: Instant | None = Field(
        None,
        description=f"Up to this instant, excluded. {RANGE} Default: {DEFAULT_DAYS} days after the start.",
    )

    def bounds(self) -> tuple[datetime, datetime]:
        start = self.start or timezone.now()
        try:
            end = self.end or start + timedelta(days=DEFAULT_DAYS)
        except OverflowError:
            message = _("This date is out of range.")
            raise ValidationFailed(message, fields={"start": [message]}) from None
        selectors.check_range(start, end)
        return start, end


class CalendarParams(RangeParams):
    channel: ObjectId | None = Field(None, description="Only posts going to this channel.")
    network: NetworkKey | None = Field(None, description="Only posts going to a channel of this network.")
    rubric: RubricFilter | None = Field(
        None, description='Only posts of this rubric id; "none" for posts without a rubric.'
    )
    status: PostStatus | None = Field(None, description="Only posts with this status.")
    author: ObjectId | None = Field(None, description="Only posts written by this user id.")


class RubricRef(Schema):
    id: int
    name: str
    colour: str


class ChannelOut(Schema):
    id: int
    network: str
    name: str


class CalendarItemOut(Schema):
    id: int
    title: str = Field(description="The internal title, or the start of the text.")
    scheduled_at: datetime = Field(description="The planned instant (UTC).")
    timezone: str = Field(description="The post's own IANA zone.")
    local: str = Field(description="The planned time in the post's zone, ISO 8601 with its offset.")
    rubric: RubricRef | None
    colour: str = Field(description="The rubric's colour (#rrggbb), grey without a rubric.")
    status: PostStatus
    status_label: str
    channels: list[ChannelOut]
    networks: list[str]
    author_id: int | None
    movable: bool = Field(description="Nothing was sent yet: the post may be moved to another time.")


class CalendarOut(Schema):
    start: datetime
    end: datetime
    count: int
    items: list[CalendarItemOut]


class ShareOut(Schema):
    rubric_id: int | None = Field(description="None: the posts without a rubric.")
    name: str
    colour: str
    target_share: int | None = Field(description="Percent; None without a target.")
    count: int
    actual_share: float = Field(description="Percent of the range's planned posts.")
    gap: float | None = Field(description="Actual minus target, in percentage points.")


class MixOut(Schema):
    start: datetime
    end: datetime
    total: int
    items: list[ShareOut]


class RescheduleIn(InputSchema):
    at: Short = Field(
        description="The new local date and time, e.g. 2026-03-29T09:30 (or an ISO 8601 instant with its "
        "offset)."
    )
    timezone: Short | None = Field(
        None, description="IANA zone `at` is read in; the post's own zone by default."
    )


class TimeOut(Schema):
    scheduled_at: datetime = Field(description="UTC.")
    local: str = Field(description="In the post's zone, ISO 8601 with its offset.")


class RescheduleOut(Schema):
    post_id: int
    timezone: str = Field(description="The post's zone (unchanged by a move).")
    previous: TimeOut | None = Field(
        description="The time before the move (None: it had none); send it back to undo."
    )
    scheduled: TimeOut
    note: str = Field(description="The rule applied to an ambiguous local time (empty when none).")


def _item(item: selectors.CalendarItem) -> dict[str, Any]:
    return {
        "id": item.id,
        "title": item.title,
        "scheduled_at": item.scheduled_at,
        "timezone": item.timezone,
        "local": localtime.to_local(item.scheduled_at, item.timezone).isoformat(),
        "rubric": {"id": item.rubric_id, "name": item.rubric_name, "colour": item.colour}
        if item.rubric_id
        else None,
        "colour": item.colour,
        "status": item.status,
        "status_label": item.status_label,
        "channels": [{"id": c.id, "network": c.network, "name": c.name} for c in item.channels],
        "networks": item.networks,
        "author_id": item.author_id,
        "movable": item.movable,
    }


@router.get(
    "/calendar",
    response={200: CalendarOut, **error_responses(403)},
    summary="Posts planned in a range, with their status, rubric and channels",
    description=f"Oldest first. {RANGE} Filters combine. Times are UTC, with each post's zone and local "
    "time. See docs/planning/calendar.md.",
)
def calendar_list(request: HttpRequest, params: Query[CalendarParams]) -> dict[str, Any]:
    membership = member(request)
    permissions.require(membership, "post.view")
    filters = selectors.Filters(
        channel_id=params.channel,
        network=params.network,
        rubric=params.rubric,
        status=params.status,
        author_id=params.author,
    )
    start, end = params.bounds()
    items = selectors.calendar_items(
        by=membership, start=start, end=end, filters=filters, zone=membership.workspace.tzinfo
    )
    return {"start": start, "end": end, "count": len(items), "items": [_item(i) for i in items]}


@router.get(
    "/calendar/mix",
    response={200: MixOut, **error_responses(403)},
    summary="The rubric mix of a range: each rubric's actual share of the posts against its target",
    description=f"{RANGE} Every active rubric is listed; posts without a rubric come last.",
)
def calendar_mix(request: HttpRequest, params: Query[RangeParams]) -> dict[str, Any]:
    membership = member(request)
    permissions.require(membership, "post.view")
    start, end = params.bounds()
    shares = rubric_mix(workspace=membership.workspace, start=start, end=end)
    return {
        "start": start,
        "end": end,
        "total": sum(share.count for share in shares),
        "items": [
            {
                "rubric_id": s.rubric_id,
                "name": s.name,
                "colour": s.colour,
                "target_share": s.target_share,
                "count": s.count,
                "actual_share": s.actual_share,
                "gap": s.gap,
            }
            for s in shares
        ],
    }


@router.post(
    "/posts/{id}/reschedule",
    response={200: RescheduleOut, **error_responses(403, 404, 409)},
    summary="Move a post to another time (returns the previous time, to undo)",
    description="`at` is a wall-clock time in `timezone` (default: the post's zone); the post keeps its "
    "zone. "
    "A time in the past or more than five years ahead answers 422, a local time that does not exist "
    "(clocks jumping forward) 422 `nonexistent_local_time`, a post already sent (or being sent) 409. "
    "To undo, post `previous.local` back.",
)
def post_reschedule(request: HttpRequest, payload: RescheduleIn, id: int = ID) -> dict[str, Any]:
    membership = member(request)
    post = content_selectors.post_get(by=membership, post_id=id)
    moved = services.post_reschedule(by=membership, post=post, at=payload.at, zone_name=payload.timezone)
    previous = None
    if moved.previous is not None:
        previous = {
            "scheduled_at": moved.previous,
            "local": localtime.to_local(moved.previous, moved.previous_zone).isoformat(),
        }
    return {
        "post_id": moved.post.pk,
        "timezone": moved.zone,
        "previous": previous,
        "scheduled": {
            "scheduled_at": moved.scheduled,
            "local": localtime.to_local(moved.scheduled, moved.zone).isoformat(),
        },
        "note": moved.note,
    }

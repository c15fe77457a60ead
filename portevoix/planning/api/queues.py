"""Posting queues and evergreen recycling. ``{id}`` is the CHANNEL's id: each channel has one queue (made on
first change, in the workspace's zone). Thin: services and selectors check the role and the workspace."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Field, Path, Router, Schema, Status
from pydantic import AfterValidator, StringConstraints

from portevoix.channels.models import Channel
from portevoix.content import selectors as content_selectors
from portevoix.core.api import MAX_ID, InputSchema, ObjectId, error_responses, no_nul
from portevoix.planning.selectors import queues as selectors
from portevoix.planning.services import evergreen as evergreen_services
from portevoix.planning.services import queues as services
from portevoix.planning.services.queues import Replan
from portevoix.workspaces import permissions
from portevoix.workspaces.api_auth import API_AUTH, member
from portevoix.workspaces.models import Membership

router = Router(auth=API_AUTH, tags=["plan"])

ID = Path(..., ge=1, le=MAX_ID, description="The channel's id (one queue per channel).")
Zone = Annotated[str, StringConstraints(max_length=64), AfterValidator(no_nul)]
LocalTime = Annotated[str, StringConstraints(max_length=5), AfterValidator(no_nul)]


class SlotIO(Schema):
    weekday: int = Field(ge=0, le=6, description="0 = Monday ... 6 = Sunday.")
    time: LocalTime = Field(description="Local wall time HH:MM in the queue's zone.")


class SlotsIn(InputSchema):
    slots: list[SlotIO] = Field(max_length=services.MAX_SLOTS, description="Replaces every slot.")
    timezone: Zone | None = Field(None, description="IANA zone of the slots (unchanged when omitted).")


class ChannelRefOut(Schema):
    id: int
    name: str
    network: str
    status: str


class QueueSummaryOut(Schema):
    channel: ChannelRefOut
    queue_id: int | None = Field(description="null: the channel has no queue yet.")
    timezone: str
    paused: bool
    slot_count: int
    entry_count: int


class QueueList(Schema):
    items: list[QueueSummaryOut]


class SlotsOut(Schema):
    channel_id: int
    timezone: str
    paused: bool
    slots: list[SlotIO]


class EntryOut(Schema):
    post_id: int
    position: int
    title: str
    state: str | None = Field(description="The post's publishing state on this channel.")
    planned_at: datetime | None = Field(description="The slot instant (UTC); null while waiting or paused.")


class ProblemOut(Schema):
    post_id: int
    message: str


class QueueOut(Schema):
    channel: ChannelRefOut
    queue_id: int | None
    timezone: str
    paused: bool
    slots: list[SlotIO]
    entries: list[EntryOut]
    problems: list[ProblemOut] = Field(description="Entries that could not take a slot, and why.")


class EntryIn(InputSchema):
    post_id: ObjectId


class MoveIn(InputSchema):
    post_id: ObjectId
    position: int = Field(ge=0, le=100_000, description="0 is the first; past the end means last.")


class EvergreenOut(Schema):
    enabled: bool
    min_gap_days: int


class EvergreenIn(InputSchema):
    enabled: bool | None = None
    min_gap_days: int | None = Field(None, ge=1, le=evergreen_services.MAX_GAP_DAYS)


def _channel_ref(channel: Channel) -> dict[str, Any]:
    return {"id": channel.pk, "name": channel.name, "network": channel.network, "status": channel.status}


def _slots(queue: Any) -> list[dict[str, Any]]:
    return [
        {"weekday": slot.weekday, "time": slot.local_time.strftime("%H:%M")}
        for slot in selectors.queue_slots(queue=queue)
    ]


def _queue_out(membership: Membership, channel_id: int, replan: Replan | None = None) -> dict[str, Any]:
    channel, queue = selectors.queue_channel(by=membership, channel_id=channel_id)
    return {
        "channel": _channel_ref(channel),
        "queue_id": queue.pk if queue else None,
        "timezone": queue.timezone if queue else membership.workspace.timezone,
        "paused": bool(queue and queue.paused_at),
        "slots": _slots(queue),
        "entries": [
            {
                "post_id": row.entry.post_id,
                "position": row.entry.position,
                "title": str(row.entry.post),
                "state": row.target.state if row.target else None,
                "planned_at": row.planned_at,
            }
            for row in selectors.queue_entries(queue=queue)
        ],
        "problems": [
            {"post_id": post_id, "message": message}
            for post_id, message in (replan.problems.items() if replan else [])
        ],
    }


def _channel(membership: Membership, channel_id: int) -> Channel:
    channel, _queue = selectors.queue_channel(by=membership, channel_id=channel_id)
    return channel


# --- Queues ---------------------------------------------------------------------------------------


@router.get(
    "/queues",
    response={200: QueueList, **error_responses(403, 404)},
    summary="Every channel with its queue",
)
def queue_list(request: HttpRequest) -> dict[str, Any]:
    membership = member(request)
    items = [
        {
            "channel": _channel_ref(row.channel),
            "queue_id": row.queue.pk if row.queue else None,
            "timezone": row.queue.timezone if row.queue else membership.workspace.timezone,
            "paused": bool(row.queue and row.queue.paused_at),
            "slot_count": row.slot_count,
            "entry_count": row.entry_count,
        }
        for row in selectors.queue_rows(by=membership)
    ]
    return {"items": items}


@router.get(
    "/queues/{id}",
    response={200: QueueOut, **error_responses(403, 404)},
    summary="A channel's queue: slots and entries with their planned times",
)
def queue_get(request: HttpRequest, id: int = ID) -> dict[str, Any]:
    membership = member(request)
    _channel(membership, id)
    permissions.require(membership, "post.view")
    return _queue_out(membership, id)


@router.get(
    "/queues/{id}/slots",
    response={200: SlotsOut, **error_responses(403, 404)},
    summary="A channel's weekly posting slots",
)
def queue_slots_get(request: HttpRequest, id: int = ID) -> dict[str, Any]:
    membership = member(request)
    channel, queue = selectors.queue_channel(by=membership, channel_id=id)
    permissions.require(membership, "post.view")
    return {
        "channel_id": channel.pk,
        "timezone": queue.timezone if queue else membership.workspace.timezone,
        "paused": bool(queue and queue.paused_at),
        "slots": _slots(queue),
    }


@router.put(
    "/queues/{id}/slots",
    response={200: QueueOut, **error_responses(403, 404)},
    summary="Replace a channel's weekly posting slots",
    description="Slots are local wall times in the queue's zone. On a day when the clocks jump over a slot's "
    "time, the slot lands just after the jump (the time read with the offset from before it); a time that "
    "happens twice is its first occurrence (docs/decisions/0008-queue-slot-local-times.md). The entries "
    "are planned again.",
)
def queue_slots_put(request: HttpRequest, payload: SlotsIn, id: int = ID) -> dict[str, Any]:
    membership = member(request)
    channel = _channel(membership, id)
    kwargs: dict[str, Any] = {}
    if payload.timezone is not None:
        kwargs["timezone_name"] = payload.timezone
    replan = services.queue_slots_set(
        by=membership, channel=channel, slots=[slot.model_dump() for slot in payload.slots], **kwargs
    )
    return _queue_out(membership, id, replan)


@router.post(
    "/queues/{id}/entries",
    response={201: QueueOut, **error_responses(403, 404, 409)},
    summary="Add a post to the queue: it takes the next free slot",
    description="The channel is added to the post when it is not among its channels. A slot is free when no "
    "other post of the channel holds that instant. A paused queue, or one with no free slot, keeps the post "
    "waiting. A post sits in one queue at most (409). 422 when the post breaks the channel's rules.",
)
def queue_entry_add(request: HttpRequest, payload: EntryIn, id: int = ID) -> Status[Any]:
    membership = member(request)
    channel = _channel(membership, id)
    post = content_selectors.post_get(by=membership, post_id=payload.post_id)
    services.queue_entry_add(by=membership, channel=channel, post=post)
    return Status(201, _queue_out(membership, id))


@router.post(
    "/queues/{id}/entries/move",
    response={200: QueueOut, **error_responses(403, 404)},
    summary="Move a queued post to another position; the times follow the new order",
)
def queue_entry_move(request: HttpRequest, payload: MoveIn, id: int = ID) -> dict[str, Any]:
    membership = member(request)
    channel = _channel(membership, id)
    replan = services.queue_entry_move(
        by=membership, channel=channel, post_id=payload.post_id, position=payload.position
    )
    return _queue_out(membership, id, replan)


@router.post(
    "/queues/{id}/entries/remove",
    response={200: QueueOut, **error_responses(403, 404)},
    summary="Take a post out of the queue (its planned channels are cancelled; the post stays)",
)
def queue_entry_remove(request: HttpRequest, payload: EntryIn, id: int = ID) -> dict[str, Any]:
    membership = member(request)
    channel = _channel(membership, id)
    replan = services.queue_entry_remove(by=membership, channel=channel, post_id=payload.post_id)
    return _queue_out(membership, id, replan)


@router.post(
    "/queues/{id}/pause",
    response={200: QueueOut, **error_responses(403, 404, 409)},
    summary="Pause a queue: its posts' planned channels are cancelled, the posts and order stay",
)
def queue_pause(request: HttpRequest, id: int = ID) -> dict[str, Any]:
    membership = member(request)
    services.queue_pause(by=membership, channel=_channel(membership, id))
    return _queue_out(membership, id)


@router.post(
    "/queues/{id}/resume",
    response={200: QueueOut, **error_responses(403, 404, 409)},
    summary="Resume a queue: its posts take the next free slots from now, in order",
)
def queue_resume(request: HttpRequest, id: int = ID) -> dict[str, Any]:
    membership = member(request)
    replan = services.queue_resume(by=membership, channel=_channel(membership, id))
    return _queue_out(membership, id, replan)


# --- Evergreen ------------------------------------------------------------------------------------


@router.get(
    "/evergreen",
    response={200: EvergreenOut, **error_responses(403, 404)},
    summary="The workspace's evergreen recycling policy",
)
def evergreen_get(request: HttpRequest) -> Any:
    membership = member(request)
    permissions.require(membership, "post.view")
    return selectors.evergreen_policy(workspace=membership.workspace)


@router.patch(
    "/evergreen",
    response={200: EvergreenOut, **error_responses(403, 404)},
    summary="Turn evergreen recycling on or off, and set the minimum gap between two uses of a post",
)
def evergreen_update(request: HttpRequest, payload: EvergreenIn) -> Any:
    changes = {
        key: value for key, value in payload.model_dump(exclude_unset=True).items() if value is not None
    }
    return evergreen_services.evergreen_policy_update(by=member(request), **changes)

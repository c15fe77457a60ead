"""Reads of posting queues: the channels with their queues, a queue's slots and entries, and the instants
its weekly slots name.

Slot times are local wall times in the queue's zone. The rule for the two hard cases
(docs/decisions/0008-queue-slot-local-times.md, RFC 5545 section 3.3.5):

- a slot in a local time that does not exist that day (the clocks jump forward over it, e.g. 02:30 on
  2026-03-29 in Europe/Paris) is read with the UTC offset from before the jump, so it lands just after
  it (03:30 CEST, the same instant as 01:30 UTC);
- a slot in a local time that happens twice (the clocks go back) is its first occurrence.

Two slots that land on the same instant that day count once.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.db.models import Count, Q

from portevoix.channels.models import Channel
from portevoix.content.models import Post
from portevoix.core.errors import NotFound
from portevoix.planning.models import ChannelQueue, EvergreenPolicy, QueueEntry, QueueSlot
from portevoix.publishing.models import Target, TargetState
from portevoix.workspaces import permissions
from portevoix.workspaces.models import Membership, Workspace

# How far ahead a queue looks for free slots.
HORIZON = timedelta(days=366)
# Target states that hold their channel's instant: a slot at that instant is taken.
OCCUPYING_STATES = frozenset(
    {
        TargetState.AWAITING_APPROVAL,
        TargetState.SCHEDULED,
        TargetState.PUBLISHING,
        TargetState.RETRY_WAIT,
        TargetState.PENDING_REMOTE,
        TargetState.PUBLISHED,
        TargetState.UNCONFIRMED,
    }
)
# A queued post whose target on the queue's channel is in one of these has left the queue (sent, or on its
# way): its entry is dropped at the next re-plan.
DONE_STATES = frozenset(
    {
        TargetState.PUBLISHING,
        TargetState.PENDING_REMOTE,
        TargetState.PUBLISHED,
        TargetState.UNCONFIRMED,
        TargetState.FAILED,
    }
)


def zone_of(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def slot_instant(day: date, local_time: time, zone: zoneinfo.ZoneInfo) -> datetime:
    """The instant (UTC) of a slot at ``local_time`` on ``day`` in ``zone``: in a gap, the wall time read
    with the offset before the gap (lands just after the jump); a repeated time is its first occurrence.
    Python's ``fold=0`` is exactly this rule."""
    return (
        datetime.combine(day, local_time.replace(second=0, microsecond=0), tzinfo=zone)
        .replace(fold=0)
        .astimezone(UTC)
    )


def slot_instants(
    slots: list[tuple[int, time]], zone: zoneinfo.ZoneInfo, *, after: datetime, until: datetime
) -> Iterator[datetime]:
    """Every instant named by the weekly ``slots`` ((weekday, local time)) strictly after ``after`` and
    before ``until``, in order, each once."""
    if not slots:
        return
    by_weekday: dict[int, list[time]] = {}
    for weekday, local_time in slots:
        by_weekday.setdefault(weekday, []).append(local_time)
    # Start a day early: a slot late in the previous local day may still be after ``after``.
    day = after.astimezone(zone).date() - timedelta(days=1)
    last = until.astimezone(zone).date() + timedelta(days=1)
    previous: datetime | None = None
    while day <= last:
        instants = sorted({slot_instant(day, t, zone) for t in by_weekday.get(day.weekday(), [])})
        for instant in instants:
            if instant <= after or instant >= until or (previous is not None and instant <= previous):
                continue
            previous = instant
            yield instant
        day += timedelta(days=1)


@dataclass(frozen=True)
class QueueRow:
    channel: Channel
    queue: ChannelQueue | None
    slot_count: int
    entry_count: int


@dataclass(frozen=True)
class EntryRow:
    entry: QueueEntry
    target: Target | None  # the post's target on the queue's channel
    planned_at: datetime | None  # when the queue planned it (None: waiting for a slot, or paused)


def queue_rows(*, by: Membership) -> list[QueueRow]:
    """Every channel of the workspace with its queue (None until someone sets it up)."""
    permissions.require(by, "post.view")
    channels = list(Channel.objects.filter(workspace=by.workspace).order_by("name", "pk"))
    queues = {
        queue.channel_id: queue
        for queue in ChannelQueue.objects.filter(workspace=by.workspace).annotate(
            n_slots=Count("slots", distinct=True), n_entries=Count("entries", distinct=True)
        )
    }
    return [
        QueueRow(
            channel=channel,
            queue=queues.get(channel.pk),
            slot_count=getattr(queues.get(channel.pk), "n_slots", 0),
            entry_count=getattr(queues.get(channel.pk), "n_entries", 0),
        )
        for channel in channels
    ]


def queue_channel(*, by: Membership, channel_id: int) -> tuple[Channel, ChannelQueue | None]:
    """A channel of the caller's workspace and its queue (None if it has none yet); 404 otherwise."""
    channel = Channel.objects.filter(workspace=by.workspace, pk=channel_id).first()
    if channel is None:
        raise NotFound("No such channel.")
    queue = ChannelQueue.objects.filter(channel=channel).first()
    return channel, queue


def queue_slots(*, queue: ChannelQueue | None) -> list[QueueSlot]:
    if queue is None:
        return []
    return list(queue.slots.order_by("weekday", "local_time"))


def queue_entries(*, queue: ChannelQueue | None) -> list[EntryRow]:
    """The queue's entries in order, each with its post's target on the channel and its planned time."""
    if queue is None:
        return []
    entries = list(queue.entries.select_related("post").order_by("position", "pk"))
    targets = {
        target.post_id: target
        for target in Target.objects.filter(
            channel_id=queue.channel_id, post_id__in=[entry.post_id for entry in entries]
        )
    }
    rows = []
    for entry in entries:
        target = targets.get(entry.post_id)
        planned = (
            target.due_at
            if target is not None and target.state in OCCUPYING_STATES and queue.paused_at is None
            else None
        )
        rows.append(EntryRow(entry=entry, target=target, planned_at=planned))
    return rows


def occupied_instants(*, channel_id: int, exclude_post_ids: list[int], after: datetime) -> set[datetime]:
    """Instants of the channel held by posts outside the queue (scheduled, awaiting approval, sent...)."""
    instants = (
        Target.objects.filter(channel_id=channel_id, state__in=OCCUPYING_STATES, due_at__gt=after)
        .exclude(post_id__in=exclude_post_ids)
        .values_list("due_at", flat=True)
    )
    return {instant for instant in instants if instant is not None}


def free_instants(queue: ChannelQueue, *, now: datetime, exclude_post_ids: list[int]) -> Iterator[datetime]:
    """The queue's slot instants from ``now`` that no post outside ``exclude_post_ids`` holds."""
    slots = [(slot.weekday, slot.local_time) for slot in queue.slots.all()]
    occupied = occupied_instants(channel_id=queue.channel_id, exclude_post_ids=exclude_post_ids, after=now)
    zone = zone_of(queue.timezone)
    for instant in slot_instants(slots, zone, after=now, until=now + HORIZON):
        if instant not in occupied:
            yield instant


def queue_candidates(*, by: Membership, channel: Channel, limit: int = 100) -> list[Post]:
    """Posts that may be added to the channel's queue: in no queue, not sent (nor failed) on the channel;
    the most recently changed first."""
    permissions.require(by, "post.view")
    return list(
        Post.objects.filter(workspace=by.workspace, queue_entries__isnull=True)
        .exclude(pk__in=Target.objects.filter(channel=channel, state__in=DONE_STATES).values("post_id"))
        .order_by("-updated_at", "-pk")[:limit]
    )


def evergreen_policy(*, workspace: Workspace) -> EvergreenPolicy:
    """The workspace's policy (the defaults, unsaved, until someone changes it)."""
    return EvergreenPolicy.objects.filter(workspace=workspace).first() or EvergreenPolicy(workspace=workspace)


def evergreen_workspaces() -> list[Workspace]:
    """Workspaces whose evergreen recycling is on."""
    return list(Workspace.objects.filter(evergreen_policy__enabled=True).order_by("pk"))


def active_queues(*, workspace: Workspace) -> list[ChannelQueue]:
    """Queues that are not paused and have slots."""
    return list(
        ChannelQueue.objects.filter(workspace=workspace, paused_at__isnull=True)
        .filter(Q(slots__isnull=False))
        .distinct()
        .select_related("channel")
        .order_by("pk")
    )

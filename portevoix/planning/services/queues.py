"""Writes of posting queues: weekly slots per channel, posts added to the next free slot, reordering, pause
and resume.

How a queue plans (the only rule; every write below ends with it, ``_replan``): the entries, in their
order, take the channel's free slot instants from now on, one each. A slot instant is free when no post
outside the queue holds that instant on the channel (scheduled, awaiting approval, being sent or sent).
Each entry is planned through content's ``post_schedule`` (so the post is checked against the channel's
rules and the change is audited); an entry already at its instant is left alone. A post goes out at one
time on all its channels, so a post sits in at most one queue. Slot times are local wall times in the
queue's zone (see planning/selectors/queues.py and docs/decisions/0008-queue-slot-local-times.md).

A paused queue plans nothing: pausing cancels the planned channels of its posts (the posts and their
entries stay), resuming plans them again into the next free slots from now. An entry whose post was
sent on the channel (or failed there) leaves the queue at the next re-plan.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from portevoix.channels.models import Channel
from portevoix.content import services as content_services
from portevoix.content.localtime import parse_zone
from portevoix.content.models import Post
from portevoix.core.errors import Conflict, NotFound, PortevoixError, ValidationFailed
from portevoix.planning.models import ChannelQueue, QueueEntry, QueueSlot
from portevoix.planning.selectors import queues as selectors
from portevoix.publishing import services as publishing
from portevoix.publishing.models import Target, TargetState
from portevoix.workspaces import audit, permissions
from portevoix.workspaces.models import Membership

MAX_SLOTS = 200
TIME_PATTERN = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
_UNSET: Any = object()


@dataclass
class Replan:
    planned: dict[int, datetime] = field(default_factory=dict)  # post id -> instant
    problems: dict[int, str] = field(default_factory=dict)  # post id -> why it could not be planned
    dropped: list[int] = field(default_factory=list)  # post ids that left the queue (sent, failed)


# --- Input ----------------------------------------------------------------------------------------


def _invalid(field_name: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, fields={field_name: [message]})


def clean_weekday(value: object) -> int:
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 6:
        raise _invalid("weekday", _("Choose a weekday from 0 (Monday) to 6 (Sunday)."))
    return value


def clean_time(value: object) -> time:
    if isinstance(value, time):
        if value.second or value.microsecond:
            raise _invalid("time", _("Give a time in whole minutes, such as 09:30."))
        return value.replace(tzinfo=None)
    text = value.strip() if isinstance(value, str) else ""
    match = TIME_PATTERN.match(text)
    if not match:
        raise _invalid("time", _("Enter a time such as 09:30 (24-hour clock)."))
    return time(int(match.group(1)), int(match.group(2)))


def clean_slots(value: Iterable[object] | None) -> list[tuple[int, time]]:
    """``[{"weekday": 0, "time": "09:30"}, ...]`` (or (weekday, time) pairs), without duplicates."""
    if value is None:
        return []
    slots: list[tuple[int, time]] = []
    for item in value:
        if isinstance(item, dict):
            weekday, local_time = item.get("weekday"), item.get("time")
        elif isinstance(item, tuple | list) and len(item) == 2:
            weekday, local_time = item
        else:
            raise _invalid("slots", _("Each slot needs a weekday and a time."))
        slot = (clean_weekday(weekday), clean_time(local_time))
        if slot not in slots:
            slots.append(slot)
    if len(slots) > MAX_SLOTS:
        raise _invalid("slots", _("At most %(max)s slots per queue.") % {"max": MAX_SLOTS})
    return sorted(slots)


# --- Queues ---------------------------------------------------------------------------------------


def _own_channel(by: Membership, channel: Channel) -> None:
    if channel.workspace_id != by.workspace_id:
        raise NotFound(_("No such channel."))


def _queue(by: Membership, channel: Channel, *, lock: bool = True) -> ChannelQueue:
    """The channel's queue, made on first use in the workspace's zone (locked for the transaction)."""
    _own_channel(by, channel)
    queue, _created = ChannelQueue.objects.get_or_create(
        channel=channel, defaults={"workspace": by.workspace, "timezone": by.workspace.timezone}
    )
    if lock:
        queue = ChannelQueue.objects.select_for_update().select_related("channel").get(pk=queue.pk)
    return queue


def queue_slots_set(
    *, by: Membership, channel: Channel, slots: Iterable[object], timezone_name: str | None = _UNSET
) -> Replan:
    """Replace the queue's weekly slots (and, if given, its zone); the entries are planned again."""
    permissions.require(by, "queue.manage")
    _own_channel(by, channel)
    cleaned = clean_slots(slots)
    zone = parse_zone(timezone_name, by.workspace.timezone).key if timezone_name is not _UNSET else None
    with transaction.atomic():
        queue = _queue(by, channel)
        if zone is not None and zone != queue.timezone:
            queue.timezone = zone
            queue.save(update_fields=["timezone"])
        queue.slots.all().delete()
        QueueSlot.objects.bulk_create(
            [QueueSlot(queue=queue, weekday=weekday, local_time=t) for weekday, t in cleaned]
        )
        audit.record(
            actor=by.user,
            action="queue.slots_set",
            workspace=by.workspace,
            obj=queue,
            timezone=queue.timezone,
            slots=[f"{weekday} {t:%H:%M}" for weekday, t in cleaned],
        )
        return _replan(by, queue)


def queue_slot_add(*, by: Membership, channel: Channel, weekday: object, local_time: object) -> Replan:
    permissions.require(by, "queue.manage")
    _own_channel(by, channel)
    slot = (clean_weekday(weekday), clean_time(local_time))
    current = [(s.weekday, s.local_time) for s in selectors.queue_slots(queue=channel_queue(channel))]
    if slot in current:
        raise Conflict(_("This slot is already in the queue."))
    return queue_slots_set(by=by, channel=channel, slots=[*current, slot])


def queue_slot_remove(*, by: Membership, channel: Channel, weekday: object, local_time: object) -> Replan:
    permissions.require(by, "queue.manage")
    _own_channel(by, channel)
    slot = (clean_weekday(weekday), clean_time(local_time))
    current = [(s.weekday, s.local_time) for s in selectors.queue_slots(queue=channel_queue(channel))]
    if slot not in current:
        raise NotFound(_("No such slot in this queue."))
    return queue_slots_set(by=by, channel=channel, slots=[s for s in current if s != slot])


def channel_queue(channel: Channel) -> ChannelQueue | None:
    return ChannelQueue.objects.filter(channel=channel).first()


# --- Entries --------------------------------------------------------------------------------------


def queue_entry_add(*, by: Membership, channel: Channel, post: Post) -> QueueEntry:
    """Put the post at the end of the channel's queue: it takes the next free slot (the channel is added to
    the post when it is not among its channels). A paused queue, or one without a free slot, keeps it
    waiting. A problem that keeps the post from being planned (the channel's rules) refuses the add."""
    permissions.require(by, "queue.manage")
    _own_channel(by, channel)
    if post.workspace_id != by.workspace_id:
        raise NotFound(_("No such post."))
    other = (
        QueueEntry.objects.filter(post=post).exclude(queue__channel=channel).select_related("queue__channel")
    )
    if other.exists():
        raise Conflict(
            _(
                "This post is already in the queue of %(channel)s: a post goes out at one time on all its "
                "channels, so it sits in one queue. Remove it from there first."
            )
            % {"channel": other[0].queue.channel.name}
        )
    target = Target.objects.filter(post=post, channel=channel).first()
    if target is not None and target.state in selectors.DONE_STATES:
        raise Conflict(
            _("This post was already sent to %(channel)s (or failed there).") % {"channel": channel.name}
        )
    with transaction.atomic():
        queue = _queue(by, channel)
        if QueueEntry.objects.filter(queue=queue, post=post).exists():
            raise Conflict(_("This post is already in this queue."))
        if target is None:
            publishing.targets_create(post=post, channels=[channel], by=by)
        last = queue.entries.aggregate(last=Max("position"))["last"]
        entry = QueueEntry.objects.create(queue=queue, post=post, position=0 if last is None else last + 1)
        audit.record(actor=by.user, action="queue.entry_add", workspace=by.workspace, obj=queue, post=post.pk)
        result = _replan(by, queue)
        if post.pk in result.problems:
            raise ValidationFailed(
                _("This post cannot take a slot in this queue: %(reason)s")
                % {"reason": result.problems[post.pk]},
                fields={"post_id": [result.problems[post.pk]]},
            )
    entry.refresh_from_db()
    return entry


def _entry(queue: ChannelQueue | None, post_id: int) -> QueueEntry:
    entry = None if queue is None else QueueEntry.objects.filter(queue=queue, post_id=post_id).first()
    if entry is None:
        raise NotFound(_("This post is not in this queue."))
    return entry


def queue_entry_move(*, by: Membership, channel: Channel, post_id: int, position: int) -> Replan:
    """Move an entry to ``position`` (0 is the first; past the end means last); times follow the order."""
    permissions.require(by, "queue.manage")
    _own_channel(by, channel)
    if isinstance(position, bool) or not isinstance(position, int) or position < 0:
        raise _invalid("position", _("Give a position of 0 (the first) or more."))
    with transaction.atomic():
        queue = _queue(by, channel)
        entry = _entry(queue, post_id)
        entries = [e for e in queue.entries.order_by("position", "pk") if e.pk != entry.pk]
        entries.insert(min(position, len(entries)), entry)
        for index, item in enumerate(entries):
            if item.position != index:
                QueueEntry.objects.filter(pk=item.pk).update(position=index)
        audit.record(
            actor=by.user,
            action="queue.entry_move",
            workspace=by.workspace,
            obj=queue,
            post=post_id,
            position=min(position, len(entries) - 1),
        )
        return _replan(by, queue)


def queue_entry_remove(*, by: Membership, channel: Channel, post_id: int) -> Replan:
    """Take a post out of the queue: its planned channels are cancelled (the post stays, to plan by hand
    or queue again); the entries after it move up."""
    permissions.require(by, "queue.manage")
    _own_channel(by, channel)
    with transaction.atomic():
        queue = _queue(by, channel)
        entry = _entry(queue, post_id)
        post = entry.post
        entry.delete()
        _unplan(by, post)
        audit.record(
            actor=by.user, action="queue.entry_remove", workspace=by.workspace, obj=queue, post=post_id
        )
        return _replan(by, queue)


def queue_pause(*, by: Membership, channel: Channel) -> ChannelQueue:
    """Stop the queue: the planned channels of its posts are cancelled (posts and order are kept)."""
    permissions.require(by, "queue.manage")
    _own_channel(by, channel)
    with transaction.atomic():
        queue = _queue(by, channel)
        if queue.paused_at is not None:
            raise Conflict(_("This queue is already paused."))
        queue.paused_at = timezone.now()
        queue.save(update_fields=["paused_at"])
        for entry in queue.entries.select_related("post").order_by("position", "pk"):
            _unplan(by, entry.post)
        audit.record(actor=by.user, action="queue.pause", workspace=by.workspace, obj=queue)
    return queue


def queue_resume(*, by: Membership, channel: Channel) -> Replan:
    """Start the queue again: its posts take the next free slots from now, in order."""
    permissions.require(by, "queue.manage")
    _own_channel(by, channel)
    with transaction.atomic():
        queue = _queue(by, channel)
        if queue.paused_at is None:
            raise Conflict(_("This queue is not paused."))
        queue.paused_at = None
        queue.save(update_fields=["paused_at"])
        audit.record(actor=by.user, action="queue.resume", workspace=by.workspace, obj=queue)
        return _replan(by, queue)


# --- Planning -------------------------------------------------------------------------------------


def _unplan(by: Membership, post: Post) -> None:
    """Cancel the post's planned channels, if any (a channel being sent right now keeps going)."""
    planned = Target.objects.filter(post=post, state__in=[TargetState.SCHEDULED, TargetState.RETRY_WAIT])
    if not planned.exists():
        return
    try:
        with transaction.atomic():
            content_services.post_unschedule(by=by, post=post)
    except PortevoixError:
        pass  # being sent right now: nothing left to cancel


def _due(target: Target, now: datetime) -> bool:
    return (
        target.state in (TargetState.SCHEDULED, TargetState.RETRY_WAIT)
        and target.due_at is not None
        and target.due_at <= now
    )


def _replan(by: Membership, queue: ChannelQueue) -> Replan:
    """Give the entries, in order, the free slot instants from now (call inside a transaction)."""
    result = Replan()
    entries = list(queue.entries.select_related("post").order_by("position", "pk"))
    targets = {
        target.post_id: target
        for target in Target.objects.filter(
            channel_id=queue.channel_id, post_id__in=[entry.post_id for entry in entries]
        )
    }
    kept: list[QueueEntry] = []
    now = timezone.now()
    for entry in entries:
        target = targets.get(entry.post_id)
        if target is None or target.state in selectors.DONE_STATES:
            entry.delete()  # sent (or failed, or the channel was taken off the post): it left the queue
            result.dropped.append(entry.post_id)
        elif queue.paused_at is None and _due(target, now):
            result.planned[entry.post_id] = (
                target.due_at or now
            )  # due: the publishing worker has it, leave it
        else:
            kept.append(entry)
    if queue.paused_at is not None or not kept:
        return result
    zone = selectors.zone_of(queue.timezone)
    instants = selectors.free_instants(queue, now=now, exclude_post_ids=[entry.post_id for entry in kept])
    instant = next(instants, None)
    for entry in kept:
        if instant is None:
            break
        target = targets[entry.post_id]
        if target.state == TargetState.SCHEDULED and target.due_at == instant:
            result.planned[entry.post_id] = instant
            instant = next(instants, None)
            continue
        try:
            with transaction.atomic():
                content_services.post_schedule(
                    by=by, post=entry.post, at=instant.astimezone(zone).isoformat(), timezone_name=zone.key
                )
        except PortevoixError as error:
            details = [m for messages in error.fields.values() for m in messages if m != error.message]
            result.problems[entry.post_id] = " ".join([error.message, *details])
            continue  # the instant stays free for the next entry
        result.planned[entry.post_id] = instant
        instant = next(instants, None)
    return result

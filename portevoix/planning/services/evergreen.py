"""Evergreen recycling: copies of a workspace's evergreen posts fill the free slots of its queues.

The rule (docs/planning/queues.md):
- a post is a candidate for a channel's queue when it is evergreen (``Post.evergreen``), is not itself a
  copy, goes to that channel, and was published at least once (the original or one of its copies);
- its "uses" are the instants it and its copies were published or are planned for; a copy may take a slot
  only if every use is at least the policy's minimum gap away from that slot, so two copies of one post
  are never closer than the gap;
- candidates are taken oldest-recycled first (the earliest latest use), one copy per slot, into the free
  slots of the next ``HORIZON`` of each queue that is not paused; a slot no candidate fits ends that
  queue's turn (a later copy would otherwise take it).

A copy is a new post (``recycled_from`` the original; same texts, variants, media, link and rubric) added
to the queue like any post (``queue_entry_add``), so the channel's rules and the audit apply. The job acts
as the workspace's first owner (the person accountable for the workspace), recorded in the audit log.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from portevoix.channels.models import ChannelStatus
from portevoix.content import services as content_services
from portevoix.content.models import Post
from portevoix.core.errors import PortevoixError, ValidationFailed
from portevoix.planning.models import ChannelQueue, EvergreenPolicy
from portevoix.planning.selectors import queues as selectors
from portevoix.planning.services import queues as queue_services
from portevoix.publishing.models import Target, TargetState
from portevoix.workspaces import audit, permissions
from portevoix.workspaces.models import Membership, Workspace
from portevoix.workspaces.roles import Role

logger = logging.getLogger(__name__)

HORIZON = timedelta(days=7)
PLANNED = (TargetState.SCHEDULED, TargetState.AWAITING_APPROVAL, TargetState.RETRY_WAIT)
MAX_GAP_DAYS = 3650
_UNSET: Any = object()


def evergreen_policy_update(
    *, by: Membership, enabled: bool = _UNSET, min_gap_days: int = _UNSET
) -> EvergreenPolicy:
    """Turn recycling on or off, and set the minimum gap (days) between two uses of one post."""
    permissions.require(by, "queue.manage")
    changes: dict[str, Any] = {}
    if enabled is not _UNSET:
        if not isinstance(enabled, bool):
            raise ValidationFailed(_("Send true or false."), fields={"enabled": [_("Send true or false.")]})
        changes["enabled"] = enabled
    if min_gap_days is not _UNSET:
        if (
            isinstance(min_gap_days, bool)
            or not isinstance(min_gap_days, int)
            or not (1 <= min_gap_days <= MAX_GAP_DAYS)
        ):
            message = _("Give a gap from 1 to %(max)s days.") % {"max": MAX_GAP_DAYS}
            raise ValidationFailed(message, fields={"min_gap_days": [message]})
        changes["min_gap_days"] = min_gap_days
    with transaction.atomic():
        policy, _created = EvergreenPolicy.objects.select_for_update().get_or_create(workspace=by.workspace)
        for key, value in changes.items():
            setattr(policy, key, value)
        if changes:
            policy.save()
            audit.record(
                actor=by.user, action="evergreen.update", workspace=by.workspace, obj=policy, **changes
            )
    return policy


@dataclass
class RecycleStats:
    copies: list[int] = field(default_factory=list)  # ids of the copies made
    problems: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"copies": len(self.copies), "problems": self.problems[:20]}


def evergreen_recycle(*, now: datetime | None = None, horizon: timedelta = HORIZON) -> RecycleStats:
    """Fill the free queue slots of the next ``horizon`` with copies of evergreen posts, in every workspace
    whose recycling is on."""
    stats = RecycleStats()
    for workspace in selectors.evergreen_workspaces():
        try:
            workspace_recycle(workspace=workspace, now=now, horizon=horizon, stats=stats)
        except Exception:  # one workspace's trouble must not stop the others
            logger.exception("Evergreen recycling failed in workspace %s", workspace.pk)
            stats.problems.append(f"workspace {workspace.pk}: unexpected error")
    return stats


def _actor(workspace: Workspace) -> Membership | None:
    return (
        Membership.objects.filter(workspace=workspace, role=Role.OWNER)
        .select_related("user", "workspace")
        .order_by("created_at", "pk")
        .first()
    )


def workspace_recycle(
    *,
    workspace: Workspace,
    now: datetime | None = None,
    horizon: timedelta = HORIZON,
    stats: RecycleStats | None = None,
) -> RecycleStats:
    stats = stats if stats is not None else RecycleStats()
    policy = EvergreenPolicy.objects.filter(workspace=workspace, enabled=True).first()
    by = _actor(workspace)
    if policy is None or by is None:
        return stats
    gap = timedelta(days=policy.min_gap_days)
    for queue in selectors.active_queues(workspace=workspace):
        if queue.channel.status != ChannelStatus.ACTIVE:
            continue
        _fill_queue(by=by, queue=queue, gap=gap, now=now or timezone.now(), horizon=horizon, stats=stats)
    return stats


def _uses(originals: list[Post]) -> dict[int, list[datetime]]:
    """For each original: the instants it and its copies were published or are planned for. Only
    originals published at least once (themselves or through a copy) are listed."""
    ids = [post.pk for post in originals]
    uses: dict[int, list[datetime]] = {pk: [] for pk in ids}
    published: set[int] = set()
    published_rows: Any = Target.objects.filter(
        Q(post_id__in=ids) | Q(post__recycled_from_id__in=ids), published_at__isnull=False
    ).values_list("post_id", "post__recycled_from_id", "published_at")
    for post_id, copy_of, published_at in published_rows:
        original = post_id if post_id in uses else copy_of
        uses[original].append(published_at)
        published.add(original)
    planned_rows: Any = Post.objects.filter(
        Q(pk__in=ids) | Q(recycled_from_id__in=ids), scheduled_at__isnull=False
    ).values_list("pk", "recycled_from_id", "scheduled_at")
    for post_id, copy_of, scheduled_at in planned_rows:
        original = post_id if post_id in uses else copy_of
        uses[original].append(scheduled_at)
    return {pk: instants for pk, instants in uses.items() if pk in published}


def _fill_queue(
    *,
    by: Membership,
    queue: ChannelQueue,
    gap: timedelta,
    now: datetime,
    horizon: timedelta,
    stats: RecycleStats,
) -> None:
    originals = list(
        Post.objects.filter(
            workspace=queue.workspace_id,
            evergreen=True,
            recycled_from__isnull=True,
            targets__channel_id=queue.channel_id,
        )
        .distinct()
        .order_by("pk")
    )
    if not originals:
        return
    uses = _uses(originals)
    by_id = {post.pk: post for post in originals}
    while True:
        entries = list(queue.entries.values_list("post_id", flat=True))
        # The queue's last planned instant: a new last entry takes the first free slot after it.
        last = max(
            Target.objects.filter(
                channel_id=queue.channel_id, post_id__in=entries, due_at__gt=now, state__in=PLANNED
            ).values_list("due_at", flat=True),
            default=now,
            key=lambda instant: instant or now,
        )
        free = selectors.free_instants(queue, now=last or now, exclude_post_ids=entries)
        slot = next(free, None)
        if slot is None or slot > now + horizon:
            return
        fits = [pk for pk, instants in uses.items() if all(abs(slot - used) >= gap for used in instants)]
        if not fits:
            return
        original = by_id[min(fits, key=lambda pk: (max(uses[pk]), pk))]
        try:
            copy = _copy_into(
                by=by, queue=queue, original=original, slot=slot, gap=gap, uses=uses[original.pk]
            )
        except PortevoixError as error:
            stats.problems.append(f"post {original.pk}: {error.message}")
            uses.pop(original.pk)  # not again in this run
            continue
        if copy is None:
            return
        stats.copies.append(copy.pk)
        uses[original.pk].append(copy.scheduled_at or slot)


class _Misplaced(Exception):
    pass


def _copy_into(
    *,
    by: Membership,
    queue: ChannelQueue,
    original: Post,
    slot: datetime,
    gap: timedelta,
    uses: list[datetime],
) -> Post | None:
    """Copy ``original`` and add the copy to the queue; undone (None) if it did not land on ``slot``."""
    try:
        with transaction.atomic():
            copy = content_services.post_create(
                by=by,
                title=original.title,
                text=original.text,
                link=original.link,
                variants={variant.network: variant.text for variant in original.variants.all()},
                media_ids=[attachment.asset_id for attachment in original.attachments.order_by("position")],
                channel_ids=[queue.channel_id],
                rubric_id=original.rubric_id,
            )
            Post.objects.filter(pk=copy.pk).update(recycled_from=original)
            queue_services.queue_entry_add(by=by, channel=queue.channel, post=copy)
            copy.refresh_from_db()
            if copy.scheduled_at != slot or any(abs(slot - used) < gap for used in uses):
                raise _Misplaced
            audit.record(
                actor=None,
                action="evergreen.recycle",
                workspace=queue.workspace,
                obj=copy,
                original=original.pk,
                channel=queue.channel_id,
                at=slot.isoformat(),
            )
    except _Misplaced:
        return None
    return copy

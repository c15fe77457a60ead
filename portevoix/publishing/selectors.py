"""Reads for publishing: a post's targets and their history, the "needs attention" list, alerts.

Always scoped to one workspace; pages and API endpoints check the reader's role (``post.view``) with the
workspace decorators before they call these.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import F, Q, QuerySet
from django.utils import timezone

from portevoix.channels.models import Channel, ChannelStatus
from portevoix.content.models import Post
from portevoix.publishing.messages import advice
from portevoix.publishing.models import Attempt, Notification, Target, TargetState
from portevoix.workspaces.models import Workspace

STRUGGLING_AFTER = 3  # retry_wait with this many failed attempts shows on the list
PENDING_TOO_LONG = timedelta(hours=1)
EXPIRY_WARNING = timedelta(days=7)


def targets_for_post(*, post: Post) -> QuerySet[Target]:
    return (
        Target.objects.filter(post=post, workspace_id=post.workspace_id)
        .select_related("channel")
        .order_by("pk")
    )


def target_attempts(*, target: Target) -> QuerySet[Attempt]:
    """A target's history, oldest first: every publish, lookup, check, refresh, and a person's marking."""
    return Attempt.objects.filter(target=target).order_by("number")


def target_advice(target: Target) -> str:
    """What to do about the target's last error, in plain words ("" when there is none)."""
    return advice(target.error_code) if target.error_code else ""


@dataclass
class NeedsAttention:
    failed: list[Target] = field(default_factory=list)
    unconfirmed: list[Target] = field(default_factory=list)
    struggling: list[Target] = field(default_factory=list)  # retrying, many attempts already
    pending: list[Target] = field(default_factory=list)  # due over an hour ago, the network still processing
    channels: list[Channel] = field(default_factory=list)  # need reconnecting, or access expiring

    @property
    def count(self) -> int:
        return (
            len(self.failed)
            + len(self.unconfirmed)
            + len(self.struggling)
            + len(self.pending)
            + len(self.channels)
        )

    def __bool__(self) -> bool:
        return self.count > 0


def _targets(workspace: Workspace) -> QuerySet[Target]:
    return (
        Target.objects.filter(workspace=workspace)
        .select_related("channel", "post")
        .order_by("-updated_at", "-pk")
    )


def needs_attention(*, workspace: Workspace, now: datetime | None = None, limit: int = 200) -> NeedsAttention:
    """What someone should look at: failed and unconfirmed targets, targets retrying again and again,
    posts the network has been processing for long, and channels needing reconnection or whose access
    expires within a week."""
    now = now or timezone.now()
    targets = _targets(workspace)
    channels = Channel.objects.filter(workspace=workspace).exclude(status=ChannelStatus.DISCONNECTED)
    return NeedsAttention(
        failed=list(targets.filter(state=TargetState.FAILED)[:limit]),
        unconfirmed=list(targets.filter(state=TargetState.UNCONFIRMED)[:limit]),
        struggling=list(
            targets.filter(state=TargetState.RETRY_WAIT)
            .alias(tries=F("attempt_count") - F("retry_base"))
            .filter(tries__gte=STRUGGLING_AFTER)[:limit]
        ),
        pending=list(
            targets.filter(state=TargetState.PENDING_REMOTE, due_at__lte=now - PENDING_TOO_LONG)[:limit]
        ),
        channels=list(
            channels.filter(
                Q(status__in=[ChannelStatus.NEEDS_REAUTH, ChannelStatus.ERROR])
                | Q(token_expires_at__lte=now + EXPIRY_WARNING)
            ).order_by("name")
        ),
    )


def attention_count(*, workspace: Workspace) -> int:
    """The badge number: targets a person must resolve (failed, unconfirmed)."""
    return Target.objects.filter(
        workspace=workspace, state__in=[TargetState.FAILED, TargetState.UNCONFIRMED]
    ).count()


def notifications(
    *, workspace: Workspace, unread_only: bool = False, limit: int = 50
) -> QuerySet[Notification]:
    found = Notification.objects.filter(workspace=workspace).select_related("channel")
    if unread_only:
        found = found.filter(read_at__isnull=True)
    return found.order_by("-created_at", "-pk")[:limit]

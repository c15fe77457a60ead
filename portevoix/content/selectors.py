"""Reads for posts, always scoped to the caller's workspace: the list with each post's status (derived from
its publishing targets), one post, its publishing history, and what the composer offers (active channels,
the media library).

A post's status, from the states of its targets (one per channel):
- ``draft``: no target yet, or only draft targets;
- ``needs_attention``: a target failed or its outcome is unconfirmed (a person must look);
- ``publishing``: a target is being sent, processed by the network, or waiting to retry;
- ``scheduled``: a target is planned for a time;
- ``awaiting_approval``: a target waits for approval;
- ``published``: published on at least one channel, and nothing is planned or under way;
- ``cancelled``: every target was cancelled.
The first that applies, in this order after ``draft``, wins.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from django.db.models import Count, F, Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portevoix.channels.models import Channel, ChannelStatus
from portevoix.content.models import Post
from portevoix.core.errors import NotFound
from portevoix.media.models import MediaAsset
from portevoix.publishing import selectors as publishing_selectors
from portevoix.publishing.models import Attempt, Target, TargetState
from portevoix.workspaces import permissions
from portevoix.workspaces.models import Membership

S = TargetState


class PostStatus(StrEnum):
    DRAFT = "draft"
    NEEDS_ATTENTION = "needs_attention"
    PUBLISHING = "publishing"
    SCHEDULED = "scheduled"
    AWAITING_APPROVAL = "awaiting_approval"
    PUBLISHED = "published"
    CANCELLED = "cancelled"


STATUS_LABELS = {
    PostStatus.DRAFT: gettext_lazy("Draft"),
    PostStatus.NEEDS_ATTENTION: gettext_lazy("Needs attention"),
    PostStatus.PUBLISHING: gettext_lazy("Publishing"),
    PostStatus.SCHEDULED: gettext_lazy("Scheduled"),
    PostStatus.AWAITING_APPROVAL: gettext_lazy("Awaiting approval"),
    PostStatus.PUBLISHED: gettext_lazy("Published"),
    PostStatus.CANCELLED: gettext_lazy("Cancelled"),
}

ATTENTION_STATES = (S.FAILED, S.UNCONFIRMED)
ACTIVE_STATES = (S.PUBLISHING, S.PENDING_REMOTE, S.RETRY_WAIT)
# Being sent right now: the post's content must not change under the worker.
IN_FLIGHT_STATES = frozenset({S.PUBLISHING, S.PENDING_REMOTE})
# The network may have it: the post (and its history) cannot be deleted.
SENT_STATES = frozenset({S.PUBLISHING, S.PENDING_REMOTE, S.UNCONFIRMED, S.PUBLISHED})
PLANNED_STATES = frozenset({S.SCHEDULED, S.RETRY_WAIT})


def _counts() -> dict[str, Count]:
    def of(states: tuple[str, ...]) -> Count:
        return Count("targets", filter=Q(targets__state__in=states), distinct=True)

    return {
        "n_targets": Count("targets", distinct=True),
        "n_attention": of(ATTENTION_STATES),
        "n_active": of(ACTIVE_STATES),
        "n_scheduled": of((S.SCHEDULED,)),
        "n_approval": of((S.AWAITING_APPROVAL,)),
        "n_published": of((S.PUBLISHED,)),
        "n_cancelled": of((S.CANCELLED,)),
    }


def status_from_counts(
    *,
    targets: int,
    attention: int,
    active: int,
    scheduled: int,
    approval: int,
    published: int,
    cancelled: int,
) -> PostStatus:
    if attention:
        return PostStatus.NEEDS_ATTENTION
    if active:
        return PostStatus.PUBLISHING
    if scheduled:
        return PostStatus.SCHEDULED
    if approval:
        return PostStatus.AWAITING_APPROVAL
    if published:
        return PostStatus.PUBLISHED
    if targets and cancelled == targets:
        return PostStatus.CANCELLED
    return PostStatus.DRAFT


def post_status(post: Post) -> PostStatus:
    """The status of one post, from its targets (prefetched ones when the caller prefetched them)."""
    return status_from_states([target.state for target in post.targets.all()])


def status_from_states(states: list[str]) -> PostStatus:
    return status_from_counts(
        targets=len(states),
        attention=sum(1 for s in states if s in ATTENTION_STATES),
        active=sum(1 for s in states if s in ACTIVE_STATES),
        scheduled=sum(1 for s in states if s == S.SCHEDULED),
        approval=sum(1 for s in states if s == S.AWAITING_APPROVAL),
        published=sum(1 for s in states if s == S.PUBLISHED),
        cancelled=sum(1 for s in states if s == S.CANCELLED),
    )


def post_list(
    *,
    by: Membership,
    status: str | None = None,
    channel_id: int | None = None,
    network: str | None = None,
    query: str | None = None,
    scheduled_from: datetime | None = None,
    scheduled_to: datetime | None = None,
) -> QuerySet[Post]:
    """The workspace's posts, newest plan first, annotated with their targets' counts (for the status
    filter)."""
    permissions.require(by, "post.view")
    posts = Post.objects.filter(workspace=by.workspace)
    if channel_id is not None:
        posts = posts.filter(targets__channel_id=channel_id)
    if network:
        posts = posts.filter(targets__channel__network=network)
    if query:
        posts = posts.filter(Q(text__icontains=query) | Q(title__icontains=query))
    if scheduled_from is not None:
        posts = posts.filter(scheduled_at__gte=scheduled_from)
    if scheduled_to is not None:
        posts = posts.filter(scheduled_at__lt=scheduled_to)
    # The filters above may join targets: count over a fresh subquery of ids so the counts stay right.
    posts = Post.objects.filter(pk__in=posts.values("pk")).annotate(**_counts())
    if status:
        posts = posts.filter(status_filter(PostStatus(status)))
    return posts.order_by("-scheduled_at", "-created_at", "-pk")


def status_filter(status: PostStatus) -> Q:
    idle = Q(n_attention=0, n_active=0)
    filters = {
        PostStatus.NEEDS_ATTENTION: Q(n_attention__gt=0),
        PostStatus.PUBLISHING: Q(n_attention=0, n_active__gt=0),
        PostStatus.SCHEDULED: idle & Q(n_scheduled__gt=0),
        PostStatus.AWAITING_APPROVAL: idle & Q(n_scheduled=0, n_approval__gt=0),
        PostStatus.PUBLISHED: idle & Q(n_scheduled=0, n_approval=0, n_published__gt=0),
        PostStatus.CANCELLED: idle
        & Q(n_scheduled=0, n_approval=0, n_published=0, n_targets__gt=0, n_cancelled=F("n_targets")),
        PostStatus.DRAFT: idle
        & Q(n_scheduled=0, n_approval=0, n_published=0)
        & (Q(n_targets=0) | Q(n_cancelled__lt=F("n_targets"))),
    }
    return filters[status]


def post_get(*, by: Membership, post_id: int) -> Post:
    """A post of the caller's workspace; NotFound otherwise (foreign ids are not disclosed). The caller
    checks the permission for what it does with it."""
    post = Post.objects.filter(workspace=by.workspace, pk=post_id).first()
    if post is None:
        raise NotFound(_("No such post."))
    return post


def post_targets(*, post: Post) -> list[Target]:
    return list(publishing_selectors.targets_for_post(post=post))


def post_channel_ids(*, post: Post) -> list[int]:
    """The channels the post goes to: every target's (a cancelled one too: scheduling the post again plans
    it again, publishing's rule)."""
    return list(Target.objects.filter(post=post).order_by("pk").values_list("channel_id", flat=True))


def post_variants(*, post: Post) -> dict[str, str]:
    return {variant.network: variant.text for variant in post.variants.all() if variant.text.strip()}


def post_media(*, post: Post) -> list[MediaAsset]:
    return [attachment.asset for attachment in post.attachments.select_related("asset").order_by("position")]


# --- History --------------------------------------------------------------------------------------


@dataclass
class TargetHistory:
    target: Target
    channel: Channel
    attempts: list[Attempt] = field(default_factory=list)
    advice: str = ""

    @property
    def state_label(self) -> str:
        return str(TargetState(self.target.state).label)


def post_history(*, by: Membership, post: Post) -> list[TargetHistory]:
    """Each target of the post with its attempts (oldest first), the network's URL once published, and
    what to do about its last error."""
    permissions.require(by, "post.view")
    if post.workspace_id != by.workspace_id:
        raise NotFound(_("No such post."))
    history = []
    for target in publishing_selectors.targets_for_post(post=post):
        history.append(
            TargetHistory(
                target=target,
                channel=target.channel,
                attempts=list(publishing_selectors.target_attempts(target=target)),
                advice=publishing_selectors.target_advice(target),
            )
        )
    return history


# --- What the composer offers ---------------------------------------------------------------------


def composer_channels(*, by: Membership, keep: list[int] | None = None) -> list[Channel]:
    """Active channels of the workspace, plus those the post already goes to (``keep``)."""
    channels = Channel.objects.filter(workspace=by.workspace).filter(
        Q(status=ChannelStatus.ACTIVE) | Q(pk__in=keep or [])
    )
    return list(channels.order_by("network", "name", "pk"))


def composer_media(*, by: Membership, limit: int = 60) -> list[MediaAsset]:
    if not permissions.can(by, "media.view"):
        return []
    return list(MediaAsset.objects.filter(workspace=by.workspace).order_by("-created_at", "-pk")[:limit])

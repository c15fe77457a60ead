"""Reads for approvals: the workspace's policy, whether a post may be planned without approval, a post's
current round and step, who may decide a step, the posts awaiting a person's decision, comments, and the
client's link looked up by its token."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Max, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from portevoix.approvals.models import (
    ApprovalMode,
    ApprovalPolicy,
    ApprovalStep,
    ClientLink,
    Comment,
    Decision,
    DecisionState,
)
from portevoix.content.models import ApprovalState, Post
from portevoix.content.previews import Preview, preview
from portevoix.content.validation import TextTooLong
from portevoix.content.validation.posts import post_results
from portevoix.core.errors import NotFound, PortevoixError
from portevoix.core.secrets import digest
from portevoix.media.models import MediaAsset
from portevoix.publishing.models import Target, TargetState
from portevoix.workspaces import permissions
from portevoix.workspaces.models import Membership, Workspace
from portevoix.workspaces.roles import LEADS, Role

GATING_MODES = frozenset({ApprovalMode.REQUIRED, ApprovalMode.MULTI_STEP})
UNDER_REVIEW = frozenset({ApprovalState.PENDING, ApprovalState.CHANGES_REQUESTED})


# --- Policy ---------------------------------------------------------------------------------------


def policy_for(workspace: Workspace | int) -> ApprovalPolicy:
    """The workspace's policy; an unsaved "no approval" policy when none was ever set."""
    workspace_id = workspace if isinstance(workspace, int) else workspace.pk
    policy = ApprovalPolicy.objects.filter(workspace_id=workspace_id).first()
    return policy or ApprovalPolicy(workspace_id=workspace_id, mode=ApprovalMode.NONE)


def policy_steps(workspace: Workspace | int) -> list[ApprovalStep]:
    workspace_id = workspace if isinstance(workspace, int) else workspace.pk
    return list(ApprovalStep.objects.filter(workspace_id=workspace_id).select_related("user"))


def post_requires_approval(post: Post) -> bool:
    """True when the post may not be planned straight into "scheduled": its targets wait in "awaiting
    approval" instead. A post under review (pending or changes requested) always waits, whatever the mode;
    in the required and multi-step modes every post waits until it is approved."""
    # Read from the database: the caller's copy of the post may predate a decision.
    state = Post.objects.filter(pk=post.pk).values_list("approval_state", flat=True).first()
    state = state or post.approval_state
    if state == ApprovalState.APPROVED:
        return False
    if state in UNDER_REVIEW:
        return True
    return policy_for(post.workspace_id).mode in GATING_MODES


def effective_state(post: Post, mode: str) -> str:
    """The approval state to show: a post that was never submitted reads "not submitted" in a workspace
    whose policy requires approval."""
    if post.approval_state == ApprovalState.NOT_REQUIRED and mode in GATING_MODES:
        return ApprovalState.DRAFT
    return post.approval_state


# --- Rounds and steps -----------------------------------------------------------------------------


def latest_round(post: Post) -> int:
    return Decision.objects.filter(post=post).aggregate(last=Max("round"))["last"] or 0


def round_decisions(post: Post, round_number: int | None = None) -> list[Decision]:
    number = latest_round(post) if round_number is None else round_number
    return list(
        Decision.objects.filter(post=post, round=number)
        .select_related("user", "decided_by")
        .order_by("position")
    )


def current_decision(post: Post) -> Decision | None:
    """The step waiting for a decision, when the post is awaiting approval."""
    if post.approval_state != ApprovalState.PENDING:
        return None
    return next((d for d in round_decisions(post) if d.state == DecisionState.PENDING), None)


def step_label(step: ApprovalStep | Decision) -> str:
    """Who decides a step, in words."""
    if step.by_client:
        return _("The client (%(email)s), through a link") % {"email": step.client_email}
    if step.user_id is not None and step.user is not None:
        return step.user.display_name
    if step.role:
        try:
            return str(Role(step.role).label)
        except ValueError:
            return step.role
    return _("Any owner or SMM manager")


def may_decide(membership: Membership, decision: Decision) -> bool:
    """Whether this member may approve or ask for changes at this step (the client's step is decided
    through the client's link only)."""
    if decision.by_client or not permissions.can(membership, "post.approve"):
        return False
    if decision.user_id is not None:
        return decision.user_id == membership.user_id
    if decision.role:
        return membership.role == decision.role
    return membership.role in LEADS


@dataclass
class Awaiting:
    post: Post
    decision: Decision


def awaiting_decision(*, by: Membership, limit: int = 200) -> list[Awaiting]:
    """Posts of the workspace whose current step this member may decide, oldest first."""
    permissions.require(by, "post.approve")
    pending = (
        Decision.objects.filter(
            post__workspace=by.workspace,
            post__approval_state=ApprovalState.PENDING,
            state=DecisionState.PENDING,
        )
        .select_related("post", "user")
        .order_by("post_id", "-round", "position")
    )
    found: list[Awaiting] = []
    seen: set[int] = set()
    for decision in pending[:2000]:
        if decision.post_id in seen:
            continue
        seen.add(decision.post_id)  # the first pending step of the latest round is the current one
        if may_decide(by, decision):
            found.append(Awaiting(post=decision.post, decision=decision))
    found.sort(key=lambda item: item.decision.notified_at or item.decision.created_at)
    return found[:limit]


@dataclass
class PostApproval:
    """Everything the post page's panel and the API show about one post's approval."""

    post: Post
    mode: str
    state: str
    round: int
    decisions: list[Decision] = field(default_factory=list)
    current: Decision | None = None

    @property
    def state_label(self) -> str:
        return str(ApprovalState(self.state).label)


def post_approval(*, by: Membership, post: Post) -> PostApproval:
    permissions.require(by, "post.view")
    if post.workspace_id != by.workspace_id:
        raise NotFound(_("No such post."))
    mode = policy_for(by.workspace).mode
    number = latest_round(post)
    decisions = round_decisions(post, number) if number else []
    current = (
        next((d for d in decisions if d.state == DecisionState.PENDING), None)
        if post.approval_state == ApprovalState.PENDING
        else None
    )
    return PostApproval(
        post=post,
        mode=mode,
        state=effective_state(post, mode),
        round=number,
        decisions=decisions,
        current=current,
    )


# --- Comments -------------------------------------------------------------------------------------


def post_comments(*, post: Post) -> QuerySet[Comment]:
    return Comment.objects.filter(post=post).select_related("author").prefetch_related("mentions")


def comment_list(*, by: Membership, post: Post) -> QuerySet[Comment]:
    permissions.require(by, "post.view")
    if post.workspace_id != by.workspace_id:
        raise NotFound(_("No such post."))
    return post_comments(post=post)


# --- The client's link ----------------------------------------------------------------------------


class LinkProblem(PortevoixError):
    """A review link that cannot be used; ``reason`` says why (the page explains it)."""

    code = "link_invalid"
    status = 404

    def __init__(self, reason: str, message: str, *, status: int, link: ClientLink | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.status = status
        self.link = link


MAX_TOKEN_LENGTH = 100


def client_link_get(token: str, *, now: datetime | None = None) -> ClientLink:
    """The usable link for ``token``, or ``LinkProblem``: unknown (404), expired, revoked or already used
    (410). One indexed lookup by the token's hash."""
    now = now or timezone.now()
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise LinkProblem("invalid", _("This review link is not valid."), status=404)
    link = (
        ClientLink.objects.select_related("decision", "post", "post__workspace")
        .filter(token_hash=digest(token))
        .first()
    )
    if link is None:
        raise LinkProblem("invalid", _("This review link is not valid."), status=404)
    if link.used_at is not None or link.decision.state != DecisionState.PENDING:
        raise LinkProblem(
            "decided", _("A decision was already given through this link. Thank you."), status=410, link=link
        )
    if link.revoked_at is not None or link.post.approval_state != ApprovalState.PENDING:
        raise LinkProblem(
            "revoked",
            _("This review link was replaced: the post was changed or sent for review again."),
            status=410,
            link=link,
        )
    if link.expires_at <= now:
        raise LinkProblem("expired", _("This review link has expired."), status=410, link=link)
    return link


@dataclass
class ReviewPreview:
    channel_name: str
    label: str
    preview: Preview


def review_previews(post: Post) -> list[ReviewPreview]:
    """How the post looks on each channel it goes to (content/previews.py), for the client's page."""
    channels = [
        target.channel
        for target in Target.objects.filter(post=post).select_related("channel").order_by("pk")
        if target.state != TargetState.CANCELLED
    ]
    media = [attachment.asset for attachment in post.attachments.select_related("asset").order_by("position")]
    if not channels:
        return []
    try:
        results = post_results(post, channels)
    except TextTooLong:
        return []
    return [
        ReviewPreview(
            channel_name=result.channel_name or result.label,
            label=result.label,
            preview=preview(result, media, link=post.link or None),
        )
        for result in results
    ]


def review_asset(link: ClientLink, asset_id: int) -> MediaAsset:
    """A media file attached to the link's post (nothing else is reachable through a link)."""
    asset = MediaAsset.objects.filter(pk=asset_id, attachments__post_id=link.post_id).first()
    if asset is None:
        raise NotFound(_("No such file."))
    return asset

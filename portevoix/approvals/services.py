"""Writes for approvals: the policy and its steps, submitting a post, each step's decision (by a member or
by the client through a signed link), comments with mentions, and reminders.

Every function that a person calls takes the acting member as ``by``, checks the role, scopes to the
member's workspace, validates, then writes in one transaction and audits. Targets move only through
publishing's services (``targets_hold_for_approval``, ``targets_release_approved``). E-mails and notices
go out after the transaction commits.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from portevoix.accounts.models import User
from portevoix.approvals import selectors
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
from portevoix.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from portevoix.core.secrets import digest
from portevoix.publishing import services as publishing
from portevoix.publishing.models import TargetState
from portevoix.teamtasks.notices import notice_send
from portevoix.workspaces import audit, permissions
from portevoix.workspaces.emails import absolute_url
from portevoix.workspaces.models import Membership, Workspace
from portevoix.workspaces.roles import LEADS, Role

MAX_STEPS = 10
MAX_NAME = 80
MAX_NOTE = 5000
MAX_COMMENT = 5000
MAX_CLIENT_NAME = 150
MAX_REMIND_HOURS = 24 * 30
MAX_LINK_DAYS = 90
TOKEN_BYTES = 32  # 256 random bits; only their SHA-256 is stored


# --- Input ----------------------------------------------------------------------------------------


def _invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(_("Please correct the highlighted fields."), fields={field: [message]})


def _text(value: object, *, field: str, maximum: int, required: bool = False) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise _invalid(field, _("Enter a text value."))
    if "\x00" in value:
        raise _invalid(field, _("Text cannot contain NUL characters."))
    value = value.replace("\r\n", "\n").strip()
    if len(value) > maximum:
        raise _invalid(field, _("Use at most %(max)s characters.") % {"max": maximum})
    if required and not value:
        raise _invalid(field, _("This field is required."))
    return value


@dataclass(frozen=True)
class StepIn:
    """One step as a person describes it: by a role (``role``; empty for any owner or SMM manager), by one
    member (``user_id``), or by the client through a link (``by_client`` with ``client_email``)."""

    name: str = ""
    role: str = ""
    user_id: int | None = None
    by_client: bool = False
    client_email: str = ""


def _clean_step(workspace: Workspace, step: StepIn, index: int) -> ApprovalStep:
    field = f"steps.{index}"
    name = _text(step.name, field=f"{field}.name", maximum=MAX_NAME)
    kinds = sum([bool(step.role), step.user_id is not None, bool(step.by_client)])
    if kinds > 1:
        raise _invalid(
            field, _("A step is approved by a role, or by one person, or by the client: choose one.")
        )
    built = ApprovalStep(workspace=workspace, position=index)
    if step.by_client:
        email = _text(step.client_email, field=f"{field}.client_email", maximum=254, required=True).lower()
        try:
            validate_email(email)
        except DjangoValidationError:
            raise _invalid(f"{field}.client_email", _("Enter a valid e-mail address.")) from None
        built.by_client, built.client_email = True, email
        built.name = name or _("Client")
    elif step.user_id is not None:
        membership = (
            Membership.objects.select_related("user")
            .filter(workspace=workspace, user_id=step.user_id)
            .first()
        )
        if membership is None:
            raise _invalid(f"{field}.user_id", _("Choose a member of this workspace."))
        built.user = membership.user
        built.name = name or membership.user.display_name[:MAX_NAME]
    elif step.role:
        if step.role not in Role.values:
            raise _invalid(f"{field}.role", _("Unknown role: %(role)s.") % {"role": step.role[:20]})
        built.role = step.role
        built.name = name or str(Role(step.role).label)
    else:
        built.name = name or _("Approval")
    return built


def _check_mode(mode: str, count: int) -> None:
    if mode == ApprovalMode.REQUIRED and count != 1:
        raise _invalid(
            "steps",
            _("The required mode has exactly one step; keep one, or choose the multi-step mode."),
        )
    if mode == ApprovalMode.MULTI_STEP and count < 2:
        raise _invalid("steps", _("The multi-step mode needs at least two steps, decided in order."))


# --- Policy ---------------------------------------------------------------------------------------


def policy_set(
    *,
    by: Membership,
    mode: str,
    remind_after_hours: int | None = None,
    client_link_days: int | None = None,
    steps: Sequence[StepIn] | None = None,
) -> ApprovalPolicy:
    """Set the workspace's mode, reminder delay and client link validity, and (when ``steps`` is given)
    replace its steps. The required and optional modes get one default step (any owner or SMM manager)
    when there is none. Posts already under review keep the steps of their round. Leaving a mode that
    requires approval releases the targets of posts that are not under review; entering one holds the
    planned targets of posts that are not approved."""
    permissions.require(by, "approval.manage")
    workspace = by.workspace
    if mode not in ApprovalMode.values:
        raise _invalid("mode", _("Choose one of: %(choices)s.") % {"choices": ", ".join(ApprovalMode.values)})
    policy = selectors.policy_for(workspace)
    hours = policy.remind_after_hours if remind_after_hours is None else remind_after_hours
    days = policy.client_link_days if client_link_days is None else client_link_days
    if isinstance(hours, bool) or not isinstance(hours, int) or not 0 <= hours <= MAX_REMIND_HOURS:
        raise _invalid(
            "remind_after_hours", _("Enter a number of hours from 0 to %(max)s.") % {"max": MAX_REMIND_HOURS}
        )
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_LINK_DAYS:
        raise _invalid(
            "client_link_days", _("Enter a number of days from 1 to %(max)s.") % {"max": MAX_LINK_DAYS}
        )
    if steps is not None and len(steps) > MAX_STEPS:
        raise _invalid("steps", _("At most %(max)s steps.") % {"max": MAX_STEPS})
    new_steps = (
        [_clean_step(workspace, step, index) for index, step in enumerate(steps)]
        if steps is not None
        else None
    )
    count = len(new_steps) if new_steps is not None else len(selectors.policy_steps(workspace))
    if count == 0 and mode in (ApprovalMode.REQUIRED, ApprovalMode.OPTIONAL):
        new_steps = [ApprovalStep(workspace=workspace, position=0, name=_("Approval"))]
        count = 1
    _check_mode(mode, count)
    previous_mode = policy.mode if policy.pk else ApprovalMode.NONE
    with transaction.atomic():
        policy.mode, policy.remind_after_hours, policy.client_link_days = mode, hours, days
        policy.save()
        if new_steps is not None:
            ApprovalStep.objects.filter(workspace=workspace).delete()
            ApprovalStep.objects.bulk_create(new_steps)
        _apply_mode_change(workspace, previous_mode, mode)
        audit.record(
            actor=by.user,
            action="approval.policy_update",
            workspace=workspace,
            obj=policy,
            mode=mode,
            previous_mode=previous_mode,
            remind_after_hours=hours,
            client_link_days=days,
            steps=[_step_summary(step) for step in selectors.policy_steps(workspace)],
        )
    return policy


def _step_summary(step: ApprovalStep) -> str:
    if step.by_client:
        return f"{step.name}: client {step.client_email}"
    if step.user_id:
        return f"{step.name}: user {step.user_id}"
    return f"{step.name}: role {step.role or 'owner/manager'}"


def _apply_mode_change(workspace: Workspace, previous: str, mode: str) -> None:
    was, now = previous in selectors.GATING_MODES, mode in selectors.GATING_MODES
    if was and not now:
        # "Not submitted" no longer means anything: such posts need no approval, and their waiting targets go.
        Post.objects.filter(workspace=workspace, approval_state=ApprovalState.DRAFT).update(
            approval_state=ApprovalState.NOT_REQUIRED
        )
        waiting = (
            Post.objects.filter(workspace=workspace, targets__state=TargetState.AWAITING_APPROVAL)
            .exclude(approval_state__in=selectors.UNDER_REVIEW)
            .distinct()
        )
        for post in waiting:
            publishing.targets_release_approved(post=post)
    elif now and not was:
        planned = (
            Post.objects.filter(
                workspace=workspace, targets__state__in=[TargetState.SCHEDULED, TargetState.PUBLISHING]
            )
            .exclude(approval_state=ApprovalState.APPROVED)
            .distinct()
        )
        for post in planned:
            publishing.targets_hold_for_approval(post=post)


def step_add(*, by: Membership, step: StepIn) -> ApprovalStep:
    """Add a step at the end of the policy (refused when the mode allows no more)."""
    permissions.require(by, "approval.manage")
    workspace = by.workspace
    current = selectors.policy_steps(workspace)
    if len(current) >= MAX_STEPS:
        raise _invalid("steps", _("At most %(max)s steps.") % {"max": MAX_STEPS})
    policy = selectors.policy_for(workspace)
    if policy.mode == ApprovalMode.REQUIRED and current:
        raise _invalid(
            "steps", _("The required mode has exactly one step; choose the multi-step mode to add more.")
        )
    built = _clean_step(workspace, step, len(current))
    with transaction.atomic():
        built.position = (max(s.position for s in current) + 1) if current else 0
        built.save()
        audit.record(
            actor=by.user,
            action="approval.step_add",
            workspace=workspace,
            obj=built,
            step=_step_summary(built),
        )
    return built


def step_delete(*, by: Membership, step_id: int) -> None:
    """Remove a step (refused when the mode would be left with too few)."""
    permissions.require(by, "approval.manage")
    workspace = by.workspace
    current = selectors.policy_steps(workspace)
    step = next((s for s in current if s.pk == step_id), None)
    if step is None:
        raise NotFound(_("No such step."))
    policy = selectors.policy_for(workspace)
    if policy.mode == ApprovalMode.OPTIONAL and len(current) == 1:
        raise _invalid("steps", _("The optional mode needs a step; turn approval off instead."))
    _check_mode(policy.mode, len(current) - 1)
    with transaction.atomic():
        summary = _step_summary(step)
        step.delete()
        audit.record(
            actor=by.user, action="approval.step_delete", workspace=workspace, obj=None, step=summary
        )


def step_move(*, by: Membership, step_id: int, offset: int) -> None:
    """Move a step up (``offset`` -1) or down (+1) in the order."""
    permissions.require(by, "approval.manage")
    workspace = by.workspace
    current = selectors.policy_steps(workspace)
    index = next((i for i, step in enumerate(current) if step.pk == step_id), None)
    if index is None:
        raise NotFound(_("No such step."))
    other = index + (1 if offset > 0 else -1)
    if not 0 <= other < len(current):
        return
    current[index], current[other] = current[other], current[index]
    with transaction.atomic():
        for position, step in enumerate(current):
            if step.position != position:
                ApprovalStep.objects.filter(pk=step.pk).update(position=position)
        audit.record(
            actor=by.user,
            action="approval.step_move",
            workspace=workspace,
            obj=current[other],
            order=[step.name for step in current],
        )


def _as_in(step: ApprovalStep) -> StepIn:
    return StepIn(
        name=step.name,
        role=step.role,
        user_id=step.user_id,
        by_client=step.by_client,
        client_email=step.client_email,
    )


# --- Submitting and deciding ----------------------------------------------------------------------


def _own(by: Membership, post: Post) -> None:
    if post.workspace_id != by.workspace_id:
        raise NotFound(_("No such post."))


def _post_url(post: Post) -> str:
    return reverse("content:detail", args=[post.workspace.slug, post.pk])


def post_submit(*, by: Membership, post: Post) -> list[Decision]:
    """Send the post for approval: a new round of one decision per step of the policy (copied, so later
    policy changes do not touch it); older client links of the post stop working; planned targets wait in
    "awaiting approval"; the first step's approvers are told (the client gets a link at once)."""
    permissions.require(by, "post.submit")
    _own(by, post)
    policy = selectors.policy_for(by.workspace)
    if policy.mode == ApprovalMode.NONE:
        raise Conflict(_("Approval is turned off in this workspace: an owner or manager can turn it on."))
    steps = selectors.policy_steps(by.workspace)
    if not steps:
        raise Conflict(_("The approval policy has no steps yet: an owner or manager must add one."))
    with transaction.atomic():
        post = Post.objects.select_for_update().select_related("workspace").get(pk=post.pk)
        if post.approval_state == ApprovalState.PENDING:
            raise Conflict(_("This post is already awaiting approval."))
        if post.approval_state == ApprovalState.APPROVED:
            raise Conflict(_("This post is already approved; change it to send it for approval again."))
        number = selectors.latest_round(post) + 1
        _revoke_links(post)
        decisions = Decision.objects.bulk_create(
            [
                Decision(
                    post=post,
                    round=number,
                    position=index,
                    step_name=step.name,
                    role=step.role,
                    user=step.user,
                    by_client=step.by_client,
                    client_email=step.client_email,
                )
                for index, step in enumerate(steps)
            ]
        )
        decisions = selectors.round_decisions(post, number)
        post.approval_state = ApprovalState.PENDING
        post.save(update_fields=["approval_state", "updated_at"])
        held = publishing.targets_hold_for_approval(post=post)
        audit.record(
            actor=by.user,
            action="approval.submit",
            workspace=by.workspace,
            obj=post,
            round=number,
            steps=[decision.step_name for decision in decisions],
            held_targets=[target.pk for target in held],
        )
        _start_step(post, decisions[0])
    return decisions


def _revoke_links(post: Post) -> int:
    return ClientLink.objects.filter(post=post, revoked_at__isnull=True, used_at__isnull=True).update(
        revoked_at=timezone.now()
    )


def _approvers(post: Post, decision: Decision) -> list[User]:
    members = Membership.objects.filter(workspace_id=post.workspace_id).select_related("user")
    if decision.user_id is not None:
        members = members.filter(user_id=decision.user_id)
    elif decision.role:
        members = members.filter(role=decision.role)
    else:
        members = members.filter(role__in=list(LEADS))
    return [m.user for m in members if m.user.is_active and permissions.can(m, "post.approve")]


def _start_step(post: Post, decision: Decision, *, reminder: bool = False) -> None:
    """The step becomes the current one: its approvers are told, or the client gets a link."""
    now = timezone.now()
    if not reminder:
        Decision.objects.filter(pk=decision.pk).update(notified_at=now)
    if decision.by_client:
        _issue_link(post, decision, reminder=reminder)
        return
    title = post_title(post)
    for user in _approvers(post, decision):
        notice_send(
            workspace=post.workspace,
            user=user,
            kind="approval_reminder" if reminder else "approval_needed",
            title=(
                (lambda: _("Reminder: a post awaits your approval: %(title)s") % {"title": title})
                if reminder
                else (lambda: _("A post awaits your approval: %(title)s") % {"title": title})
            ),
            url=_post_url(post),
        )


def post_title(post: Post) -> str:
    return str(post)[:80]


def _issue_link(
    post: Post, decision: Decision, *, reminder: bool = False, expires_at: datetime | None = None
) -> str:
    policy = selectors.policy_for(post.workspace_id)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    link = ClientLink.objects.create(
        decision=decision,
        post=post,
        token_hash=digest(token),
        expires_at=expires_at or timezone.now() + timedelta(days=policy.client_link_days),
    )
    audit.record(
        actor=None,
        action="approval.link_issue",
        workspace=post.workspace,
        obj=post,
        round=decision.round,
        step=decision.step_name,
        client_email=decision.client_email,
        expires_at=link.expires_at.isoformat(),
        reminder=reminder,
    )
    workspace, email, expires = post.workspace, decision.client_email, link.expires_at
    title = post_title(post)
    transaction.on_commit(
        lambda: _send_link_email(
            workspace=workspace, email=email, token=token, title=title, expires_at=expires, reminder=reminder
        ),
        robust=True,
    )
    return token


def review_url(token: str) -> str:
    return absolute_url(reverse("approvals:review", args=[token]))


def _send_link_email(
    *, workspace: Workspace, email: str, token: str, title: str, expires_at: datetime, reminder: bool
) -> None:
    """The token travels only in this e-mail (never through the task queue, which is stored)."""
    with translation.override(workspace.language), timezone.override(workspace.tzinfo):
        context = {
            "workspace": workspace,
            "title": title,
            "url": review_url(token),
            "expires_at": timezone.localtime(expires_at),
            "reminder": reminder,
        }
        subject = render_to_string("approvals/email/review_subject.txt", context).strip()
        body = render_to_string("approvals/email/review.txt", context)
    send_mail(subject[:200], body, None, [email])


def _lock_current(post: Post) -> tuple[Post, Decision]:
    post = Post.objects.select_for_update().select_related("workspace", "author").get(pk=post.pk)
    decision = selectors.current_decision(post)
    if decision is None:
        raise Conflict(_("This post is not awaiting approval."))
    return post, decision


def _check_member_may_decide(by: Membership, decision: Decision) -> None:
    if decision.by_client:
        raise PermissionDenied(_("This step is the client's: they decide through the link they received."))
    if not selectors.may_decide(by, decision):
        raise PermissionDenied(
            _("This step is for %(who)s; your role does not decide it.")
            % {"who": selectors.step_label(decision)}
        )


def decision_approve(*, by: Membership, post: Post, note: str = "") -> Decision:
    """Approve the post's current step; after the last step the post is approved and its waiting targets
    are scheduled."""
    permissions.require(by, "post.approve")
    _own(by, post)
    note = _text(note, field="note", maximum=MAX_NOTE)
    with transaction.atomic():
        post, decision = _lock_current(post)
        _check_member_may_decide(by, decision)
        _decide(post, decision, DecisionState.APPROVED, note=note, user=by.user, name=by.user.display_name)
        audit.record(
            actor=by.user,
            action="approval.approve",
            workspace=by.workspace,
            obj=post,
            round=decision.round,
            step=decision.step_name,
            note=note,
        )
        _advance(post, decision)
    decision.refresh_from_db()
    return decision


def decision_request_changes(*, by: Membership, post: Post, note: str) -> Decision:
    """Ask for changes at the post's current step (a note saying what is required). The author is told;
    targets keep waiting in "awaiting approval" with their planned time until a new round approves them."""
    permissions.require(by, "post.approve")
    _own(by, post)
    note = _text(note, field="note", maximum=MAX_NOTE, required=True)
    with transaction.atomic():
        post, decision = _lock_current(post)
        _check_member_may_decide(by, decision)
        _decide(
            post,
            decision,
            DecisionState.CHANGES_REQUESTED,
            note=note,
            user=by.user,
            name=by.user.display_name,
        )
        audit.record(
            actor=by.user,
            action="approval.request_changes",
            workspace=by.workspace,
            obj=post,
            round=decision.round,
            step=decision.step_name,
            note=note,
        )
        _changes_requested(post, decision, by_name=by.user.display_name)
    decision.refresh_from_db()
    return decision


def _decide(post: Post, decision: Decision, state: str, *, note: str, user: User | None, name: str) -> None:
    updated = Decision.objects.filter(pk=decision.pk, state=DecisionState.PENDING).update(
        state=state,
        decided_by=user,
        decided_by_name=name[:MAX_CLIENT_NAME],
        decided_at=timezone.now(),
        note=note,
        updated_at=timezone.now(),
    )
    if not updated:
        raise Conflict(_("This step was decided meanwhile; reload the page."))


def _advance(post: Post, decision: Decision) -> None:
    following = next(
        (
            d
            for d in selectors.round_decisions(post, decision.round)
            if d.position > decision.position and d.state == DecisionState.PENDING
        ),
        None,
    )
    if following is not None:
        _start_step(post, following)
        return
    post.approval_state = ApprovalState.APPROVED
    post.save(update_fields=["approval_state", "updated_at"])
    released = publishing.targets_release_approved(post=post)
    audit.record(
        actor=None,
        action="approval.approved",
        workspace=post.workspace,
        obj=post,
        round=decision.round,
        released_targets=[target.pk for target in released],
    )
    if post.author_id and post.author is not None:
        title = post_title(post)
        notice_send(
            workspace=post.workspace,
            user=post.author,
            kind="approval_approved",
            title=lambda: _("Your post is approved: %(title)s") % {"title": title},
            url=_post_url(post),
        )


def _changes_requested(post: Post, decision: Decision, *, by_name: str) -> None:
    post.approval_state = ApprovalState.CHANGES_REQUESTED
    post.save(update_fields=["approval_state", "updated_at"])
    _revoke_links(post)
    if post.author_id and post.author is not None:
        title = post_title(post)
        notice_send(
            workspace=post.workspace,
            user=post.author,
            kind="approval_changes",
            title=lambda: (
                _("%(person)s asked for changes to your post: %(title)s")
                % {"person": by_name, "title": title}
            ),
            url=_post_url(post),
        )


# --- The client, through the link -----------------------------------------------------------------


def client_decide(*, token: str, approve: bool, name: str, note: str = "") -> Decision:
    """The client decides the step their link was issued for. The link works once; ``LinkProblem`` for a
    forged, expired, replaced or used link."""
    name = _text(name, field="name", maximum=MAX_CLIENT_NAME, required=True)
    note = _text(note, field="note", maximum=MAX_NOTE, required=not approve)
    with transaction.atomic():
        link = selectors.client_link_get(token)
        post, decision = _lock_current(link.post)
        if decision.pk != link.decision_id:
            raise selectors.LinkProblem(
                "revoked", _("This review link was replaced: the post was sent for review again."), status=410
            )
        used = ClientLink.objects.filter(pk=link.pk, used_at__isnull=True, revoked_at__isnull=True).update(
            used_at=timezone.now()
        )
        if not used:
            raise selectors.LinkProblem(
                "decided", _("A decision was already given through this link. Thank you."), status=410
            )
        state = DecisionState.APPROVED if approve else DecisionState.CHANGES_REQUESTED
        _decide(post, decision, state, note=note, user=None, name=name)
        audit.record(
            actor=None,
            action="approval.client_approve" if approve else "approval.client_request_changes",
            workspace=post.workspace,
            obj=post,
            round=decision.round,
            step=decision.step_name,
            client_name=name,
            client_email=decision.client_email,
            note=note,
        )
        if approve:
            _advance(post, decision)
        else:
            _changes_requested(post, decision, by_name=name)
    decision.refresh_from_db()
    return decision


# --- Comments -------------------------------------------------------------------------------------

# "@camille" (the local part of a member's e-mail address) or "@camille@example.com" (the whole address).
MENTION = re.compile(r"(?<![\w@.])@([A-Za-z0-9._%+-]+(?:@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)?)")


def mentioned_users(workspace: Workspace, body: str) -> list[User]:
    """Members named in ``body``: ``@`` and their whole e-mail address, or ``@`` and its part before the
    "@" when exactly one member's address starts so (otherwise the mention names nobody)."""
    names = {match.group(1).rstrip(".").lower() for match in MENTION.finditer(body)}
    if not names:
        return []
    users = [m.user for m in Membership.objects.filter(workspace=workspace).select_related("user")]
    by_email = {user.email.lower(): user for user in users}
    by_local: dict[str, list[User]] = {}
    for user in users:
        by_local.setdefault(user.email.lower().split("@", 1)[0], []).append(user)
    found: dict[int, User] = {}
    for name in sorted(names):
        if "@" in name:
            user = by_email.get(name)
            if user is not None:
                found[user.pk] = user
        elif len(by_local.get(name, [])) == 1:
            user = by_local[name][0]
            found[user.pk] = user
    return list(found.values())


def _comment(post: Post, body: str, *, author: User | None, author_name: str) -> Comment:
    comment = Comment.objects.create(
        post=post, author=author, author_name=author_name[:MAX_CLIENT_NAME], body=body
    )
    mentioned = [
        user for user in mentioned_users(post.workspace, body) if author is None or user.pk != author.pk
    ]
    comment.mentions.set(mentioned)
    title = post_title(post)
    for user in mentioned:
        notice_send(
            workspace=post.workspace,
            user=user,
            kind="mention",
            title=lambda: (
                _("%(person)s mentioned you on a post: %(title)s") % {"person": author_name, "title": title}
            ),
            url=_post_url(post),
        )
    return comment


def comment_add(*, by: Membership, post: Post, body: str) -> Comment:
    """Comment on a post; each member mentioned (see ``mentioned_users``) is told."""
    permissions.require(by, "comment.write")
    _own(by, post)
    body = _text(body, field="body", maximum=MAX_COMMENT, required=True)
    with transaction.atomic():
        comment = _comment(post, body, author=by.user, author_name=by.user.display_name)
        audit.record(
            actor=by.user,
            action="comment.create",
            workspace=by.workspace,
            obj=post,
            comment=comment.pk,
            mentions=[user.pk for user in comment.mentions.all()],
        )
    return comment


def client_comment_add(*, token: str, name: str, body: str) -> Comment:
    """The client comments through their (usable) link."""
    name = _text(name, field="name", maximum=MAX_CLIENT_NAME, required=True)
    body = _text(body, field="body", maximum=MAX_COMMENT, required=True)
    with transaction.atomic():
        link = selectors.client_link_get(token)
        post = link.post
        comment = _comment(post, body, author=None, author_name=name)
        audit.record(
            actor=None,
            action="comment.client_create",
            workspace=post.workspace,
            obj=post,
            comment=comment.pk,
            client_name=name,
            client_email=link.decision.client_email,
        )
    return comment


# --- Edits and reminders --------------------------------------------------------------------------


def post_content_changed(*, by: Membership, post: Post) -> None:
    """Called by content's ``post_update`` inside its transaction when the text, link, variants or media
    changed. An approval given (or being given) on other content no longer counts: an approved or pending
    post goes back to "not submitted" (or to "no approval needed" where approval is optional), its client
    links stop working, and its planned targets wait for approval again."""
    current = (
        Post.objects.select_for_update().filter(pk=post.pk).values_list("approval_state", flat=True).first()
    )
    post.approval_state = current or post.approval_state
    if post.approval_state not in (ApprovalState.APPROVED, ApprovalState.PENDING):
        return
    mode = selectors.policy_for(post.workspace_id).mode
    previous = post.approval_state
    gating = mode in selectors.GATING_MODES
    post.approval_state = ApprovalState.DRAFT if gating else ApprovalState.NOT_REQUIRED
    post.save(update_fields=["approval_state", "updated_at"])
    _revoke_links(post)
    if gating:
        publishing.targets_hold_for_approval(post=post)
    else:
        publishing.targets_release_approved(post=post)
    audit.record(
        actor=by.user,
        action="approval.reset",
        workspace=post.workspace,
        obj=post,
        previous=previous,
        state=post.approval_state,
    )


def reminders_send(*, now: datetime | None = None, limit: int = 500) -> int:
    """Remind the approvers of each step still undecided ``remind_after_hours`` after it started (once per
    step). A client step gets a fresh link by e-mail with the same expiry (the first link keeps working);
    an expired client step gets no reminder. Returns how many steps were reminded."""
    now = now or timezone.now()
    candidates = (
        Decision.objects.filter(
            state=DecisionState.PENDING,
            post__approval_state=ApprovalState.PENDING,
            reminded_at__isnull=True,
            notified_at__isnull=False,
            notified_at__lte=now - timedelta(hours=1),
        )
        .select_related("post", "post__workspace")
        .order_by("notified_at")[:limit]
    )
    policies: dict[int, ApprovalPolicy] = {}
    sent = 0
    for decision in candidates:
        post = decision.post
        policy = policies.setdefault(post.workspace_id, selectors.policy_for(post.workspace_id))
        hours = policy.remind_after_hours
        if not hours or decision.notified_at is None or decision.notified_at > now - timedelta(hours=hours):
            continue
        current = selectors.current_decision(post)
        if current is None or current.pk != decision.pk:
            continue
        expires_at = None
        if decision.by_client:
            link = (
                ClientLink.objects.filter(decision=decision, revoked_at__isnull=True, used_at__isnull=True)
                .order_by("-expires_at")
                .first()
            )
            if link is None or link.expires_at <= now:
                continue
            expires_at = link.expires_at
        with transaction.atomic():
            if not Decision.objects.filter(pk=decision.pk, reminded_at__isnull=True).update(reminded_at=now):
                continue
            if decision.by_client:
                _issue_link(post, decision, reminder=True, expires_at=expires_at)
            else:
                _start_step(post, decision, reminder=True)
            audit.record(
                actor=None,
                action="approval.remind",
                workspace=post.workspace,
                obj=post,
                round=decision.round,
                step=decision.step_name,
            )
        sent += 1
    return sent

"""Submitting a post, deciding its steps (members and the client through a signed link), edits that void an
approval, and reminders."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from django.core.mail import send_mail
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
    ClientLink,
    Decision,
    DecisionState,
)
from portevoix.approvals.services._common import MAX_CLIENT_NAME, MAX_NOTE, TOKEN_BYTES, _text
from portevoix.content.models import ApprovalState, Post
from portevoix.core.errors import Conflict, NotFound, PermissionDenied
from portevoix.core.secrets import digest
from portevoix.publishing import services as publishing
from portevoix.teamtasks.notices import notice_send
from portevoix.workspaces import audit, permissions
from portevoix.workspaces.emails import absolute_url
from portevoix.workspaces.models import Membership, Workspace
from portevoix.workspaces.roles import LEADS

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
        post = Post.objects.select_for_update(of=("self",)).select_related("workspace").get(pk=post.pk)
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
            steps=[decision.display_name for decision in decisions],
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
        step=decision.display_name,
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
    post = Post.objects.select_for_update(of=("self",)).select_related("workspace", "author").get(pk=post.pk)
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
            step=decision.display_name,
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
            step=decision.display_name,
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
            step=decision.display_name,
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


# --- Edits and reminders --------------------------------------------------------------------------


def post_content_changed(*, by: Membership, post: Post) -> None:
    """Called by content's ``post_update`` inside its transaction when the text, link, variants or media
    changed. An approval given (or being given) on other content no longer counts: an approved or pending
    post goes back to "not submitted" (or to "no approval needed" where approval is optional), its client
    links stop working, and its planned targets wait for approval again."""
    current = (
        Post.objects.select_for_update(of=("self",))
        .filter(pk=post.pk)
        .values_list("approval_state", flat=True)
        .first()
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
                step=decision.display_name,
            )
        sent += 1
    return sent

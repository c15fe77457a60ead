"""The approval policy and its steps (approval.manage)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _

from portevoix.approvals import selectors
from portevoix.approvals.models import (
    ApprovalMode,
    ApprovalPolicy,
    ApprovalStep,
)
from portevoix.approvals.services._common import (
    MAX_LINK_DAYS,
    MAX_NAME,
    MAX_REMIND_HOURS,
    MAX_STEPS,
    _invalid,
    _text,
)
from portevoix.content.models import ApprovalState, Post
from portevoix.core.errors import NotFound
from portevoix.publishing import services as publishing
from portevoix.publishing.models import TargetState
from portevoix.workspaces import audit, permissions
from portevoix.workspaces.models import Membership, Workspace
from portevoix.workspaces.roles import Role


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
        built.name = name  # blank: shown as the default name in the reader's language (display_name)
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
        built.name = name
    else:
        built.name = name
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
        new_steps = [ApprovalStep(workspace=workspace, position=0)]
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
        return f"{step.display_name}: client {step.client_email}"
    if step.user_id:
        return f"{step.display_name}: user {step.user_id}"
    return f"{step.display_name}: role {step.role or 'owner/manager'}"


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
            order=[step.display_name for step in current],
        )


def _as_in(step: ApprovalStep) -> StepIn:
    return StepIn(
        name=step.name,
        role=step.role,
        user_id=step.user_id,
        by_client=step.by_client,
        client_email=step.client_email,
    )

"""Reads for workspaces, members, invitations, tokens and the audit log; always scoped to a workspace."""

from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from portevoix.accounts.models import User
from portevoix.core.errors import NotFound
from portevoix.workspaces import permissions
from portevoix.workspaces.models import ApiToken, AuditEvent, Invitation, Membership, Workspace


def memberships_of(user: User) -> QuerySet[Membership]:
    return Membership.objects.filter(user=user).select_related("workspace").order_by("workspace__name")


def membership_for(user: User, slug: str) -> Membership:
    """The user's membership of the workspace at ``slug``; NotFound when they are not a member, so a
    foreign workspace is indistinguishable from a missing one."""
    membership = (
        Membership.objects.select_related("workspace", "user").filter(user=user, workspace__slug=slug).first()
    )
    if membership is None:
        raise NotFound(_("No such workspace."))
    return membership


def default_membership(user: User) -> Membership | None:
    memberships = memberships_of(user)
    if user.last_workspace_id:
        last = memberships.filter(workspace_id=user.last_workspace_id).first()
        if last:
            return last
    return memberships.first()


def member_list(*, by: Membership) -> QuerySet[Membership]:
    permissions.require(by, "member.view")
    return (
        Membership.objects.filter(workspace=by.workspace)
        .select_related("user")
        .order_by("user__full_name", "user__email")
    )


def member_get(*, by: Membership, member_id: int) -> Membership:
    membership = (
        Membership.objects.select_related("user", "workspace")
        .filter(workspace=by.workspace, pk=member_id)
        .first()
    )
    if membership is None:
        raise NotFound(_("No such member."))
    return membership


def invitation_list(*, by: Membership, pending_only: bool = True) -> QuerySet[Invitation]:
    permissions.require(by, "member.invite")
    invitations = Invitation.objects.filter(workspace=by.workspace).select_related("invited_by")
    if pending_only:
        invitations = invitations.filter(accepted_at__isnull=True, revoked_at__isnull=True)
    return invitations


def invitation_get(*, by: Membership, invitation_id: int) -> Invitation:
    invitation = Invitation.objects.filter(workspace=by.workspace, pk=invitation_id).first()
    if invitation is None:
        raise NotFound(_("No such invitation."))
    return invitation


def api_token_list(*, by: Membership) -> QuerySet[ApiToken]:
    permissions.require(by, "token.manage")
    return ApiToken.objects.filter(workspace=by.workspace, user=by.user, revoked_at__isnull=True)


def api_token_get(*, by: Membership, token_id: int) -> ApiToken:
    token = ApiToken.objects.filter(workspace=by.workspace, user=by.user, pk=token_id).first()
    if token is None:
        raise NotFound(_("No such token."))
    return token


def audit_list(
    *,
    by: Membership,
    action: str | None = None,
    actor_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    object_type: str | None = None,
) -> QuerySet[AuditEvent]:
    permissions.require(by, "audit.view")
    events = AuditEvent.objects.filter(workspace=by.workspace).select_related("actor")
    if action:
        events = events.filter(action__startswith=action)
    if actor_id:
        events = events.filter(actor_id=actor_id)
    if object_type:
        events = events.filter(object_type=object_type)
    if since:
        events = events.filter(created_at__gte=since)
    if until:
        events = events.filter(created_at__lt=until)
    return events


def audit_actions(*, by: Membership) -> list[str]:
    permissions.require(by, "audit.view")
    return sorted(set(AuditEvent.objects.filter(workspace=by.workspace).values_list("action", flat=True)))


def workspace_exists() -> bool:
    return Workspace.objects.exists()

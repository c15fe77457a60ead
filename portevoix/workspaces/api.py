"""The workspaces API: the caller, their workspace, the role matrix, members, invitations, API tokens and
the audit log. Thin: every operation resolves the caller's membership and calls a selector or a service,
which check the role."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Path, Query, Router, Status

from portevoix.core.api import MAX_ID, PageParams, error_responses, paginate
from portevoix.workspaces import permissions, selectors, services
from portevoix.workspaces.api_auth import API_AUTH, caller, member
from portevoix.workspaces.models import Membership
from portevoix.workspaces.roles import MATRIX, Role
from portevoix.workspaces.schemas import (
    ApiTokenCreated,
    ApiTokenCreateIn,
    ApiTokenOut,
    ApiTokenPage,
    AuditEventPage,
    AuditFilterParams,
    InvitationCreateIn,
    InvitationListParams,
    InvitationOut,
    InvitationPage,
    MemberOut,
    MemberPage,
    MemberUpdateIn,
    MeOut,
    RolesOut,
    WorkspaceOut,
    WorkspaceUpdateIn,
)

router = Router(auth=API_AUTH)

ID = Path(..., ge=1, le=MAX_ID, description="The object's id.")


def _granted(membership: Membership) -> list[str]:
    return [name for name in MATRIX if permissions.can(membership, name)]


# --- Me and the workspace -----------------------------------------------------------------------


@router.get(
    "/me",
    response={200: MeOut, **error_responses(403, 404)},
    tags=["me"],
    summary="The caller, their role and the current workspace",
    description="With a token, the workspace is the token's; with a session, the one named by the "
    "X-Portevoix-Workspace header or the person's default workspace.",
)
def me_get(request: HttpRequest) -> dict[str, Any]:
    current = caller(request)
    membership = current.membership
    return {
        "user": membership.user,
        "membership": {"id": membership.pk, "role": membership.role, "permissions": _granted(membership)},
        "workspace": membership.workspace,
        "auth": "token" if current.token else "session",
    }


@router.get(
    "/workspace",
    response={200: WorkspaceOut, **error_responses(403, 404)},
    tags=["workspace"],
    summary="The current workspace",
)
def workspace_get(request: HttpRequest) -> Any:
    membership = member(request)
    permissions.require(membership, "workspace.view")
    return membership.workspace


@router.patch(
    "/workspace",
    response={200: WorkspaceOut, **error_responses(403, 404)},
    tags=["workspace"],
    summary="Change the workspace's name, time zone, language or 2FA rule (owner only)",
    description="Send only the fields to change. Requiring 2FA needs a confirmed second factor on the "
    "caller's own account.",
)
def workspace_update(request: HttpRequest, payload: WorkspaceUpdateIn) -> Any:
    membership = member(request)
    return services.workspace_update(
        workspace=membership.workspace,
        by=membership,
        name=payload.name,
        timezone_name=payload.timezone,
        language=payload.language,
        require_2fa=payload.require_2fa,
    )


@router.get(
    "/roles",
    response={200: RolesOut, **error_responses(403, 404)},
    tags=["roles"],
    summary="The roles and what each may do (the permission matrix)",
)
def role_list(request: HttpRequest) -> dict[str, Any]:
    permissions.require(member(request), "workspace.view")
    return {
        "roles": [{"value": role, "label": str(role.label)} for role in Role],
        "permissions": [
            {
                "name": name,
                "description": str(description),
                "roles": [role for role in Role if role in allowed],
            }
            for name, (allowed, description) in MATRIX.items()
        ],
    }


# --- Members ------------------------------------------------------------------------------------


@router.get(
    "/members",
    response={200: MemberPage, **error_responses(403, 404)},
    tags=["members"],
    summary="List the workspace's members",
)
def member_list(request: HttpRequest, params: Query[PageParams]) -> dict[str, Any]:
    return paginate(selectors.member_list(by=member(request)), params)


@router.get(
    "/members/{id}",
    response={200: MemberOut, **error_responses(403, 404)},
    tags=["members"],
    summary="One member",
)
def member_get(request: HttpRequest, id: int = ID) -> Any:
    membership = member(request)
    found = selectors.member_get(by=membership, member_id=id)  # 404 first: foreign ids are not disclosed
    permissions.require(membership, "member.view")
    return found


@router.patch(
    "/members/{id}",
    response={200: MemberOut, **error_responses(403, 404, 409)},
    tags=["members"],
    summary="Change a member's role",
    description="Only an owner grants or removes ownership; the last owner cannot be demoted (409).",
)
def member_update(request: HttpRequest, payload: MemberUpdateIn, id: int = ID) -> Any:
    membership = member(request)
    target = selectors.member_get(by=membership, member_id=id)
    return services.membership_update_role(membership=target, role=payload.role, by=membership)


@router.delete(
    "/members/{id}",
    response={204: None, **error_responses(403, 404, 409)},
    tags=["members"],
    summary="Remove a member, or leave the workspace (your own membership id)",
    description="Removing someone else needs the member.remove permission; anyone may leave. The "
    "member's API tokens for this workspace are revoked. The last owner cannot leave (409).",
)
def member_remove(request: HttpRequest, id: int = ID) -> Status[None]:
    membership = member(request)
    target = selectors.member_get(by=membership, member_id=id)
    services.membership_remove(membership=target, by=membership)
    return Status(204, None)


# --- Invitations --------------------------------------------------------------------------------


@router.get(
    "/invitations",
    response={200: InvitationPage, **error_responses(403, 404)},
    tags=["invitations"],
    summary="List invitations (pending ones by default)",
)
def invitation_list(request: HttpRequest, params: Query[InvitationListParams]) -> dict[str, Any]:
    return paginate(selectors.invitation_list(by=member(request), pending_only=params.pending_only), params)


@router.post(
    "/invitations",
    response={201: InvitationOut, **error_responses(403, 404)},
    tags=["invitations"],
    summary="Invite someone by e-mail",
    description="The link is e-mailed to the person; it is never returned by the API. A new invitation "
    "to the same address replaces the pending one.",
)
def invitation_create(request: HttpRequest, payload: InvitationCreateIn) -> Status[Any]:
    issued = services.invitation_create(by=member(request), email=payload.email, role=payload.role)
    return Status(201, issued.invitation)


@router.delete(
    "/invitations/{id}",
    response={204: None, **error_responses(403, 404, 409)},
    tags=["invitations"],
    summary="Revoke a pending invitation",
)
def invitation_revoke(request: HttpRequest, id: int = ID) -> Status[None]:
    membership = member(request)
    invitation = selectors.invitation_get(by=membership, invitation_id=id)
    services.invitation_revoke(invitation=invitation, by=membership)
    return Status(204, None)


# --- API tokens ---------------------------------------------------------------------------------


@router.get(
    "/tokens",
    response={200: ApiTokenPage, **error_responses(403, 404)},
    tags=["tokens"],
    summary="List your own active API tokens for this workspace",
)
def api_token_list(request: HttpRequest, params: Query[PageParams]) -> dict[str, Any]:
    return paginate(selectors.api_token_list(by=member(request)), params)


@router.post(
    "/tokens",
    response={201: ApiTokenCreated, **error_responses(403, 404)},
    tags=["tokens"],
    summary="Create an API token; its secret is returned once",
    description="The token acts with your role in this workspace. Only a hash is stored: the secret "
    "cannot be shown again.",
)
def api_token_create(request: HttpRequest, payload: ApiTokenCreateIn) -> Status[dict[str, Any]]:
    issued = services.api_token_create(by=member(request), name=payload.name, expires_at=payload.expires_at)
    token = ApiTokenOut.from_orm(issued.token).model_dump()
    return Status(201, {**token, "secret": issued.secret})


@router.delete(
    "/tokens/{id}",
    response={204: None, **error_responses(403, 404)},
    tags=["tokens"],
    summary="Revoke one of your API tokens",
)
def api_token_revoke(request: HttpRequest, id: int = ID) -> Status[None]:
    membership = member(request)
    token = selectors.api_token_get(by=membership, token_id=id)
    services.api_token_revoke(token=token, by=membership)
    return Status(204, None)


# --- Audit log ----------------------------------------------------------------------------------


@router.get(
    "/audit",
    response={200: AuditEventPage, **error_responses(403, 404)},
    tags=["audit"],
    summary="Read the audit log, newest first, with filters",
)
def audit_list(request: HttpRequest, params: Query[AuditFilterParams]) -> dict[str, Any]:
    events = selectors.audit_list(
        by=member(request),
        action=params.action,
        actor_id=params.actor_id,
        object_type=params.object_type,
        since=params.since,
        until=params.until,
    )
    return paginate(events, params)

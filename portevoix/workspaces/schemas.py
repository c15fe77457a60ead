"""Request and response bodies of the workspaces API (/api/v1/me, workspace, roles, members,
invitations, tokens, audit). Secrets never appear in an output schema except ``ApiTokenCreated.secret``,
returned once."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from ninja import Field, Schema
from pydantic import AfterValidator, StringConstraints

from portevoix.core.api import MAX_ID, InputSchema, Instant, Page, PageParams, no_nul
from portevoix.workspaces.roles import Role

Short8 = Annotated[str, StringConstraints(max_length=8), AfterValidator(no_nul)]
Short64 = Annotated[str, StringConstraints(max_length=64), AfterValidator(no_nul)]
Short100 = Annotated[str, StringConstraints(max_length=100), AfterValidator(no_nul)]
Short120 = Annotated[str, StringConstraints(max_length=120), AfterValidator(no_nul)]
Short254 = Annotated[str, StringConstraints(max_length=254), AfterValidator(no_nul)]

# --- Me and the workspace -----------------------------------------------------------------------


class UserOut(Schema):
    id: int
    email: str
    full_name: str
    language: str = Field(description="Interface language; empty follows the workspace.")
    timezone: str = Field(description="IANA time zone; empty follows the workspace.")


class WorkspaceOut(Schema):
    id: int
    name: str
    slug: str
    timezone: str
    language: str
    require_2fa: bool
    created_at: datetime


class MembershipOut(Schema):
    id: int
    role: Role
    permissions: list[str] = Field(description="What this role may do here (see GET /api/v1/roles).")


class MeOut(Schema):
    user: UserOut
    membership: MembershipOut
    workspace: WorkspaceOut
    auth: str = Field(description="How this request was authenticated: token or session.")


class WorkspaceUpdateIn(InputSchema):
    name: Short120 | None = Field(None)
    timezone: Short64 | None = Field(None, description="IANA time zone, e.g. Europe/Paris.")
    language: Short8 | None = Field(None, description="en, fr or ru.")
    require_2fa: bool | None = None


# --- Roles --------------------------------------------------------------------------------------


class RoleOut(Schema):
    value: Role
    label: str


class PermissionOut(Schema):
    name: str
    description: str
    roles: list[Role]


class RolesOut(Schema):
    roles: list[RoleOut]
    permissions: list[PermissionOut]


# --- Members ------------------------------------------------------------------------------------


class MemberOut(Schema):
    id: int = Field(description="The membership's id (not the user's).")
    user_id: int
    email: str
    full_name: str
    role: Role
    joined_at: datetime

    @staticmethod
    def resolve_email(obj: Any) -> str:
        return str(obj.user.email)

    @staticmethod
    def resolve_full_name(obj: Any) -> str:
        return str(obj.user.full_name)

    @staticmethod
    def resolve_joined_at(obj: Any) -> datetime:
        return obj.created_at  # type: ignore[no-any-return]


class MemberPage(Page):
    items: list[MemberOut]


class MemberUpdateIn(InputSchema):
    role: Role


# --- Invitations --------------------------------------------------------------------------------


class InvitationOut(Schema):
    id: int
    email: str
    role: Role
    status: str = Field(description="pending, accepted, revoked or expired.")
    invited_by: str | None = Field(None, description="E-mail address of who sent it.")
    created_at: datetime
    expires_at: datetime
    accepted_at: datetime | None
    revoked_at: datetime | None

    @staticmethod
    def resolve_invited_by(obj: Any) -> str | None:
        return obj.invited_by.email if obj.invited_by_id else None


class InvitationPage(Page):
    items: list[InvitationOut]


class InvitationListParams(PageParams):
    pending_only: bool = Field(True, description="Only invitations not yet accepted nor revoked.")


class InvitationCreateIn(InputSchema):
    email: Short254
    role: Role


# --- API tokens ---------------------------------------------------------------------------------


class ApiTokenOut(Schema):
    id: int
    name: str
    prefix: str = Field(description="The token's public part, to tell tokens apart.")
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None


class ApiTokenCreated(ApiTokenOut):
    secret: str = Field(description="The whole token. Shown only in this response: store it now.")


class ApiTokenPage(Page):
    items: list[ApiTokenOut]


class ApiTokenCreateIn(InputSchema):
    name: Short100
    expires_at: Instant | None = Field(None, description="When the token stops working; none: never.")


# --- Audit log ----------------------------------------------------------------------------------


class AuditEventOut(Schema):
    id: int
    created_at: datetime
    action: str
    actor_id: int | None
    actor_label: str
    object_type: str
    object_id: str
    object_repr: str
    data: dict[str, Any]
    via: str = Field(description="Where the action came from: ui, api, cli or task.")
    ip_address: str | None


class AuditEventPage(Page):
    items: list[AuditEventOut]


class AuditFilterParams(PageParams):
    action: Short64 | None = Field(None, description="Action or action prefix, e.g. member.")
    actor_id: int | None = Field(None, ge=1, le=MAX_ID, description="User id of who acted.")
    object_type: Short64 | None = Field(None, description="e.g. membership, invitation.")
    since: Instant | None = Field(None, description="Events at or after this instant (ISO 8601).")
    until: Instant | None = Field(None, description="Events before this instant (ISO 8601).")

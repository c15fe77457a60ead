"""Writes for workspaces, memberships, invitations and API tokens.

Each function validates, then mutates in one transaction with its audit entry, then sends e-mail after
commit. ``by`` is the acting member's Membership: its role is checked against the matrix in roles.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from portevoix.accounts.models import User, validate_timezone
from portevoix.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from portevoix.core.secrets import digest, new_secret, same_digest
from portevoix.workspaces import audit, emails, permissions
from portevoix.workspaces.models import ApiToken, Invitation, Membership, Workspace
from portevoix.workspaces.roles import Role, grantable_roles

LANGUAGE_CODES = {code for code, _label in settings.LANGUAGES}
API_TOKEN_PREFIX = "pvx"


# --- Workspaces ---------------------------------------------------------------------------------


def _check_workspace_fields(*, name: str | None, timezone_name: str | None, language: str | None) -> None:
    problems: dict[str, list[str]] = {}
    if name is not None and not name.strip():
        problems["name"] = [_("Give the workspace a name.")]
    if name is not None and len(name.strip()) > 120:
        problems["name"] = [_("Use at most 120 characters.")]
    if timezone_name is not None:
        try:
            validate_timezone(timezone_name)
        except DjangoValidationError:
            problems["timezone"] = [_("%(value)s is not a known IANA time zone.") % {"value": timezone_name}]
        if not timezone_name:
            problems["timezone"] = [_("Choose a time zone.")]
    if language is not None and language not in LANGUAGE_CODES:
        problems["language"] = [_("Choose English, French or Russian.")]
    if problems:
        raise ValidationFailed(_("Please correct the highlighted fields."), fields=problems)


def _unique_slug(name: str) -> str:
    base = slugify(name, allow_unicode=False)[:50] or "workspace"
    slug, n = base, 2
    while Workspace.objects.filter(slug=slug).exists():
        slug = f"{base}-{n}"
        n += 1
    return slug


def workspace_create(*, user: User, name: str, timezone_name: str = "UTC", language: str = "en") -> Workspace:
    """Create a workspace; its creator becomes its owner."""
    _check_workspace_fields(name=name, timezone_name=timezone_name, language=language)
    with transaction.atomic():
        workspace = Workspace.objects.create(
            name=name.strip(), slug=_unique_slug(name), timezone=timezone_name, language=language
        )
        Membership.objects.create(workspace=workspace, user=user, role=Role.OWNER)
        user.last_workspace = workspace
        user.save(update_fields=["last_workspace"])
        audit.record(actor=user, action="workspace.create", workspace=workspace, obj=workspace)
    return workspace


def workspace_update(
    *,
    workspace: Workspace,
    by: Membership,
    name: str | None = None,
    timezone_name: str | None = None,
    language: str | None = None,
    require_2fa: bool | None = None,
) -> Workspace:
    permissions.require(by, "workspace.update")
    _check_workspace_fields(name=name, timezone_name=timezone_name, language=language)
    changes: dict[str, Any] = {}
    for field, value in (
        ("name", name.strip() if name is not None else None),
        ("timezone", timezone_name),
        ("language", language),
        ("require_2fa", require_2fa),
    ):
        if value is not None and getattr(workspace, field) != value:
            changes[field] = value
    if require_2fa and not _has_second_factor(by.user):
        raise ValidationFailed(
            _("Turn on two-factor authentication for your own account before requiring it of others."),
            fields={"require_2fa": [_("Set up two-factor authentication first.")]},
        )
    if not changes:
        return workspace
    with transaction.atomic():
        for field, value in changes.items():
            setattr(workspace, field, value)
        workspace.save(update_fields=[*changes, "updated_at"])
        audit.record(actor=by.user, action="workspace.update", workspace=workspace, obj=workspace, **changes)
    return workspace


def _has_second_factor(user: User) -> bool:
    from django_otp import user_has_device

    return bool(user_has_device(user, confirmed=True))


def workspace_switch(*, user: User, workspace: Workspace) -> None:
    """Remember the workspace a person last opened; not audited (it changes nothing shared)."""
    if user.last_workspace_id != workspace.pk:
        user.last_workspace = workspace
        user.save(update_fields=["last_workspace"])


# --- Members ------------------------------------------------------------------------------------


def _owners(workspace: Workspace) -> int:
    return Membership.objects.filter(workspace=workspace, role=Role.OWNER).count()


def membership_update_role(*, membership: Membership, role: str, by: Membership) -> Membership:
    permissions.require(by, "member.update")
    if membership.workspace_id != by.workspace_id:
        raise NotFound(_("No such member."))
    if role not in Role.values:
        raise ValidationFailed(_("Unknown role."), fields={"role": [_("Choose one of the listed roles.")]})
    touches_owner = role == Role.OWNER or membership.role == Role.OWNER
    if touches_owner and by.role != Role.OWNER:
        raise PermissionDenied(_("Only an owner can grant or remove ownership."))
    if role == membership.role:
        return membership
    with transaction.atomic():
        if membership.role == Role.OWNER and _owners(membership.workspace) <= 1:
            raise Conflict(_("A workspace needs at least one owner; make someone else owner first."))
        old_role = membership.role
        membership.role = role
        membership.save(update_fields=["role", "updated_at"])
        audit.record(
            actor=by.user,
            action="member.update",
            workspace=by.workspace,
            obj=membership,
            old_role=old_role,
            role=role,
            member=membership.user.email,
        )
    return membership


def membership_remove(*, membership: Membership, by: Membership) -> None:
    """Remove a member (or leave, when ``membership`` is ``by``)."""
    if membership.workspace_id != by.workspace_id:
        raise NotFound(_("No such member."))
    leaving = membership.pk == by.pk
    if not leaving:
        permissions.require(by, "member.remove")
        if membership.role == Role.OWNER and by.role != Role.OWNER:
            raise PermissionDenied(_("Only an owner can remove an owner."))
    with transaction.atomic():
        if membership.role == Role.OWNER and _owners(membership.workspace) <= 1:
            raise Conflict(_("A workspace needs at least one owner; make someone else owner first."))
        email = membership.user.email
        ApiToken.objects.filter(user=membership.user, workspace=membership.workspace).update(
            revoked_at=timezone.now()
        )
        audit.record(
            actor=by.user,
            action="member.leave" if leaving else "member.remove",
            workspace=by.workspace,
            obj=membership,
            member=email,
            role=membership.role,
        )
        membership.delete()


def membership_add(*, by: Membership, user: User, role: str) -> Membership:
    """Add an existing account to the workspace directly, without an invitation link (command-line
    tools such as ``portevoix demo``). Same rights as inviting: ``member.invite`` and a grantable role."""
    permissions.require(by, "member.invite")
    if role not in Role.values:
        raise ValidationFailed(_("Unknown role."), fields={"role": [_("Choose one of the listed roles.")]})
    if Role(role) not in grantable_roles(by.role):
        raise PermissionDenied(_("Your role cannot add someone as %(role)s.") % {"role": Role(role).label})
    if Membership.objects.filter(workspace=by.workspace, user=user).exists():
        raise Conflict(_("This person is already a member of the workspace."))
    with transaction.atomic():
        membership = Membership.objects.create(workspace=by.workspace, user=user, role=role)
        audit.record(
            actor=by.user,
            action="member.add",
            workspace=by.workspace,
            obj=membership,
            member=user.email,
            role=role,
        )
    return membership


# --- Invitations --------------------------------------------------------------------------------


@dataclass(frozen=True)
class IssuedInvitation:
    invitation: Invitation
    token: str  # the secret of the link; only the digest is stored


def invitation_create(*, by: Membership, email: str, role: str) -> IssuedInvitation:
    permissions.require(by, "member.invite")
    email = (email or "").strip().lower()
    problems: dict[str, list[str]] = {}
    try:
        validate_email(email)
    except DjangoValidationError:
        problems["email"] = [_("Enter a valid e-mail address.")]
    if role not in Role.values:
        problems["role"] = [_("Choose one of the listed roles.")]
    elif Role(role) not in grantable_roles(by.role):
        problems["role"] = [_("Your role cannot invite someone as %(role)s.") % {"role": Role(role).label}]
    if not problems and Membership.objects.filter(workspace=by.workspace, user__email__iexact=email).exists():
        problems["email"] = [_("This person is already a member of the workspace.")]
    if problems:
        raise ValidationFailed(_("Please correct the highlighted fields."), fields=problems)
    token = new_secret()
    with transaction.atomic():
        # A new invitation to the same address replaces the pending one.
        Invitation.objects.filter(
            workspace=by.workspace, email=email, accepted_at__isnull=True, revoked_at__isnull=True
        ).update(revoked_at=timezone.now())
        invitation = Invitation.objects.create(
            workspace=by.workspace,
            email=email,
            role=role,
            token_hash=digest(token),
            invited_by=by.user,
            expires_at=timezone.now() + timedelta(days=settings.PORTEVOIX_INVITATION_DAYS),
        )
        audit.record(
            actor=by.user,
            action="invitation.create",
            workspace=by.workspace,
            obj=invitation,
            email=email,
            role=role,
        )
        # Sent from memory after commit, not through a queued task: a task's arguments are stored in the
        # database, and the link's secret must exist nowhere but in the e-mail.
        transaction.on_commit(lambda: emails.send_invitation(invitation=invitation, token=token))
    return IssuedInvitation(invitation=invitation, token=token)


def invitation_revoke(*, invitation: Invitation, by: Membership) -> Invitation:
    permissions.require(by, "member.invite")
    if invitation.workspace_id != by.workspace_id:
        raise NotFound(_("No such invitation."))
    if invitation.status != "pending":
        raise Conflict(_("This invitation is no longer pending."))
    with transaction.atomic():
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at", "updated_at"])
        audit.record(
            actor=by.user,
            action="invitation.revoke",
            workspace=by.workspace,
            obj=invitation,
            email=invitation.email,
        )
    return invitation


def invitation_accept(*, token: str, user: User) -> Membership:
    """Turn a valid invitation link into a membership. Works once; the conditional UPDATE makes two
    concurrent clicks on the same link yield one membership."""
    invitation = Invitation.objects.select_related("workspace").filter(token_hash=digest(token)).first()
    if invitation is None or invitation.revoked_at:
        raise NotFound(_("This invitation link is not valid. Ask for a new one."))
    if invitation.accepted_at:
        raise Conflict(_("This invitation has already been used."))
    now = timezone.now()
    if invitation.expires_at <= now:
        raise Conflict(_("This invitation has expired. Ask for a new one."))
    with transaction.atomic():
        claimed = Invitation.objects.filter(
            pk=invitation.pk, accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now
        ).update(accepted_at=now, accepted_by=user)
        if claimed != 1:
            raise Conflict(_("This invitation has already been used."))
        try:
            with transaction.atomic():
                membership = Membership.objects.create(
                    workspace=invitation.workspace, user=user, role=invitation.role
                )
        except IntegrityError:
            raise Conflict(_("You are already a member of this workspace.")) from None
        user.last_workspace = invitation.workspace
        user.save(update_fields=["last_workspace"])
        audit.record(
            actor=user,
            action="invitation.accept",
            workspace=invitation.workspace,
            obj=membership,
            email=invitation.email,
            role=invitation.role,
        )
    return membership


def invitation_pending_by_token(token: str) -> Invitation | None:
    invitation = Invitation.objects.select_related("workspace").filter(token_hash=digest(token)).first()
    return invitation


# --- API tokens ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    secret: str  # the full token, shown once


def api_token_create(*, by: Membership, name: str, expires_at: datetime | None = None) -> IssuedToken:
    permissions.require(by, "token.manage")
    name = (name or "").strip()
    problems: dict[str, list[str]] = {}
    if not name:
        problems["name"] = [_("Name the token after what will use it.")]
    elif len(name) > 100:
        problems["name"] = [_("Use at most 100 characters.")]
    if expires_at is not None and expires_at <= timezone.now():
        problems["expires_at"] = [_("Choose a date in the future.")]
    if problems:
        raise ValidationFailed(_("Please correct the highlighted fields."), fields=problems)
    prefix = new_secret(6)[:8].replace("_", "x").replace("-", "x")
    secret = f"{API_TOKEN_PREFIX}_{prefix}_{new_secret(32)}"
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=by.user,
            workspace=by.workspace,
            name=name,
            prefix=prefix,
            token_hash=digest(secret),
            expires_at=expires_at,
        )
        audit.record(actor=by.user, action="token.create", workspace=by.workspace, obj=token)
    return IssuedToken(token=token, secret=secret)


def api_token_revoke(*, token: ApiToken, by: Membership) -> ApiToken:
    permissions.require(by, "token.manage")
    if token.user_id != by.user_id or token.workspace_id != by.workspace_id:
        raise NotFound(_("No such token."))
    if token.revoked_at:
        return token
    with transaction.atomic():
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at", "updated_at"])
        audit.record(actor=by.user, action="token.revoke", workspace=by.workspace, obj=token)
    return token


def api_token_authenticate(secret: str) -> tuple[ApiToken, Membership] | None:
    """Resolve a presented token to (token, membership); None when unknown, revoked, expired or when
    its owner is no longer a member. Touches ``last_used_at`` at most once a minute."""
    parts = (secret or "").split("_", 2)
    if len(parts) != 3 or parts[0] != API_TOKEN_PREFIX:
        return None
    token = ApiToken.objects.select_related("user", "workspace").filter(prefix=parts[1]).first()
    if token is None or not token.is_active or not token.user.is_active:
        return None
    if not same_digest(secret, token.token_hash):
        return None
    membership = (
        Membership.objects.select_related("workspace", "user")
        .filter(workspace_id=token.workspace_id, user_id=token.user_id)
        .first()
    )
    if membership is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token, membership


# --- First run ----------------------------------------------------------------------------------


def first_run_setup(
    *, email: str, password: str, full_name: str, workspace_name: str, timezone_name: str, language: str
) -> tuple[User, Workspace]:
    """Create the owner account and the first workspace on an install that has no user yet."""
    from portevoix.accounts.services import user_create

    _check_workspace_fields(name=workspace_name, timezone_name=timezone_name, language=language)
    with transaction.atomic():
        if User.objects.exists():
            raise Conflict(_("Portevoix is already set up. Sign in instead."))
        user = user_create(
            email=email,
            password=password,
            full_name=full_name,
            language=language,
            timezone_name="",
            is_superuser=True,
        )
        workspace = workspace_create(
            user=user, name=workspace_name, timezone_name=timezone_name, language=language
        )
        audit.record(actor=user, action="install.setup", workspace=workspace, obj=user)
    return user, workspace

"""The SMM team's roles and the one permission matrix that decides what each may do.

docs/roles.md is the human-readable copy of ``MATRIX``; a test fails when the two disagree.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class Role(models.TextChoices):
    OWNER = "owner", _("Owner")
    MANAGER = "manager", _("SMM manager")
    COPYWRITER = "copywriter", _("Copywriter")
    DESIGNER = "designer", _("Designer")
    TARGETOLOGIST = "targetologist", _("Targeting specialist")
    ANALYST = "analyst", _("Analyst")
    CLIENT = "client", _("Client (approver)")


ALL_ROLES = frozenset(Role)
STAFF = frozenset(ALL_ROLES - {Role.CLIENT})
LEADS = frozenset({Role.OWNER, Role.MANAGER})
CREATORS = frozenset({Role.OWNER, Role.MANAGER, Role.COPYWRITER, Role.DESIGNER})

# permission -> (roles allowed, description shown in docs and the roles page)
MATRIX: dict[str, tuple[frozenset[Role], StrOrPromise]] = {
    "workspace.view": (ALL_ROLES, _("See the workspace and its dashboard")),
    "workspace.update": (
        frozenset({Role.OWNER}),
        _("Change the workspace's name, time zone, language and 2FA rule"),
    ),
    "member.view": (STAFF, _("See the team: members and their roles")),
    "member.invite": (LEADS, _("Invite people and revoke pending invitations")),
    "member.update": (LEADS, _("Change a member's role (only an owner grants or removes ownership)")),
    "member.remove": (LEADS, _("Remove a member (only an owner removes an owner)")),
    "audit.view": (LEADS, _("Read and filter the audit log")),
    "token.manage": (ALL_ROLES, _("Create and revoke one's own API tokens")),
    "channel.view": (STAFF, _("See the connected channels and their health")),
    "channel.manage": (LEADS, _("Connect, test, reconnect and disconnect channels")),
    "media.view": (STAFF, _("See the media library")),
    "media.upload": (CREATORS, _("Upload media and edit their alt text")),
    "post.view": (ALL_ROLES, _("See posts, their previews and their publishing history")),
    "post.edit": (CREATORS, _("Write and edit posts and their per-network variants")),
    "post.publish": (LEADS, _("Schedule, publish now, cancel and retry posts")),
    "publishing.attention": (LEADS, _("Resolve posts that need attention (unconfirmed or failed)")),
    "rubric.manage": (LEADS, _("Create, edit and archive rubrics and their target shares")),
    "queue.manage": (LEADS, _("Set queue slots, add posts to queues, reorder, pause and resume them")),
    "plan.import": (LEADS, _("Import posts from CSV and manage recurring series and evergreen recycling")),
    "approval.manage": (LEADS, _("Set the workspace's approval policy and its steps")),
    "post.submit": (CREATORS, _("Submit posts for approval")),
    "post.approve": (
        ALL_ROLES,
        _("Approve posts or ask for changes, at the steps assigned to one's role or to oneself"),
    ),
    "comment.write": (ALL_ROLES, _("Comment on posts and mention teammates")),
    "task.view": (STAFF, _("See the team's tasks and one's own")),
    "task.manage": (CREATORS, _("Create, assign and close tasks on posts")),
    "analytics.view": (STAFF, _("See metrics, site analytics, dashboards and reports")),
    "analytics.manage": (
        frozenset({Role.OWNER, Role.MANAGER, Role.ANALYST}),
        _("Connect analytics integrations, enter or import metrics, schedule reports"),
    ),
    "link.manage": (CREATORS, _("Create, disable and delete tracked short links; edit the UTM rules")),
}

PERMISSIONS = frozenset(MATRIX)


def allowed_roles(permission: str) -> frozenset[Role]:
    try:
        return MATRIX[permission][0]
    except KeyError:
        raise KeyError(f"Unknown permission {permission!r}; declare it in workspaces/roles.py") from None


def role_can(role: str, permission: str) -> bool:
    return Role(role) in allowed_roles(permission)


def grantable_roles(by_role: str) -> list[Role]:
    """Roles that a member with ``by_role`` may give to someone else."""
    if by_role == Role.OWNER:
        return list(Role)
    if by_role == Role.MANAGER:
        return [role for role in Role if role != Role.OWNER]
    return []

"""Checks against the role matrix. Every service and selector that acts on a workspace calls these."""

from __future__ import annotations

from django.utils.translation import gettext as _

from portevoix.core.errors import PermissionDenied
from portevoix.workspaces.models import Membership
from portevoix.workspaces.roles import role_can


def can(membership: Membership | None, permission: str) -> bool:
    return membership is not None and role_can(membership.role, permission)


def require(membership: Membership, permission: str) -> None:
    if not can(membership, permission):
        raise PermissionDenied(
            _("Your role (%(role)s) does not allow this action.") % {"role": membership.get_role_display()}
        )

"""Access-matrix entries for the site tracker (see tests/matrix/__init__.py): seeing sites and figures needs
analytics.view (every role but the client), managing sites needs analytics.manage (owner, manager, analyst).

``POST /api/v1/tracker/conversions`` is authenticated by a site's server-side key, never by a member: a
personal API token is refused there with 403 for every role (its own tests cover the site key)."""

from __future__ import annotations

from typing import Any

from portevoix.analytics import urls as analytics_urls
from portevoix.analytics.models import Site
from portevoix.workspaces.roles import Role

STAFF = frozenset(Role) - {Role.CLIENT}
MANAGERS = frozenset({Role.OWNER, Role.MANAGER, Role.ANALYST})
NOBODY: frozenset[Role] = frozenset()

URLCONFS: dict[str, Any] = {"analytics": analytics_urls}


def _site(workspace: Any, name: str) -> Site:
    """A fresh site per request (deleting it must not affect the next role)."""
    import secrets

    return Site.objects.create(
        workspace=workspace,
        name=name,
        public_key=secrets.token_urlsafe(12),
        secret_hash=secrets.token_hex(32),
    )


def own_site(world: Any, role: Role) -> int:
    return _site(world.team.workspace, "own").pk


def foreign_site(world: Any) -> Site:
    return _site(world.other.workspace, "foreign")


API_EXPECTED = {
    ("GET", "/api/v1/tracker/sites"): STAFF,
    ("POST", "/api/v1/tracker/sites"): MANAGERS,
    ("GET", "/api/v1/tracker/sites/{id}"): STAFF,
    ("PATCH", "/api/v1/tracker/sites/{id}"): MANAGERS,
    ("DELETE", "/api/v1/tracker/sites/{id}"): MANAGERS,
    ("POST", "/api/v1/tracker/sites/{id}/rotate-secret"): MANAGERS,
    ("GET", "/api/v1/tracker/visits"): STAFF,
    ("POST", "/api/v1/tracker/conversions"): NOBODY,
}

API_IDS = {
    "/api/v1/tracker/sites/{id}": (own_site, foreign_site),
    "/api/v1/tracker/sites/{id}/rotate-secret": (own_site, foreign_site),
}

API_BODIES = {
    ("POST", "/api/v1/tracker/sites"): {"name": "Matrix shop", "domains": "shop.example"},
    ("PATCH", "/api/v1/tracker/sites/{id}"): {"domains": "shop.example"},
    ("POST", "/api/v1/tracker/conversions"): {"goal": "signup", "order_id": "matrix"},
}

HTML_EXPECTED = {
    ("analytics:page", "GET"): STAFF,
    ("analytics:site_create", "POST"): MANAGERS,
    ("analytics:site_update", "POST"): MANAGERS,
    ("analytics:site_rotate", "POST"): MANAGERS,
    ("analytics:site_delete", "POST"): MANAGERS,
}

HTML_IDS = {"site_id": (own_site, foreign_site)}

HTML_POST_DATA = {
    "analytics:site_create": {"name": "Matrix shop", "domains": "shop.example"},
    "analytics:site_update": {"name": "Renamed", "domains": ""},
}

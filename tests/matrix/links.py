"""Access-matrix entries for tracked links (see tests/matrix/__init__.py): viewing needs post.view (every
role), making links and editing the UTM rules needs link.manage (owner, manager, copywriter, designer)."""

from __future__ import annotations

from typing import Any

from portevoix.links import urls as links_urls
from portevoix.links.models import ShortLink
from portevoix.workspaces.roles import Role

EVERYONE = frozenset(Role)
CREATORS = frozenset({Role.OWNER, Role.MANAGER, Role.COPYWRITER, Role.DESIGNER})

URLCONFS: dict[str, Any] = {"links": links_urls}


def _link(workspace: Any, name: str) -> ShortLink:
    """A fresh link per request (deleting it must not affect the next role)."""
    from portevoix.links import codes

    return ShortLink.objects.create(
        workspace=workspace,
        code=codes.new_code(),
        target_url=f"https://example.com/{name}",
        final_url=f"https://example.com/{name}?utm_medium=social",
    )


def own_link(world: Any, role: Role) -> int:
    return _link(world.team.workspace, "own").pk


def foreign_link(world: Any) -> ShortLink:
    return _link(world.other.workspace, "foreign")


API_EXPECTED = {
    ("GET", "/api/v1/links"): EVERYONE,
    ("POST", "/api/v1/links"): CREATORS,
    ("GET", "/api/v1/links/{id}"): EVERYONE,
    ("PATCH", "/api/v1/links/{id}"): CREATORS,
    ("DELETE", "/api/v1/links/{id}"): CREATORS,
    ("GET", "/api/v1/links/{id}/clicks"): EVERYONE,
    ("GET", "/api/v1/utm-rules"): EVERYONE,
    ("PUT", "/api/v1/utm-rules"): CREATORS,
}

API_IDS = {
    "/api/v1/links/{id}": (own_link, foreign_link),
    "/api/v1/links/{id}/clicks": (own_link, foreign_link),
}

API_BODIES = {
    ("POST", "/api/v1/links"): {"url": "https://example.com/matrix"},
    ("PATCH", "/api/v1/links/{id}"): {"disabled": True},
    ("PUT", "/api/v1/utm-rules"): {"utm_source": "{network}", "utm_medium": "social"},
}

HTML_EXPECTED = {
    ("links:list", "GET"): EVERYONE,
    ("links:create", "POST"): CREATORS,
    ("links:rules", "POST"): CREATORS,
    ("links:toggle", "POST"): CREATORS,
}

HTML_IDS = {"link_id": (own_link, foreign_link)}

HTML_POST_DATA = {
    "links:create": {"url": "https://example.com/matrix"},
    "links:rules": {"utm_source": "{network}", "utm_medium": "social"},
}

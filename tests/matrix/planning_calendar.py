"""Access-matrix entries for planning_calendar (see tests/matrix/__init__.py)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from portevoix.workspaces.roles import Role

EVERYONE = frozenset(Role)
LEADS = frozenset({Role.OWNER, Role.MANAGER})
# A local time a month ahead (the team's zone): a post can be moved there.
SOON = (timezone.now() + timedelta(days=30)).strftime("%Y-%m-%dT10:00")

API_EXPECTED: dict[tuple[str, str], Any] = {
    ("GET", "/api/v1/calendar"): EVERYONE,  # post.view
    ("GET", "/api/v1/calendar/mix"): EVERYONE,  # post.view
    ("POST", "/api/v1/posts/{id}/reschedule"): LEADS,  # post.publish
}

API_IDS: dict[str, Any] = {
    "/api/v1/posts/{id}/reschedule": (lambda w, role: w.own_post().pk, lambda w: w.foreign_post()),
}

API_BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/api/v1/posts/{id}/reschedule"): {"at": SOON},
}

HTML_EXPECTED: dict[tuple[str, str], Any] = {
    ("planning:calendar", "GET"): EVERYONE,  # post.view
    ("planning:calendar_reschedule", "POST"): LEADS,  # post.publish (drag and drop)
}

# <int:post_id> is filled by the main table's "post_id" resolver.
HTML_POST_DATA: dict[str, dict[str, Any]] = {
    "planning:calendar_reschedule": {"at": SOON},
}

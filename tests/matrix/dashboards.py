"""Access-matrix entries for the dashboards (see tests/matrix/__init__.py): every role but the client sees
them (analytics.view)."""

from __future__ import annotations

from typing import Any

from portevoix.dashboards import urls as dashboards_urls
from portevoix.workspaces.roles import Role

STAFF = frozenset(Role) - {Role.CLIENT}

URLCONFS: dict[str, Any] = {"dashboards": dashboards_urls}

PANELS = ("followers", "posts", "best_worst", "clicks", "site", "conversions", "traffic", "funnel")

API_EXPECTED = {
    ("GET", "/api/v1/dashboards/summary"): STAFF,
    **{("GET", f"/api/v1/dashboards/panels/{name}"): STAFF for name in PANELS},
}

HTML_EXPECTED = {
    ("dashboards:page", "GET"): STAFF,
}

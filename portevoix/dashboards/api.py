"""The dashboards API: every panel's figures for a period (analytics.view). Thin: the selectors package does
the work; docs/dashboards.md."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router

from portevoix.core.api import error_responses
from portevoix.dashboards import selectors
from portevoix.dashboards.schemas import DashboardParams, PanelOut, SummaryOut
from portevoix.workspaces import permissions
from portevoix.workspaces.api_auth import API_AUTH, member

router = Router(auth=API_AUTH, tags=["dashboards"])


def _filters(request: HttpRequest, params: DashboardParams) -> selectors.Filters:
    by = member(request)
    permissions.require(by, "analytics.view")
    return selectors.filters_make(
        by.workspace,
        params.start,
        params.end,
        channel=params.channel,
        network=params.network,
        rubric=params.rubric,
    )


@router.get(
    "/dashboards/summary",
    response={200: SummaryOut, **error_responses(403)},
    summary="Every dashboard panel for a period",
    description="Followers, post metrics, best and worst posts, clicks, site visits, conversions, imported "
    "traffic and the funnel, for `start`..`end` (the workspace's time zone, at most 366 days), filtered by "
    "channel, network or rubric, with the previous period of equal length when `compare` is true. Roll-ups "
    "are refreshed every minute (docs/dashboards.md).",
)
def dashboards_summary(request: HttpRequest, params: Query[DashboardParams]) -> dict[str, Any]:
    filters = _filters(request, params)
    return selectors.summary(filters, compare=params.compare)


def _panel_route(name: str) -> None:
    """One GET per panel (fixed paths, each in the OpenAPI document): /dashboards/panels/<name>."""

    def view(request: HttpRequest, params: Query[DashboardParams]) -> dict[str, Any]:
        filters = _filters(request, params)
        return {
            "name": name,
            "period": filters.as_dict(),
            "previous": filters.previous().as_dict() if params.compare else None,
            "panel": selectors.panel(filters, name, compare=params.compare),
        }

    view.__name__ = f"dashboards_panel_{name}"
    router.get(
        f"/dashboards/panels/{name}",
        response={200: PanelOut, **error_responses(403)},
        summary=f"Dashboard panel: {name}",
        description=f"The `{name}` panel alone (docs/dashboards.md); same parameters as the summary.",
        operation_id=f"dashboards_panel_{name}",
    )(view)


for _name in selectors.PANELS:
    _panel_route(_name)

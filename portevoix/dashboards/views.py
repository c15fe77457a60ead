"""The dashboards page: every panel for a period with the previous period beside it, as tables (readable
without JavaScript) and charts drawn by the vendored Chart.js from the same figures (json_script)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from portevoix.core.errors import ValidationFailed
from portevoix.core.forms import add_service_errors
from portevoix.dashboards import selectors
from portevoix.dashboards.forms import DashboardForm
from portevoix.workspaces.models import Membership
from portevoix.workspaces.web import workspace_view


def _membership(request: HttpRequest) -> Membership:
    return request.membership  # type: ignore[attr-defined,no-any-return]


@workspace_view("analytics.view")
def dashboards_page(request: HttpRequest) -> HttpResponse:
    workspace = _membership(request).workspace
    choices = selectors.filter_choices(workspace)
    form = DashboardForm(
        request.GET or None,
        initial={"preset": "30d", "compare": True},
        channels=choices["channels"],
        networks=choices["networks"],
        rubrics=choices["rubrics"],
    )
    status = 200
    data: dict[str, Any] = {"preset": "30d", "compare": True}
    if form.is_bound:
        if form.is_valid():
            data = form.cleaned_data
        else:
            status = 422
    try:
        filters = selectors.filters_from_choice(
            workspace,
            preset=data.get("preset") or "",
            start=data.get("start"),
            end=data.get("end"),
            channel=data.get("channel"),
            network=data.get("network") or None,
            rubric=data.get("rubric"),
        )
    except ValidationFailed as error:
        add_service_errors(form, error)
        filters, status = selectors.filters_make(workspace), 422
    compare = bool(data.get("compare")) if form.is_bound else True
    result = selectors.summary(filters, compare=compare)
    panels = result["panels"]
    charts = {
        "followers": {"days": panels["followers"]["days"], "values": panels["followers"]["series"]},
        "clicks": {k: panels["clicks"][k] for k in ("days", "humans", "bots")},
        "visits": {"days": panels["site"]["days"], "values": panels["site"]["social_visits"]},
        "funnel": panels["funnel"]["totals"],
        "networks": panels["posts"]["by_network"],
    }
    context = {
        "form": form,
        "result": result,
        "panels": panels,
        "compare": compare,
        "charts": charts,
        "chart_labels": {
            "followers": _("Followers"),
            "humans": _("Clicks by people"),
            "bots": _("Bots and previews"),
            "visits": _("Visits from social"),
            "published": _("Posts published"),
            "conversions": _("Conversions"),
            "funnel": _("Funnel"),
            "engagements": _("Engagements"),
        },
        "timezone_name": workspace.timezone,
    }
    return render(request, "dashboards/page.html", context, status=status)

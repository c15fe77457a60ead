"""The integrations page: connected GA4 properties and Metrica counters with their status, forms to connect
them, test / import now / disconnect, and the imported traffic of a period. Thin: services and selectors
do the work."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from portevoix.core.errors import ValidationFailed
from portevoix.core.forms import add_service_errors
from portevoix.integrations import selectors, services
from portevoix.integrations.forms import Ga4Form, MetricaForm, PeriodForm
from portevoix.workspaces import permissions
from portevoix.workspaces.models import Membership
from portevoix.workspaces.web import workspace_view

MAX_TRAFFIC_ROWS = 500


def _membership(request: HttpRequest) -> Membership:
    return request.membership  # type: ignore[attr-defined,no-any-return]


def _page(
    request: HttpRequest,
    *,
    ga4_form: Ga4Form | None = None,
    metrica_form: MetricaForm | None = None,
    status: int = 200,
) -> HttpResponse:
    membership = _membership(request)
    can_manage = permissions.can(membership, "analytics.manage")
    integrations = list(selectors.integration_list(by=membership))
    names = {integration.pk: integration.name for integration in integrations}
    period = PeriodForm(request.GET or None)
    start = end = None
    if period.is_bound and period.is_valid():
        start, end = period.cleaned_data["start"], period.cleaned_data["end"]
    traffic_error = ""
    rows: list[dict[str, Any]] = []
    try:
        start, end, rows = selectors.traffic_report(by=membership, start=start, end=end)
    except ValidationFailed as error:
        traffic_error = error.message
        start, end, rows = selectors.traffic_report(by=membership, start=None, end=None)
    for row in rows:
        row["integration_name"] = names.get(row["integration"], "")
    context = {
        "integrations": integrations,
        "can_manage": can_manage,
        "ga4_form": ga4_form or (Ga4Form() if can_manage else None),
        "metrica_form": metrica_form or (MetricaForm() if can_manage else None),
        "period_form": period if period.is_bound else PeriodForm(initial={"start": start, "end": end}),
        "start": start,
        "end": end,
        "traffic": rows[:MAX_TRAFFIC_ROWS],
        "traffic_truncated": len(rows) > MAX_TRAFFIC_ROWS,
        "traffic_error": traffic_error,
    }
    return render(request, "integrations/list.html", context, status=status)


@workspace_view("analytics.view")
def integration_list(request: HttpRequest) -> HttpResponse:
    return _page(request)


@require_POST
@workspace_view("analytics.manage")
def connect_ga4(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    form = Ga4Form(request.POST, request.FILES)
    if not form.is_valid():
        return _page(request, ga4_form=form, status=422)
    data = form.cleaned_data
    try:
        integration = services.integration_connect_ga4(
            by=membership,
            name=data["name"],
            property_id=data["property_id"],
            key_json=data["key_json"],
            conversion_metric=data["conversion_metric"],
        )
    except ValidationFailed as error:
        add_service_errors(form, error)
        return _page(request, ga4_form=form, status=422)
    messages.success(
        request, _("%(name)s connected; the first import (30 days) is queued.") % {"name": integration.name}
    )
    return redirect("integrations:list", membership.workspace.slug)


@require_POST
@workspace_view("analytics.manage")
def connect_metrica(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    form = MetricaForm(request.POST)
    if not form.is_valid():
        return _page(request, metrica_form=form, status=422)
    data = form.cleaned_data
    try:
        integration = services.integration_connect_metrica(
            by=membership,
            name=data["name"],
            counter_id=data["counter_id"],
            token=data["token"],
            goal_ids=data["goal_ids"],
            ecommerce_revenue=data["ecommerce_revenue"],
            currency=data["currency"],
        )
    except ValidationFailed as error:
        add_service_errors(form, error)
        return _page(request, metrica_form=form, status=422)
    messages.success(
        request, _("%(name)s connected; the first import (30 days) is queued.") % {"name": integration.name}
    )
    return redirect("integrations:list", membership.workspace.slug)


@require_POST
@workspace_view("analytics.manage")
def integration_test(request: HttpRequest, integration_id: int) -> HttpResponse:
    membership = _membership(request)
    integration = selectors.integration_get(by=membership, integration_id=integration_id)
    result = services.integration_test(by=membership, integration=integration)
    if result.ok:
        messages.success(request, _("%(name)s: the connection works.") % {"name": integration.name})
    else:
        messages.error(
            request, _("%(name)s: %(message)s") % {"name": integration.name, "message": result.message}
        )
    return redirect("integrations:list", membership.workspace.slug)


@require_POST
@workspace_view("analytics.manage")
def integration_import(request: HttpRequest, integration_id: int) -> HttpResponse:
    membership = _membership(request)
    integration = selectors.integration_get(by=membership, integration_id=integration_id)
    services.integration_import_request(by=membership, integration=integration)
    messages.success(
        request,
        _("Import of %(name)s queued: its status updates when it is done.") % {"name": integration.name},
    )
    return redirect("integrations:list", membership.workspace.slug)


@require_POST
@workspace_view("analytics.manage")
def integration_disconnect(request: HttpRequest, integration_id: int) -> HttpResponse:
    membership = _membership(request)
    integration = selectors.integration_get(by=membership, integration_id=integration_id)
    name = integration.name
    services.integration_delete(by=membership, integration=integration)
    messages.success(request, _("%(name)s disconnected; its imported figures were removed.") % {"name": name})
    return redirect("integrations:list", membership.workspace.slug)

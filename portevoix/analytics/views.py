"""The tracker page: the workspace's tracked sites with their snippet and setup, the last events received,
and visits / bounce rate / engaged time / conversions / revenue by network (or campaign, post, day) for a
period. Managing sites needs analytics.manage. Thin: services and selectors do the work."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from portevoix.analytics import selectors, services
from portevoix.analytics.forms import PeriodForm, SiteForm
from portevoix.analytics.models import Site
from portevoix.core.errors import ValidationFailed
from portevoix.core.forms import add_service_errors
from portevoix.workspaces import permissions
from portevoix.workspaces.models import Membership
from portevoix.workspaces.web import workspace_view


def _membership(request: HttpRequest) -> Membership:
    return request.membership  # type: ignore[attr-defined,no-any-return]


def _page(
    request: HttpRequest,
    *,
    site_form: SiteForm | None = None,
    new_secret: str = "",
    secret_site: Site | None = None,
    status: int = 200,
) -> HttpResponse:
    membership = _membership(request)
    workspace = membership.workspace
    sites = list(selectors.site_list(by=membership))
    period_form = PeriodForm(request.GET or None)
    start = end = None
    group, social_only = "network", False
    if period_form.is_bound and period_form.is_valid():
        start, end = period_form.cleaned_data["start"], period_form.cleaned_data["end"]
        group = period_form.cleaned_data["group"] or "network"
        social_only = period_form.cleaned_data["social_only"]
    try:
        start, end = selectors.period(workspace, start, end)
    except ValidationFailed as error:
        add_service_errors(period_form, error)
        start, end = selectors.period(workspace, None, None)
    rows = selectors.visits_by(workspace, start, end, group=group, social_only=social_only)
    recent = [
        {
            "site": site,
            "snippet": selectors.snippet(site, request.build_absolute_uri("/")),
            **selectors.recent_events(by=membership, site=site),
        }
        for site in sites
    ]
    can_manage = permissions.can(membership, "analytics.manage")
    context: dict[str, Any] = {
        "sites": recent,
        "rows": rows,
        "group": group,
        "start": start,
        "end": end,
        "period_form": period_form,
        "timezone_name": workspace.timezone,
        "can_manage": can_manage,
        "site_form": site_form or (SiteForm() if can_manage else None),
        "new_secret": new_secret,
        "secret_site": secret_site,
    }
    return render(request, "analytics/page.html", context, status=status)


@workspace_view("analytics.view")
def tracker_page(request: HttpRequest) -> HttpResponse:
    return _page(request)


@require_POST
@workspace_view("analytics.manage")
def site_create(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    form = SiteForm(request.POST)
    if not form.is_valid():
        return _page(request, site_form=form, status=422)
    try:
        issued = services.site_create(by=membership, **form.cleaned_data)
    except ValidationFailed as error:
        add_service_errors(form, error)
        return _page(request, site_form=form, status=422)
    return _page(request, new_secret=issued.secret, secret_site=issued.site)


@require_POST
@workspace_view("analytics.manage")
def site_update(request: HttpRequest, site_id: int) -> HttpResponse:
    membership = _membership(request)
    site = selectors.site_get(by=membership, site_id=site_id)
    form = SiteForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The site was not saved: %(errors)s") % {"errors": form.errors.as_text()})
        return redirect("analytics:page", membership.workspace.slug)
    try:
        services.site_update(by=membership, site=site, **form.cleaned_data)
    except ValidationFailed as error:
        messages.error(
            request,
            error.message
            if not error.fields
            else " ".join(message for messages_ in error.fields.values() for message in messages_),
        )
        return redirect("analytics:page", membership.workspace.slug)
    messages.success(request, _("Site %(name)s saved.") % {"name": site.name})
    return redirect("analytics:page", membership.workspace.slug)


@require_POST
@workspace_view("analytics.manage")
def site_rotate(request: HttpRequest, site_id: int) -> HttpResponse:
    membership = _membership(request)
    site = selectors.site_get(by=membership, site_id=site_id)
    issued = services.site_rotate_secret(by=membership, site=site)
    return _page(request, new_secret=issued.secret, secret_site=issued.site)


@require_POST
@workspace_view("analytics.manage")
def site_delete(request: HttpRequest, site_id: int) -> HttpResponse:
    membership = _membership(request)
    site = selectors.site_get(by=membership, site_id=site_id)
    name = site.name
    services.site_delete(by=membership, site=site)
    messages.success(request, _("Site %(name)s deleted with its visits and conversions.") % {"name": name})
    return redirect("analytics:page", membership.workspace.slug)

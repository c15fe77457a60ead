"""The metrics page: figures of published posts and follower counts for a period, the collection status
per channel, and (analytics.manage) manual entry and the CSV import with its dry run. Thin: services and
selectors do the work."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from portevoix.core.errors import ValidationFailed
from portevoix.core.forms import add_service_errors
from portevoix.metrics import selectors, services
from portevoix.metrics.forms import ConfirmForm, FollowersForm, ImportForm, ManualForm, PeriodForm
from portevoix.metrics.services.imports import ImportReport
from portevoix.workspaces import permissions
from portevoix.workspaces.models import Membership
from portevoix.workspaces.web import workspace_view

MAX_ROWS = 300
MAX_TARGET_CHOICES = 200


def _membership(request: HttpRequest) -> Membership:
    return request.membership  # type: ignore[attr-defined,no-any-return]


def _channels(membership: Membership) -> list[tuple[int, str]]:
    return [
        (channel.pk, channel.name) for channel, _state in selectors.collection_status(membership.workspace)
    ]


def _targets(membership: Membership) -> list[tuple[int, str]]:
    targets = (
        selectors.published_targets(membership.workspace)
        .select_related("post", "channel")
        .order_by("-published_at")[:MAX_TARGET_CHOICES]
    )
    tz = membership.workspace.tzinfo
    return [
        (
            target.pk,
            f"{timezone.localtime(target.published_at, tz):%Y-%m-%d} · {target.channel.name} · "
            f"{str(target.post)[:50]}",
        )
        for target in targets
    ]


def _today(membership: Membership) -> Any:
    return timezone.localtime(timezone.now(), membership.workspace.tzinfo).date()


def _page(
    request: HttpRequest,
    *,
    manual_form: ManualForm | None = None,
    followers_form: FollowersForm | None = None,
    import_form: ImportForm | None = None,
    report: ImportReport | None = None,
    confirm_form: ConfirmForm | None = None,
    status: int = 200,
) -> HttpResponse:
    membership = _membership(request)
    workspace = membership.workspace
    channels = _channels(membership)
    period_form = PeriodForm(request.GET or None, channels=channels)
    start = end = channel_id = None
    if period_form.is_bound and period_form.is_valid():
        start, end = period_form.cleaned_data["start"], period_form.cleaned_data["end"]
        channel_id = period_form.cleaned_data["channel"]
    try:
        start, end = selectors.period(workspace, start, end)
    except ValidationFailed as error:
        add_service_errors(period_form, error)
        start, end = selectors.period(workspace, None, None)
    rows = selectors.post_metrics(workspace, start, end, channel=channel_id)
    followers = []
    for channel, state in selectors.collection_status(workspace):
        if channel_id and channel.pk != channel_id:
            continue
        followers.append(
            {
                "channel": channel,
                "state": state,
                "growth": selectors.follower_growth(workspace, channel, start, end),
            }
        )
    can_manage = permissions.can(membership, "analytics.manage")
    today = _today(membership)
    context = {
        "period_form": period_form,
        "start": start,
        "end": end,
        "rows": rows[:MAX_ROWS],
        "more_rows": max(0, len(rows) - MAX_ROWS),
        "followers": followers,
        "can_manage": can_manage,
        "manual_form": manual_form
        or (ManualForm(targets=_targets(membership), initial={"date": today}) if can_manage else None),
        "followers_form": followers_form
        or (FollowersForm(channels=channels, initial={"date": today}) if can_manage else None),
        "import_form": import_form or (ImportForm() if can_manage else None),
        "report": report,
        "confirm_form": confirm_form,
        "timezone_name": workspace.timezone,
    }
    return render(request, "metrics/page.html", context, status=status)


@workspace_view("analytics.view")
def metrics_page(request: HttpRequest) -> HttpResponse:
    return _page(request)


@require_POST
@workspace_view("analytics.manage")
def metrics_enter(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    form = ManualForm(request.POST, targets=_targets(membership))
    if not form.is_valid():
        return _page(request, manual_form=form, status=422)
    data = form.cleaned_data
    target = selectors.published_targets(membership.workspace).filter(pk=data["target"]).first()
    if target is None:
        form.add_error("target", _("This post is not published on this channel."))
        return _page(request, manual_form=form, status=422)
    try:
        services.post_metrics_enter(by=membership, target=target, day=data["date"], values=data)
    except ValidationFailed as error:
        add_service_errors(form, error)
        return _page(request, manual_form=form, status=422)
    messages.success(request, _("Figures saved."))
    return redirect("metrics:page", membership.workspace.slug)


@require_POST
@workspace_view("analytics.manage")
def metrics_followers(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    form = FollowersForm(request.POST, channels=_channels(membership))
    if not form.is_valid():
        return _page(request, followers_form=form, status=422)
    data = form.cleaned_data
    try:
        channel = selectors.channel_get(workspace=membership.workspace, channel_id=data["channel"])
        services.followers_enter(
            by=membership, channel=channel, day=data["date"], followers=data["followers"]
        )
    except ValidationFailed as error:
        add_service_errors(form, error)
        return _page(request, followers_form=form, status=422)
    messages.success(request, _("Follower count saved."))
    return redirect("metrics:page", membership.workspace.slug)


@require_POST
@workspace_view("analytics.manage")
def metrics_import(request: HttpRequest) -> HttpResponse:
    """The dry run: check the file, write nothing, and offer to import it when no row has a problem."""
    membership = _membership(request)
    form = ImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return _page(request, import_form=form, status=422)
    upload = form.cleaned_data["file"]
    if upload.size is None or upload.size > services.MAX_BYTES:
        form.add_error("file", _("The file is larger than 5 MB: split it into several files."))
        return _page(request, import_form=form, status=413)
    data = upload.read()
    report = services.metrics_import(by=membership, data=data, dry_run=True)
    confirm = None
    if report.ok:
        confirm = ConfirmForm(initial={"token": services.import_stash(by=membership, data=data)})
    return _page(
        request, import_form=form, report=report, confirm_form=confirm, status=200 if report.ok else 422
    )


@require_POST
@workspace_view("analytics.manage")
def metrics_import_confirm(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    form = ConfirmForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("This import expired: upload the file again."))
        return redirect("metrics:page", membership.workspace.slug)
    try:
        report = services.import_confirm(by=membership, token=form.cleaned_data["token"])
    except ValidationFailed as error:
        messages.error(request, error.message)
        return redirect("metrics:page", membership.workspace.slug)
    if not report.written:
        return _page(request, report=report, status=422)
    messages.success(
        request,
        _("Imported %(posts)s post readings and %(followers)s follower counts.")
        % {"posts": report.post_rows, "followers": report.follower_rows},
    )
    return redirect("metrics:page", membership.workspace.slug)

"""HTML pages of posts: the list, the composer (new and edit) with its live validation and previews, one
post with its publishing history, and the actions on it (schedule, publish now, cancel, delete). Thin:
services and selectors do the work."""

from __future__ import annotations

from datetime import datetime

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone as dj_timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from portevoix.content import live, localtime, selectors, services
from portevoix.content.forms import ComposerForm, FilterForm, ScheduleForm
from portevoix.content.models import Post
from portevoix.core.errors import Conflict, PortevoixError, ValidationFailed
from portevoix.core.forms import add_service_errors
from portevoix.media import services as media_services
from portevoix.media.forms import UploadForm
from portevoix.planning.selectors import rubrics as rubric_selectors
from portevoix.workspaces import permissions
from portevoix.workspaces.models import Membership
from portevoix.workspaces.web import workspace_view


def _membership(request: HttpRequest) -> Membership:
    return request.membership  # type: ignore[attr-defined,no-any-return]


def _post(request: HttpRequest, post_id: int) -> Post:
    return selectors.post_get(by=_membership(request), post_id=post_id)


def _error_text(error: PortevoixError) -> str:
    details = [
        message for messages_ in error.fields.values() for message in messages_ if message != error.message
    ]
    return " ".join([error.message, *details])


# --- The list -------------------------------------------------------------------------------------


@workspace_view("post.view")
def post_list(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    statuses = [(str(status), str(label)) for status, label in selectors.STATUS_LABELS.items()]
    filters = FilterForm(request.GET, statuses=statuses)
    status = query = ""
    if filters.is_valid():
        status, query = filters.cleaned_data["status"], filters.cleaned_data["q"]
    posts = selectors.post_list(by=membership, status=status or None, query=query or None)
    rows = [live.post_row(post) for post in posts.prefetch_related("targets__channel")[:200]]
    context = {
        "rows": rows,
        "filters": filters,
        "filtered": bool(status or query),
        "can_edit": permissions.can(membership, "post.edit"),
    }
    return render(request, "content/list.html", context)


# --- The composer ---------------------------------------------------------------------------------


@workspace_view("post.edit")
def post_new(request: HttpRequest) -> HttpResponse:
    return _compose(request, None)


@workspace_view("post.edit")
def post_edit(request: HttpRequest, post_id: int) -> HttpResponse:
    return _compose(request, _post(request, post_id))


def _compose(request: HttpRequest, post: Post | None) -> HttpResponse:
    membership = _membership(request)
    offer = live.composer_offer(by=membership, post=post)
    rubrics = rubric_selectors.rubric_choices(
        workspace=membership.workspace, keep_id=post.rubric_id if post else None
    )
    if request.method != "POST":
        initial = live.initial(post, offer)
        if post is not None:
            initial.update(rubric=post.rubric_id, evergreen=post.evergreen)
        else:
            initial.update(_prefill_at(request, membership))
        form = ComposerForm(initial=initial, rubrics=rubrics, **offer.form_kwargs())
        return _render_composer(request, form, offer, post)
    form = ComposerForm(request.POST, rubrics=rubrics, **offer.form_kwargs())
    if not form.is_valid():
        return _render_composer(request, form, offer, post, status=422)
    data = form.cleaned_data
    values = {
        "text": data["text"],
        "title": data["title"],
        "link": data["link"],
        "variants": form.variants(),
        "media_ids": data["media"],
        "channel_ids": data["channels"],
        "rubric_id": data["rubric"],
        "evergreen": data["evergreen"],
    }
    try:
        if post is None:
            post = services.post_create(by=membership, **values)
        else:
            post = services.post_update(by=membership, post=post, **values)
    except (ValidationFailed, Conflict) as error:
        add_service_errors(form, error)
        return _render_composer(
            request, form, offer, post, status=422 if isinstance(error, ValidationFailed) else 409
        )
    action = data.get("action") or "save"
    slug = membership.workspace.slug
    if action == "save":
        messages.success(request, _("Draft saved."))
        return redirect("content:edit", slug, post.pk)
    try:
        if action == "publish":
            targets = services.post_publish(by=membership, post=post)
            messages.success(
                request,
                ngettext(
                    "Saved and sent for publishing on %(count)s channel.",
                    "Saved and sent for publishing on %(count)s channels.",
                    len(targets),
                )
                % {"count": len(targets)},
            )
        else:
            scheduled = services.post_schedule(by=membership, post=post, at=data["schedule_at"])
            messages.success(request, _scheduled_message(scheduled))
            if scheduled.when.note:
                messages.warning(request, scheduled.when.note)
    except PortevoixError as error:
        messages.error(request, _("The draft is saved, but: %(reason)s") % {"reason": _error_text(error)})
        return redirect("content:edit", slug, post.pk)
    return redirect("content:detail", slug, post.pk)


def _prefill_at(request: HttpRequest, membership: Membership) -> dict[str, str]:
    """``?at=YYYY-MM-DDTHH:MM`` (a time slot of the calendar, in the viewer's zone): the composer's date and
    time field in the workspace's zone, with "Schedule" as the action. Anything else is ignored."""
    value = request.GET.get("at", "")
    try:
        wall = datetime.strptime(value, "%Y-%m-%dT%H:%M") if len(value) == 16 else None
        if wall is None:
            return {}
        viewer = dj_timezone.get_current_timezone()
        local = wall.replace(tzinfo=viewer).astimezone(membership.workspace.tzinfo)
    except (ValueError, OverflowError):
        return {}
    return {"schedule_at": local.strftime("%Y-%m-%dT%H:%M"), "action": "schedule"}


def _scheduled_message(scheduled: services.Scheduled) -> str:
    local = scheduled.when.local
    return _("Scheduled for %(date)s at %(time)s (%(zone)s).") % {
        "date": local.strftime("%Y-%m-%d"),
        "time": local.strftime("%H:%M"),
        "zone": scheduled.when.zone,
    }


def _render_composer(
    request: HttpRequest, form: ComposerForm, offer: live.Offer, post: Post | None, *, status: int = 200
) -> HttpResponse:
    membership = _membership(request)
    selection = live.selection_from_form(form, offer)
    context = {
        "form": form,
        "post": post,
        "offer": offer,
        "live": live.panel(membership=membership, selection=selection, offer=offer),
        "chosen_channels": [channel.pk for channel in selection.channels],
        "chosen_media": [asset.pk for asset in selection.media],
        "zone": membership.workspace.timezone,
        "can_publish": permissions.can(membership, "post.publish"),
        "can_upload": permissions.can(membership, "media.upload"),
        "upload_form": UploadForm(),
    }
    return render(request, "content/compose.html", context, status=status)


@require_POST
@workspace_view("post.edit")
def post_validate(request: HttpRequest) -> HttpResponse:
    """The live validation panel and the previews, for the composer's current input (htmx)."""
    membership = _membership(request)
    offer = live.composer_offer(by=membership, post=None, include=live.posted_ids(request.POST))
    selection = live.selection_from_post(request.POST, offer)
    context = {"live": live.panel(membership=membership, selection=selection, offer=offer)}
    return render(request, "content/_live.html", context)


@require_POST
@workspace_view("media.upload")
def post_media_upload(request: HttpRequest) -> HttpResponse:
    """Upload into the media library from the composer; answers the media picker with the new files
    chosen (htmx)."""
    membership = _membership(request)
    form = UploadForm(request.POST, request.FILES)
    chosen = live.posted_ids(request.POST)["media"]
    errors: list[str] = []
    if not form.is_valid():
        errors = [str(error) for field_errors in form.errors.values() for error in field_errors]
    else:
        for upload in form.cleaned_data["files"]:
            name = media_services.clean_name(upload.name) or _("A file")
            try:
                asset = media_services.media_upload(
                    by=membership, file=upload, alt_text=form.cleaned_data["alt_text"]
                )
            except ValidationFailed as error:
                errors.append(_("%(name)s: %(reason)s") % {"name": name, "reason": error.message})
                continue
            if asset.pk not in chosen:
                chosen.append(asset.pk)
    offer = live.composer_offer(by=membership, post=None, include={"media": chosen, "channels": []})
    context = {"offer": offer, "chosen_media": chosen, "upload_errors": errors}
    response = render(request, "content/_media_picker.html", context)
    response["HX-Trigger-After-Swap"] = "pv-media-changed"
    return response


# --- One post -------------------------------------------------------------------------------------


@workspace_view("post.view")
def post_detail(request: HttpRequest, post_id: int) -> HttpResponse:
    membership = _membership(request)
    post = _post(request, post_id)
    history = selectors.post_history(by=membership, post=post)
    status = selectors.status_from_states([entry.target.state for entry in history])
    planned = any(entry.target.state in selectors.PLANNED_STATES for entry in history)
    scheduled_local = localtime.to_local(post.scheduled_at, post.timezone) if post.scheduled_at else None
    context = {
        "post": post,
        "status": status,
        "status_label": selectors.STATUS_LABELS[status],
        "history": history,
        "variants": live.variant_rows(post),
        "media": selectors.post_media(post=post),
        "scheduled_local": scheduled_local,
        "planned": planned,
        "can_edit": permissions.can(membership, "post.edit"),
        "can_publish": permissions.can(membership, "post.publish"),
        "schedule_form": ScheduleForm(
            initial={"schedule_at": scheduled_local.strftime("%Y-%m-%dT%H:%M") if scheduled_local else ""}
        ),
        "zone": membership.workspace.timezone,
    }
    return render(request, "content/detail.html", context)


@require_POST
@workspace_view("post.publish")
def post_schedule(request: HttpRequest, post_id: int) -> HttpResponse:
    membership = _membership(request)
    post = _post(request, post_id)
    form = ScheduleForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Enter a date and time such as 2026-03-29T09:30."))
        return redirect("content:detail", membership.workspace.slug, post.pk)
    try:
        scheduled = services.post_schedule(by=membership, post=post, at=form.cleaned_data["schedule_at"])
    except PortevoixError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, _scheduled_message(scheduled))
        if scheduled.when.note:
            messages.warning(request, scheduled.when.note)
    return redirect("content:detail", membership.workspace.slug, post.pk)


@require_POST
@workspace_view("post.publish")
def post_publish(request: HttpRequest, post_id: int) -> HttpResponse:
    membership = _membership(request)
    post = _post(request, post_id)
    try:
        targets = services.post_publish(by=membership, post=post)
    except PortevoixError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(
            request,
            ngettext(
                "Sent for publishing on %(count)s channel.",
                "Sent for publishing on %(count)s channels.",
                len(targets),
            )
            % {"count": len(targets)},
        )
    return redirect("content:detail", membership.workspace.slug, post.pk)


@require_POST
@workspace_view("post.publish")
def post_unschedule(request: HttpRequest, post_id: int) -> HttpResponse:
    membership = _membership(request)
    post = _post(request, post_id)
    try:
        cancelled = services.post_unschedule(by=membership, post=post)
    except PortevoixError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(
            request,
            ngettext(
                "The schedule is cancelled on %(count)s channel.",
                "The schedule is cancelled on %(count)s channels.",
                cancelled,
            )
            % {"count": cancelled},
        )
    return redirect("content:detail", membership.workspace.slug, post.pk)


@require_POST
@workspace_view("post.edit")
def post_delete(request: HttpRequest, post_id: int) -> HttpResponse:
    membership = _membership(request)
    post = _post(request, post_id)
    try:
        services.post_delete(by=membership, post=post)
    except PortevoixError as error:
        messages.error(request, _error_text(error))
        return redirect("content:detail", membership.workspace.slug, post.pk)
    messages.success(request, _("The post is deleted."))
    return redirect("content:list", membership.workspace.slug)

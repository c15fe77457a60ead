"""HTML pages of the media library: the grid with filters and the upload form, one file's page (preview,
details, alt text, delete), and the file itself for members. Thin: services and selectors do the work."""

from __future__ import annotations

from typing import cast
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST, require_safe

from portevoix.core.errors import Conflict, ValidationFailed
from portevoix.core.forms import add_service_errors
from portevoix.media import responses, selectors, services
from portevoix.media.forms import AltTextForm, FilterForm, UploadForm
from portevoix.media.models import MediaAsset
from portevoix.workspaces import permissions
from portevoix.workspaces.models import Membership
from portevoix.workspaces.web import workspace_view

PAGE_SIZE = 48


def _membership(request: HttpRequest) -> Membership:
    return request.membership  # type: ignore[attr-defined,no-any-return]


def _asset(request: HttpRequest, asset_id: int) -> MediaAsset:
    return selectors.media_get(by=_membership(request), asset_id=asset_id)


@require_GET
@workspace_view("media.view")
def media_list(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    filters = FilterForm(request.GET)
    kind = search = ""
    if filters.is_valid():
        kind, search = filters.cleaned_data["kind"], filters.cleaned_data["q"]
    assets = selectors.media_list(by=membership, kind=kind or None, search=search or None)
    page = Paginator(assets, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "filters": filters,
        "filtered": bool(kind or search),
        "query": urlencode({key: value for key, value in (("kind", kind), ("q", search)) if value}),
        "can_upload": permissions.can(membership, "media.upload"),
        "upload_form": UploadForm(),
    }
    return render(request, "media/list.html", context)


@require_POST
@workspace_view("media.upload")
def media_upload(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect("media:list", membership.workspace.slug)
    added = 0
    for upload in form.cleaned_data["files"]:
        name = services.clean_name(upload.name) or _("A file")
        try:
            asset = services.media_upload(by=membership, file=upload, alt_text=form.cleaned_data["alt_text"])
        except ValidationFailed as error:
            messages.error(request, _("%(name)s: %(reason)s") % {"name": name, "reason": error.message})
            continue
        if asset.is_duplicate:
            messages.info(
                request,
                _("%(name)s is already in the library (as %(existing)s).")
                % {"name": name, "existing": asset.original_name or asset.sha256[:12]},
            )
        else:
            added += 1
    if added:
        messages.success(
            request,
            ngettext("%(count)s file added to the library.", "%(count)s files added to the library.", added)
            % {"count": added},
        )
    return redirect("media:list", membership.workspace.slug)


@workspace_view("media.view")
def media_detail(request: HttpRequest, asset_id: int) -> HttpResponse:
    membership = _membership(request)
    asset = _asset(request, asset_id)
    can_upload = permissions.can(membership, "media.upload")
    form = AltTextForm(
        request.POST if request.method == "POST" else None, initial={"alt_text": asset.alt_text}
    )
    if request.method == "POST":
        permissions.require(membership, "media.upload")
        if form.is_valid():
            try:
                services.media_update_alt_text(
                    by=membership, asset=asset, alt_text=form.cleaned_data["alt_text"]
                )
            except ValidationFailed as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("Alt text saved."))
                return redirect("media:detail", membership.workspace.slug, asset.pk)
    context = {
        "asset": asset,
        "form": form,
        "can_upload": can_upload,
        "posts": list(asset.posts.order_by("-created_at")[:20]),
    }
    return render(request, "media/detail.html", context)


@require_POST
@workspace_view("media.upload")
def media_delete(request: HttpRequest, asset_id: int) -> HttpResponse:
    membership = _membership(request)
    asset = _asset(request, asset_id)
    name = str(asset)
    try:
        services.media_delete(by=membership, asset=asset)
    except Conflict as error:
        messages.error(request, error.message)
        return redirect("media:detail", membership.workspace.slug, asset.pk)
    messages.success(request, _("%(name)s was deleted.") % {"name": name})
    return redirect("media:list", membership.workspace.slug)


def _serve(request: HttpRequest, asset_id: int, variant: str) -> HttpResponse:
    # A FileResponse is a streaming response, not an HttpResponse; workspace_view's type wants the latter.
    return cast(HttpResponse, responses.media_response(request, _asset(request, asset_id), variant))


@require_safe
@workspace_view("media.view")
def media_file(request: HttpRequest, asset_id: int) -> HttpResponse:
    return _serve(request, asset_id, "file")


@require_safe
@workspace_view("media.view")
def media_thumbnail(request: HttpRequest, asset_id: int) -> HttpResponse:
    return _serve(request, asset_id, "thumbnail")


@require_safe
@workspace_view("media.view")
def media_poster(request: HttpRequest, asset_id: int) -> HttpResponse:
    return _serve(request, asset_id, "poster")

"""Pages of private iCalendar feeds: a person's feeds of the workspace's plan (create, rotate, revoke), and
the public feed itself (``/feeds/<secret>.ics``: the secret is the only key)."""

from __future__ import annotations

from django.contrib import messages
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from portevoix.core.errors import PortevoixError
from portevoix.planning.selectors import feeds as selectors
from portevoix.planning.services import feeds as services
from portevoix.workspaces.models import Membership
from portevoix.workspaces.web import workspace_view

# A calendar app polls; the same feed is built at most once per this many seconds.
CACHE_SECONDS = 300


def _membership(request: HttpRequest) -> Membership:
    return request.membership  # type: ignore[attr-defined,no-any-return]


def _page(request: HttpRequest, new_url: str | None = None, status: int = 200) -> HttpResponse:
    membership = _membership(request)
    response = render(
        request,
        "planning/feeds.html",
        {"feeds": selectors.feed_list(by=membership), "new_url": new_url},
        status=status,
    )
    response["Cache-Control"] = "no-store"
    return response


def _url(request: HttpRequest, token: str) -> str:
    return request.build_absolute_uri(reverse("planning:feed_ics", args=[token]))


@workspace_view("post.view")
def feeds(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _page(request)
    try:
        issued = services.feed_create(by=_membership(request))
    except PortevoixError as error:
        messages.error(request, error.message)
        return _page(request, status=422)
    return _page(request, new_url=_url(request, issued.token))


@require_POST
@workspace_view("post.view")
def feed_rotate(request: HttpRequest, feed_id: int) -> HttpResponse:
    membership = _membership(request)
    feed = selectors.feed_get(by=membership, feed_id=feed_id)
    try:
        issued = services.feed_rotate(by=membership, feed=feed)
    except PortevoixError as error:
        messages.error(request, error.message)
        return redirect("planning:feeds", membership.workspace.slug)
    cache.delete(f"planning:feed:{feed.pk}")
    return _page(request, new_url=_url(request, issued.token))


@require_POST
@workspace_view("post.view")
def feed_revoke(request: HttpRequest, feed_id: int) -> HttpResponse:
    membership = _membership(request)
    feed = selectors.feed_get(by=membership, feed_id=feed_id)
    services.feed_revoke(by=membership, feed=feed)
    cache.delete(f"planning:feed:{feed.pk}")
    messages.success(request, _("Feed revoked: its address no longer works."))
    return redirect("planning:feeds", membership.workspace.slug)


@require_GET
def feed_ics(request: HttpRequest, token: str) -> HttpResponse:
    """The feed: public, the secret is the key. Unknown, revoked, or a former member's: 404."""
    resolved = selectors.feed_resolve(token)
    if resolved is None:
        raise Http404("No such feed.")
    feed, membership = resolved.feed, resolved.membership
    key = f"planning:feed:{feed.pk}"
    body = cache.get(key)
    if body is None:
        workspace = membership.workspace
        language = membership.user.language or workspace.language
        with translation.override(language):
            body = selectors.feed_calendar(
                workspace=workspace,
                posts=selectors.feed_posts(workspace=workspace),
                post_url=lambda post: request.build_absolute_uri(
                    reverse("content:detail", args=[workspace.slug, post.pk])
                ),
                host=request.get_host().split(":")[0] or "portevoix",
            )
        cache.set(key, body, CACHE_SECONDS)
        services.feed_touch(feed)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="portevoix.ics"'
    response["Cache-Control"] = "private, max-age=300"
    response["X-Robots-Tag"] = "noindex"
    response["Referrer-Policy"] = "no-referrer"
    return response

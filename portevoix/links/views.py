"""The links page: the workspace's short links with their clicks, a form to make one, the UTM rules, and
disabling or enabling a link. Thin: services and selectors do the work."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from portevoix.core.errors import ValidationFailed
from portevoix.core.forms import add_service_errors
from portevoix.links import selectors, services, utm
from portevoix.links.forms import LinkForm, RulesForm
from portevoix.workspaces import permissions
from portevoix.workspaces.models import Membership
from portevoix.workspaces.web import workspace_view

MAX_ROWS = 200


def _membership(request: HttpRequest) -> Membership:
    return request.membership  # type: ignore[attr-defined,no-any-return]


def _link_form(membership: Membership, data: Any = None) -> LinkForm:
    from portevoix.channels.models import Channel
    from portevoix.content.models import Post

    workspace = membership.workspace
    posts = [(post.pk, str(post)[:80]) for post in Post.objects.filter(workspace=workspace)[:100]]
    channels = [(channel.pk, channel.name) for channel in Channel.objects.filter(workspace=workspace)]
    return LinkForm(data, posts=posts, channels=channels)


def _rules_form(membership: Membership, data: Any = None) -> RulesForm:
    rules = selectors.link_settings(workspace=membership.workspace)
    initial = {
        "utm_source": rules.utm_source,
        "utm_medium": rules.utm_medium,
        "utm_campaign": rules.utm_campaign,
        "utm_content": rules.utm_content,
        "override": rules.override,
        "shorten_in_posts": rules.shorten_in_posts,
        "custom_domain": rules.custom_domain,
    }
    return RulesForm(data, initial=initial)


def _page(
    request: HttpRequest,
    *,
    link_form: LinkForm | None = None,
    rules_form: RulesForm | None = None,
    status: int = 200,
) -> HttpResponse:
    membership = _membership(request)
    base = selectors.short_base(workspace=membership.workspace) or request.build_absolute_uri("/").rstrip("/")
    links = list(selectors.link_list(by=membership)[:MAX_ROWS])
    rows = [{"link": link, "short_url": selectors.short_url(link, base=base)} for link in links]
    can_manage = permissions.can(membership, "link.manage")
    context = {
        "rows": rows,
        "can_manage": can_manage,
        "link_form": link_form or (_link_form(membership) if can_manage else None),
        "rules_form": rules_form or (_rules_form(membership) if can_manage else None),
        "rules": selectors.link_settings(workspace=membership.workspace),
        "placeholders": [f"{{{name}}}" for name in utm.PLACEHOLDERS],
    }
    return render(request, "links/list.html", context, status=status)


@workspace_view("post.view")
def link_list(request: HttpRequest) -> HttpResponse:
    return _page(request)


@require_POST
@workspace_view("link.manage")
def link_create(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    form = _link_form(membership, request.POST)
    if not form.is_valid():
        return _page(request, link_form=form, status=422)
    data = form.cleaned_data
    try:
        link = services.link_create(
            by=membership,
            url=data["url"],
            post=selectors.post_for_link(workspace=membership.workspace, post_id=data["post"]),
            channel=selectors.channel_for_link(workspace=membership.workspace, channel_id=data["channel"]),
            campaign=data["campaign"] or "",
        )
    except ValidationFailed as error:
        add_service_errors(form, error)
        return _page(request, link_form=form, status=422)
    messages.success(request, _("Short link %(code)s made.") % {"code": link.code})
    return redirect("links:list", membership.workspace.slug)


@require_POST
@workspace_view("link.manage")
def link_rules(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    form = _rules_form(membership, request.POST)
    if not form.is_valid():
        return _page(request, rules_form=form, status=422)
    try:
        services.link_settings_update(by=membership, **form.cleaned_data)
    except ValidationFailed as error:
        add_service_errors(form, error)
        return _page(request, rules_form=form, status=422)
    messages.success(request, _("UTM rules saved. They apply to links made from now on."))
    return redirect("links:list", membership.workspace.slug)


@require_POST
@workspace_view("link.manage")
def link_toggle(request: HttpRequest, link_id: int) -> HttpResponse:
    membership = _membership(request)
    link = selectors.link_get(by=membership, link_id=link_id)
    services.link_set_disabled(by=membership, link=link, disabled=not link.disabled)
    if link.disabled:
        messages.success(
            request, _("Link %(code)s disabled: it now answers “not found”.") % {"code": link.code}
        )
    else:
        messages.success(request, _("Link %(code)s enabled.") % {"code": link.code})
    return redirect("links:list", membership.workspace.slug)

"""HTML pages of publishing: the "needs attention" list with the actions a person takes on a target
(retry, "it is published", "it is not published", cancel), and the workspace's in-app notifications.
Thin: services and selectors do the work and write the audit entries."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from portevoix.core.errors import PortevoixError
from portevoix.publishing import selectors, services, states
from portevoix.publishing.forms import MarkPublishedForm, MarkReadForm
from portevoix.publishing.models import Target
from portevoix.publishing.states import Event
from portevoix.workspaces import permissions
from portevoix.workspaces.models import Membership
from portevoix.workspaces.web import workspace_view


def _membership(request: HttpRequest) -> Membership:
    return request.membership  # type: ignore[attr-defined,no-any-return]


def _target(request: HttpRequest, target_id: int) -> Target:
    """The workspace's target (404 for another workspace's or an unknown id)."""
    found = (
        Target.objects.filter(workspace=_membership(request).workspace, pk=target_id)
        .select_related("channel", "post")
        .first()
    )
    if found is None:
        raise Http404("No such target.")
    return found


def _error_text(error: PortevoixError) -> str:
    details = [
        message for messages_ in error.fields.values() for message in messages_ if message != error.message
    ]
    return " ".join([error.message, *details])


def _back(request: HttpRequest) -> HttpResponse:
    return redirect("publishing:attention", _membership(request).workspace.slug)


# --- The list -------------------------------------------------------------------------------------


def _row(target: Target) -> dict[str, object]:
    return {
        "target": target,
        "advice": selectors.target_advice(target),
        "can_retry": target.state in states.sources(Event.RETRY),
        "can_mark_published": target.state in states.sources(Event.MARK_PUBLISHED),
        "can_mark_not_published": target.state in states.sources(Event.MARK_NOT_PUBLISHED),
        "can_cancel": target.state in states.sources(Event.CANCEL) and target.reconcile_since is None,
    }


@workspace_view("publishing.attention")
def attention(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    found = selectors.needs_attention(workspace=membership.workspace)
    sections = [
        ("failed", _("Failed"), _("Publishing failed; fix the cause, then retry."), found.failed),
        (
            "unconfirmed",
            _("Unconfirmed"),
            _(
                "Portevoix could not tell whether the network received these posts. "
                "Look at the channel, then tell what you saw."
            ),
            found.unconfirmed,
        ),
        (
            "struggling",
            _("Retrying again and again"),
            _("Portevoix keeps retrying these posts."),
            found.struggling,
        ),
        (
            "pending",
            _("Still processing"),
            _("The network has been processing these posts for over an hour."),
            found.pending,
        ),
    ]
    context = {
        "sections": [
            {"key": key, "title": title, "help": help_text, "rows": [_row(t) for t in targets]}
            for key, title, help_text, targets in sections
            if targets
        ],
        "channels": found.channels,
        "empty": not found,
        "can_cancel": permissions.can(membership, "post.publish"),
        "mark_form": MarkPublishedForm(),
        "unread": selectors.notifications(workspace=membership.workspace, unread_only=True, limit=5),
    }
    return render(request, "publishing/attention.html", context)


# --- Actions on one target ------------------------------------------------------------------------


def _act(
    request: HttpRequest, target_id: int, action: Callable[[Target, Membership], Target], done: str
) -> HttpResponse:
    membership = _membership(request)
    target = _target(request, target_id)
    try:
        action(target, membership)
    except PortevoixError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, done % {"channel": target.channel.name})
    return _back(request)


@require_POST
@workspace_view("publishing.attention")
def target_retry(request: HttpRequest, target_id: int) -> HttpResponse:
    return _act(
        request,
        target_id,
        lambda target, by: services.target_retry(target=target, by=by),
        _("Sent again to %(channel)s."),
    )


@require_POST
@workspace_view("publishing.attention")
def target_mark_not_published(request: HttpRequest, target_id: int) -> HttpResponse:
    return _act(
        request,
        target_id,
        lambda target, by: services.target_mark_not_published(target=target, by=by),
        _("Marked as not published on %(channel)s; you can retry it now."),
    )


@require_POST
@workspace_view("publishing.attention")
def target_cancel(request: HttpRequest, target_id: int) -> HttpResponse:
    return _act(
        request,
        target_id,
        lambda target, by: services.target_cancel(target=target, by=by),
        _("Publishing on %(channel)s is cancelled."),
    )


@require_POST
@workspace_view("publishing.attention")
def target_mark_published(request: HttpRequest, target_id: int) -> HttpResponse:
    target = _target(request, target_id)
    form = MarkPublishedForm(request.POST)
    if not form.is_valid():
        messages.error(
            request, " ".join(str(e) for e in form.errors.get("url", [])) or _("Enter a web address.")
        )
        return _back(request)
    url = form.cleaned_data["url"]
    return _act(
        request,
        target.pk,
        lambda target, by: services.target_mark_published_manually(target=target, url=url, by=by),
        _("Marked as published on %(channel)s."),
    )


# --- Notifications --------------------------------------------------------------------------------


@workspace_view("post.view")
def notification_list(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    context = {
        "notifications": selectors.notifications(workspace=membership.workspace, limit=100),
        "can_attend": permissions.can(membership, "publishing.attention"),
        "can_view_channels": permissions.can(membership, "channel.view"),
    }
    return render(request, "publishing/notifications.html", context)


@require_POST
@workspace_view("post.view")
def notifications_read(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    form = MarkReadForm(request.POST)
    if form.is_valid():
        one = form.cleaned_data["notification"]
        count = services.notifications_mark_read(by=membership, ids=[one] if one else None)
        if not one:
            messages.success(
                request, _("All notifications are marked as read.") if count else _("Nothing unread.")
            )
    else:
        messages.error(request, _("Unknown notification."))
    return redirect("publishing:notifications", membership.workspace.slug)

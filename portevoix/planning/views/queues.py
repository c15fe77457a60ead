"""The queues pages: every channel with its queue and the evergreen policy; one channel's queue with its
weekly slots, its upcoming entries and their planned times, and the actions (add or remove a slot, add a
post, move it up or down, remove it, pause, resume). Thin: services and selectors do the work."""

from __future__ import annotations

from collections.abc import Callable
from itertools import islice

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from portevoix.channels.models import Channel
from portevoix.content import selectors as content_selectors
from portevoix.core.errors import PortevoixError
from portevoix.planning.selectors import queues as selectors
from portevoix.planning.services import evergreen as evergreen_services
from portevoix.planning.services import queues as services
from portevoix.planning.services.queues import Replan
from portevoix.workspaces import permissions
from portevoix.workspaces.models import Membership
from portevoix.workspaces.web import workspace_view

WEEKDAYS = (
    (0, gettext_lazy("Monday")),
    (1, gettext_lazy("Tuesday")),
    (2, gettext_lazy("Wednesday")),
    (3, gettext_lazy("Thursday")),
    (4, gettext_lazy("Friday")),
    (5, gettext_lazy("Saturday")),
    (6, gettext_lazy("Sunday")),
)
PREVIEW_SLOTS = 5


class SlotForm(forms.Form):
    weekday = forms.TypedChoiceField(label=gettext_lazy("Day"), choices=WEEKDAYS, coerce=int)
    time = forms.CharField(
        label=gettext_lazy("Time"), max_length=5, widget=forms.TimeInput(attrs={"type": "time"})
    )


class EvergreenForm(forms.Form):
    enabled = forms.BooleanField(label=gettext_lazy("Recycle evergreen posts"), required=False)
    min_gap_days = forms.IntegerField(
        label=gettext_lazy("Minimum gap between two uses of a post (days)"),
        min_value=1,
        max_value=evergreen_services.MAX_GAP_DAYS,
    )


def _membership(request: HttpRequest) -> Membership:
    return request.membership  # type: ignore[attr-defined,no-any-return]


def _error(request: HttpRequest, error: PortevoixError) -> None:
    details = [m for field in error.fields.values() for m in field if m != error.message]
    messages.error(request, " ".join([error.message, *details]))


def _report(request: HttpRequest, replan: Replan) -> None:
    for post_id, message in replan.problems.items():
        messages.warning(
            request, _("Post %(id)s could not take a slot: %(reason)s") % {"id": post_id, "reason": message}
        )


@workspace_view("post.view")
def queue_list(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    policy = selectors.evergreen_policy(workspace=membership.workspace)
    context = {
        "rows": selectors.queue_rows(by=membership),
        "policy": policy,
        "evergreen_form": EvergreenForm(
            initial={"enabled": policy.enabled, "min_gap_days": policy.min_gap_days}
        ),
        "can_manage": permissions.can(membership, "queue.manage"),
    }
    return render(request, "planning/queues.html", context)


@require_POST
@workspace_view("queue.manage")
def evergreen_update(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    form = EvergreenForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
    else:
        try:
            evergreen_services.evergreen_policy_update(by=membership, **form.cleaned_data)
        except PortevoixError as error:
            _error(request, error)
        else:
            messages.success(request, _("Evergreen recycling saved."))
    return redirect("planning:queues", membership.workspace.slug)


def _channel(request: HttpRequest, channel_id: int) -> Channel:
    channel, _queue = selectors.queue_channel(by=_membership(request), channel_id=channel_id)
    return channel


@workspace_view("post.view")
def queue_detail(request: HttpRequest, queue_channel_id: int) -> HttpResponse:
    membership = _membership(request)
    channel, queue = selectors.queue_channel(by=membership, channel_id=queue_channel_id)
    entries = selectors.queue_entries(queue=queue)
    slots = selectors.queue_slots(queue=queue)
    zone_name = queue.timezone if queue else membership.workspace.timezone
    upcoming: list = []
    if queue is not None and queue.paused_at is None:
        free = selectors.free_instants(
            queue, now=timezone.now(), exclude_post_ids=[row.entry.post_id for row in entries]
        )
        upcoming = list(islice(free, len(entries), len(entries) + PREVIEW_SLOTS))
    context = {
        "channel": channel,
        "queue": queue,
        "zone_name": zone_name,
        "slots_by_day": [
            (number, label, [slot for slot in slots if slot.weekday == number]) for number, label in WEEKDAYS
        ],
        "entries": entries,
        "free_slots": upcoming,
        "slot_form": SlotForm(),
        "candidates": selectors.queue_candidates(by=membership, channel=channel),
        "can_manage": permissions.can(membership, "queue.manage"),
    }
    return render(request, "planning/queues_detail.html", context)


def _back(request: HttpRequest, channel_id: int) -> HttpResponse:
    return redirect("planning:queue", _membership(request).workspace.slug, channel_id)


def _act(
    request: HttpRequest, queue_channel_id: int, action: Callable[[], object], done: str = ""
) -> HttpResponse:
    """Run one queue action and come back to the queue's page: a refusal becomes an error message;
    otherwise ``done`` and a warning for each post that could not take a slot."""
    try:
        outcome = action()
    except PortevoixError as error:
        _error(request, error)
    else:
        if done:
            messages.success(request, done)
        if isinstance(outcome, Replan):
            _report(request, outcome)
    return _back(request, queue_channel_id)


@require_POST
@workspace_view("queue.manage")
def queue_slot_add(request: HttpRequest, queue_channel_id: int) -> HttpResponse:
    membership, channel = _membership(request), _channel(request, queue_channel_id)
    weekday, local_time = request.POST.get("weekday"), request.POST.get("time")
    return _act(
        request,
        queue_channel_id,
        lambda: services.queue_slot_add(
            by=membership, channel=channel, weekday=weekday, local_time=local_time
        ),
        _("Slot added."),
    )


@require_POST
@workspace_view("queue.manage")
def queue_slot_remove(request: HttpRequest, queue_channel_id: int) -> HttpResponse:
    membership, channel = _membership(request), _channel(request, queue_channel_id)
    weekday, local_time = request.POST.get("weekday"), request.POST.get("time")
    return _act(
        request,
        queue_channel_id,
        lambda: services.queue_slot_remove(
            by=membership, channel=channel, weekday=weekday, local_time=local_time
        ),
        _("Slot removed."),
    )


def _post_id(request: HttpRequest) -> int:
    value = request.POST.get("post_id", "")
    return int(value) if value.isdigit() and 0 < int(value) < 2**63 else 0


@require_POST
@workspace_view("queue.manage")
def queue_entry_add(request: HttpRequest, queue_channel_id: int) -> HttpResponse:
    membership, channel = _membership(request), _channel(request, queue_channel_id)

    def add() -> None:
        post = content_selectors.post_get(by=membership, post_id=_post_id(request))
        services.queue_entry_add(by=membership, channel=channel, post=post)

    return _act(request, queue_channel_id, add, _("Added to the queue."))


@require_POST
@workspace_view("queue.manage")
def queue_entry_move(request: HttpRequest, queue_channel_id: int) -> HttpResponse:
    membership = _membership(request)
    channel, queue = selectors.queue_channel(by=membership, channel_id=queue_channel_id)
    post_id = _post_id(request)
    order = [row.entry.post_id for row in selectors.queue_entries(queue=queue)]
    if post_id not in order:
        messages.error(request, _("This post is not in this queue."))
        return _back(request, queue_channel_id)
    index = order.index(post_id) + (-1 if request.POST.get("direction") == "up" else 1)
    return _act(
        request,
        queue_channel_id,
        lambda: services.queue_entry_move(
            by=membership, channel=channel, post_id=post_id, position=max(0, index)
        ),
    )


@require_POST
@workspace_view("queue.manage")
def queue_entry_remove(request: HttpRequest, queue_channel_id: int) -> HttpResponse:
    membership, channel = _membership(request), _channel(request, queue_channel_id)
    post_id = _post_id(request)
    return _act(
        request,
        queue_channel_id,
        lambda: services.queue_entry_remove(by=membership, channel=channel, post_id=post_id),
        _("Taken out of the queue; the post is kept as a draft."),
    )


@require_POST
@workspace_view("queue.manage")
def queue_pause(request: HttpRequest, queue_channel_id: int) -> HttpResponse:
    membership, channel = _membership(request), _channel(request, queue_channel_id)
    return _act(
        request,
        queue_channel_id,
        lambda: services.queue_pause(by=membership, channel=channel),
        _("Queue paused: its posts will not go out until you resume it."),
    )


@require_POST
@workspace_view("queue.manage")
def queue_resume(request: HttpRequest, queue_channel_id: int) -> HttpResponse:
    membership, channel = _membership(request), _channel(request, queue_channel_id)
    return _act(
        request,
        queue_channel_id,
        lambda: services.queue_resume(by=membership, channel=channel),
        _("Queue resumed: its posts take the next free slots."),
    )

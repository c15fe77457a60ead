"""HTML pages of team tasks: "my tasks" (with the whole team's for those who want it, and one's notices),
one's notices alone, and the actions on a task (add it from a post's page, change, delete, done, reopen).
Thin: services and selectors do the work. A role that may not do an action gets 403."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from portevoix.content import selectors as content_selectors
from portevoix.core.errors import PortevoixError, ValidationFailed
from portevoix.core.forms import add_service_errors
from portevoix.teamtasks import selectors, services
from portevoix.teamtasks.forms import MarkReadForm, TaskForm, local_input
from portevoix.teamtasks.models import PostTask
from portevoix.workspaces import permissions
from portevoix.workspaces.models import Membership
from portevoix.workspaces.web import workspace_view

DONE_SHOWN = 50
NOTICES_SHOWN = 50


def _membership(request: HttpRequest) -> Membership:
    return request.membership  # type: ignore[attr-defined,no-any-return]


def _back(request: HttpRequest, fallback: str) -> HttpResponse:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect(fallback)


def _post_url(post_id: int, slug: str) -> str:
    return reverse("content:detail", args=[slug, post_id])


def _error_text(error: PortevoixError) -> str:
    details = [message for values in error.fields.values() for message in values if message != error.message]
    return " ".join([error.message, *details])


# --- My tasks and notices -----------------------------------------------------------------------------


@workspace_view("task.view")
def my_tasks(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    team = request.GET.get("scope") == "team"
    now = timezone.now()
    open_tasks = selectors.for_viewer(
        membership, list(selectors.task_list(by=membership, mine=not team, open_only=True)), now
    )
    done_list = selectors.for_viewer(
        membership, list(selectors.task_list(by=membership, mine=not team, done_only=True)[:DONE_SHOWN]), now
    )
    overdue = [task for task in open_tasks if task.is_overdue]  # type: ignore[attr-defined]
    notices = list(selectors.notice_list(by=membership)[:NOTICES_SHOWN])
    context = {
        "team": team,
        "open_tasks": open_tasks,
        "overdue_count": len(overdue),
        "done_tasks": done_list,
        "done_more": len(done_list) == DONE_SHOWN,
        "notices": notices,
        "unread_count": sum(1 for notice in notices if notice.read_at is None),
        "can_manage": permissions.can(membership, "task.manage"),
        "now": now,
    }
    return render(request, "teamtasks/my_tasks.html", context)


@workspace_view("workspace.view")
def notice_list(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    notices = list(selectors.notice_list(by=membership)[:NOTICES_SHOWN])
    context = {
        "notices": notices,
        "unread_count": sum(1 for notice in notices if notice.read_at is None),
        "can_view_tasks": permissions.can(membership, "task.view"),
    }
    return render(request, "teamtasks/notices.html", context)


@require_POST
@workspace_view("workspace.view")
def notices_read(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    form = MarkReadForm(request.POST)
    if form.is_valid():
        one = form.cleaned_data["notice"]
        count = services.notices_mark_read(by=membership, ids=[one] if one else None)
        if not one:
            messages.success(request, _("All notices are marked as read.") if count else _("Nothing unread."))
    else:
        messages.error(request, _("Unknown notice."))
    return _back(request, reverse("teamtasks:notices", args=[membership.workspace.slug]))


# --- Tasks --------------------------------------------------------------------------------------------


@require_POST
@workspace_view("task.manage")
def task_create(request: HttpRequest, post_id: int) -> HttpResponse:
    membership = _membership(request)
    post = content_selectors.post_get(by=membership, post_id=post_id)
    form = TaskForm(request.POST, members=selectors.assignable_members(by=membership))
    fallback = _post_url(post.pk, membership.workspace.slug)
    if not form.is_valid():
        problems = [str(error) for errors in form.errors.values() for error in errors]
        messages.error(request, _("The task was not added: %(reason)s") % {"reason": " ".join(problems)})
        return _back(request, fallback)
    try:
        task = services.task_create(by=membership, post=post, **form.cleaned_data)
    except ValidationFailed as error:
        messages.error(request, _("The task was not added: %(reason)s") % {"reason": _error_text(error)})
        return _back(request, fallback)
    if task.assignee is not None and task.assignee.pk != membership.user_id:
        messages.success(
            request, _("Task added; %(person)s is told.") % {"person": task.assignee.display_name}
        )
    else:
        messages.success(request, _("Task added."))
    return _back(request, fallback)


@workspace_view("task.manage")
def task_edit(request: HttpRequest, task_id: int) -> HttpResponse:
    membership = _membership(request)
    task = selectors.task_get(by=membership, task_id=task_id)
    members = selectors.assignable_members(by=membership)
    fallback = _post_url(task.post_id, membership.workspace.slug)
    if request.method == "POST":
        form = TaskForm(request.POST, members=members)
        if form.is_valid():
            try:
                services.task_update(by=membership, task=task, **form.cleaned_data)
            except ValidationFailed as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("Task saved."))
                return _back(request, fallback)
        status = 422
    else:
        form = TaskForm(
            initial={
                "kind": task.kind,
                "title": task.title,
                "assignee_id": task.assignee_id or "",
                "due_at": local_input(task.due_at),
            },
            members=members,
        )
        status = 200
    context = {"task": task, "form": form, "next": request.GET.get("next") or request.POST.get("next") or ""}
    return render(request, "teamtasks/edit.html", context, status=status)


@require_POST
@workspace_view("task.manage")
def task_delete(request: HttpRequest, task_id: int) -> HttpResponse:
    membership = _membership(request)
    task = selectors.task_get(by=membership, task_id=task_id)
    fallback = _post_url(task.post_id, membership.workspace.slug)
    services.task_delete(by=membership, task=task)
    messages.success(request, _("Task deleted."))
    return _back(request, fallback)


def _close(request: HttpRequest, task_id: int, *, done: bool) -> HttpResponse:
    membership = _membership(request)
    task: PostTask = selectors.task_get(by=membership, task_id=task_id)
    if done:
        services.task_done(by=membership, task=task)  # PermissionDenied: 403
        messages.success(request, _("Task done."))
    else:
        services.task_reopen(by=membership, task=task)
        messages.success(request, _("Task reopened."))
    return _back(request, _post_url(task.post_id, membership.workspace.slug))


@require_POST
@workspace_view("task.view")
def task_done(request: HttpRequest, task_id: int) -> HttpResponse:
    return _close(request, task_id, done=True)


@require_POST
@workspace_view("task.view")
def task_reopen(request: HttpRequest, task_id: int) -> HttpResponse:
    return _close(request, task_id, done=False)

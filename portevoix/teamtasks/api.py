"""The team tasks API: tasks on posts (list, create, change, delete, done, reopen) and the caller's own
notices. Thin: selectors and services check the role and the workspace; ids of another workspace answer 404
and another person's notices are never shown or changed."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Path, Query, Router, Status

from portevoix.content import selectors as content_selectors
from portevoix.core.api import MAX_ID, error_responses
from portevoix.teamtasks import selectors, services
from portevoix.teamtasks.models import PostTask
from portevoix.teamtasks.schemas import (
    NoticeListParams,
    NoticePage,
    NoticesReadIn,
    NoticesReadOut,
    TaskCreateIn,
    TaskListParams,
    TaskOut,
    TaskPage,
    TaskUpdateIn,
)
from portevoix.workspaces import permissions
from portevoix.workspaces.api_auth import API_AUTH, member

router = Router(auth=API_AUTH)

ID = Path(..., ge=1, le=MAX_ID, description="The task's id.")
POST_ID = Path(..., ge=1, le=MAX_ID, description="The post's id.")


def _task_out(task: PostTask) -> dict[str, Any]:
    now = timezone.now()
    assignee = task.assignee
    return {
        "id": task.pk,
        "post_id": task.post_id,
        "kind": task.kind,
        "kind_label": str(task.get_kind_display()),
        "title": task.title,
        "assignee": (
            {"id": assignee.pk, "email": assignee.email, "full_name": assignee.full_name}
            if assignee
            else None
        ),
        "due_at": task.due_at,
        "done": task.done_at is not None,
        "done_at": task.done_at,
        "overdue": task.done_at is None and task.due_at is not None and task.due_at < now,
        "created_at": task.created_at,
    }


@router.get(
    "/tasks",
    response={200: TaskPage, **error_responses(403, 404)},
    tags=["tasks"],
    summary="Tasks of the workspace (or the caller's own), earliest due first",
    description="`mine`, `open` and `overdue` combine. Tasks with no due date come last. Needs the right to "
    "see tasks (not the client role).",
)
def task_list(request: HttpRequest, params: Query[TaskListParams]) -> dict[str, Any]:
    tasks = selectors.task_list(
        by=member(request),
        mine=params.mine,
        open_only=params.open,
        overdue=params.overdue,
        post_id=params.post_id,
        assignee_id=params.assignee_id,
    )
    page = tasks[params.offset : params.offset + params.limit]
    return {
        "items": [_task_out(task) for task in page],
        "count": tasks.count(),
        "limit": params.limit,
        "offset": params.offset,
    }


@router.post(
    "/posts/{id}/tasks",
    response={201: TaskOut, **error_responses(403, 404)},
    tags=["tasks"],
    summary="Put a task on a post (and tell its assignee)",
    description="`assignee_id` is a member's user id (`user_id` in GET /api/v1/members) whose role can see "
    "tasks; the assignee gets a notice in the app and by e-mail, in their language.",
)
def task_create(request: HttpRequest, payload: TaskCreateIn, id: int = POST_ID) -> Status[Any]:
    membership = member(request)
    post = content_selectors.post_get(by=membership, post_id=id)  # 404 first: foreign ids are not disclosed
    task = services.task_create(
        by=membership,
        post=post,
        kind=payload.kind,
        title=payload.title,
        assignee_id=payload.assignee_id,
        due_at=payload.due_at,
    )
    return Status(201, _task_out(task))


@router.get(
    "/tasks/{id}",
    response={200: TaskOut, **error_responses(403, 404)},
    tags=["tasks"],
    summary="One task",
)
def task_get(request: HttpRequest, id: int = ID) -> dict[str, Any]:
    return _task_out(selectors.task_get(by=member(request), task_id=id))


@router.patch(
    "/tasks/{id}",
    response={200: TaskOut, **error_responses(403, 404)},
    tags=["tasks"],
    summary="Change a task: kind, title, assignee (a new one is told), due date",
    description="Only the fields sent change; `assignee_id: null` unassigns and `due_at: null` clears the "
    "date. A new due date, or a new assignee, arms the overdue reminder again.",
)
def task_update(request: HttpRequest, payload: TaskUpdateIn, id: int = ID) -> dict[str, Any]:
    membership = member(request)
    task = selectors.task_get(by=membership, task_id=id)
    changes = payload.model_dump(exclude_unset=True)
    for field in ("kind", "title"):
        if field in changes and changes[field] is None:
            del changes[field]  # null means "leave as is" for these
    task = services.task_update(by=membership, task=task, **changes)
    return _task_out(task)


@router.delete(
    "/tasks/{id}",
    response={204: None, **error_responses(403, 404)},
    tags=["tasks"],
    summary="Delete a task",
)
def task_delete(request: HttpRequest, id: int = ID) -> Status[None]:
    membership = member(request)
    task = selectors.task_get(by=membership, task_id=id)
    services.task_delete(by=membership, task=task)
    return Status(204, None)


@router.post(
    "/tasks/{id}/done",
    response={200: TaskOut, **error_responses(403, 404)},
    tags=["tasks"],
    summary="Mark a task done (its assignee, or someone who manages tasks)",
)
def task_done(request: HttpRequest, id: int = ID) -> dict[str, Any]:
    membership = member(request)
    task = selectors.task_get(by=membership, task_id=id)
    return _task_out(services.task_done(by=membership, task=task))


@router.post(
    "/tasks/{id}/reopen",
    response={200: TaskOut, **error_responses(403, 404)},
    tags=["tasks"],
    summary="Reopen a done task (its assignee, or someone who manages tasks)",
)
def task_reopen(request: HttpRequest, id: int = ID) -> dict[str, Any]:
    membership = member(request)
    task = selectors.task_get(by=membership, task_id=id)
    return _task_out(services.task_reopen(by=membership, task=task))


@router.get(
    "/notices",
    response={200: NoticePage, **error_responses(403, 404)},
    tags=["tasks"],
    summary="The caller's own notices in this workspace, unread first",
)
def notice_list(request: HttpRequest, params: Query[NoticeListParams]) -> dict[str, Any]:
    membership = member(request)
    permissions.require(membership, "workspace.view")
    notices = selectors.notice_list(by=membership, unread_only=params.unread)
    return {
        "items": [
            {
                "id": notice.pk,
                "kind": notice.kind,
                "title": notice.title,
                "url": notice.url,
                "read": notice.read_at is not None,
                "read_at": notice.read_at,
                "created_at": notice.created_at,
            }
            for notice in notices[params.offset : params.offset + params.limit]
        ],
        "count": notices.count(),
        "unread": selectors.unread_notice_count(by=membership),
        "limit": params.limit,
        "offset": params.offset,
    }


@router.post(
    "/notices/read",
    response={200: NoticesReadOut, **error_responses(403, 404)},
    tags=["tasks"],
    summary="Mark the caller's notices read (all unread ones without `ids`)",
    description="Ids of other people's notices, or of other workspaces, are ignored.",
)
def notices_read(request: HttpRequest, payload: NoticesReadIn) -> dict[str, Any]:
    membership = member(request)
    permissions.require(membership, "workspace.view")
    return {"marked": services.notices_mark_read(by=membership, ids=payload.ids)}

"""Writes for team tasks: create, change (reassign, move the due date), delete, mark done and reopen; mark
one's notices read; and the overdue reminder.

``task.manage`` creates, changes and deletes tasks; the assignee of a task may mark it done or reopen it
with ``task.view`` alone. A task goes to a member whose role sees tasks (not a client). Whoever is given a
task (on creation or on reassignment) gets a notice in the app and by e-mail, in their own language,
unless they gave it to themselves. The overdue reminder tells the assignee once; moving the due date or
reassigning the task arms it again.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from portevoix.accounts.models import User
from portevoix.content.models import Post
from portevoix.core.errors import NotFound, PermissionDenied, ValidationFailed
from portevoix.teamtasks import selectors
from portevoix.teamtasks.models import Notice, PostTask, TaskKind
from portevoix.teamtasks.notices import notice_send
from portevoix.workspaces import audit, permissions
from portevoix.workspaces.models import Membership

logger = logging.getLogger(__name__)

MAX_TITLE_LENGTH = 200
MAX_NOTICE_IDS = 500
_UNSET: Any = object()


# --- Input ----------------------------------------------------------------------------------------


def _invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(_("Please correct the highlighted fields."), fields={field: [message]})


def clean_kind(value: object) -> str:
    if not isinstance(value, str) or value not in TaskKind.values:
        raise _invalid(
            "kind", _("Choose one of: %(choices)s.") % {"choices": ", ".join(str(v) for v in TaskKind.values)}
        )
    return value


def clean_title(value: object) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise _invalid("title", _("Enter a text value."))
    if "\x00" in value:
        raise _invalid("title", _("Text cannot contain NUL characters."))
    text = " ".join(value.split())
    if len(text) > MAX_TITLE_LENGTH:
        raise _invalid("title", _("Use at most %(max)s characters.") % {"max": MAX_TITLE_LENGTH})
    return text


def clean_due(value: object) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, datetime) or timezone.is_naive(value):
        raise _invalid("due_at", _("Enter a date and time with its time zone."))
    return value


def clean_assignee(*, post: Post, value: object) -> User | None:
    """A user id of a member of the post's workspace whose role sees tasks; ``None`` leaves it unassigned."""
    if value is None or value == "":
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise _invalid("assignee_id", _("Choose a member of the workspace."))
    membership = selectors.assignee_membership(workspace_id=post.workspace_id, user_id=value)
    if membership is None:
        raise _invalid(
            "assignee_id",
            _("Choose a member of this workspace whose role can see tasks (not a client)."),
        )
    return membership.user


# --- Notices about tasks ----------------------------------------------------------------------------


def post_label(post: Post) -> str:
    text = post.title or " ".join(post.text.split())
    if not text:
        return _("Post #%(id)s") % {"id": post.pk}
    return text if len(text) <= 60 else f"{text[:59]}…"


def task_label(task: PostTask) -> str:
    return task.title or str(task.get_kind_display())


def post_path(post: Post) -> str:
    return reverse("content:detail", args=[post.workspace.slug, post.pk])


def _notify_assigned(task: PostTask, *, by: Membership) -> None:
    assignee = task.assignee
    if assignee is None or assignee.pk == by.user_id:
        return
    notice_send(
        workspace=task.workspace,
        user=assignee,
        kind="task_assigned",
        title=lambda: (
            _("%(person)s gave you a task: %(task)s (post “%(post)s”)")
            % {"person": by.user.display_name, "task": task_label(task), "post": post_label(task.post)}
        ),
        url=post_path(task.post),
    )


# --- Tasks ------------------------------------------------------------------------------------------


def task_create(
    *,
    by: Membership,
    post: Post,
    kind: str = TaskKind.OTHER,
    title: str = "",
    assignee_id: int | None = None,
    due_at: datetime | None = None,
) -> PostTask:
    permissions.require(by, "task.manage")
    if post.workspace_id != by.workspace_id:
        raise NotFound(_("No such post."))
    kind = clean_kind(kind)
    title = clean_title(title)
    assignee = clean_assignee(post=post, value=assignee_id)
    due = clean_due(due_at)
    with transaction.atomic():
        task = PostTask.objects.create(
            workspace=by.workspace,
            post=post,
            kind=kind,
            title=title,
            assignee=assignee,
            due_at=due,
            created_by=by.user,
        )
        audit.record(
            actor=by.user,
            action="task.create",
            workspace=by.workspace,
            obj=task,
            post_id=post.pk,
            kind=kind,
            assignee=assignee.email if assignee else None,
            due_at=due,
        )
        _notify_assigned(task, by=by)
    return task


def task_update(
    *,
    by: Membership,
    task: PostTask,
    kind: Any = _UNSET,
    title: Any = _UNSET,
    assignee_id: Any = _UNSET,
    due_at: Any = _UNSET,
) -> PostTask:
    """Change only what is passed; ``assignee_id=None`` unassigns, ``due_at=None`` clears the date."""
    permissions.require(by, "task.manage")
    if task.workspace_id != by.workspace_id:
        raise NotFound(_("No such task."))
    changes: dict[str, Any] = {}
    if kind is not _UNSET:
        changes["kind"] = clean_kind(kind)
    if title is not _UNSET:
        changes["title"] = clean_title(title)
    new_assignee = _UNSET
    if assignee_id is not _UNSET:
        new_assignee = clean_assignee(post=task.post, value=assignee_id)
        if (new_assignee.pk if new_assignee else None) != task.assignee_id:
            changes["assignee"] = new_assignee
            changes["reminded_at"] = None  # the new person is reminded in turn
    if due_at is not _UNSET:
        due = clean_due(due_at)
        if due != task.due_at:
            changes["due_at"] = due
            changes["reminded_at"] = None  # a new date: remind again once it passes
    if not changes:
        return task
    with transaction.atomic():
        for field, value in changes.items():
            setattr(task, field, value)
        task.save(update_fields=[*changes, "updated_at"])
        if "assignee" in changes:
            audit.record(
                actor=by.user,
                action="task.assign",
                workspace=by.workspace,
                obj=task,
                assignee=task.assignee.email if task.assignee else None,
            )
            _notify_assigned(task, by=by)
        others = {key: value for key, value in changes.items() if key not in {"assignee", "reminded_at"}}
        if others:
            audit.record(actor=by.user, action="task.update", workspace=by.workspace, obj=task, **others)
    return task


def task_delete(*, by: Membership, task: PostTask) -> None:
    permissions.require(by, "task.manage")
    if task.workspace_id != by.workspace_id:
        raise NotFound(_("No such task."))
    with transaction.atomic():
        audit.record(
            actor=by.user,
            action="task.delete",
            workspace=by.workspace,
            obj=task,
            post_id=task.post_id,
            kind=task.kind,
        )
        task.delete()


def _require_close(by: Membership, task: PostTask) -> None:
    if task.workspace_id != by.workspace_id:
        raise NotFound(_("No such task."))
    if not selectors.can_close(by, task):
        raise PermissionDenied(
            _("Only the person the task is for, or someone who manages tasks, can do this.")
        )


def task_done(*, by: Membership, task: PostTask) -> PostTask:
    _require_close(by, task)
    if task.done_at is not None:
        return task
    with transaction.atomic():
        task.done_at = timezone.now()
        task.save(update_fields=["done_at", "updated_at"])
        audit.record(actor=by.user, action="task.done", workspace=by.workspace, obj=task)
    return task


def task_reopen(*, by: Membership, task: PostTask) -> PostTask:
    _require_close(by, task)
    if task.done_at is None:
        return task
    with transaction.atomic():
        task.done_at = None
        task.save(update_fields=["done_at", "updated_at"])
        audit.record(actor=by.user, action="task.reopen", workspace=by.workspace, obj=task)
    return task


# --- Notices ----------------------------------------------------------------------------------------


def notices_mark_read(*, by: Membership, ids: list[int] | None = None) -> int:
    """Mark the member's own notices read (all unread ones, or those of ``ids``); others' are ignored."""
    notices = Notice.objects.filter(workspace=by.workspace, user_id=by.user_id, read_at__isnull=True)
    if ids is not None:
        if len(ids) > MAX_NOTICE_IDS:
            raise _invalid("ids", _("At most %(max)s ids at a time.") % {"max": MAX_NOTICE_IDS})
        notices = notices.filter(pk__in=ids)
    return notices.update(read_at=timezone.now())


# --- The overdue reminder ---------------------------------------------------------------------------


def overdue_remind(*, now: datetime | None = None) -> int:
    """Tell each assignee, once, that their task is overdue (in the app and by e-mail). Safe to run on
    several workers at once: a task is claimed by a conditional UPDATE before its notice is stored."""
    now = now or timezone.now()
    sent = 0
    for task in selectors.overdue_unreminded(now=now):
        with transaction.atomic():
            claimed = PostTask.objects.filter(
                pk=task.pk, reminded_at__isnull=True, done_at__isnull=True, assignee_id=task.assignee_id
            ).update(reminded_at=now)
            if not claimed or task.assignee is None:
                continue
            if not _still_member(task):
                continue
            notice_send(
                workspace=task.workspace,
                user=task.assignee,
                kind="task_overdue",
                title=lambda task=task: (
                    _("Overdue task: %(task)s (post “%(post)s”)")  # type: ignore[misc]
                    % {"task": task_label(task), "post": post_label(task.post)}
                ),
                url=post_path(task.post),
            )
            sent += 1
    return sent


def _still_member(task: PostTask) -> bool:
    return (
        task.assignee is not None
        and selectors.assignee_membership(workspace_id=task.workspace_id, user_id=task.assignee.pk)
        is not None
    )

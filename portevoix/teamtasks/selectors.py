"""Reads for team tasks and personal notices: a post's tasks, one person's tasks (open, overdue, done), the
whole team's tasks, who may be given a task, and one person's notices with the sidebar's badge count.

Every function is scoped to the member's workspace; ``task.view`` is needed to read tasks, and notices are
only ever the caller's own.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from portevoix.content.models import Post
from portevoix.core.errors import NotFound
from portevoix.teamtasks.models import Notice, PostTask, TaskKind
from portevoix.workspaces import permissions
from portevoix.workspaces.models import Membership
from portevoix.workspaces.roles import Role, allowed_roles

# The roles whose members are suggested first for each kind of task (docs/tasks.md).
SUGGESTED_ROLES: dict[str, tuple[Role, ...]] = {
    TaskKind.COPY: (Role.COPYWRITER,),
    TaskKind.DESIGN: (Role.DESIGNER,),
    TaskKind.APPROVE: (Role.MANAGER, Role.OWNER),
    TaskKind.OTHER: (),
}


DUE_FIRST = F("due_at").asc(nulls_last=True)  # tasks with no due date come last
UNREAD_FIRST = F("read_at").desc(nulls_first=True)


def suggested_roles(kind: str) -> tuple[Role, ...]:
    return SUGGESTED_ROLES.get(kind, ())


def _tasks(by: Membership) -> QuerySet[PostTask]:
    return PostTask.objects.filter(workspace=by.workspace).select_related("assignee", "post")


def open_q() -> Q:
    return Q(done_at__isnull=True)


def overdue_q(now: datetime | None = None) -> Q:
    return Q(done_at__isnull=True, due_at__isnull=False, due_at__lt=now or timezone.now())


def task_get(*, by: Membership, task_id: int) -> PostTask:
    """One task of the member's workspace: 404 for another workspace's (before the role check, so that
    foreign ids are not disclosed), then 403 without ``task.view``."""
    task = _tasks(by).filter(pk=task_id).first()
    if task is None:
        raise NotFound(_("No such task."))
    permissions.require(by, "task.view")
    return task


def task_list(
    *,
    by: Membership,
    mine: bool = False,
    open_only: bool = False,
    done_only: bool = False,
    overdue: bool = False,
    post_id: int | None = None,
    assignee_id: int | None = None,
    now: datetime | None = None,
) -> QuerySet[PostTask]:
    """Tasks of the workspace, earliest due first (tasks with no due date last)."""
    permissions.require(by, "task.view")
    tasks = _tasks(by)
    if mine:
        tasks = tasks.filter(assignee_id=by.user_id)
    elif assignee_id is not None:
        tasks = tasks.filter(assignee_id=assignee_id)
    if open_only:
        tasks = tasks.filter(open_q())
    if done_only:
        tasks = tasks.filter(done_at__isnull=False)
    if overdue:
        tasks = tasks.filter(overdue_q(now))
    if post_id is not None:
        tasks = tasks.filter(post_id=post_id)
    if done_only:
        return tasks.order_by("-done_at", "-pk")
    return tasks.order_by(DUE_FIRST, "pk")


def can_close(by: Membership, task: PostTask) -> bool:
    """Whether ``by`` may mark ``task`` done or reopen it: ``task.manage``, or its assignee."""
    if permissions.can(by, "task.manage"):
        return True
    return (
        permissions.can(by, "task.view") and task.assignee_id is not None and task.assignee_id == by.user_id
    )


def for_viewer(by: Membership, tasks: list[PostTask], now: datetime | None = None) -> list[PostTask]:
    """Set ``is_overdue`` and ``closable`` (may ``by`` mark it done) on each task, for the pages."""
    now = now or timezone.now()
    for task in tasks:
        task.is_overdue = task.done_at is None and task.due_at is not None and task.due_at < now  # type: ignore[attr-defined]
        task.closable = can_close(by, task)  # type: ignore[attr-defined]
    return tasks


def post_tasks(*, by: Membership, post: Post) -> list[PostTask]:
    permissions.require(by, "task.view")
    if post.workspace_id != by.workspace_id:
        raise NotFound(_("No such post."))
    return list(_tasks(by).filter(post=post).order_by(DUE_FIRST, "pk"))


def assignable_members(*, by: Membership) -> QuerySet[Membership]:
    """Members who may be given a task: those whose role sees tasks (``task.view``; not clients)."""
    roles = [str(role) for role in allowed_roles("task.view")]
    return (
        Membership.objects.filter(workspace=by.workspace, role__in=roles, user__is_active=True)
        .select_related("user")
        .order_by("user__full_name", "user__email")
    )


def assignee_membership(*, workspace_id: int, user_id: int) -> Membership | None:
    roles = [str(role) for role in allowed_roles("task.view")]
    return (
        Membership.objects.filter(
            workspace_id=workspace_id, user_id=user_id, role__in=roles, user__is_active=True
        )
        .select_related("user")
        .first()
    )


def overdue_unreminded(*, now: datetime, limit: int = 500) -> QuerySet[PostTask]:
    """Open tasks past their due date whose assignee has not been reminded yet (every workspace)."""
    return (
        PostTask.objects.filter(overdue_q(now), reminded_at__isnull=True, assignee__isnull=False)
        .select_related("assignee", "workspace", "post")
        .order_by("due_at", "pk")[:limit]
    )


# --- Notices ---------------------------------------------------------------------------------------


def notice_list(*, by: Membership, unread_only: bool = False) -> QuerySet[Notice]:
    """The member's own notices in this workspace: unread first, newest first."""
    notices = Notice.objects.filter(workspace=by.workspace, user_id=by.user_id)
    if unread_only:
        notices = notices.filter(read_at__isnull=True)
    return notices.order_by(UNREAD_FIRST, "-created_at", "-pk")


def unread_notice_count(*, by: Membership) -> int:
    return Notice.objects.filter(workspace=by.workspace, user_id=by.user_id, read_at__isnull=True).count()


def overdue_count(*, by: Membership, now: datetime | None = None) -> int:
    """The member's own open overdue tasks (0 for a role that does not see tasks)."""
    if not permissions.can(by, "task.view"):
        return 0
    return PostTask.objects.filter(overdue_q(now), workspace=by.workspace, assignee_id=by.user_id).count()


def my_badge_count(membership: Membership) -> int:
    """The sidebar badge: the member's open overdue tasks plus unread notices (two COUNT queries, one
    for a role that does not see tasks)."""
    return overdue_count(by=membership) + unread_notice_count(by=membership)

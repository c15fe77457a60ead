"""``{% tasks_panel post %}``: the tasks of a post on its page, with the add-task form for those who manage
tasks. Reads the member from the request (set by ``workspace_view``), so the post page's view need not
know about tasks; renders nothing for a role that does not see tasks (the client)."""

from __future__ import annotations

import json
from typing import Any

from django import template

from portevoix.content.models import Post
from portevoix.teamtasks import selectors
from portevoix.teamtasks.forms import TaskForm
from portevoix.workspaces import permissions

register = template.Library()


def suggestions_json() -> str:
    """{kind: [role, ...]}: whom the task form suggests first for each kind (docs/tasks.md)."""
    return json.dumps(
        {str(kind): [str(role) for role in roles] for kind, roles in selectors.SUGGESTED_ROLES.items()}
    )


@register.simple_tag
def task_suggestions() -> str:
    return suggestions_json()


@register.inclusion_tag("teamtasks/_panel.html", takes_context=True)
def tasks_panel(context: template.Context, post: Post) -> dict[str, Any]:
    request = context.get("request")
    membership = getattr(request, "membership", None)
    if membership is None or not permissions.can(membership, "task.view"):
        return {"show": False}
    tasks = selectors.for_viewer(membership, selectors.post_tasks(by=membership, post=post))
    can_manage = permissions.can(membership, "task.manage")
    return {
        "show": True,
        "request": request,
        "csrf_token": context.get("csrf_token"),
        "post": post,
        "tasks": tasks,
        "can_manage": can_manage,
        "form": TaskForm(members=selectors.assignable_members(by=membership)) if can_manage else None,
        "suggest": suggestions_json(),
    }

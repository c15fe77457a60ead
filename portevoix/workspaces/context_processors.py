"""Navigation for the workspace shell: the switcher, and only the sections this role can open."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from portevoix.workspaces import permissions, selectors

# (url name, label, permission). A section appears here only once it exists.
SECTIONS = [
    ("workspaces:dashboard", _("Overview"), "workspace.view"),
    ("planning:calendar", _("Content plan"), "post.view"),
    ("content:list", _("Posts"), "post.view"),
    ("approvals:pending", _("Approvals"), "post.approve"),
    ("teamtasks:my_tasks", _("My tasks"), "task.view"),
    # Staff read their notices on "My tasks"; a client, who has no tasks, gets the notices page itself.
    ("teamtasks:notices", _("Notices"), "workspace.view"),
    ("publishing:attention", _("Needs attention"), "publishing.attention"),
    ("channels:list", _("Channels"), "channel.view"),
    ("dashboards:page", _("Dashboards"), "analytics.view"),
    ("metrics:page", _("Metrics"), "analytics.view"),
    ("reports:page", _("Reports"), "analytics.view"),
    ("links:list", _("Tracked links"), "post.view"),
    ("analytics:page", _("Site tracker"), "analytics.view"),
    ("integrations:list", _("Integrations"), "analytics.view"),
    ("media:list", _("Media library"), "media.view"),
    ("workspaces:members", _("Team"), "member.view"),
    ("workspaces:audit", _("Audit log"), "audit.view"),
    ("workspaces:tokens", _("API tokens"), "token.manage"),
    ("workspaces:settings", _("Settings"), "workspace.update"),
]


# The content plan's pages, shown as tabs above each of them: (url name, label, permission, the URL names
# that belong to the tab).
PLAN_TABS = [
    ("planning:calendar", _("Calendar"), "post.view", {"calendar"}),
    ("planning:rubrics", _("Rubrics"), "post.view", {"rubrics", "rubric_edit"}),
    ("planning:queues", _("Queues"), "post.view", {"queues", "queue"}),
    (
        "planning:series_list",
        _("Recurring posts"),
        "post.view",
        {"series_list", "series_new", "series_detail", "series_edit"},
    ),
    ("planning:imports", _("Import and export"), "plan.import", {"imports", "import_detail"}),
    ("planning:feeds", _("Calendar feeds"), "post.view", {"feeds"}),
]


def _plan_tabs(request: HttpRequest, membership: Any) -> list[dict[str, Any]]:
    match = getattr(request, "resolver_match", None)
    if match is None or match.namespace != "planning":
        return []
    slug = membership.workspace.slug
    return [
        {"url": reverse(url_name, args=[slug]), "label": label, "current": match.url_name in names}
        for url_name, label, permission, names in PLAN_TABS
        if permissions.can(membership, permission)
    ]


def _attention_count(membership: Any) -> int:
    """The number on the "Needs attention" item (one COUNT query)."""
    from portevoix.publishing.selectors import attention_count

    return attention_count(workspace=membership.workspace)


def _tasks_badge(membership: Any) -> int:
    """Open overdue tasks plus unread notices (two COUNT queries)."""
    from portevoix.teamtasks.selectors import my_badge_count

    return my_badge_count(membership)


def workspace_nav(request: HttpRequest) -> dict[str, Any]:
    membership = getattr(request, "membership", None)
    if membership is None:
        return {}
    slug = membership.workspace.slug
    sections = []
    for url_name, label, permission in SECTIONS:
        if url_name == "teamtasks:notices" and permissions.can(membership, "task.view"):
            continue
        if permissions.can(membership, permission):
            url = reverse(url_name, args=[slug])
            current = request.path == url or (
                url_name == "planning:calendar" and request.path.startswith(url)  # every page of the plan
            )
            item = {"url": url, "label": label, "current": current}
            if url_name == "publishing:attention":
                item["badge"] = _attention_count(membership)
            elif url_name == "teamtasks:my_tasks":
                item["badge"] = _tasks_badge(membership)
            sections.append(item)
    return {
        "nav_workspace": membership.workspace,
        "nav_membership": membership,
        "nav_memberships": selectors.memberships_of(request.user),  # type: ignore[arg-type]
        "nav_sections": sections,
        "plan_tabs": _plan_tabs(request, membership),
    }

"""The approval panel of the post page: ``{% load approvals_tags %}{% approval_panel %}`` (the post and the
request come from the page's context)."""

from __future__ import annotations

from typing import Any

from django import template

from portevoix.approvals import selectors
from portevoix.approvals.models import ApprovalMode
from portevoix.content.models import ApprovalState
from portevoix.workspaces import permissions

register = template.Library()


@register.inclusion_tag("approvals/_post_panel.html", takes_context=True)
def approval_panel(context: template.Context) -> dict[str, Any]:
    request = context["request"]
    post = context["post"]
    membership = request.membership
    approval = selectors.post_approval(by=membership, post=post)
    for decision in approval.decisions:
        decision.label = selectors.step_label(decision)  # type: ignore[attr-defined]
    submittable = approval.mode != ApprovalMode.NONE and approval.state in (
        ApprovalState.DRAFT,
        ApprovalState.NOT_REQUIRED,
        ApprovalState.CHANGES_REQUESTED,
    )
    return {
        "request": request,
        "slug": membership.workspace.slug,
        "post": post,
        "approval": approval,
        "approval_superseded": approval.state in (ApprovalState.DRAFT, ApprovalState.NOT_REQUIRED),
        "comments": selectors.post_comments(post=post),
        "can_submit": submittable and permissions.can(membership, "post.submit"),
        "can_decide": approval.current is not None and selectors.may_decide(membership, approval.current),
        "can_comment": permissions.can(membership, "comment.write"),
        "csrf_token": context.get("csrf_token"),
    }

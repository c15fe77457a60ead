"""Access-matrix entries for approvals (see tests/matrix/__init__.py)."""

from __future__ import annotations

from typing import Any

from portevoix.approvals import services
from portevoix.approvals.models import ApprovalStep
from portevoix.workspaces.roles import Role

EVERYONE = frozenset(Role)
LEADS = frozenset({Role.OWNER, Role.MANAGER})  # approval.manage
CREATORS = frozenset({Role.OWNER, Role.MANAGER, Role.COPYWRITER, Role.DESIGNER})  # post.submit


def _optional_post(world: Any, role: Role) -> int:
    """A post of the workspace, in a workspace where approval is optional (so it may be submitted)."""
    services.policy_set(by=world.team.member(Role.OWNER), mode="optional")
    return world.own_post().pk


def _pending_for(world: Any, role: Role) -> int:
    """A post awaiting a step that ``role`` decides (post.approve is everyone's, at their own steps)."""
    services.policy_set(by=world.team.member(Role.OWNER), mode="required", steps=[services.StepIn(role=role)])
    post = world.own_post()
    services.post_submit(by=world.team.member(Role.OWNER), post=post)
    return post.pk


def _own_step(world: Any, role: Role) -> int:
    return ApprovalStep.objects.create(workspace=world.team.workspace, name="Matrix step", position=9).pk


def _foreign_step(world: Any) -> ApprovalStep:
    return ApprovalStep.objects.create(workspace=world.other.workspace, name="Their step")


def _foreign_post(world: Any) -> Any:
    return world.foreign_post()


API_EXPECTED = {
    ("GET", "/api/v1/approval-policy"): EVERYONE,  # post.view
    ("PUT", "/api/v1/approval-policy"): LEADS,
    ("POST", "/api/v1/posts/{id}/submit"): CREATORS,
    ("POST", "/api/v1/posts/{id}/approve"): EVERYONE,  # at the steps of one's role or oneself (test_flow.py)
    ("POST", "/api/v1/posts/{id}/request-changes"): EVERYONE,
    ("GET", "/api/v1/posts/{id}/approvals"): EVERYONE,
    ("GET", "/api/v1/posts/{id}/comments"): EVERYONE,
    ("POST", "/api/v1/posts/{id}/comments"): EVERYONE,  # comment.write
    ("GET", "/api/v1/approvals/pending"): EVERYONE,  # post.approve
}

API_IDS = {
    "/api/v1/posts/{id}/submit": (_optional_post, _foreign_post),
    "/api/v1/posts/{id}/approve": (_pending_for, _foreign_post),
    "/api/v1/posts/{id}/request-changes": (_pending_for, _foreign_post),
    "/api/v1/posts/{id}/approvals": (lambda w, role: w.own_post().pk, _foreign_post),
    "/api/v1/posts/{id}/comments": (lambda w, role: w.own_post().pk, _foreign_post),
}

API_BODIES = {
    ("PUT", "/api/v1/approval-policy"): {"mode": "optional"},
    ("POST", "/api/v1/posts/{id}/approve"): {"note": ""},
    ("POST", "/api/v1/posts/{id}/request-changes"): {"note": "Another photo, please."},
    ("POST", "/api/v1/posts/{id}/comments"): {"body": "Looks good"},
}

HTML_EXPECTED = {
    ("approvals:pending", "GET"): EVERYONE,
    ("approvals:settings", "GET"): LEADS,
    ("approvals:settings", "POST"): LEADS,
    ("approvals:step_add", "POST"): LEADS,
    ("approvals:step_delete", "POST"): LEADS,
    ("approvals:step_move", "POST"): LEADS,
    ("approvals:submit", "POST"): CREATORS,
    ("approvals:decide", "POST"): EVERYONE,  # the action refuses (with a message) at a step not one's own
    ("approvals:comment", "POST"): EVERYONE,
}

HTML_IDS = {
    "step_id": (_own_step, _foreign_step),
}

HTML_POST_DATA = {
    "approvals:settings": {"mode": "optional", "remind_after_hours": 24, "client_link_days": 7},
    "approvals:step_add": {"kind": "leads", "name": "Matrix"},
    "approvals:step_move": {"direction": "up"},
    "approvals:decide": {"decision": "approve"},
    "approvals:comment": {"body": "Looks good"},
}

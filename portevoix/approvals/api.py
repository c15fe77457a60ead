"""The approvals API: the workspace's policy, submitting a post, deciding its current step, its approval
state, comments, and the posts awaiting the caller's decision. Thin: services and selectors check the role
and the workspace."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Path, Query, Router, Status

from portevoix.approvals import selectors, services
from portevoix.approvals.models import Comment, Decision
from portevoix.approvals.schemas import (
    ApprovalOut,
    CommentIn,
    CommentOut,
    CommentPage,
    NoteIn,
    PendingList,
    PolicyIn,
    PolicyOut,
)
from portevoix.content import selectors as content_selectors
from portevoix.content.models import Post
from portevoix.core.api import MAX_ID, PageParams, error_responses, paginate
from portevoix.workspaces import permissions
from portevoix.workspaces.api_auth import API_AUTH, member
from portevoix.workspaces.models import Membership

router = Router(auth=API_AUTH, tags=["approvals"])

ID = Path(..., ge=1, le=MAX_ID, description="The post's id.")


def _policy_out(membership: Membership) -> dict[str, Any]:
    policy = selectors.policy_for(membership.workspace)
    return {
        "mode": policy.mode,
        "remind_after_hours": policy.remind_after_hours,
        "client_link_days": policy.client_link_days,
        "steps": [
            {
                "id": step.pk,
                "position": step.position,
                "name": step.display_name,
                "role": step.role,
                "user_id": step.user_id,
                "by_client": step.by_client,
                "client_email": step.client_email,
                "label": selectors.step_label(step),
            }
            for step in selectors.policy_steps(membership.workspace)
        ],
    }


def _decision_out(decision: Decision) -> dict[str, Any]:
    return {
        "id": decision.pk,
        "round": decision.round,
        "position": decision.position,
        "step_name": decision.display_name,
        "role": decision.role,
        "user_id": decision.user_id,
        "by_client": decision.by_client,
        "client_email": decision.client_email,
        "state": decision.state,
        "decided_by_id": decision.decided_by_id,
        "decided_by_name": decision.decided_by_name,
        "decided_at": decision.decided_at,
        "note": decision.note,
        "label": selectors.step_label(decision),
    }


def _approval_out(membership: Membership, post: Post) -> dict[str, Any]:
    post.refresh_from_db()
    approval = selectors.post_approval(by=membership, post=post)
    return {
        "post_id": post.pk,
        "mode": approval.mode,
        "state": approval.state,
        "round": approval.round,
        "decisions": [_decision_out(d) for d in approval.decisions],
        "current_step": _decision_out(approval.current) if approval.current else None,
    }


def _comment_out(comment: Comment) -> dict[str, Any]:
    return {
        "id": comment.pk,
        "post_id": comment.post_id,
        "author_id": comment.author_id,
        "author_name": comment.author.display_name if comment.author else comment.author_name,
        "body": comment.body,
        "mentions": sorted(user.pk for user in comment.mentions.all()),
        "created_at": comment.created_at,
    }


@router.get(
    "/approval-policy",
    response={200: PolicyOut, **error_responses(403)},
    summary="The workspace's approval policy and its steps",
)
def approval_policy_get(request: HttpRequest) -> dict[str, Any]:
    membership = member(request)
    permissions.require(membership, "post.view")
    return _policy_out(membership)


@router.put(
    "/approval-policy",
    response={200: PolicyOut, **error_responses(403)},
    summary="Set the approval policy (mode, reminders, client link validity, steps)",
    description="`required` has exactly one step (a default one, any owner or SMM manager, is added when "
    "there are none); `multi_step` two or more, decided in order. `steps` replaces every step; omit it to "
    "keep them. Posts already submitted keep the steps of their round. See docs/approvals.md.",
)
def approval_policy_put(request: HttpRequest, payload: PolicyIn) -> dict[str, Any]:
    membership = member(request)
    steps = (
        [services.StepIn(**step.model_dump()) for step in payload.steps]
        if payload.steps is not None
        else None
    )
    services.policy_set(
        by=membership,
        mode=payload.mode,
        remind_after_hours=payload.remind_after_hours,
        client_link_days=payload.client_link_days,
        steps=steps,
    )
    return _policy_out(membership)


@router.post(
    "/posts/{id}/submit",
    response={200: ApprovalOut, **error_responses(403, 404, 409)},
    summary="Send a post for approval",
    description="Starts a new round with the policy's steps; the first step's approvers are told (a "
    "client step gets its link by e-mail at once). 409 when approval is off, the post is already awaiting "
    "approval or approved.",
)
def approval_submit(request: HttpRequest, id: int = ID) -> dict[str, Any]:
    membership = member(request)
    post = content_selectors.post_get(by=membership, post_id=id)
    services.post_submit(by=membership, post=post)
    return _approval_out(membership, post)


@router.post(
    "/posts/{id}/approve",
    response={200: ApprovalOut, **error_responses(403, 404, 409)},
    summary="Approve the post's current step",
    description="403 when the current step is for another role or person (or the client's); 409 when the "
    "post is not awaiting approval. After the last step the post is approved and its targets awaiting "
    "approval are scheduled.",
)
def approval_approve(request: HttpRequest, payload: NoteIn, id: int = ID) -> dict[str, Any]:
    membership = member(request)
    post = content_selectors.post_get(by=membership, post_id=id)
    services.decision_approve(by=membership, post=post, note=payload.note)
    return _approval_out(membership, post)


@router.post(
    "/posts/{id}/request-changes",
    response={200: ApprovalOut, **error_responses(403, 404, 409)},
    summary="Ask for changes at the post's current step",
    description="`note` is required (422 without it). The author is told; the post's targets keep waiting.",
)
def approval_request_changes(request: HttpRequest, payload: NoteIn, id: int = ID) -> dict[str, Any]:
    membership = member(request)
    post = content_selectors.post_get(by=membership, post_id=id)
    services.decision_request_changes(by=membership, post=post, note=payload.note)
    return _approval_out(membership, post)


@router.get(
    "/posts/{id}/approvals",
    response={200: ApprovalOut, **error_responses(403, 404)},
    summary="A post's approval state and the steps of its latest round",
)
def approval_get(request: HttpRequest, id: int = ID) -> dict[str, Any]:
    membership = member(request)
    post = content_selectors.post_get(by=membership, post_id=id)
    return _approval_out(membership, post)


@router.get(
    "/posts/{id}/comments",
    response={200: CommentPage, **error_responses(403, 404)},
    summary="A post's comments, oldest first (the client's too)",
)
def comment_list(request: HttpRequest, params: Query[PageParams], id: int = ID) -> dict[str, Any]:
    membership = member(request)
    post = content_selectors.post_get(by=membership, post_id=id)
    page = paginate(selectors.comment_list(by=membership, post=post), params)
    page["items"] = [_comment_out(comment) for comment in page["items"]]
    return page


@router.post(
    "/posts/{id}/comments",
    response={201: CommentOut, **error_responses(403, 404)},
    summary="Comment on a post; mentioned members are told",
)
def comment_create(request: HttpRequest, payload: CommentIn, id: int = ID) -> Status[Any]:
    membership = member(request)
    post = content_selectors.post_get(by=membership, post_id=id)
    comment = services.comment_add(by=membership, post=post, body=payload.body)
    return Status(201, _comment_out(comment))


@router.get(
    "/approvals/pending",
    response={200: PendingList, **error_responses(403)},
    summary="Posts whose current step awaits the caller's decision",
)
def approval_pending(request: HttpRequest) -> dict[str, Any]:
    membership = member(request)
    awaiting = selectors.awaiting_decision(by=membership)
    return {
        "items": [
            {
                "post_id": item.post.pk,
                "title": str(item.post),
                "scheduled_at": item.post.scheduled_at,
                "step": _decision_out(item.decision),
            }
            for item in awaiting
        ]
    }

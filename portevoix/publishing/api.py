"""The publishing API: what needs attention, a person's actions on one target (retry, mark published,
mark not published, cancel) and the workspace's notifications. Thin: selectors and services check the role
and write the audit entries; an id of another workspace answers 404."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Path, Query, Router

from portevoix.channels.models import Channel
from portevoix.core.api import MAX_ID, PageParams, error_responses
from portevoix.core.errors import NotFound
from portevoix.publishing import selectors, services, states
from portevoix.publishing.models import Notification, Target, TargetState
from portevoix.publishing.schemas import (
    AttentionPage,
    MarkPublishedIn,
    MarkReadIn,
    MarkReadOut,
    NotificationPage,
    NotificationParams,
    TargetOut,
)
from portevoix.publishing.states import Event
from portevoix.workspaces import permissions
from portevoix.workspaces.api_auth import API_AUTH, member
from portevoix.workspaces.models import Membership

router = Router(auth=API_AUTH)

ID = Path(..., ge=1, le=MAX_ID, description="The target's id.")

_ACTIONS = (
    ("retry", Event.RETRY),
    ("mark_published", Event.MARK_PUBLISHED),
    ("mark_not_published", Event.MARK_NOT_PUBLISHED),
    ("cancel", Event.CANCEL),
)


def _channel(channel: Channel) -> dict[str, Any]:
    return {"id": channel.pk, "network": channel.network, "name": channel.name}


def _target_out(target: Target) -> dict[str, Any]:
    return {
        "id": target.pk,
        "post_id": target.post_id,
        "channel": _channel(target.channel),
        "state": target.state,
        "state_label": str(TargetState(target.state).label),
        "due_at": target.due_at,
        "published_at": target.published_at,
        "remote_url": target.remote_url,
        "error_code": target.error_code,
        "error_message": target.error_message,
    }


def _attention_item(target: Target, reason: str) -> dict[str, Any]:
    actions = [
        name
        for name, event in _ACTIONS
        if target.state in states.sources(event) and not (event == Event.CANCEL and target.reconcile_since)
    ]
    return {
        **_target_out(target),
        "reason": reason,
        "attempt_count": target.attempt_count,
        "advice": selectors.target_advice(target),
        "actions": actions,
    }


def _target(membership: Membership, target_id: int) -> Target:
    found = (
        Target.objects.filter(workspace=membership.workspace, pk=target_id).select_related("channel").first()
    )
    if found is None:
        raise NotFound(_("No such target in this workspace."))
    return found


# --- Needs attention ------------------------------------------------------------------------------


@router.get(
    "/attention",
    response={200: AttentionPage, **error_responses(403, 404)},
    tags=["publishing"],
    summary="What needs a person: failed, unconfirmed, retrying and long-pending posts, and channels",
    description="Targets (one post on one channel) with the reason they are listed, the last error in "
    "plain words, what to do, and the actions allowed now. Channels needing reconnection come in "
    "`channels`. Owners and managers only.",
)
def attention(request: HttpRequest, params: Query[PageParams]) -> dict[str, Any]:
    membership = member(request)
    permissions.require(membership, "publishing.attention")
    found = selectors.needs_attention(workspace=membership.workspace)
    items = [
        _attention_item(target, reason)
        for reason, targets in (
            ("failed", found.failed),
            ("unconfirmed", found.unconfirmed),
            ("struggling", found.struggling),
            ("pending", found.pending),
        )
        for target in targets
    ]
    return {
        "items": items[params.offset : params.offset + params.limit],
        "count": len(items),
        "limit": params.limit,
        "offset": params.offset,
        "channels": [
            {
                **_channel(channel),
                "status": channel.status,
                "status_label": str(channel.get_status_display()),
                "token_expires_at": channel.token_expires_at,
            }
            for channel in found.channels
        ],
    }


# --- Actions on one target ------------------------------------------------------------------------


@router.post(
    "/targets/{id}/retry",
    response={200: TargetOut, **error_responses(403, 404, 409)},
    tags=["publishing"],
    summary="Send again a failed or unconfirmed post",
    description="409 when the target is in another state; 422 when its channel needs reconnecting.",
)
def target_retry(request: HttpRequest, id: int = ID) -> dict[str, Any]:
    membership = member(request)
    target = services.target_retry(target=_target(membership, id), by=membership)
    return _target_out(target)


@router.post(
    "/targets/{id}/mark-published",
    response={200: TargetOut, **error_responses(403, 404, 409)},
    tags=["publishing"],
    summary="A person found the post on the network: record its address",
    description="For a failed or unconfirmed target; `url` must be an http(s) address.",
)
def target_mark_published(request: HttpRequest, payload: MarkPublishedIn, id: int = ID) -> dict[str, Any]:
    membership = member(request)
    target = services.target_mark_published_manually(
        target=_target(membership, id), url=payload.url, by=membership
    )
    return _target_out(target)


@router.post(
    "/targets/{id}/mark-not-published",
    response={200: TargetOut, **error_responses(403, 404, 409)},
    tags=["publishing"],
    summary="A person checked the network: an unconfirmed post is not there (it becomes failed)",
)
def target_mark_not_published(request: HttpRequest, id: int = ID) -> dict[str, Any]:
    membership = member(request)
    target = services.target_mark_not_published(target=_target(membership, id), by=membership)
    return _target_out(target)


@router.post(
    "/targets/{id}/cancel",
    response={200: TargetOut, **error_responses(403, 404, 409)},
    tags=["publishing"],
    summary="Cancel a post on one channel before it reaches the network",
)
def target_cancel(request: HttpRequest, id: int = ID) -> dict[str, Any]:
    membership = member(request)
    target = services.target_cancel(target=_target(membership, id), by=membership)
    return _target_out(target)


# --- Notifications --------------------------------------------------------------------------------


def _notification_out(notification: Notification) -> dict[str, Any]:
    return {
        "id": notification.pk,
        "kind": notification.kind,
        "kind_label": str(notification.get_kind_display()),
        "title": notification.display_title,
        "message": notification.display_message,
        "channel_id": notification.channel_id,
        "created_at": notification.created_at,
        "read_at": notification.read_at,
    }


@router.get(
    "/notifications",
    response={200: NotificationPage, **error_responses(403, 404)},
    tags=["publishing"],
    summary="The workspace's alerts, newest first",
)
def notification_list(request: HttpRequest, params: Query[NotificationParams]) -> dict[str, Any]:
    membership = member(request)
    permissions.require(membership, "post.view")
    found = Notification.objects.filter(workspace=membership.workspace).select_related("channel")
    if params.unread:
        found = found.filter(read_at__isnull=True)
    found = found.order_by("-created_at", "-pk")
    return {
        "items": [_notification_out(n) for n in found[params.offset : params.offset + params.limit]],
        "count": found.count(),
        "limit": params.limit,
        "offset": params.offset,
    }


@router.post(
    "/notifications/read",
    response={200: MarkReadOut, **error_responses(403, 404)},
    tags=["publishing"],
    summary="Mark alerts as read (all of them without `ids`)",
    description="Ids of other workspaces are ignored.",
)
def notifications_read(request: HttpRequest, payload: MarkReadIn) -> dict[str, Any]:
    marked = services.notifications_mark_read(by=member(request), ids=payload.ids)
    return {"marked": marked}

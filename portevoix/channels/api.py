"""The channels API: the networks Portevoix can connect, and the workspace's channels (connect with a
form's values, test, reconnect, rename, disconnect). Thin: selectors and services check the role.
Credentials go in, never out."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Path, Query, Router, Status

from portevoix.channels import catalog, selectors, services
from portevoix.channels.catalog import Network
from portevoix.channels.schemas import (
    ChannelCreateIn,
    ChannelListParams,
    ChannelOut,
    ChannelPage,
    ChannelReconnectIn,
    ChannelTestOut,
    ChannelUpdateIn,
    NetworkList,
)
from portevoix.core.api import MAX_ID, error_responses, paginate
from portevoix.workspaces import permissions
from portevoix.workspaces.api_auth import API_AUTH, member

router = Router(auth=API_AUTH)

ID = Path(..., ge=1, le=MAX_ID, description="The channel's id.")


def _network_out(net: Network) -> dict[str, Any]:
    return {
        "key": net.key,
        "label": net.label,
        "auth": str(net.auth_kind),
        "fields": [
            {
                "name": credential.name,
                "label": catalog.field_label(credential),
                "is_secret": credential.secret,
                "required": credential.required,
                "help": catalog.field_help(credential),
            }
            for credential in net.fields
        ]
        if not net.is_manual
        else [
            {"name": "name", "label": _("Name"), "is_secret": False, "required": True, "help": ""},
            {"name": "url", "label": _("Profile address"), "is_secret": False, "required": False, "help": ""},
        ],
        "sign_in": net.oauth_available,
        "default_base_url": net.default_base_url,
        "base_url_required": net.base_url_required,
        "capabilities": [str(capability) for capability in net.capabilities],
        "limits": net.limits,
        "docs_url": net.docs_url,
    }


@router.get(
    "/networks",
    response={200: NetworkList, **error_responses(403, 404)},
    tags=["channels"],
    summary="The networks this server can connect, as their connectors declare them",
)
def network_list(request: HttpRequest) -> dict[str, Any]:
    permissions.require(member(request), "channel.view")
    return {"items": [_network_out(net) for net in catalog.networks()]}


@router.get(
    "/channels",
    response={200: ChannelPage, **error_responses(403, 404)},
    tags=["channels"],
    summary="List the workspace's channels (connected accounts) with their health",
)
def channel_list(request: HttpRequest, params: Query[ChannelListParams]) -> dict[str, Any]:
    channels = selectors.channel_list(by=member(request), status=params.status, network=params.network)
    return paginate(channels, params)


@router.get(
    "/channels/{id}",
    response={200: ChannelOut, **error_responses(403, 404)},
    tags=["channels"],
    summary="One channel",
)
def channel_get(request: HttpRequest, id: int = ID) -> Any:
    membership = member(request)
    channel = selectors.channel_get(by=membership, channel_id=id)  # 404 first: foreign ids not disclosed
    permissions.require(membership, "channel.view")
    return channel


@router.post(
    "/channels",
    response={201: ChannelOut, **error_responses(403, 404)},
    tags=["channels"],
    summary="Connect a channel with its network's connect fields",
    description="`fields` are the network's declared fields (GET /api/v1/networks). The credentials are "
    "checked with the network first; a failure answers 422 with the network's explanation. Networks "
    "without fields connect by signing in, in the web interface. Connecting an account already "
    "connected in the workspace answers 422.",
)
def channel_create(request: HttpRequest, payload: ChannelCreateIn) -> Status[Any]:
    channel = services.channel_connect(
        by=member(request), network=payload.network, fields=payload.fields, base_url=payload.base_url
    )
    return Status(201, channel)


@router.patch(
    "/channels/{id}",
    response={200: ChannelOut, **error_responses(403, 404)},
    tags=["channels"],
    summary="Rename a channel",
)
def channel_update(request: HttpRequest, payload: ChannelUpdateIn, id: int = ID) -> Any:
    membership = member(request)
    channel = selectors.channel_get(by=membership, channel_id=id)
    return services.channel_rename(by=membership, channel=channel, name=payload.name)


@router.post(
    "/channels/{id}/test",
    response={200: ChannelTestOut, **error_responses(403, 404)},
    tags=["channels"],
    summary="Test a channel's connection now",
    description="A failed check is not an error of the request: it answers 200 with `ok: false`, the "
    "reason, and the channel's new status.",
)
def channel_test(request: HttpRequest, id: int = ID) -> dict[str, Any]:
    membership = member(request)
    channel = selectors.channel_get(by=membership, channel_id=id)
    result = services.channel_test(by=membership, channel=channel)
    return {"ok": result.ok, "message": result.message, "channel": channel}


@router.post(
    "/channels/{id}/reconnect",
    response={200: ChannelOut, **error_responses(403, 404)},
    tags=["channels"],
    summary="Give a channel new credentials (the same account)",
)
def channel_reconnect(request: HttpRequest, payload: ChannelReconnectIn, id: int = ID) -> Any:
    membership = member(request)
    channel = selectors.channel_get(by=membership, channel_id=id)
    return services.channel_reconnect(
        by=membership, channel=channel, fields=payload.fields, base_url=payload.base_url
    )


@router.delete(
    "/channels/{id}",
    response={204: None, **error_responses(403, 404)},
    tags=["channels"],
    summary="Disconnect a channel",
    description="Deletes its credentials; the channel stays, with status disconnected, for the history "
    "of its posts. Connecting the same account again brings it back.",
)
def channel_disconnect(request: HttpRequest, id: int = ID) -> Status[None]:
    membership = member(request)
    channel = selectors.channel_get(by=membership, channel_id=id)
    services.channel_disconnect(by=membership, channel=channel)
    return Status(204, None)

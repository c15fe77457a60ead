"""Connecting channels (with a form's values or the tokens of a sign-in), reconnecting, renaming and
disconnecting them."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portevoix.channels import runtime
from portevoix.channels.catalog import Network
from portevoix.channels.models import Channel, ChannelStatus
from portevoix.channels.oauth import Grant
from portevoix.channels.services.common import (
    EXTERNAL_ID_FIELD,
    account_fields,
    account_name,
    check_own,
    clean_base_url,
    clean_fields,
    clean_name,
    declared_network,
    manual_account,
    non_secret,
    verify_account,
)
from portevoix.channels.services.refresh import refresh_due_at
from portevoix.connectors.types import AccountInfo, ChannelConfig
from portevoix.core.errors import ValidationFailed
from portevoix.workspaces import audit, permissions
from portevoix.workspaces.models import Membership

# --- Connect --------------------------------------------------------------------------------------


def channel_connect(
    *, by: Membership, network: str, fields: Mapping[str, Any] | None, base_url: str | None = None
) -> Channel:
    """Connect an account with the values of the connector's connect form (a token, an app password, a
    webhook address...). The credentials are checked with the network before anything is stored."""
    permissions.require(by, "channel.manage")
    net = declared_network(network)
    if net.is_manual:
        return _connect_manual(by=by, net=net, fields=fields)
    if not net.fields:
        raise ValidationFailed(
            _(
                "%(network)s connects by signing in on the network: use Connect a channel in the web "
                "interface."
            )
            % {"network": net.label},
            fields={"network": [_("This network has no connect form.")]},
        )
    values = clean_fields(net, fields)
    address = clean_base_url(net, base_url)
    config = ChannelConfig(
        external_id=values.get(EXTERNAL_ID_FIELD, ""),
        credentials=values,
        base_url=address,
        options=non_secret(net, values),
    )
    info = verify_account(net, config)
    return _store_new(
        by=by,
        net=net,
        info=info,
        credentials=values,
        options=config.options,
        base_url=address,
        token_expires_at=None,
    )


def _connect_manual(*, by: Membership, net: Network, fields: Mapping[str, Any] | None) -> Channel:
    given = dict(fields or {})
    name = clean_name(str(given.get("name") or ""))
    url = str(given.get("url") or "").strip()
    if url and (not url.startswith(("https://", "http://")) or len(url) > 500):
        raise ValidationFailed(
            _("Please correct the highlighted fields."),
            fields={"url": [_("Enter an address that starts with https:// (or http://).")]},
        )
    info = manual_account({"name": name, "url": url})
    return _store_new(
        by=by, net=net, info=info, credentials={}, options={}, base_url="", token_expires_at=None
    )


def channel_connect_oauth(*, by: Membership, network: str, grant: Grant) -> Channel:
    """Connect an account from the tokens of a sign-in (oauth.py), after checking them with ``verify()``."""
    permissions.require(by, "channel.manage")
    net = declared_network(network)
    credentials = runtime.plain_credentials(dict(grant.credentials))
    options = {str(k): str(v) for k, v in grant.options.items()}
    config = ChannelConfig(
        external_id=grant.external_id, credentials=credentials, base_url=grant.base_url, options=options
    )
    info = verify_account(net, config)
    return _store_new(
        by=by,
        net=net,
        info=info,
        credentials=credentials,
        options=options,
        base_url=grant.base_url,
        token_expires_at=grant.token_expires_at,
    )


def _duplicate(existing: Channel) -> ValidationFailed:
    return ValidationFailed(
        _(
            "This account is already connected in this workspace as “%(name)s”. To give it new credentials, "
            "use Reconnect on that channel."
        )
        % {"name": existing.name}
    )


def _store_new(
    *,
    by: Membership,
    net: Network,
    info: AccountInfo,
    credentials: Mapping[str, str],
    options: Mapping[str, str],
    base_url: str,
    token_expires_at: datetime | None,
) -> Channel:
    external_id = str(info.external_id).strip()[:200]
    now = timezone.now()
    values: dict[str, Any] = {
        "name": account_name(net, info),
        **account_fields(net, info),
        "base_url": base_url,
        "credentials": dict(credentials),
        "options": dict(options),
        "status": ChannelStatus.ACTIVE,
        "token_expires_at": token_expires_at,
        "refresh_due_at": refresh_due_at(token_expires_at),
        "last_error": "",
        "last_checked_at": now,
        "refresh_claim": "",
        "refresh_claimed_until": None,
    }
    try:
        with transaction.atomic():
            existing = (
                Channel.objects.select_for_update()
                .filter(workspace=by.workspace, network=net.key, external_id=external_id)
                .first()
            )
            if existing is not None and existing.status != ChannelStatus.DISCONNECTED:
                raise _duplicate(existing)
            if existing is not None:
                # Connecting a disconnected account again brings its channel (and history) back.
                for name, value in values.items():
                    setattr(existing, name, value)
                existing.created_by = by.user
                existing.save()
                channel = existing
            else:
                channel = Channel.objects.create(
                    workspace=by.workspace,
                    network=net.key,
                    external_id=external_id,
                    created_by=by.user,
                    **values,
                )
            audit.record(
                actor=by.user,
                action="channel.connect",
                workspace=by.workspace,
                obj=channel,
                network=net.key,
                external_id=external_id,
                name=channel.name,
                again=existing is not None,
            )
    except IntegrityError:
        # Someone connected the same account at the same moment.
        existing = Channel.objects.filter(
            workspace=by.workspace, network=net.key, external_id=external_id
        ).first()
        if existing is None:
            raise
        raise _duplicate(existing) from None
    return channel


# --- Reconnect, rename, disconnect ----------------------------------------------------------------


def _other_account(channel: Channel, info: AccountInfo) -> ValidationFailed:
    return ValidationFailed(
        _(
            "These credentials belong to another account (%(account)s), not to “%(name)s”. Connect that "
            "account as a new channel, or use the credentials of “%(name)s”."
        )
        % {"account": info.name or info.handle or info.external_id, "name": channel.name}
    )


def channel_reconnect(
    *, by: Membership, channel: Channel, fields: Mapping[str, Any] | None, base_url: str | None = None
) -> Channel:
    """Give an existing channel new credentials (same account), e.g. after a revoked token."""
    permissions.require(by, "channel.manage")
    check_own(by, channel)
    net = declared_network(channel.network)
    if net.is_manual:
        raise ValidationFailed(_("A manual channel has no credentials to renew."))
    if not net.fields:
        raise ValidationFailed(
            _("%(network)s reconnects by signing in on the network: use Reconnect in the web interface.")
            % {"network": net.label}
        )
    values = clean_fields(net, fields)
    # Omitted: the channel's address, checked when it was connected (and by the transport at each request).
    address = clean_base_url(net, base_url) if base_url else channel.base_url
    config = ChannelConfig(
        external_id=channel.external_id,
        credentials=values,
        base_url=address,
        options=non_secret(net, values),
    )
    info = verify_account(net, config)
    return _store_again(
        by=by,
        channel=channel,
        net=net,
        info=info,
        credentials=values,
        options=config.options,
        base_url=address,
        token_expires_at=None,
    )


def channel_reconnect_oauth(*, by: Membership, channel: Channel, grant: Grant) -> Channel:
    permissions.require(by, "channel.manage")
    check_own(by, channel)
    net = declared_network(channel.network)
    credentials = runtime.plain_credentials(dict(grant.credentials))
    options = {str(k): str(v) for k, v in grant.options.items()}
    config = ChannelConfig(
        external_id=grant.external_id or channel.external_id,
        credentials=credentials,
        base_url=grant.base_url,
        options=options,
    )
    info = verify_account(net, config)
    return _store_again(
        by=by,
        channel=channel,
        net=net,
        info=info,
        credentials=credentials,
        options=options,
        base_url=grant.base_url,
        token_expires_at=grant.token_expires_at,
    )


def _store_again(
    *,
    by: Membership,
    channel: Channel,
    net: Network,
    info: AccountInfo,
    credentials: Mapping[str, str],
    options: Mapping[str, str],
    base_url: str,
    token_expires_at: datetime | None,
) -> Channel:
    if str(info.external_id).strip() != channel.external_id:
        raise _other_account(channel, info)
    with transaction.atomic():
        channel.credentials = dict(credentials)
        channel.options = dict(options)
        channel.base_url = base_url
        channel.status = ChannelStatus.ACTIVE
        channel.token_expires_at = token_expires_at
        channel.refresh_due_at = refresh_due_at(token_expires_at)
        channel.last_error = ""
        channel.last_checked_at = timezone.now()
        channel.refresh_claim = ""
        channel.refresh_claimed_until = None
        for name, value in account_fields(net, info).items():
            setattr(channel, name, value)
        channel.save()
        audit.record(actor=by.user, action="channel.reconnect", workspace=by.workspace, obj=channel)
    return channel


def channel_rename(*, by: Membership, channel: Channel, name: str) -> Channel:
    permissions.require(by, "channel.manage")
    check_own(by, channel)
    new_name = clean_name(name)
    if new_name == channel.name:
        return channel
    with transaction.atomic():
        old_name = channel.name
        channel.name = new_name
        channel.save(update_fields=["name", "updated_at"])
        audit.record(
            actor=by.user,
            action="channel.update",
            workspace=by.workspace,
            obj=channel,
            old_name=old_name,
            name=new_name,
        )
    return channel


def channel_disconnect(*, by: Membership, channel: Channel) -> Channel:
    """Forget the credentials; the channel stays (status disconnected) for its posts' history."""
    permissions.require(by, "channel.manage")
    check_own(by, channel)
    if channel.status == ChannelStatus.DISCONNECTED and channel.credentials is None:
        return channel
    with transaction.atomic():
        channel.credentials = None
        channel.status = ChannelStatus.DISCONNECTED
        channel.token_expires_at = None
        channel.refresh_due_at = None
        channel.last_error = ""
        channel.refresh_claim = ""
        channel.refresh_claimed_until = None
        channel.save()
        audit.record(actor=by.user, action="channel.disconnect", workspace=by.workspace, obj=channel)
    return channel

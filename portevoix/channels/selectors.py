"""Reads for channels, always scoped to the caller's workspace, and the channel health rules.

A channel *needs attention* when a person should look at it:
- it needs reconnecting, or its last check failed (status ``needs_reauth`` or ``error``, or an active
  channel whose last check left an error);
- its access expires within 7 days and Portevoix cannot renew it by itself (no token refresh for that
  network), or its access has already expired.
Disconnected channels are kept for their history and never need attention: someone chose to disconnect.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from portevoix.channels import oauth
from portevoix.channels.models import Channel, ChannelStatus
from portevoix.channels.runtime import connector_class, connector_refreshes
from portevoix.core.errors import NotFound
from portevoix.workspaces import permissions
from portevoix.workspaces.models import Membership

EXPIRY_WARNING = timedelta(days=7)


def refreshable_networks() -> set[str]:
    """Networks whose tokens Portevoix renews itself (an OAuth adapter or the connector refreshes)."""
    from portevoix.connectors import registry

    found = set()
    for cls in registry.all_connectors():
        adapter = oauth.adapter_for(cls.key)
        if connector_refreshes(cls) or (adapter is not None and adapter.can_refresh):
            found.add(cls.key)
    return found


def can_refresh(network: str) -> bool:
    cls = connector_class(network)
    if cls is None:
        return False
    adapter = oauth.adapter_for(network)
    return connector_refreshes(cls) or (adapter is not None and adapter.can_refresh)


def attention_filter(*, now: datetime | None = None) -> Q:
    """The "needs attention" rule as a query (counts, lists, the dashboard)."""
    now = now or timezone.now()
    return ~Q(status=ChannelStatus.DISCONNECTED) & (
        Q(status__in=[ChannelStatus.NEEDS_REAUTH, ChannelStatus.ERROR])
        | ~Q(last_error="")
        | Q(token_expires_at__lte=now)
        | (Q(token_expires_at__lte=now + EXPIRY_WARNING) & ~Q(network__in=refreshable_networks()))
    )


@dataclass(frozen=True)
class Health:
    needs_attention: bool
    reasons: list[str]


def channel_health(channel: Channel, *, now: datetime | None = None) -> Health:
    now = now or timezone.now()
    reasons: list[str] = []
    if channel.status == ChannelStatus.DISCONNECTED:
        return Health(needs_attention=False, reasons=[])
    if channel.status == ChannelStatus.NEEDS_REAUTH:
        reasons.append(_("Needs reconnecting."))
    elif channel.status == ChannelStatus.ERROR or channel.last_error:
        reasons.append(_("The last check failed."))
    expires = channel.token_expires_at
    if expires is not None:
        if expires <= now:
            reasons.append(_("Its access has expired."))
        elif expires <= now + EXPIRY_WARNING and not can_refresh(channel.network):
            reasons.append(
                _("Its access expires on %(date)s: reconnect it before then.")
                % {"date": date_format(timezone.localtime(expires), "SHORT_DATETIME_FORMAT")}
            )
    return Health(needs_attention=bool(reasons), reasons=reasons)


def channel_list(
    *, by: Membership, status: str | None = None, network: str | None = None
) -> QuerySet[Channel]:
    permissions.require(by, "channel.view")
    channels = Channel.objects.filter(workspace=by.workspace)
    if status:
        channels = channels.filter(status=status)
    if network:
        channels = channels.filter(network=network)
    return channels.order_by("network", "name", "pk")


def channel_get(*, by: Membership, channel_id: int) -> Channel:
    """A channel of the caller's workspace; NotFound otherwise (foreign ids are not disclosed)."""
    channel = Channel.objects.filter(workspace=by.workspace, pk=channel_id).first()
    if channel is None:
        raise NotFound(_("No such channel."))
    return channel


def attention_count(*, by: Membership) -> int:
    permissions.require(by, "channel.view")
    return Channel.objects.filter(workspace=by.workspace).filter(attention_filter()).count()

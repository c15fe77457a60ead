"""Renewing channel tokens, single-flight: refresh tokens are often single-use, so two workers must never
spend the same one."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import httpx
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from portevoix.channels import oauth, runtime, selectors
from portevoix.channels.models import Channel, ChannelStatus
from portevoix.channels.services.common import REFRESH_AHEAD, REFRESH_LEASE, RunSummary, log_failure
from portevoix.connectors.errors import ConnectorError, NotSupported, ReauthRequired
from portevoix.connectors.types import TokenSet
from portevoix.core import http
from portevoix.workspaces import audit

logger = logging.getLogger("portevoix.channels.services")

# --- Token refresh (single-flight) ----------------------------------------------------------------


def channel_refresh_claim(*, channel_id: int, now: datetime | None = None, force: bool = False) -> str | None:
    """Take the right to refresh a channel's tokens: a conditional UPDATE that succeeds for one caller
    only until the claim is released or its lease lapses. Returns the claim, or None when someone else
    holds it (or, without ``force``, when the tokens are not due for renewal: ``refresh_due_filter``)."""
    now = now or timezone.now()
    claim = secrets.token_hex(16)
    candidates = Channel.objects.filter(
        pk=channel_id,
        status__in=[ChannelStatus.ACTIVE, ChannelStatus.ERROR],
        credentials__isnull=False,
    ).filter(Q(refresh_claimed_until__isnull=True) | Q(refresh_claimed_until__lte=now))
    if not force:
        candidates = candidates.filter(refresh_due_filter(now))
    taken = candidates.update(refresh_claim=claim, refresh_claimed_until=now + REFRESH_LEASE)
    return claim if taken else None


def refresh_due_filter(now: datetime) -> Q:
    """Tokens due for renewal: past their ``refresh_due_at``, or (when it is not known) expiring within
    ``REFRESH_AHEAD``."""
    return Q(refresh_due_at__lte=now) | Q(
        refresh_due_at__isnull=True, token_expires_at__isnull=False, token_expires_at__lte=now + REFRESH_AHEAD
    )


def refresh_due_at(expires_at: datetime | None, *, now: datetime | None = None) -> datetime | None:
    """When to renew tokens that expire at ``expires_at``: ``REFRESH_AHEAD`` before, or half-way through
    their life when they live less than twice that (an hour-long VK ID token: after 30 minutes)."""
    if expires_at is None:
        return None
    now = now or timezone.now()
    life = expires_at - now
    return expires_at - min(REFRESH_AHEAD, max(life, timedelta(0)) / 2)


def _release(channel_id: int, claim: str, **changes: Any) -> bool:
    """Write under the claim (fencing: a lapsed claim taken over by another worker writes nothing)."""
    changes.setdefault("updated_at", timezone.now())
    return bool(
        Channel.objects.filter(pk=channel_id, refresh_claim=claim).update(
            refresh_claim="", refresh_claimed_until=None, **changes
        )
    )


def _renew(channel: Channel, credentials: Mapping[str, str]) -> TokenSet:
    adapter = oauth.adapter_for(channel.network)
    config = runtime.channel_config(channel, credentials=credentials)
    with http.client() as client:
        if adapter is not None and adapter.can_refresh:
            return adapter.refresh(http=client, config=config)
        cls = runtime.connector_class(channel.network)
        if cls is None or not runtime.connector_refreshes(cls):
            raise NotSupported(_("This network's access cannot be renewed automatically."))
        return cls(config, client).refresh()


def channel_refresh(*, channel: Channel, force: bool = False, now: datetime | None = None) -> bool:
    """Renew the channel's tokens if they expire within ``REFRESH_AHEAD`` (any time with ``force``).

    Single-flight: only the caller whose claim succeeds talks to the network; any other gets False at
    once. The stored credentials are read again after the claim, so the refresh token used is the newest
    (refresh tokens are often single-use). Returns True when new tokens were stored.
    """
    claim = channel_refresh_claim(channel_id=channel.pk, now=now, force=force)
    if claim is None:
        return False
    fresh = Channel.objects.select_related("workspace").get(pk=channel.pk)
    try:
        credentials = runtime.read_credentials(fresh)
    except ReauthRequired as error:
        _release(fresh.pk, claim, status=ChannelStatus.NEEDS_REAUTH, last_error=error.message[:2000])
        _audit_refresh_failed(fresh, ChannelStatus.NEEDS_REAUTH)
        return False
    try:
        tokens = _renew(fresh, credentials)
    except NotSupported:
        _release(fresh.pk, claim)
        return False
    except ReauthRequired as error:
        log_failure("refresh", fresh.network, error, credentials)
        message = runtime.scrub(error.message, credentials)[:2000]
        _release(fresh.pk, claim, status=ChannelStatus.NEEDS_REAUTH, last_error=message)
        _audit_refresh_failed(fresh, ChannelStatus.NEEDS_REAUTH)
        return False
    except (ConnectorError, httpx.HTTPError) as error:
        # Temporary (or unknown) trouble: keep the status, say so; the next run tries again.
        log_failure("refresh", fresh.network, error, credentials)
        message = error.message if isinstance(error, ConnectorError) else _("Could not reach the network.")
        _release(fresh.pk, claim, last_error=runtime.scrub(message, credentials)[:2000])
        return False
    return _release(
        fresh.pk,
        claim,
        credentials=runtime.merge_tokens(credentials, tokens),
        token_expires_at=tokens.expires_at,
        refresh_due_at=refresh_due_at(tokens.expires_at),
        status=ChannelStatus.ACTIVE,
        last_error="",
    )


def _audit_refresh_failed(channel: Channel, status: str) -> None:
    if channel.status != status:
        audit.record(
            actor=None,
            action="channel.refresh",
            workspace=channel.workspace,
            obj=channel,
            ok=False,
            status=status,
            previous=channel.status,
        )


def channels_refresh_due(*, now: datetime | None = None) -> RunSummary:
    """Renew the tokens that expire within ``REFRESH_AHEAD`` on networks that can renew them."""
    now = now or timezone.now()
    due = (
        Channel.objects.filter(
            status__in=[ChannelStatus.ACTIVE, ChannelStatus.ERROR],
            network__in=selectors.refreshable_networks(),
        )
        .filter(refresh_due_filter(now))
        .order_by("token_expires_at")
    )
    seen = ok = failed = 0
    for channel in due.iterator():
        seen += 1
        try:
            if channel_refresh(channel=channel, now=now):
                ok += 1
        except Exception:  # one broken channel must not stop the others
            failed += 1
            logger.exception("Refreshing channel %s failed unexpectedly", channel.pk)
    return RunSummary(seen=seen, ok=ok, failed=failed)

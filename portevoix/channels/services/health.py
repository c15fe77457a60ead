"""Testing channels: "Test connection", the daily check, and what the publishing engine reports."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

import httpx
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from portevoix.channels import runtime, selectors
from portevoix.channels.catalog import network as find_network
from portevoix.channels.models import Channel, ChannelStatus
from portevoix.channels.services.common import (
    CHECK_EVERY,
    RunSummary,
    account_fields,
    check_own,
    log_failure,
    plain_message,
)
from portevoix.channels.services.refresh import channel_refresh
from portevoix.connectors.errors import AuthExpired, ConnectorError, ReauthRequired
from portevoix.connectors.types import AccountInfo
from portevoix.core import http
from portevoix.core.errors import ValidationFailed
from portevoix.workspaces import audit, permissions
from portevoix.workspaces.models import Membership

logger = logging.getLogger("portevoix.channels.services")

# --- Test -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    message: str = ""


@dataclass(frozen=True)
class _Checked:
    result: CheckResult
    status: str
    info: AccountInfo | None = None
    expired: bool = False  # the network said the access token expired: a refresh may fix it


def _failed(message: str, status: str, *, expired: bool = False) -> _Checked:
    return _Checked(CheckResult(False, message), status, expired=expired)


def _check(channel: Channel) -> _Checked:
    """Verify the channel's credentials. Never raises for connector or vault problems: they become the
    result and the channel's new status."""
    net = find_network(channel.network)
    if net is None:
        missing = _("The %(network)s connector is not installed.") % {"network": channel.network}
        return _failed(missing, ChannelStatus.ERROR)
    if net.is_manual:
        return _Checked(CheckResult(True), ChannelStatus.ACTIVE)
    try:
        credentials = runtime.read_credentials(channel)
    except ReauthRequired as error:
        return _failed(error.message, ChannelStatus.NEEDS_REAUTH)
    config = runtime.channel_config(channel, credentials=credentials)
    with http.client() as client:
        try:
            connector = net.connector(config, client)
            info = connector.verify()
            runtime.persist_session(channel, connector)
            runtime.remember_instance_limits(channel, connector)
        except (ReauthRequired, AuthExpired) as error:
            log_failure("test", net.key, error, credentials)
            message = plain_message(error, credentials)
            return _failed(message, ChannelStatus.NEEDS_REAUTH, expired=isinstance(error, AuthExpired))
        except ConnectorError as error:
            log_failure("test", net.key, error, credentials)
            return _failed(plain_message(error, credentials), ChannelStatus.ERROR)
        except httpx.HTTPError as error:
            log_failure("test", net.key, error, credentials)
            return _failed(_("Could not reach %(network)s.") % {"network": net.label}, ChannelStatus.ERROR)
    if str(getattr(info, "external_id", "")) != channel.external_id:
        message = _("These credentials now belong to another account; reconnect the channel.")
        return _failed(message, ChannelStatus.NEEDS_REAUTH)
    return _Checked(CheckResult(True), ChannelStatus.ACTIVE, info=info)


def _check_renewing(channel: Channel) -> _Checked:
    """``_check``, and when the network says the access token expired, renew it and check again."""
    checked = _check(channel)
    if checked.expired and selectors.can_refresh(channel.network):
        if channel_refresh(channel=channel, force=True):
            channel.refresh_from_db()
            checked = _check(channel)
        else:
            channel.refresh_from_db()
    return checked


def _save_check(channel: Channel, checked: _Checked) -> None:
    net = find_network(channel.network)
    channel.status = checked.status
    channel.last_error = "" if checked.result.ok else checked.result.message[:2000]
    channel.last_checked_at = timezone.now()
    changed = ["status", "last_error", "last_checked_at", "updated_at"]
    if checked.info is not None and net is not None:
        for name, value in account_fields(net, checked.info).items():
            if name == "followers" and value is None:
                continue  # a network that did not report followers this time keeps the last count
            setattr(channel, name, value)
            changed.append(name)
    channel.save(update_fields=changed)


def channel_test(*, by: Membership, channel: Channel) -> CheckResult:
    """Check the channel's credentials now ("Test connection") and record its status."""
    permissions.require(by, "channel.manage")
    check_own(by, channel)
    if channel.status == ChannelStatus.DISCONNECTED:
        raise ValidationFailed(_("This channel is disconnected: reconnect it first."))
    checked = _check_renewing(channel)
    with transaction.atomic():
        _save_check(channel, checked)
        audit.record(
            actor=by.user,
            action="channel.test",
            workspace=by.workspace,
            obj=channel,
            ok=checked.result.ok,
            status=checked.status,
        )
    return checked.result


def channel_check(*, channel: Channel) -> CheckResult:
    """The periodic check (no person involved): audited only when the status changes."""
    before = channel.status
    checked = _check_renewing(channel)
    with transaction.atomic():
        _save_check(channel, checked)
        if checked.status != before:
            audit.record(
                actor=None,
                action="channel.test",
                workspace=channel.workspace,
                obj=channel,
                ok=checked.result.ok,
                status=checked.status,
                previous=before,
            )
    return checked.result


def channel_report_error(*, channel: Channel, error: ConnectorError) -> None:
    """For the publishing engine: record what a network said about the channel's credentials. Revoked
    or insufficient credentials (``ReauthRequired``) mark it for reconnection, and so does an expired
    access (``AuthExpired``) on a network whose tokens cannot be renewed (renewing is the engine's call:
    ``channel_refresh``). Other errors are about a post, not the channel. No network call here."""
    if channel.status == ChannelStatus.DISCONNECTED:
        return
    expired_for_good = isinstance(error, AuthExpired) and not selectors.can_refresh(channel.network)
    if not isinstance(error, ReauthRequired) and not expired_for_good:
        return
    Channel.objects.filter(pk=channel.pk).exclude(status=ChannelStatus.DISCONNECTED).update(
        status=ChannelStatus.NEEDS_REAUTH, last_error=error.message[:2000], updated_at=timezone.now()
    )


def channels_check_all(*, now: datetime | None = None) -> RunSummary:
    """Re-test active channels (and those whose last check failed) not tested in the last 20 hours.
    Channels that need reconnecting wait for a person; disconnected ones are left alone."""
    now = now or timezone.now()
    due = Channel.objects.filter(status__in=[ChannelStatus.ACTIVE, ChannelStatus.ERROR]).filter(
        Q(last_checked_at__isnull=True) | Q(last_checked_at__lte=now - CHECK_EVERY)
    )
    seen = ok = failed = 0
    for channel in due.select_related("workspace").iterator():
        seen += 1
        try:
            result = channel_check(channel=channel)
        except Exception:
            failed += 1
            logger.exception("Checking channel %s failed unexpectedly", channel.pk)
            continue
        if result.ok:
            ok += 1
        else:
            failed += 1
    return RunSummary(seen=seen, ok=ok, failed=failed)

"""Writes for channels: connect, test, reconnect, rename, disconnect, token refresh and health checks.

Every person-driven function takes the acting member as ``by`` and checks ``channel.manage``. Talking to
the network (the connector's ``verify()``, a token refresh) happens before the transaction that stores the
result, never inside it. Connector errors reach people as ``ValidationFailed`` with the connector's plain
message; credentials never appear in a message, an audit entry or a log line.
"""

from __future__ import annotations

import logging
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from portevoix.channels import oauth, runtime, selectors
from portevoix.channels.catalog import Network, is_url_field
from portevoix.channels.catalog import network as find_network
from portevoix.channels.models import Channel, ChannelStatus
from portevoix.channels.oauth import Grant
from portevoix.connectors.errors import AuthExpired, ConnectorError, NotSupported, ReauthRequired
from portevoix.connectors.types import AccountInfo, ChannelConfig, TokenSet
from portevoix.core import http
from portevoix.core.errors import NotFound, ValidationFailed
from portevoix.workspaces import audit, permissions
from portevoix.workspaces.models import Membership

logger = logging.getLogger(__name__)

MAX_FIELD_LENGTH = 4000
MAX_NAME_LENGTH = 200
MAX_BASE_URL_LENGTH = 300
REFRESH_AHEAD = timedelta(hours=24)  # renew tokens this long before they expire (or half-way, if sooner)
REFRESH_LEASE = timedelta(minutes=5)  # an abandoned refresh claim lapses after this
CHECK_EVERY = timedelta(hours=20)  # the daily check skips channels tested more recently
# A connector that needs to be told which account before verify() (a Telegram chat, say) declares a field
# with this name; its value becomes ChannelConfig.external_id (verify() then gives the canonical id).
EXTERNAL_ID_FIELD = "external_id"


# --- Input ----------------------------------------------------------------------------------------


def _network(key: str) -> Network:
    found = find_network(key) if isinstance(key, str) else None
    if found is None:
        raise ValidationFailed(
            _("Unknown network."), fields={"network": [_("Choose one of the networks listed.")]}
        )
    return found


def clean_base_url(net: Network, base_url: str | None) -> str:
    """The API address to use: the one given (an absolute public http(s) URL), or the connector's default."""
    value = (base_url or "").strip()
    if not value:
        if net.default_base_url:
            return net.default_base_url
        if net.is_manual:
            return ""
        raise ValidationFailed(
            _("Please correct the highlighted fields."),
            fields={"base_url": [_("Enter the address of the %(network)s server.") % {"network": net.label}]},
        )
    if value.rstrip("/") == net.default_base_url.rstrip("/"):
        return net.default_base_url  # the connector's own address, not something a person typed
    problem = None
    if len(value) > MAX_BASE_URL_LENGTH:
        problem = _("Use at most %(max)s characters.") % {"max": MAX_BASE_URL_LENGTH}
    elif "\x00" in value:
        problem = _("Text cannot contain NUL characters.")
    else:
        try:
            value = http.validate_outgoing_url(value)
        except ValueError as error:
            problem = str(error)
    if problem:
        raise ValidationFailed(_("Please correct the highlighted fields."), fields={"base_url": [problem]})
    return value.rstrip("/")


def clean_fields(net: Network, fields: Mapping[str, Any] | None) -> dict[str, str]:
    """The connect form's values, checked against the connector's declared fields."""
    given = dict(fields or {})
    declared = {credential.name: credential for credential in net.fields}
    problems: dict[str, list[str]] = {}
    for name in given:
        if name not in declared:
            problems[str(name)[:64]] = [_("%(network)s has no such field.") % {"network": net.label}]
    cleaned: dict[str, str] = {}
    for name, credential in declared.items():
        value = given.get(name)
        if value is None:
            value = ""
        if not isinstance(value, str):
            problems[name] = [_("Enter a text value.")]
            continue
        value = value.strip()
        if "\x00" in value:
            problems[name] = [_("Text cannot contain NUL characters.")]
        elif len(value) > MAX_FIELD_LENGTH:
            problems[name] = [_("Use at most %(max)s characters.") % {"max": MAX_FIELD_LENGTH}]
        elif not value:
            if credential.required:
                problems[name] = [_("This field is required.")]
        else:
            if is_url_field(credential):
                try:
                    value = http.validate_outgoing_url(value)
                except ValueError as error:
                    problems[name] = [str(error)]
            cleaned[name] = value
    if problems:
        raise ValidationFailed(_("Please correct the highlighted fields."), fields=problems)
    return cleaned


def _clean_name(name: str) -> str:
    value = (name or "").strip() if isinstance(name, str) else ""
    if not value:
        raise ValidationFailed(_("Give the channel a name."), fields={"name": [_("This field is required.")]})
    if len(value) > MAX_NAME_LENGTH or "\x00" in value:
        raise ValidationFailed(
            _("Please correct the highlighted fields."),
            fields={"name": [_("Use at most %(max)s characters.") % {"max": MAX_NAME_LENGTH}]},
        )
    return value


def _non_secret(net: Network, values: Mapping[str, str]) -> dict[str, str]:
    secret = {credential.name for credential in net.fields if credential.secret}
    return {name: value for name, value in values.items() if name not in secret}


def _own(by: Membership, channel: Channel) -> None:
    if channel.workspace_id != by.workspace_id:
        raise NotFound(_("No such channel."))


# --- Talking to the network -----------------------------------------------------------------------


def _plain_message(error: ConnectorError, credentials: Mapping[str, str]) -> str:
    return runtime.scrub(error.message or type(error).__name__, credentials)


def _log_failure(what: str, network: str, error: Exception, credentials: Mapping[str, str]) -> None:
    detail = runtime.scrub(getattr(error, "detail", "") or "", credentials)
    logger.info("%s on %s failed: %s %s", what, network, type(error).__name__, detail[:300])


def _verify(net: Network, config: ChannelConfig) -> AccountInfo:
    """The connector's ``verify()``, with every failure as ``ValidationFailed`` (a plain message)."""
    with http.client() as client:
        connector = net.connector(config, client)
        try:
            info = connector.verify()
        except ConnectorError as error:
            _log_failure("verify", net.key, error, config.credentials)
            raise ValidationFailed(_plain_message(error, config.credentials)) from None
        except httpx.HTTPError as error:
            _log_failure("verify", net.key, error, config.credentials)
            raise ValidationFailed(_("Could not reach %(network)s.") % {"network": net.label}) from None
    if not isinstance(info, AccountInfo) or not str(info.external_id or "").strip():
        raise ValidationFailed(
            _("%(network)s did not say which account these credentials belong to.") % {"network": net.label}
        )
    return info


def _manual_account(values: Mapping[str, str]) -> AccountInfo:
    return AccountInfo(
        external_id=uuid.uuid4().hex, name=values.get("name", ""), url=values.get("url") or None
    )


def _account_fields(net: Network, info: AccountInfo) -> dict[str, Any]:
    url = (info.url or "").strip()
    if not url.startswith(("https://", "http://")) or len(url) > 500:
        url = ""
    followers = info.followers if isinstance(info.followers, int) and 0 <= info.followers < 2**31 else None
    return {
        "handle": (info.handle or "")[:200],
        "url": url,
        "followers": followers,
    }


def _account_name(net: Network, info: AccountInfo) -> str:
    return ((info.name or "").strip() or (info.handle or "").strip() or net.label)[:MAX_NAME_LENGTH]


# --- Connect --------------------------------------------------------------------------------------


def channel_connect(
    *, by: Membership, network: str, fields: Mapping[str, Any] | None, base_url: str | None = None
) -> Channel:
    """Connect an account with the values of the connector's connect form (a token, an app password, a
    webhook address...). The credentials are checked with the network before anything is stored."""
    permissions.require(by, "channel.manage")
    net = _network(network)
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
        options=_non_secret(net, values),
    )
    info = _verify(net, config)
    return _store_new(
        by=by,
        net=net,
        info=info,
        credentials=values,
        options=_non_secret(net, values),
        base_url=address,
        token_expires_at=None,
    )


def _connect_manual(*, by: Membership, net: Network, fields: Mapping[str, Any] | None) -> Channel:
    given = dict(fields or {})
    name = _clean_name(str(given.get("name") or ""))
    url = str(given.get("url") or "").strip()
    if url and (not url.startswith(("https://", "http://")) or len(url) > 500):
        raise ValidationFailed(
            _("Please correct the highlighted fields."),
            fields={"url": [_("Enter an address that starts with https:// (or http://).")]},
        )
    info = _manual_account({"name": name, "url": url})
    return _store_new(
        by=by, net=net, info=info, credentials={}, options={}, base_url="", token_expires_at=None
    )


def channel_connect_oauth(*, by: Membership, network: str, grant: Grant) -> Channel:
    """Connect an account from the tokens of a sign-in (oauth.py), after checking them with ``verify()``."""
    permissions.require(by, "channel.manage")
    net = _network(network)
    credentials = runtime.plain_credentials(dict(grant.credentials))
    options = {str(k): str(v) for k, v in grant.options.items()}
    config = ChannelConfig(
        external_id=grant.external_id, credentials=credentials, base_url=grant.base_url, options=options
    )
    info = _verify(net, config)
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
        "name": _account_name(net, info),
        **_account_fields(net, info),
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
            info = net.connector(config, client).verify()
        except (ReauthRequired, AuthExpired) as error:
            _log_failure("test", net.key, error, credentials)
            message = _plain_message(error, credentials)
            return _failed(message, ChannelStatus.NEEDS_REAUTH, expired=isinstance(error, AuthExpired))
        except ConnectorError as error:
            _log_failure("test", net.key, error, credentials)
            return _failed(_plain_message(error, credentials), ChannelStatus.ERROR)
        except httpx.HTTPError as error:
            _log_failure("test", net.key, error, credentials)
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
        for name, value in _account_fields(net, checked.info).items():
            if name == "followers" and value is None:
                continue  # a network that did not report followers this time keeps the last count
            setattr(channel, name, value)
            changed.append(name)
    channel.save(update_fields=changed)


def channel_test(*, by: Membership, channel: Channel) -> CheckResult:
    """Check the channel's credentials now ("Test connection") and record its status."""
    permissions.require(by, "channel.manage")
    _own(by, channel)
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
    or insufficient credentials mark it for reconnection; other errors are about a post, not the channel."""
    if not isinstance(error, ReauthRequired | AuthExpired) or channel.status == ChannelStatus.DISCONNECTED:
        return
    if isinstance(error, AuthExpired) and channel_refresh(channel=channel, force=True):
        return
    Channel.objects.filter(pk=channel.pk).exclude(status=ChannelStatus.DISCONNECTED).update(
        status=ChannelStatus.NEEDS_REAUTH, last_error=error.message[:2000], updated_at=timezone.now()
    )


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
    _own(by, channel)
    net = _network(channel.network)
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
        options=_non_secret(net, values),
    )
    info = _verify(net, config)
    return _store_again(
        by=by,
        channel=channel,
        net=net,
        info=info,
        credentials=values,
        options=_non_secret(net, values),
        base_url=address,
        token_expires_at=None,
    )


def channel_reconnect_oauth(*, by: Membership, channel: Channel, grant: Grant) -> Channel:
    permissions.require(by, "channel.manage")
    _own(by, channel)
    net = _network(channel.network)
    credentials = runtime.plain_credentials(dict(grant.credentials))
    options = {str(k): str(v) for k, v in grant.options.items()}
    config = ChannelConfig(
        external_id=grant.external_id or channel.external_id,
        credentials=credentials,
        base_url=grant.base_url,
        options=options,
    )
    info = _verify(net, config)
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
        for name, value in _account_fields(net, info).items():
            setattr(channel, name, value)
        channel.save()
        audit.record(actor=by.user, action="channel.reconnect", workspace=by.workspace, obj=channel)
    return channel


def channel_rename(*, by: Membership, channel: Channel, name: str) -> Channel:
    permissions.require(by, "channel.manage")
    _own(by, channel)
    new_name = _clean_name(name)
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
    _own(by, channel)
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
        _log_failure("refresh", fresh.network, error, credentials)
        message = runtime.scrub(error.message, credentials)[:2000]
        _release(fresh.pk, claim, status=ChannelStatus.NEEDS_REAUTH, last_error=message)
        _audit_refresh_failed(fresh, ChannelStatus.NEEDS_REAUTH)
        return False
    except (ConnectorError, httpx.HTTPError) as error:
        # Temporary (or unknown) trouble: keep the status, say so; the next run tries again.
        _log_failure("refresh", fresh.network, error, credentials)
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


# --- Periodic work --------------------------------------------------------------------------------


@dataclass(frozen=True)
class RunSummary:
    seen: int = 0
    ok: int = 0
    failed: int = 0


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

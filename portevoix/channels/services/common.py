"""What the channels services share: limits, input checks, and talking to a connector safely."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
from django.utils.translation import gettext as _

from portevoix.channels import runtime
from portevoix.channels.catalog import Network, is_url_field
from portevoix.channels.catalog import network as find_network
from portevoix.channels.models import Channel
from portevoix.connectors.errors import ConnectorError
from portevoix.connectors.types import AccountInfo, ChannelConfig
from portevoix.core import http
from portevoix.core.errors import NotFound, ValidationFailed
from portevoix.workspaces.models import Membership

logger = logging.getLogger("portevoix.channels.services")

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


def declared_network(key: str) -> Network:
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


def clean_name(name: str) -> str:
    value = (name or "").strip() if isinstance(name, str) else ""
    if not value:
        raise ValidationFailed(_("Give the channel a name."), fields={"name": [_("This field is required.")]})
    if len(value) > MAX_NAME_LENGTH or "\x00" in value:
        raise ValidationFailed(
            _("Please correct the highlighted fields."),
            fields={"name": [_("Use at most %(max)s characters.") % {"max": MAX_NAME_LENGTH}]},
        )
    return value


def non_secret(net: Network, values: Mapping[str, str]) -> dict[str, str]:
    secret = {credential.name for credential in net.fields if credential.secret}
    return {name: value for name, value in values.items() if name not in secret}


def check_own(by: Membership, channel: Channel) -> None:
    if channel.workspace_id != by.workspace_id:
        raise NotFound(_("No such channel."))


# --- Talking to the network -----------------------------------------------------------------------


def plain_message(error: ConnectorError, credentials: Mapping[str, str]) -> str:
    return runtime.scrub(error.message or type(error).__name__, credentials)


def log_failure(what: str, network: str, error: Exception, credentials: Mapping[str, str]) -> None:
    detail = runtime.scrub(getattr(error, "detail", "") or "", credentials)
    logger.info("%s on %s failed: %s %s", what, network, type(error).__name__, detail[:300])


def verify_account(net: Network, config: ChannelConfig) -> AccountInfo:
    """The connector's ``verify()``, with every failure as ``ValidationFailed`` (a plain message)."""
    with http.client() as client:
        connector = net.connector(config, client)
        try:
            info = connector.verify()
            _keep_what_the_connector_learned(connector, config)
        except ConnectorError as error:
            log_failure("verify", net.key, error, config.credentials)
            raise ValidationFailed(plain_message(error, config.credentials)) from None
        except httpx.HTTPError as error:
            log_failure("verify", net.key, error, config.credentials)
            raise ValidationFailed(_("Could not reach %(network)s.") % {"network": net.label}) from None
    if not isinstance(info, AccountInfo) or not str(info.external_id or "").strip():
        raise ValidationFailed(
            _("%(network)s did not say which account these credentials belong to.") % {"network": net.label}
        )
    return info


def _keep_what_the_connector_learned(connector: object, config: ChannelConfig) -> None:
    """A session opened while verifying (Bluesky) joins the credentials to store, and a Mastodon
    instance's limits join the options, when the caller stores ``config``'s mappings (never raises)."""
    if isinstance(config.credentials, dict):
        try:
            config.credentials.update(runtime.session_values(connector))
        except Exception as error:
            logger.warning("The session opened while verifying was not kept (%s)", type(error).__name__)
    limits = runtime.instance_limits_value(connector)
    if limits is not None and isinstance(config.options, dict):
        config.options["instance_limits"] = limits  # type: ignore[assignment]


def manual_account(values: Mapping[str, str]) -> AccountInfo:
    return AccountInfo(
        external_id=uuid.uuid4().hex, name=values.get("name", ""), url=values.get("url") or None
    )


def account_fields(net: Network, info: AccountInfo) -> dict[str, Any]:
    url = (info.url or "").strip()
    if not url.startswith(("https://", "http://")) or len(url) > 500:
        url = ""
    followers = info.followers if isinstance(info.followers, int) and 0 <= info.followers < 2**31 else None
    return {
        "handle": (info.handle or "")[:200],
        "url": url,
        "followers": followers,
    }


def account_name(net: Network, info: AccountInfo) -> str:
    return ((info.name or "").strip() or (info.handle or "").strip() or net.label)[:MAX_NAME_LENGTH]


@dataclass(frozen=True)
class RunSummary:
    """What a periodic run did."""

    seen: int = 0
    ok: int = 0
    failed: int = 0

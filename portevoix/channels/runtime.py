"""A channel's connector, ready to act: what the publishing engine (and the channels services) call.

``connector_for(channel)`` decrypts the credentials and builds the connector around an HTTP client from
``portevoix.core.http`` (SSRF guard, timeouts, secret-free logs). Close the client when done, or use
``open_connector(channel)`` as a context manager. Problems a person must fix surface as the connectors'
own typed errors, so the engine needs no second vocabulary:

- a channel that is disconnected, has no credentials, or whose credentials cannot be decrypted (the vault
  key that encrypted them is missing, or they were damaged): ``ReauthRequired``, with a plain message;
- a channel whose network is no longer installed: ``NotSupported``.

Connectors receive a ``ChannelConfig``: ``external_id`` (the account or chat id found when the channel was
connected), ``credentials`` (every value of the connect form, secret or not, plus OAuth tokens: access_token,
refresh_token and whatever the network's sign-in returns), ``base_url`` and ``options`` (the form's
non-secret values, and what an OAuth sign-in chose).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import httpx
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portevoix.channels.models import Channel, ChannelStatus
from portevoix.connectors import registry
from portevoix.connectors.base import Connector
from portevoix.connectors.errors import NotSupported, ReauthRequired
from portevoix.connectors.types import ChannelConfig, TokenSet
from portevoix.core import http
from portevoix.core.vault import VaultError

logger = logging.getLogger(__name__)


def connector_class(network: str) -> type[Connector] | None:
    """The registered connector for ``network``, or None when it is not installed."""
    try:
        return registry.get(network)
    except KeyError:
        return None


def plain_credentials(value: Any) -> dict[str, str]:
    """A stored credentials mapping as ``{str: str}`` (other values are dropped, never guessed)."""
    if not isinstance(value, Mapping):
        return {}
    return {str(key): item for key, item in value.items() if isinstance(item, str)}


def read_credentials(channel: Channel) -> dict[str, str]:
    """The decrypted credentials; ``ReauthRequired`` when there are none or they cannot be decrypted."""
    if channel.status == ChannelStatus.DISCONNECTED or channel.credentials is None:
        raise ReauthRequired(
            _("%(name)s is disconnected: reconnect it to use it again.") % {"name": channel.name}
        )
    try:
        value = channel.credentials.reveal()
    except VaultError as error:
        logger.warning("Channel %s: credentials unreadable (%s)", channel.pk, error.code)
        raise ReauthRequired(unreadable_message(error)) from None
    return plain_credentials(value)


def unreadable_message(error: VaultError) -> str:
    return _("The stored credentials of this channel cannot be read (%(reason)s) Reconnect the channel.") % {
        "reason": error.message.rstrip(".") + "."
    }


def channel_config(channel: Channel, *, credentials: Mapping[str, str] | None = None) -> ChannelConfig:
    options = {str(k): str(v) for k, v in (channel.options or {}).items() if isinstance(v, str | int)}
    return ChannelConfig(
        external_id=channel.external_id,
        credentials=dict(credentials if credentials is not None else read_credentials(channel)),
        base_url=channel.base_url,
        options=options,
    )


def connector_for(channel: Channel, *, client: httpx.Client | None = None) -> Connector:
    """The channel's connector with its decrypted credentials. Without ``client``, a new guarded client
    is made: close it (``connector.http.close()``) or use ``open_connector``."""
    cls = connector_class(channel.network)
    if cls is None:
        raise NotSupported(
            _("The %(network)s connector is not installed any more.") % {"network": channel.network}
        )
    config = channel_config(channel)
    return cls(config, client if client is not None else http.client())


@contextmanager
def open_connector(channel: Channel) -> Iterator[Connector]:
    connector = connector_for(channel)
    try:
        yield connector
    finally:
        connector.http.close()


def connector_refreshes(cls: type[Connector]) -> bool:
    """Whether the connector implements ``refresh()`` itself."""
    return cls.refresh is not Connector.refresh


def merge_tokens(credentials: Mapping[str, str], tokens: TokenSet) -> dict[str, str]:
    """Credentials after a refresh or a sign-in: the new access token, the new refresh token when one came
    (a spent one is replaced; an absent one keeps the old), the scope, and the network's extra values."""
    merged = dict(credentials)
    merged["access_token"] = tokens.access_token
    if tokens.refresh_token:
        merged["refresh_token"] = tokens.refresh_token
    if tokens.scope:
        merged["scope"] = tokens.scope
    merged.update({str(k): str(v) for k, v in tokens.extra.items()})
    return merged


def scrub(text: str, secrets: Mapping[str, str]) -> str:
    """``text`` with every credential value of at least 4 characters masked (belt and braces for messages
    that a connector or a network might have built from a request)."""
    for value in sorted(set(secrets.values()), key=len, reverse=True):
        if len(value) >= 4:
            text = text.replace(value, "***")
    return text


# --- What a connector learned during a call ---------------------------------------------------------


def session_values(connector: object) -> dict[str, str]:
    """The credential values of a session the connector opened or renewed during its calls (Bluesky logs
    in again when it has no usable session), or {} when nothing changed."""
    if not getattr(connector, "session_changed", False):
        return {}
    current = getattr(connector, "current_session", None)
    tokens = current() if callable(current) else None
    if not isinstance(tokens, TokenSet):
        return {}
    convert = getattr(connector, "session_credentials", None)
    values = convert(tokens) if callable(convert) else merge_tokens({}, tokens)
    return plain_credentials(values)


def persist_session(channel: Channel, connector: object) -> bool:
    """Store a changed session into the channel's encrypted credentials (merged with the stored ones).
    Never raises: a session that could not be stored is opened again next time."""
    try:
        values = session_values(connector)
        if not values:
            return False
        with transaction.atomic():
            locked = Channel.objects.select_for_update().get(pk=channel.pk)
            merged = {**read_credentials(locked), **values}
            Channel.objects.filter(pk=locked.pk).update(credentials=merged, updated_at=timezone.now())
        connector.session_changed = False  # type: ignore[attr-defined]
        return True
    except Exception as error:  # the publication or the check must never fail for this
        logger.warning(
            "Channel %s: the renewed session could not be stored (%s)", channel.pk, type(error).__name__
        )
        return False


def instance_limits_value(connector: object) -> dict[str, Any] | None:
    """``options["instance_limits"]`` for a connector that reports its instance's limits (Mastodon), or
    None (no such method, or the instance did not answer: the defaults apply)."""
    read = getattr(connector, "instance_limits", None)
    if not callable(read):
        return None
    from portevoix.content.validation import instance_limits_option

    try:
        return instance_limits_option(read())
    except Exception as error:
        logger.info("Instance limits unavailable (%s)", type(error).__name__)
        return None


def remember_instance_limits(channel: Channel, connector: object) -> bool:
    """Keep the instance's limits in the channel's options. Never raises."""
    try:
        value = instance_limits_value(connector)
        if value is None:
            return False
        with transaction.atomic():
            locked = Channel.objects.select_for_update().get(pk=channel.pk)
            options = dict(locked.options or {})
            options["instance_limits"] = value
            Channel.objects.filter(pk=locked.pk).update(options=options, updated_at=timezone.now())
        channel.options = options
        return True
    except Exception as error:
        logger.warning("Channel %s: instance limits not stored (%s)", channel.pk, type(error).__name__)
        return False

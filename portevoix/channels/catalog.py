"""The networks Portevoix can connect, read from each registered connector's declaration.

The connect pages, the API (GET /api/v1/networks) and the docs show only what a connector declares: its
label, how it authenticates, the fields of its connect form, its capabilities and limits.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from portevoix.channels import oauth
from portevoix.connectors import registry
from portevoix.connectors.base import Connector
from portevoix.connectors.types import AuthKind, Capability, CredentialField

AUTH_LABELS: dict[AuthKind, Promise] = {
    AuthKind.OAUTH2: _("Sign in with the network"),
    AuthKind.BOT_TOKEN: _("Bot token"),
    AuthKind.APP_PASSWORD: _("App password"),
    AuthKind.ACCESS_TOKEN: _("Access token"),
    AuthKind.WEBHOOK_URL: _("Webhook address"),
    AuthKind.MANUAL: _("Manual publishing (reminders)"),
}

CAPABILITY_LABELS: dict[Capability, Promise] = {
    Capability.PUBLISH: _("Publishing"),
    Capability.PUBLISH_ASYNC: _("Processed after sending"),
    Capability.EDIT: _("Editing published posts"),
    Capability.DELETE: _("Deleting published posts"),
    Capability.METRICS: _("Post statistics"),
    Capability.FOLLOWERS: _("Follower count"),
    Capability.COMMENTS: _("Reading comments"),
    Capability.REPLY: _("Replying"),
    Capability.POLLS: _("Polls"),
    Capability.IMAGES: _("Images"),
    Capability.VIDEO: _("Video"),
    Capability.ALBUMS: _("Several media in one post"),
    Capability.LINKS: _("Link previews"),
    Capability.IDEMPOTENCY: _("No duplicates on retry"),
    Capability.LOOKUP: _("Finding a sent post again"),
}

# Fields of the connect form that hold an address Portevoix will call (checked against private networks).
URL_FIELD_SUFFIXES = ("url", "_url", "webhook")


def is_url_field(credential: CredentialField) -> bool:
    name = credential.name.lower()
    return name.endswith(URL_FIELD_SUFFIXES)


@dataclass(frozen=True)
class Network:
    key: str
    connector: type[Connector]

    @property
    def label(self) -> str:
        return self.connector.label

    @property
    def auth_kind(self) -> AuthKind:
        return self.connector.auth.kind

    @property
    def auth_label(self) -> str:
        return str(AUTH_LABELS.get(self.auth_kind, self.auth_kind))

    @property
    def fields(self) -> tuple[CredentialField, ...]:
        return self.connector.auth.fields

    @property
    def is_manual(self) -> bool:
        return self.auth_kind == AuthKind.MANUAL

    @property
    def capabilities(self) -> list[Capability]:
        """Declared capabilities in a stable order (the enum's)."""
        return [capability for capability in Capability if capability in self.connector.capabilities]

    @property
    def capability_labels(self) -> list[str]:
        return [str(CAPABILITY_LABELS.get(c, c)) for c in self.capabilities]

    @property
    def default_base_url(self) -> str:
        return self.connector.default_base_url

    @property
    def base_url_required(self) -> bool:
        return not self.connector.default_base_url and not self.is_manual

    @property
    def docs_url(self) -> str:
        return self.connector.docs_url

    @property
    def oauth(self) -> oauth.OAuthAdapter | None:
        return oauth.adapter_for(self.key)

    @property
    def oauth_available(self) -> bool:
        adapter = self.oauth
        return adapter is not None and adapter.configured()

    @property
    def form_available(self) -> bool:
        """A connect form can be filled in: declared fields, or a manual channel."""
        return bool(self.fields) or self.is_manual

    @property
    def limits(self) -> dict[str, Any]:
        return _plain(dataclasses.asdict(self.connector.limits))


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, str):
        return str(value)  # StrEnum members (text units) as plain strings
    return value


def field_label(credential: CredentialField) -> str:
    """A connector's field label, translated when the catalog knows it."""
    return gettext(credential.label) if credential.label else credential.name


def field_help(credential: CredentialField) -> str:
    return gettext(credential.help) if credential.help else ""


def networks() -> list[Network]:
    return [Network(key=cls.key, connector=cls) for cls in registry.all_connectors()]


def network(key: str) -> Network | None:
    try:
        return Network(key=key, connector=registry.get(key))
    except KeyError:
        return None

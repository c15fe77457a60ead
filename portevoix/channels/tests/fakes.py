"""Fake networks for the channels tests (and the cross-app access and page tests): registered for a test,
unregistered after, so no test depends on the real connectors being written elsewhere.

- ``Fakenet`` (key ``fakenet``): a bot-token network. Its ``verify()`` answers from the token's first
  word without any HTTP unless the token starts with ``http``: ``good`` works, ``revoked`` raises
  ``ReauthRequired``, ``expired`` ``AuthExpired``, ``down`` ``Transient``, ``leaky`` an error whose
  message quotes the token, ``other`` answers for another account. Its ``refresh()`` posts to
  ``<base_url>/token`` (mock it with respx).
- ``Fakeoauth`` (key ``fakeoauth``): signs in with OAuth 2 (PKCE) through ``StandardOAuth2Adapter``;
  ``verify()`` calls ``GET <base_url>/me`` (or ``/accounts/<external_id>`` when the channel names one) with
  the access token (mock it with respx).
- ``Fakemanual`` (key ``fakemanual``): no API, reminders only.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from portevoix.channels import oauth
from portevoix.connectors import registry
from portevoix.connectors.base import Connector
from portevoix.connectors.errors import AuthExpired, ReauthRequired, Transient
from portevoix.connectors.types import (
    AccountInfo,
    Auth,
    AuthKind,
    Capability,
    CredentialField,
    Limits,
    OAuth2,
    TokenSet,
)

SECRET_TOKEN = "good-7e1d44a9c0secretvalue"
FAKENET_API = "https://api.fakenet.test"
FAKEOAUTH_API = "https://api.fakeoauth.test"
FAKEOAUTH_AUTHORIZE = "https://auth.fakeoauth.test/authorize"
FAKEOAUTH_TOKEN = "https://auth.fakeoauth.test/token"


class Fakenet(Connector):
    key = "fakenet"
    label = "Fakenet"
    capabilities = frozenset({Capability.PUBLISH, Capability.FOLLOWERS, Capability.IMAGES})
    limits = Limits(text=280, media=2, image_formats=("image/jpeg",))
    auth = Auth(
        kind=AuthKind.BOT_TOKEN,
        fields=(
            CredentialField("token", "Bot token", secret=True, help="Shown once by the bot maker."),
            CredentialField("chat", "Chat", required=False, help="@name or numeric id."),
        ),
    )
    default_base_url = FAKENET_API
    docs_url = "https://docs.fakenet.test/bots"

    def verify(self) -> AccountInfo:
        token = self.channel.credentials.get("token", "")
        if self.channel.credentials.get("access_token", "").startswith("at-new"):
            token = "good-renewed"  # a renewed access token works whatever the token field says
        chat = self.channel.credentials.get("chat") or self.channel.external_id or "acct-1"
        if token.startswith("http"):
            response = self.request("GET", self.url("/me"), headers={"Authorization": f"Bearer {token}"})
            body = self.json(response)
            return AccountInfo(
                external_id=str(body["id"]), name=body["name"], followers=body.get("followers")
            )
        if token.startswith("revoked"):
            raise ReauthRequired("Fakenet says the token was revoked.", detail="401 revoked")
        if token.startswith("expired"):
            raise AuthExpired("Fakenet says the token expired.")
        if token.startswith("down"):
            raise Transient("Fakenet had a temporary problem (503).")
        if token.startswith("leaky"):
            raise ReauthRequired(f"Token {token} is not valid", detail=f"echo {token}")
        if token.startswith("other"):
            return AccountInfo(external_id="acct-other", name="Someone else")
        return AccountInfo(
            external_id=chat,
            name="Fake account",
            handle="@fake",
            url="https://fakenet.test/fake",
            followers=42,
        )

    def publish(self, post):  # type: ignore[no-untyped-def]  # declared capability; unused here
        raise NotImplementedError

    def fetch_followers(self) -> int | None:
        return 42

    def refresh(self) -> TokenSet:
        response = self.request(
            "POST",
            self.url("/token"),
            data={"refresh_token": self.channel.credentials.get("refresh_token", "")},
        )
        body = self.json(response)
        if body.get("error"):
            raise ReauthRequired("Fakenet refused the refresh token.")
        return TokenSet(
            access_token=body["access_token"],
            refresh_token=body.get("refresh_token"),
            expires_at=datetime.now(UTC) + timedelta(seconds=int(body.get("expires_in", 3600))),
        )


class Fakeoauth(Connector):
    key = "fakeoauth"
    label = "Fakeoauth"
    capabilities = frozenset({Capability.PUBLISH})
    auth = Auth(
        kind=AuthKind.OAUTH2,
        oauth2=OAuth2(
            authorize_url=FAKEOAUTH_AUTHORIZE, token_url=FAKEOAUTH_TOKEN, scopes=("read", "write"), pkce=True
        ),
    )
    default_base_url = FAKEOAUTH_API

    def verify(self) -> AccountInfo:
        token = self.channel.credentials.get("access_token", "")
        path = f"/accounts/{self.channel.external_id}" if self.channel.external_id else "/me"
        response = self.request("GET", self.url(path), headers={"Authorization": f"Bearer {token}"})
        body = self.json(response)
        return AccountInfo(external_id=str(body["id"]), name=str(body["name"]), handle=body.get("handle", ""))

    def publish(self, post):  # type: ignore[no-untyped-def]
        raise NotImplementedError


class Fakemanual(Connector):
    key = "fakemanual"
    label = "Fakemanual"
    auth = Auth(kind=AuthKind.MANUAL)


FAKES: tuple[type[Connector], ...] = (Fakenet, Fakeoauth, Fakemanual)


@contextmanager
def registered_fakes() -> Iterator[None]:
    """Register the fake connectors (and the sign-in adapter of Fakeoauth) for the duration."""
    for cls in FAKES:
        registry.register(cls)
    oauth.register(oauth.StandardOAuth2Adapter("fakeoauth"))
    try:
        yield
    finally:
        oauth.unregister("fakeoauth")
        for cls in FAKES:
            registry.CONNECTORS.pop(cls.key, None)

"""The sign-in adapters of the networks whose connector packages provide an OAuth flow (see oauth.py).

- Mastodon: the person names their instance; Portevoix registers its app there (``register_app``), sends
  the person to the instance's authorization page and trades the code for an access token that does not
  expire (no refresh).
- VK: VK ID (OAuth 2.1 with PKCE) with the operator's VK ID app (``PORTEVOIX_VK_CLIENT_ID``); after the
  sign-in, the communities the person administers or edits are listed (``groups.get``) and the person
  chooses which to connect: each becomes a channel sharing the person's tokens. The VK connector renews
  the one-hour access tokens itself (its ``refresh()``), with the app id and device id stored alongside.

Registered when the channels app is ready (apps.py). A network whose package is missing is skipped.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import httpx
from django.conf import settings
from django.utils.translation import gettext as _

from portevoix.channels import oauth
from portevoix.channels.oauth import Grant, OAuthAdapter, Start, app_setting, check_callback_error
from portevoix.connectors.errors import ReauthRequired, Transient

logger = logging.getLogger(__name__)


class MastodonAdapter(OAuthAdapter):
    network = "mastodon"
    needs_base_url = True

    def normalize_base_url(self, value: str) -> str:
        from portevoix.connectors.mastodon.oauth import instance_url

        return instance_url(value)

    def start(self, *, http: httpx.Client, redirect_uri: str, state: str, base_url: str) -> Start:
        from portevoix.connectors.mastodon import oauth as mastodon

        base = mastodon.instance_url(base_url)
        website = str(getattr(settings, "PORTEVOIX_BASE_URL", "") or "") or None
        client_id, client_secret = mastodon.register_app(http, base, redirect_uri, website=website)
        url = mastodon.authorization_url(base, client_id, redirect_uri, state)
        return Start(url=url, keep={"base_url": base, "client_id": client_id, "client_secret": client_secret})

    def finish(
        self,
        *,
        http: httpx.Client,
        redirect_uri: str,
        state: str,
        keep: Mapping[str, str],
        query: Mapping[str, str],
    ) -> list[Grant]:
        from portevoix.connectors.mastodon import oauth as mastodon

        check_callback_error("Mastodon", query)
        code = query.get("code", "")
        base = keep.get("base_url", "")
        if not code or not base:
            raise ReauthRequired(_("Mastodon answered without a code; start again."))
        tokens = mastodon.exchange_code(
            http, base, keep.get("client_id", ""), keep.get("client_secret", ""), code, redirect_uri
        )
        credentials = {"access_token": tokens.access_token}
        if tokens.scope:
            credentials["scope"] = tokens.scope
        return [Grant(credentials=credentials, base_url=base)]


VK_CLIENT_ID = "PORTEVOIX_VK_CLIENT_ID"
VK_CLIENT_SECRET = "PORTEVOIX_VK_CLIENT_SECRET"  # not needed by VK ID (PKCE); read for completeness
VK_COMMUNITY_ROLES = "admin,editor"  # groups.get filter: the communities this person may post as


class VKAdapter(OAuthAdapter):
    network = "vk"

    def configured(self) -> bool:
        return bool(app_setting(VK_CLIENT_ID))

    def setup_help(self, *, redirect_uri: str) -> str:
        return _(
            "The operator of this server must create a VK ID app once: in the VK ID business account "
            "(id.vk.com/about/business), add a Web app, give it the trusted redirect address %(uri)s, ask "
            "VK for the wall, photos and groups rights, then set %(setting)s to the app's id in Portevoix's "
            "environment and restart it. Details: docs/networks/vk.md."
        ) % {"uri": redirect_uri, "setting": VK_CLIENT_ID}

    def start(self, *, http: httpx.Client, redirect_uri: str, state: str, base_url: str) -> Start:
        from portevoix.connectors.vk import oauth as vk

        verifier = vk.new_code_verifier()
        url = vk.authorization_url(
            client_id=app_setting(VK_CLIENT_ID),
            redirect_uri=redirect_uri,
            state=state,
            code_verifier=verifier,
        )
        return Start(url=url, keep={"code_verifier": verifier})

    def finish(
        self,
        *,
        http: httpx.Client,
        redirect_uri: str,
        state: str,
        keep: Mapping[str, str],
        query: Mapping[str, str],
    ) -> list[Grant]:
        from portevoix.connectors.vk import VK
        from portevoix.connectors.vk import oauth as vk

        client_id = app_setting(VK_CLIENT_ID)
        answer = vk.read_callback(query, state=state)
        tokens = vk.exchange_code(
            http,
            client_id=client_id,
            code=answer.code,
            code_verifier=keep.get("code_verifier", ""),
            device_id=answer.device_id,
            redirect_uri=redirect_uri,
            state=state,
        )
        credentials = {"access_token": tokens.access_token, "client_id": client_id, **dict(tokens.extra)}
        if tokens.refresh_token:
            credentials["refresh_token"] = tokens.refresh_token
        if tokens.scope:
            credentials["scope"] = tokens.scope
        communities = self._communities(http, VK.default_base_url, tokens.access_token)
        return [
            Grant(
                credentials=credentials,
                base_url=VK.default_base_url,
                external_id=str(community["id"]),
                label=str(community.get("name") or f"club{community['id']}"),
                handle=str(community.get("screen_name") or ""),
                options={"client_id": client_id},
                token_expires_at=tokens.expires_at,
            )
            for community in communities
        ]

    def _communities(self, http: httpx.Client, base_url: str, access_token: str) -> list[dict[str, Any]]:
        """The communities the person administers or edits (``groups.get``, ``filter=admin,editor``)."""
        from portevoix.connectors.vk import API_VERSION
        from portevoix.connectors.vk.api_errors import api_error, as_int

        data = {
            "filter": VK_COMMUNITY_ROLES,
            "extended": "1",
            "count": "1000",
            "access_token": access_token,
            "v": API_VERSION,
        }
        try:
            response = http.post(f"{base_url.rstrip('/')}/groups.get", data=data)
        except httpx.HTTPError as error:
            raise Transient(_("Could not reach VK."), detail=type(error).__name__) from None
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise Transient(_("VK answered something that is not an API answer."))
        if isinstance(body.get("error"), dict):
            raise api_error(body["error"], method="groups.get", secrets=[access_token])
        items = body.get("response", {}).get("items") if isinstance(body.get("response"), dict) else None
        if not isinstance(items, list):
            raise Transient(_("VK answered the list of communities with something else."))
        return [
            item
            for item in items
            if isinstance(item, dict) and (as_int(item.get("id")) or 0) > 0 and not item.get("deactivated")
        ]


def register_available() -> list[str]:
    """Register the adapters whose connector package is installed; returns their network keys."""
    from portevoix.connectors import registry

    registered = []
    for adapter in (MastodonAdapter(), VKAdapter()):
        if adapter.network in registry.CONNECTORS and adapter.network not in oauth.ADAPTERS:
            oauth.register(adapter)
            registered.append(adapter.network)
    return registered

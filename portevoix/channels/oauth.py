"""Connecting a channel by signing in on the network (OAuth 2): one generic flow, one adapter per network.

The flow (views.py drives it, this module does the work):

1. ``begin(request, adapter=..., ...)``: the adapter builds the network's authorization link
   (``adapter.start``); what the callback will need (the PKCE verifier, an app registered on a Mastodon
   instance...) is kept in the person's session, encrypted by the token vault, under a random ``state``.
2. The network sends the person back to the one callback URL of the install,
   ``<PORTEVOIX_BASE_URL>/channels/oauth/callback/``, with ``code`` and ``state``.
3. ``take(request)`` finds and removes the pending attempt for that ``state`` (a wrong, reused or expired
   state raises ``FlowError``: the view answers 400), then ``adapter.finish`` trades the code for tokens
   and returns one ``Grant`` per account the person may connect (several for a VK user who administers
   communities: the view shows a choice page). The services verify each grant with the connector before
   storing it.

An adapter is registered per network key (``register(MastodonAdapter())``); a network without one is not
offered a sign-in button (a pasted token still works where its connector declares form fields).
``StandardOAuth2Adapter`` covers networks that follow RFC 6749 with the URLs their connector declares in
``auth.oauth2`` and an app registered by the operator (client id and secret from the settings or the
environment, ``PORTEVOIX_<NETWORK>_CLIENT_ID`` / ``PORTEVOIX_<NETWORK>_CLIENT_SECRET``).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar
from urllib.parse import urlencode

import httpx
from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _

from portevoix.channels.runtime import connector_class
from portevoix.connectors.base import Connector
from portevoix.connectors.errors import NotSupported, RateLimited, ReauthRequired, Transient
from portevoix.connectors.types import AuthKind, ChannelConfig, TokenSet
from portevoix.core import vault
from portevoix.core.vault import VaultError

FLOW_SESSION_KEY = "pv.channels.oauth"
CHOICE_SESSION_KEY = "pv.channels.oauth_choice"
FLOW_TTL = timedelta(minutes=15)
MAX_PENDING_FLOWS = 5


# --- What adapters exchange with the flow ---------------------------------------------------------


@dataclass(frozen=True)
class Start:
    """Where to send the person, and what to keep (encrypted, in their session) for the callback."""

    url: str
    keep: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Grant:
    """One account the person may connect after signing in. ``external_id`` may be empty: the connector's
    ``verify()`` then says which account the credentials belong to."""

    credentials: Mapping[str, str]
    base_url: str
    external_id: str = ""
    label: str = ""  # shown on the choice page when there are several
    handle: str = ""
    options: Mapping[str, str] = field(default_factory=dict)
    token_expires_at: datetime | None = None

    def to_data(self) -> dict[str, Any]:
        data = asdict(self)
        data["credentials"] = dict(self.credentials)
        data["options"] = dict(self.options)
        data["token_expires_at"] = self.token_expires_at.isoformat() if self.token_expires_at else None
        return data

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Grant:
        expires = data.get("token_expires_at")
        return cls(
            credentials={str(k): str(v) for k, v in dict(data.get("credentials") or {}).items()},
            base_url=str(data.get("base_url") or ""),
            external_id=str(data.get("external_id") or ""),
            label=str(data.get("label") or ""),
            handle=str(data.get("handle") or ""),
            options={str(k): str(v) for k, v in dict(data.get("options") or {}).items()},
            token_expires_at=datetime.fromisoformat(expires) if expires else None,
        )


class FlowError(Exception):
    """The callback does not match a pending attempt of this person (wrong, reused or expired state)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# --- Adapters -------------------------------------------------------------------------------------


class OAuthAdapter:
    """How one network's sign-in works. Subclasses set ``network`` and implement ``start``/``finish``."""

    network: ClassVar[str]
    needs_base_url: ClassVar[bool] = False  # ask for the server address first (Mastodon instances)
    can_refresh: ClassVar[bool] = False

    def configured(self) -> bool:
        """False when the operator still has to register Portevoix's app with the network."""
        return True

    def normalize_base_url(self, value: str) -> str:
        """The server address from what the person typed (``needs_base_url``); ValueError when unusable."""
        return value.strip()

    def setup_help(self, *, redirect_uri: str) -> str:
        """How the operator registers the app (shown instead of the button when not configured)."""
        return ""

    def start(self, *, http: httpx.Client, redirect_uri: str, state: str, base_url: str) -> Start:
        raise NotImplementedError

    def finish(
        self,
        *,
        http: httpx.Client,
        redirect_uri: str,
        state: str,
        keep: Mapping[str, str],
        query: Mapping[str, str],
    ) -> list[Grant]:
        raise NotImplementedError

    def refresh(self, *, http: httpx.Client, config: ChannelConfig) -> TokenSet:
        raise NotSupported(_("This network's access cannot be renewed automatically."))


ADAPTERS: dict[str, OAuthAdapter] = {}


def register(adapter: OAuthAdapter) -> OAuthAdapter:
    if adapter.network in ADAPTERS:
        raise ValueError(f"An OAuth adapter for {adapter.network!r} is registered twice")
    ADAPTERS[adapter.network] = adapter
    return adapter


def unregister(network: str) -> None:
    ADAPTERS.pop(network, None)


def adapter_for(network: str) -> OAuthAdapter | None:
    """The sign-in adapter of a network whose connector declares OAuth 2, or None."""
    adapter = ADAPTERS.get(network)
    cls = connector_class(network)
    if adapter is None or cls is None or cls.auth.kind != AuthKind.OAUTH2:
        return None
    return adapter


def app_setting(name: str) -> str:
    """An app registration value: Django setting first, then the environment."""
    value = getattr(settings, name, None) or os.environ.get(name, "")
    return str(value).strip()


def redirect_uri(request: HttpRequest | None = None) -> str:
    """The one callback URL registered with every network: from PORTEVOIX_BASE_URL, else the request."""
    path = reverse("channels:oauth_callback")
    base = str(getattr(settings, "PORTEVOIX_BASE_URL", "") or "").rstrip("/")
    if base:
        return f"{base}{path}"
    if request is None:
        return path
    return request.build_absolute_uri(path)


def new_code_verifier() -> str:
    return secrets.token_urlsafe(48)


def code_challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class StandardOAuth2Adapter(OAuthAdapter):
    """RFC 6749 authorization code flow (with PKCE when the connector declares it) using the URLs and
    scopes of the connector's ``auth.oauth2`` and the operator's app credentials."""

    can_refresh = True

    def __init__(self, network: str, *, setting_prefix: str | None = None) -> None:
        self.network = network  # type: ignore[misc]
        prefix = setting_prefix or f"PORTEVOIX_{network.upper()}"
        self.client_id_setting = f"{prefix}_CLIENT_ID"
        self.client_secret_setting = f"{prefix}_CLIENT_SECRET"

    def _connector(self) -> type[Connector]:
        cls = connector_class(self.network)
        if cls is None or cls.auth.oauth2 is None:
            raise NotSupported(_("This network does not declare an OAuth sign-in."))
        return cls

    def configured(self) -> bool:
        return bool(app_setting(self.client_id_setting))

    def setup_help(self, *, redirect_uri: str) -> str:
        label = self._connector().label
        return _(
            "Register an application with %(network)s, give it the redirect address %(uri)s, then set "
            "%(id)s and %(secret)s in Portevoix's environment and restart it."
        ) % {
            "network": label,
            "uri": redirect_uri,
            "id": self.client_id_setting,
            "secret": self.client_secret_setting,
        }

    def start(self, *, http: httpx.Client, redirect_uri: str, state: str, base_url: str) -> Start:
        oauth2 = self._connector().auth.oauth2
        assert oauth2 is not None
        query = {
            "response_type": "code",
            "client_id": app_setting(self.client_id_setting),
            "redirect_uri": redirect_uri,
            "state": state,
        }
        if oauth2.scopes:
            query["scope"] = " ".join(oauth2.scopes)
        keep: dict[str, str] = {}
        if oauth2.pkce:
            verifier = new_code_verifier()
            keep["code_verifier"] = verifier
            query["code_challenge"] = code_challenge(verifier)
            query["code_challenge_method"] = "S256"
        separator = "&" if "?" in oauth2.authorize_url else "?"
        return Start(url=f"{oauth2.authorize_url}{separator}{urlencode(query)}", keep=keep)

    def finish(
        self,
        *,
        http: httpx.Client,
        redirect_uri: str,
        state: str,
        keep: Mapping[str, str],
        query: Mapping[str, str],
    ) -> list[Grant]:
        cls = self._connector()
        check_callback_error(cls.label, query)
        code = query.get("code", "")
        if not code:
            raise ReauthRequired(
                _("%(network)s answered without a code; start again.") % {"network": cls.label}
            )
        data = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
        if keep.get("code_verifier"):
            data["code_verifier"] = keep["code_verifier"]
        tokens = self._token_request(http, data)
        credentials = {"access_token": tokens.access_token}
        if tokens.refresh_token:
            credentials["refresh_token"] = tokens.refresh_token
        return [
            Grant(
                credentials=credentials,
                base_url=cls.default_base_url,
                token_expires_at=tokens.expires_at,
            )
        ]

    def refresh(self, *, http: httpx.Client, config: ChannelConfig) -> TokenSet:
        refresh_token = config.credentials.get("refresh_token", "")
        if not refresh_token:
            raise ReauthRequired(_("This channel has no refresh token; reconnect it."))
        return self._token_request(http, {"grant_type": "refresh_token", "refresh_token": refresh_token})

    def _token_request(self, http: httpx.Client, data: dict[str, str]) -> TokenSet:
        cls = self._connector()
        oauth2 = cls.auth.oauth2
        assert oauth2 is not None
        data = {**data, "client_id": app_setting(self.client_id_setting)}
        secret = app_setting(self.client_secret_setting)
        if secret:
            data["client_secret"] = secret
        return token_request(http, oauth2.token_url, data, label=cls.label)


def check_callback_error(label: str, query: Mapping[str, str]) -> None:
    if query.get("error"):
        raise ReauthRequired(
            _("%(network)s did not grant access. Connect again and allow every requested permission.")
            % {"network": label},
            detail=str(query.get("error_description") or query["error"])[:200],
        )


def token_request(http: httpx.Client, url: str, data: Mapping[str, str], *, label: str) -> TokenSet:
    """POST a form to an OAuth 2 token endpoint and read the tokens, with typed errors."""
    try:
        response = http.post(url, data=dict(data), headers={"Accept": "application/json"})
    except httpx.TimeoutException as error:
        raise Transient(
            _("%(network)s did not answer in time.") % {"network": label}, detail=type(error).__name__
        ) from None
    except httpx.HTTPError as error:
        message = _("Could not reach %(network)s.") % {"network": label}
        raise Transient(message, detail=type(error).__name__) from None
    if response.status_code == 429:
        raise RateLimited(_("%(network)s asks us to slow down.") % {"network": label})
    if response.status_code >= 500:
        raise Transient(
            _("%(network)s had a temporary problem (%(status)s).")
            % {"network": label, "status": response.status_code}
        )
    try:
        body = response.json()
    except ValueError:
        raise Transient(_("%(network)s answered something that is not JSON.") % {"network": label}) from None
    if not isinstance(body, dict) or body.get("error") or response.status_code >= 400:
        detail = ""
        if isinstance(body, dict):
            detail = f"{body.get('error', '')}: {body.get('error_description', '')}"[:300]
        raise ReauthRequired(
            _(
                "%(network)s refused the authorization (an expired or reused code, or a wrong app); "
                "connect again."
            )
            % {"network": label},
            detail=detail,
        )
    access_token = body.get("access_token")
    if not isinstance(access_token, str) or not access_token:
        raise Transient(_("%(network)s answered without an access token.") % {"network": label})
    expires_at = None
    expires_in = body.get("expires_in")
    if isinstance(expires_in, int | float) and not isinstance(expires_in, bool) and expires_in > 0:
        expires_at = datetime.now(UTC) + timedelta(seconds=expires_in)
    refresh_token = body.get("refresh_token")
    return TokenSet(
        access_token=access_token,
        refresh_token=refresh_token if isinstance(refresh_token, str) and refresh_token else None,
        expires_at=expires_at,
        scope=str(body.get("scope") or ""),
    )


# --- Pending attempts, in the person's session ------------------------------------------------------


@dataclass(frozen=True)
class Flow:
    """A pending sign-in: for which workspace and network, maybe to reconnect which channel."""

    state: str
    network: str
    workspace: str  # slug
    redirect_uri: str
    base_url: str = ""
    channel_id: int | None = None
    keep: Mapping[str, str] = field(default_factory=dict)
    started: float = 0.0


def _seal(data: Mapping[str, Any]) -> str:
    return vault.encrypt(json.dumps(data, separators=(",", ":")))


def _unseal(token: Any) -> dict[str, Any] | None:
    if not isinstance(token, str):
        return None
    try:
        data = json.loads(vault.decrypt(token))
    except (VaultError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _state_key(state: str) -> str:
    return hashlib.sha256(state.encode("utf-8", "replace")).hexdigest()[:32]


def begin(
    request: HttpRequest,
    *,
    adapter: OAuthAdapter,
    http: httpx.Client,
    workspace: str,
    base_url: str = "",
    channel_id: int | None = None,
) -> str:
    """Start a sign-in; returns the URL to redirect the person to."""
    state = secrets.token_urlsafe(24)
    uri = redirect_uri(request)
    start = adapter.start(http=http, redirect_uri=uri, state=state, base_url=base_url)
    now = time.time()
    pending = {
        key: value
        for key, value in dict(request.session.get(FLOW_SESSION_KEY) or {}).items()
        if (data := _unseal(value)) is not None
        and now - float(data.get("started", 0)) < FLOW_TTL.total_seconds()
    }
    flow = Flow(
        state=state,
        network=adapter.network,
        workspace=workspace,
        redirect_uri=uri,
        base_url=base_url,
        channel_id=channel_id,
        keep=dict(start.keep),
        started=now,
    )
    pending[_state_key(state)] = _seal({**asdict(flow), "keep": dict(flow.keep)})
    while len(pending) > MAX_PENDING_FLOWS:
        pending.pop(next(iter(pending)))
    request.session[FLOW_SESSION_KEY] = pending
    return start.url


def take(request: HttpRequest) -> Flow:
    """The pending attempt named by the callback's ``state``, removed from the session (single use)."""
    state = request.GET.get("state", "")
    pending = dict(request.session.get(FLOW_SESSION_KEY) or {})
    sealed = pending.pop(_state_key(state), None) if state else None
    if sealed is not None:
        request.session[FLOW_SESSION_KEY] = pending
    data = _unseal(sealed)
    if (
        not state
        or data is None
        or not secrets.compare_digest(str(data.get("state", "")).encode(), state.encode("utf-8", "replace"))
    ):
        raise FlowError(
            _(
                "This sign-in does not match a connection you started in this browser (it may have been "
                "used already). Start the connection again."
            )
        )
    if time.time() - float(data.get("started", 0)) > FLOW_TTL.total_seconds():
        raise FlowError(_("This sign-in took too long and expired. Start the connection again."))
    channel_id = data.get("channel_id")
    return Flow(
        state=state,
        network=str(data.get("network", "")),
        workspace=str(data.get("workspace", "")),
        redirect_uri=str(data.get("redirect_uri", "")),
        base_url=str(data.get("base_url", "")),
        channel_id=int(channel_id) if isinstance(channel_id, int) else None,
        keep={str(k): str(v) for k, v in dict(data.get("keep") or {}).items()},
        started=float(data.get("started", 0)),
    )


def callback_query(request: HttpRequest) -> dict[str, str]:
    return {key: request.GET.get(key, "")[:2000] for key in request.GET}


# --- Choosing among several accounts ----------------------------------------------------------------


@dataclass(frozen=True)
class Choice:
    network: str
    workspace: str
    grants: Sequence[Grant]
    started: float


def keep_choice(request: HttpRequest, *, network: str, workspace: str, grants: Sequence[Grant]) -> None:
    data = {
        "network": network,
        "workspace": workspace,
        "grants": [grant.to_data() for grant in grants],
        "started": time.time(),
    }
    request.session[CHOICE_SESSION_KEY] = _seal(data)


def read_choice(request: HttpRequest, *, network: str, workspace: str) -> Choice | None:
    data = _unseal(request.session.get(CHOICE_SESSION_KEY))
    if data is None or data.get("network") != network or data.get("workspace") != workspace:
        return None
    if time.time() - float(data.get("started", 0)) > FLOW_TTL.total_seconds():
        return None
    try:
        grants = [Grant.from_data(item) for item in data.get("grants") or []]
    except (TypeError, ValueError):
        return None
    return Choice(network=network, workspace=workspace, grants=grants, started=float(data["started"]))


def forget_choice(request: HttpRequest) -> None:
    request.session.pop(CHOICE_SESSION_KEY, None)

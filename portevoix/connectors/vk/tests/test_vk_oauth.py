"""VK ID: PKCE, the authorization link, the callback, the code exchange and the refresh."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from portevoix.connectors.errors import RateLimited, ReauthRequired, Transient
from portevoix.connectors.vk import VK, oauth
from portevoix.connectors.vk.tests.helpers import (
    CLIENT_ID,
    DEVICE_ID,
    REFRESH_TOKEN,
    fixture,
    form,
    make_channel,
)

TOKEN_URL = "https://id.vk.com/oauth2/auth"
REDIRECT_URI = "https://portevoix.example/channels/oauth/vk/callback"
NOW = datetime(2024, 6, 19, 12, 0, tzinfo=UTC)
STATE = "XXXRandomZZZ"  # the state in the documented token answer


def token_reply(**changes: Any) -> httpx.Response:
    body = fixture("vkid_token.json")
    body.update(changes)
    return httpx.Response(200, json=body)


# --- PKCE ---------------------------------------------------------------------------------------------


def test_code_challenge_is_s256_of_the_verifier() -> None:
    # RFC 7636, appendix B.
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    assert oauth.code_challenge(verifier) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    expected = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    assert oauth.code_challenge(verifier) == expected


@pytest.mark.parametrize("length", [43, 64, 128])
def test_verifiers_of_43_to_128_characters_are_accepted(length: int) -> None:
    assert oauth.check_code_verifier("a" * length) == "a" * length


@pytest.mark.parametrize("verifier", ["a" * 42, "a" * 129, "a" * 42 + "~", "a" * 42 + ".", "é" * 43, ""])
def test_other_verifiers_are_refused(verifier: str) -> None:
    with pytest.raises(ValueError, match="43 to 128"):
        oauth.code_challenge(verifier)


def test_new_verifiers_are_valid_and_unique() -> None:
    verifiers = {oauth.new_code_verifier() for _ in range(50)}
    assert len(verifiers) == 50
    for verifier in verifiers:
        assert oauth.check_code_verifier(verifier)


# --- Authorization link and callback ---------------------------------------------------------------


def test_authorization_url_carries_the_challenge_not_the_verifier() -> None:
    verifier = oauth.new_code_verifier()

    url = oauth.authorization_url(
        client_id=CLIENT_ID, redirect_uri=REDIRECT_URI, state=STATE, code_verifier=verifier
    )

    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "id.vk.com", "/authorize")
    query = {name: values[0] for name, values in parse_qs(parts.query, strict_parsing=True).items()}
    assert query == {
        "response_type": "code",
        "client_id": CLIENT_ID,
        "redirect_uri": REDIRECT_URI,
        "state": STATE,
        "code_challenge": oauth.code_challenge(verifier),
        "code_challenge_method": "S256",
        "scope": "vkid.personal_info wall photos groups stats",
    }
    assert verifier not in url


def test_authorization_url_needs_a_state_and_a_valid_verifier() -> None:
    with pytest.raises(ValueError, match="state"):
        oauth.authorization_url(
            client_id=CLIENT_ID, redirect_uri=REDIRECT_URI, state="", code_verifier="a" * 43
        )
    with pytest.raises(ValueError, match="43 to 128"):
        oauth.authorization_url(
            client_id=CLIENT_ID, redirect_uri=REDIRECT_URI, state=STATE, code_verifier="short"
        )


def test_callback_gives_code_and_device_id() -> None:
    query = {"code": "c0de", "state": STATE, "device_id": DEVICE_ID, "type": "code_v2", "expires_in": "600"}

    received = oauth.read_callback(query, state=STATE)

    assert received == oauth.AuthorizationCode(code="c0de", device_id=DEVICE_ID, state=STATE)


@pytest.mark.parametrize(
    "query",
    [
        {"code": "c0de", "state": "forged", "device_id": DEVICE_ID},
        {"code": "c0de", "state": "ünïcode", "device_id": DEVICE_ID},
        {"code": "c0de", "device_id": DEVICE_ID},
        {"code": "c0de", "state": STATE},
        {"state": STATE, "device_id": DEVICE_ID},
        {"error": "access_denied", "error_description": "User denied access", "state": STATE},
    ],
)
def test_a_bad_callback_needs_a_new_attempt(query: dict[str, str]) -> None:
    with pytest.raises(ReauthRequired):
        oauth.read_callback(query, state=STATE)


# --- Code exchange ----------------------------------------------------------------------------------


def test_exchange_code_posts_the_documented_form(respx_mock: Any) -> None:
    route = respx_mock.post(TOKEN_URL).mock(return_value=token_reply())
    verifier = oauth.new_code_verifier()

    tokens = oauth.exchange_code(
        httpx.Client(),
        client_id=CLIENT_ID,
        code="c0de",
        code_verifier=verifier,
        device_id=DEVICE_ID,
        redirect_uri=REDIRECT_URI,
        state=STATE,
        now=NOW,
    )

    request = route.calls.last.request
    assert request.url.query == b""
    assert form(request) == {
        "grant_type": "authorization_code",
        "code": "c0de",
        "code_verifier": verifier,
        "client_id": CLIENT_ID,
        "device_id": DEVICE_ID,
        "redirect_uri": REDIRECT_URI,
        "state": STATE,
    }
    answer = fixture("vkid_token.json")
    assert tokens.access_token == answer["access_token"]
    assert tokens.refresh_token == answer["refresh_token"]
    assert tokens.expires_at == NOW + timedelta(seconds=3600)
    assert tokens.scope == "vkid.personal_info wall photos groups stats"
    assert dict(tokens.extra) == {"user_id": "1234567890", "device_id": DEVICE_ID}


def test_an_answer_for_another_state_is_refused(respx_mock: Any) -> None:
    respx_mock.post(TOKEN_URL).mock(return_value=token_reply(state="someone-else"))

    with pytest.raises(ReauthRequired, match="state"):
        oauth.exchange_code(
            httpx.Client(),
            client_id=CLIENT_ID,
            code="c0de",
            code_verifier="a" * 43,
            device_id=DEVICE_ID,
            redirect_uri=REDIRECT_URI,
            state=STATE,
        )


# --- Refresh ----------------------------------------------------------------------------------------


def test_refresh_posts_the_refresh_token_and_device_id(respx_mock: Any) -> None:
    route = respx_mock.post(TOKEN_URL).mock(return_value=token_reply())

    tokens = oauth.refresh(
        httpx.Client(),
        client_id=CLIENT_ID,
        refresh_token=REFRESH_TOKEN,
        device_id=DEVICE_ID,
        state=STATE,
        now=NOW,
    )

    assert form(route.calls.last.request) == {
        "grant_type": "refresh_token",
        "refresh_token": REFRESH_TOKEN,
        "client_id": CLIENT_ID,
        "device_id": DEVICE_ID,
        "state": STATE,
    }
    assert tokens.refresh_token == fixture("vkid_token.json")["refresh_token"]  # rotated: store the new one
    assert tokens.expires_at == NOW + timedelta(hours=1)
    assert tokens.extra["device_id"] == DEVICE_ID


def test_connector_refresh_uses_the_channel_credentials(respx_mock: Any) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return token_reply(state=form(request)["state"])

    route = respx_mock.post(TOKEN_URL).mock(side_effect=answer)
    vk = VK(make_channel(), httpx.Client())

    tokens = vk.refresh()

    sent = form(route.calls.last.request)
    assert (sent["grant_type"], sent["refresh_token"], sent["device_id"], sent["client_id"]) == (
        "refresh_token",
        REFRESH_TOKEN,
        DEVICE_ID,
        CLIENT_ID,
    )
    assert len(sent["state"]) >= 16
    assert tokens.access_token == fixture("vkid_token.json")["access_token"]
    assert tokens.extra == {"user_id": "1234567890", "device_id": DEVICE_ID}


def test_connector_refresh_reads_the_app_id_from_the_options(respx_mock: Any) -> None:
    respx_mock.post(TOKEN_URL).mock(side_effect=lambda request: token_reply(state=form(request)["state"]))
    channel = make_channel(client_id="")
    channel = type(channel)(
        external_id=channel.external_id,
        credentials=channel.credentials,
        base_url=channel.base_url,
        options={"client_id": CLIENT_ID},
    )

    VK(channel, httpx.Client()).refresh()

    assert form(respx_mock.calls.last.request)["client_id"] == CLIENT_ID


@pytest.mark.parametrize("missing", ["refresh_token", "device_id", "client_id"])
def test_connector_refresh_without_what_it_needs_asks_to_reconnect(respx_mock: Any, missing: str) -> None:
    vk = VK(make_channel(**{missing: ""}), httpx.Client())

    with pytest.raises(ReauthRequired):
        vk.refresh()
    assert not respx_mock.calls


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        (httpx.Response(200, json=fixture("vkid_error.json")), ReauthRequired),
        (httpx.Response(400, json=fixture("vkid_error.json")), ReauthRequired),
        (
            httpx.Response(400, json={"error": "invalid_client", "error_description": "bad client"}),
            ReauthRequired,
        ),
        (httpx.Response(200, json={"error": "server_error", "error_description": "try later"}), Transient),
        (httpx.Response(200, json={"error": "slow_down"}), RateLimited),
        (httpx.Response(429, text="Too Many Requests"), RateLimited),
        (httpx.Response(503, text="<html>Service Unavailable</html>"), Transient),
        (httpx.Response(200, text="<html>proxy</html>"), Transient),
        (httpx.Response(200, json={"token_type": "Bearer"}), Transient),
        (httpx.Response(401, json={}), ReauthRequired),
        (httpx.ConnectError("refused"), Transient),
        (httpx.ReadTimeout("slow"), Transient),
    ],
)
def test_token_errors_are_typed(
    respx_mock: Any, response: httpx.Response | Exception, expected: type[Exception]
) -> None:
    route = respx_mock.post(TOKEN_URL)
    if isinstance(response, Exception):
        route.mock(side_effect=response)
    else:
        route.mock(return_value=response)

    with pytest.raises(expected) as caught:
        oauth.refresh(
            httpx.Client(), client_id=CLIENT_ID, refresh_token=REFRESH_TOKEN, device_id=DEVICE_ID, state=STATE
        )

    assert REFRESH_TOKEN not in f"{caught.value} {getattr(caught.value, 'detail', '')}"


def test_invalid_grant_keeps_vk_ids_description() -> None:
    client = httpx.Client(
        transport=httpx.MockTransport(lambda request: httpx.Response(200, json=fixture("vkid_error.json")))
    )

    with pytest.raises(ReauthRequired) as caught:
        oauth.refresh(
            client, client_id=CLIENT_ID, refresh_token=REFRESH_TOKEN, device_id=DEVICE_ID, state=STATE
        )

    assert caught.value.detail == "invalid_grant: Refresh token is expired or invalid"

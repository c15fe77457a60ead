"""Connecting by signing in on the network: the generic OAuth 2 flow (with the fake network), the choice
among several accounts, reconnecting, and the Mastodon and VK adapters against their documented answers."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from django.urls import reverse

from portevoix.channels import oauth
from portevoix.channels.models import Channel, ChannelStatus
from portevoix.channels.oauth import Grant, StandardOAuth2Adapter
from portevoix.channels.tests.fakes import FAKEOAUTH_API, FAKEOAUTH_AUTHORIZE, FAKEOAUTH_TOKEN
from portevoix.channels.tests.helpers import make_channel, stored_credentials
from portevoix.workspaces.models import Membership
from portevoix.workspaces.roles import Role

pytestmark = pytest.mark.django_db

CALLBACK = "https://portevoix.example/channels/oauth/callback/"
CONNECTORS = Path(__file__).resolve().parents[2] / "connectors"


def fixture(network: str, name: str) -> dict:
    return json.loads((CONNECTORS / network / "fixtures" / name).read_text())


def url(name: str, team, *args) -> str:
    return reverse(f"channels:{name}", args=[team.workspace.slug, *args])


def query_of(location: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}


def start(client, team, network: str = "fakeoauth") -> dict[str, str]:
    response = client.get(url("connect", team, network))
    assert response.status_code == 302, response.content[:500]
    return query_of(response["Location"])


def callback(client, follow: bool = False, **params: str):
    return client.get(reverse("channels:oauth_callback"), params, follow=follow)


def token_endpoint(network, **body):
    answer = {"access_token": "at-fresh-1", "refresh_token": "rt-fresh-1", "expires_in": 7200, **body}
    return network.post(FAKEOAUTH_TOKEN).respond(200, json=answer)


# --- The generic flow -----------------------------------------------------------------------------


def test_connect_redirects_to_the_networks_authorization_page(team, client_for):
    client = client_for(team.user(Role.MANAGER))
    response = client.get(url("connect", team, "fakeoauth"))
    assert response["Location"].startswith(f"{FAKEOAUTH_AUTHORIZE}?")
    query = query_of(response["Location"])
    assert query["client_id"] == "fake-client-id"
    assert query["redirect_uri"] == CALLBACK
    assert query["response_type"] == "code"
    assert query["scope"] == "read write"
    assert query["code_challenge_method"] == "S256"
    assert len(query["state"]) >= 32
    # What the callback needs stays in the session, encrypted: no verifier in clear.
    pending = client.session[oauth.FLOW_SESSION_KEY]
    assert all(value.startswith("vault:v1:") for value in pending.values())


def test_the_callback_exchanges_the_code_and_connects_the_account(team, client_for, network):
    client = client_for(team.user(Role.MANAGER))
    query = start(client, team)
    token = token_endpoint(network)
    me = network.get(f"{FAKEOAUTH_API}/me").respond(200, json={"id": "u-1", "name": "Ada", "handle": "@ada"})
    response = callback(client, code="the-code", state=query["state"])
    assert response.status_code == 302
    assert response["Location"] == url("list", team)
    sent = parse_qs(token.calls.last.request.content.decode())
    assert sent["grant_type"] == ["authorization_code"]
    assert sent["code"] == ["the-code"]
    assert sent["redirect_uri"] == [CALLBACK]
    assert sent["client_secret"] == ["fake-client-secret-9c1"]
    verifier = sent["code_verifier"][0]
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    assert challenge == query["code_challenge"]
    assert me.calls.last.request.headers["Authorization"] == "Bearer at-fresh-1"
    channel = Channel.objects.get()
    assert (channel.network, channel.external_id, channel.name, channel.handle) == (
        "fakeoauth",
        "u-1",
        "Ada",
        "@ada",
    )
    assert channel.credentials.reveal() == {"access_token": "at-fresh-1", "refresh_token": "rt-fresh-1"}
    assert "at-fresh-1" not in stored_credentials(channel)
    assert channel.token_expires_at is not None
    assert channel.refresh_due_at is not None
    html = client.get(url("list", team)).content.decode()
    assert "Ada is connected." in html
    assert "at-fresh-1" not in html


@pytest.mark.parametrize("state", ["", "forged-state", "x" * 3000])
def test_a_state_that_matches_no_attempt_is_a_400_page(team, client_for, network, state):
    client = client_for(team.user(Role.OWNER))
    start(client, team)
    response = callback(client, code="c", state=state)
    assert response.status_code == 400
    assert b'data-testid="oauth-failed"' in response.content
    assert b"does not match a connection you started" in response.content
    assert not network.calls
    assert not Channel.objects.exists()


def test_a_state_works_once(team, client_for, network):
    client = client_for(team.user(Role.OWNER))
    query = start(client, team)
    token_endpoint(network)
    network.get(f"{FAKEOAUTH_API}/me").respond(200, json={"id": "u-1", "name": "Ada"})
    assert callback(client, code="c", state=query["state"]).status_code == 302
    assert callback(client, code="c", state=query["state"]).status_code == 400
    assert Channel.objects.count() == 1


def test_an_expired_attempt_is_a_400_page(team, client_for, network, monkeypatch):
    client = client_for(team.user(Role.OWNER))
    query = start(client, team)
    later = oauth.time.time() + oauth.FLOW_TTL.total_seconds() + 1
    monkeypatch.setattr(oauth.time, "time", lambda: later)
    response = callback(client, code="c", state=query["state"])
    assert response.status_code == 400
    assert b"took too long and expired" in response.content
    assert not network.calls


def test_another_persons_state_does_not_work_in_my_session(team, client_for, network):
    query = start(client_for(team.user(Role.OWNER)), team)
    response = callback(client_for(team.user(Role.MANAGER)), code="c", state=query["state"])
    assert response.status_code == 400
    assert not Channel.objects.exists()


def test_the_callback_needs_a_signed_in_person(client, team, client_for):
    response = client.get(reverse("channels:oauth_callback"), {"code": "c", "state": "s"})
    assert response.status_code == 302
    assert "/accounts/login" in response["Location"]


def test_losing_the_right_to_manage_channels_midway_is_403(team, client_for, network):
    client = client_for(team.user(Role.MANAGER))
    query = start(client, team)
    Membership.objects.filter(pk=team.member(Role.MANAGER).pk).update(role=Role.COPYWRITER)
    response = callback(client, code="c", state=query["state"])
    assert response.status_code == 403
    assert not network.calls


def test_a_refusal_on_the_network_sends_back_to_the_connect_page(team, client_for, network):
    client = client_for(team.user(Role.OWNER))
    query = start(client, team)
    response = callback(
        client, error="access_denied", error_description="The user said no", state=query["state"]
    )
    assert response.status_code == 302
    assert response["Location"] == url("connect", team, "fakeoauth") + "?again=1"
    page = client.get(response["Location"])
    assert page.status_code == 200  # no new trip to the network: the reason, and the button
    assert "Fakeoauth did not grant access." in page.content.decode()
    assert 'data-testid="sign-in"' in page.content.decode()
    assert not network.calls


def test_a_refused_code_exchange_is_explained(team, client_for, network):
    client = client_for(team.user(Role.OWNER))
    query = start(client, team)
    network.post(FAKEOAUTH_TOKEN).respond(400, json={"error": "invalid_grant"})
    response = callback(client, code="used", state=query["state"], follow=True)
    assert "Fakeoauth refused the authorization" in response.content.decode()
    assert not Channel.objects.exists()


def test_without_the_app_registration_the_page_explains_how_to_set_it_up(team, client_for, settings):
    del settings.PORTEVOIX_FAKEOAUTH_CLIENT_ID
    client = client_for(team.user(Role.OWNER))
    response = client.get(url("connect", team, "fakeoauth"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="oauth-setup"' in html
    assert "PORTEVOIX_FAKEOAUTH_CLIENT_ID" in html
    assert CALLBACK in html
    response = client.post(url("oauth_start", team, "fakeoauth"), follow=True)
    assert "not set up on this server yet" in response.content.decode()


def test_a_network_without_an_adapter_is_not_offered_a_sign_in(team, client_for):
    oauth.unregister("fakeoauth")
    html = client_for(team.user(Role.OWNER)).get(url("connect", team, "fakeoauth")).content.decode()
    assert 'data-testid="oauth-unavailable"' in html
    assert 'data-testid="sign-in"' not in html


# --- Several accounts: a choice page --------------------------------------------------------------


class TwoAccounts(StandardOAuth2Adapter):
    def finish(self, **kwargs) -> list[Grant]:
        (grant,) = super().finish(**kwargs)
        return [
            Grant(credentials=grant.credentials, base_url=grant.base_url, external_id=eid, label=label)
            for eid, label in (("100", "Bakery"), ("200", "Flower shop"))
        ]


def test_several_accounts_lead_to_a_choice_page(team, client_for, network):
    oauth.unregister("fakeoauth")
    oauth.register(TwoAccounts("fakeoauth"))
    client = client_for(team.user(Role.OWNER))
    query = start(client, team)
    token_endpoint(network)
    for eid, name in (("100", "Bakery"), ("200", "Flower shop")):
        network.get(f"{FAKEOAUTH_API}/accounts/{eid}").respond(200, json={"id": eid, "name": name})
    response = callback(client, code="c", state=query["state"])
    assert response["Location"] == url("oauth_choose", team, "fakeoauth")
    html = client.get(response["Location"]).content.decode()
    assert "Bakery" in html
    assert "Flower shop" in html
    assert "at-fresh-1" not in html
    assert "at-fresh-1" not in str(dict(client.session))  # kept encrypted
    response = client.post(url("oauth_choose", team, "fakeoauth"), {"accounts": ["1"]})
    assert response.status_code == 302
    (channel,) = Channel.objects.all()
    assert (channel.external_id, channel.name) == ("200", "Flower shop")
    # The choice is used up.
    response = client.get(url("oauth_choose", team, "fakeoauth"))
    assert response.status_code == 302


def test_the_choice_page_refuses_garbage(team, client_for, network):
    oauth.unregister("fakeoauth")
    oauth.register(TwoAccounts("fakeoauth"))
    client = client_for(team.user(Role.OWNER))
    query = start(client, team)
    token_endpoint(network)
    callback(client, code="c", state=query["state"])
    for data in ({}, {"accounts": ["7"]}, {"accounts": ["-1"]}, {"accounts": ["x"]}):
        response = client.post(url("oauth_choose", team, "fakeoauth"), data)
        assert response.status_code == 200
        assert b"errorlist" in response.content
    assert not Channel.objects.exists()


def test_the_choice_page_without_a_pending_choice_goes_back(team, client_for):
    response = client_for(team.user(Role.OWNER)).get(url("oauth_choose", team, "fakeoauth"))
    assert response.status_code == 302
    assert response["Location"] == url("connect_index", team)


# --- Reconnecting by signing in -------------------------------------------------------------------


def test_reconnect_by_signing_in_again(team, client_for, network):
    channel = make_channel(
        team.workspace,
        network="fakeoauth",
        external_id="u-1",
        credentials={"access_token": "at-revoked"},
        status=ChannelStatus.NEEDS_REAUTH,
        base_url=FAKEOAUTH_API,
    )
    client = client_for(team.user(Role.OWNER))
    html = client.get(url("reconnect", team, channel.pk)).content.decode()
    assert f'name="channel" value="{channel.pk}"' in html
    response = client.post(url("oauth_start", team, "fakeoauth"), {"channel": channel.pk})
    query = query_of(response["Location"])
    token_endpoint(network)
    network.get(f"{FAKEOAUTH_API}/accounts/u-1").respond(200, json={"id": "u-1", "name": "Ada"})
    response = callback(client, code="c", state=query["state"])
    assert response["Location"] == url("detail", team, channel.pk)
    channel.refresh_from_db()
    assert channel.status == ChannelStatus.ACTIVE
    assert channel.credentials.reveal()["access_token"] == "at-fresh-1"


def test_reconnecting_with_another_account_is_refused(team, client_for, network):
    channel = make_channel(
        team.workspace, network="fakeoauth", external_id="u-1", credentials={"access_token": "at-old"}
    )
    client = client_for(team.user(Role.OWNER))
    response = client.post(url("oauth_start", team, "fakeoauth"), {"channel": channel.pk})
    query = query_of(response["Location"])
    token_endpoint(network)
    network.get(f"{FAKEOAUTH_API}/accounts/u-1").respond(200, json={"id": "u-9", "name": "Mallory"})
    response = callback(client, code="c", state=query["state"], follow=True)
    assert "belong to another account" in response.content.decode()
    assert Channel.objects.get(pk=channel.pk).credentials.reveal()["access_token"] == "at-old"


@pytest.mark.parametrize("value", ["abc", "-1", "99999999999999999999999"])
def test_a_garbage_channel_id_to_reconnect_is_not_found(team, client_for, value):
    response = client_for(team.user(Role.OWNER)).post(
        url("oauth_start", team, "fakeoauth"), {"channel": value}
    )
    assert response.status_code == 404


# --- Mastodon -------------------------------------------------------------------------------------


def test_mastodon_asks_for_the_instance_registers_the_app_and_connects(team, client_for, network):
    client = client_for(team.user(Role.OWNER))
    html = client.get(url("connect", team, "mastodon")).content.decode()
    assert 'data-testid="sign-in"' in html
    assert 'name="base_url"' in html
    assert 'type="password" name="access_token"' in html  # the pasted-token alternative it declares
    apps = network.post("https://social.example/api/v1/apps").respond(
        200, json=fixture("mastodon", "app.json")
    )
    response = client.post(url("oauth_start", team, "mastodon"), {"base_url": "Social.Example"})
    assert response.status_code == 302
    assert response["Location"].startswith("https://social.example/oauth/authorize?")
    assert parse_qs(apps.calls.last.request.content.decode())["redirect_uris"] == [CALLBACK]
    query = query_of(response["Location"])
    token = network.post("https://social.example/oauth/token").respond(
        200, json=fixture("mastodon", "token.json")
    )
    network.get("https://social.example/api/v1/accounts/verify_credentials").respond(
        200, json=fixture("mastodon", "account.json")
    )
    response = callback(client, code="m-code", state=query["state"])
    assert response["Location"] == url("list", team)
    sent = parse_qs(token.calls.last.request.content.decode())
    assert sent["client_secret"] == [fixture("mastodon", "app.json")["client_secret"]]
    channel = Channel.objects.get()
    assert channel.network == "mastodon"
    assert channel.base_url == "https://social.example"
    assert channel.external_id == "110357222516183152"
    assert channel.credentials.reveal()["access_token"] == fixture("mastodon", "token.json")["access_token"]
    assert channel.token_expires_at is None


def test_mastodon_refuses_an_instance_address_with_a_path_or_a_private_one(
    team, client_for, settings, network
):
    client = client_for(team.user(Role.OWNER))
    response = client.post(url("oauth_start", team, "mastodon"), {"base_url": "https://social.example/@me"})
    assert response.status_code == 400
    assert b"without a path" in response.content
    settings.PORTEVOIX_HTTP_ALLOW_PRIVATE = False
    response = client.post(url("oauth_start", team, "mastodon"), {"base_url": "http://127.0.0.1"})
    assert response.status_code == 400
    assert b"private or internal address" in response.content
    assert not network.calls


# --- VK -------------------------------------------------------------------------------------------


def test_vk_without_an_app_id_explains_the_set_up(team, client_for, settings):
    settings.PORTEVOIX_VK_CLIENT_ID = ""
    response = client_for(team.user(Role.OWNER)).get(url("connect", team, "vk"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "PORTEVOIX_VK_CLIENT_ID" in html
    assert CALLBACK in html


def test_vk_lists_the_communities_and_connects_the_chosen_one(team, client_for, network, settings):
    settings.PORTEVOIX_VK_CLIENT_ID = "51234567"
    client = client_for(team.user(Role.OWNER))
    response = client.get(url("connect", team, "vk"))
    assert response["Location"].startswith("https://id.vk.com/authorize?")
    query = query_of(response["Location"])
    assert query["client_id"] == "51234567"
    assert query["code_challenge_method"] == "S256"
    answer = {**fixture("vk", "vkid_token.json"), "state": query["state"]}
    token = network.post("https://id.vk.com/oauth2/auth").respond(200, json=answer)
    communities = {
        "response": {
            "count": 2,
            "items": [
                {"id": 123456, "name": "Portevoix Demo", "screen_name": "portevoix_demo"},
                {"id": 777, "name": "Other page", "screen_name": "other"},
            ],
        }
    }
    groups = network.post("https://api.vk.com/method/groups.get").respond(200, json=communities)
    network.post("https://api.vk.com/method/groups.getById").respond(
        200, json=fixture("vk", "groups_getById.json")
    )
    response = callback(client, code="vk-code", state=query["state"], device_id="dev-42")
    assert response["Location"] == url("oauth_choose", team, "vk")
    sent = parse_qs(token.calls.last.request.content.decode())
    assert sent["device_id"] == ["dev-42"]
    assert "filter=admin%2Ceditor" in groups.calls.last.request.content.decode()
    html = client.get(response["Location"]).content.decode()
    assert "Portevoix Demo" in html
    assert "Other page" in html
    response = client.post(url("oauth_choose", team, "vk"), {"accounts": ["0"]})
    assert response.status_code == 302
    channel = Channel.objects.get()
    assert (channel.external_id, channel.name, channel.followers) == ("123456", "Portevoix Demo", 4821)
    credentials = channel.credentials.reveal()
    assert credentials["access_token"] == answer["access_token"]
    assert credentials["refresh_token"] == answer["refresh_token"]
    assert credentials["device_id"] == "dev-42"
    assert credentials["client_id"] == "51234567"
    assert channel.token_expires_at is not None
    assert answer["access_token"] not in stored_credentials(channel)


def test_vk_tokens_are_renewed_by_the_connector(team, network, settings):
    from portevoix.channels import services

    settings.PORTEVOIX_VK_CLIENT_ID = "51234567"
    channel = make_channel(
        team.workspace,
        network="vk",
        external_id="123456",
        base_url="https://api.vk.com/method",
        credentials={
            "access_token": "vk-old",
            "refresh_token": "vk-rt-1",
            "device_id": "dev-42",
            "client_id": "51234567",
        },
        token_expires_at=None,
    )
    answer = {"access_token": "vk-new", "refresh_token": "vk-rt-2", "expires_in": 3600}

    def reply(request: httpx.Request) -> httpx.Response:
        state = parse_qs(request.content.decode())["state"][0]
        return httpx.Response(200, json={**answer, "state": state})

    route = network.post("https://id.vk.com/oauth2/auth").mock(side_effect=reply)
    assert services.channel_refresh(channel=channel, force=True)
    sent = parse_qs(route.calls.last.request.content.decode())
    assert sent["refresh_token"] == ["vk-rt-1"]
    assert sent["device_id"] == ["dev-42"]
    stored = Channel.objects.get(pk=channel.pk).credentials.reveal()
    assert stored["access_token"] == "vk-new"
    assert stored["refresh_token"] == "vk-rt-2"
    assert stored["device_id"] == "dev-42"

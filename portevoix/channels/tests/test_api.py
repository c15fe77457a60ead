"""The channels API: /api/v1/networks and /api/v1/channels. Credentials go in and never come out."""

from __future__ import annotations

import json

import pytest

from portevoix.channels.models import Channel, ChannelStatus
from portevoix.channels.tests.fakes import SECRET_TOKEN
from portevoix.channels.tests.helpers import make_channel
from portevoix.workspaces.roles import Role

pytestmark = pytest.mark.django_db

CHANNEL_KEYS = {
    "id",
    "network",
    "name",
    "external_id",
    "handle",
    "url",
    "base_url",
    "status",
    "needs_attention",
    "attention",
    "last_error",
    "last_checked_at",
    "token_expires_at",
    "followers",
    "created_at",
}


def post(client, path: str, body) -> object:
    return client.post(path, json.dumps(body), content_type="application/json")


def test_networks_describe_the_registered_connectors(team, api_client_for):
    response = api_client_for(team.member(Role.ANALYST)).get("/api/v1/networks")
    assert response.status_code == 200
    networks = {item["key"]: item for item in response.json()["items"]}
    fakenet = networks["fakenet"]
    assert fakenet["label"] == "Fakenet"
    assert fakenet["auth"] == "bot_token"
    assert fakenet["fields"] == [
        {
            "name": "token",
            "label": "Bot token",
            "is_secret": True,
            "required": True,
            "help": "Shown once by the bot maker.",
        },
        {
            "name": "chat",
            "label": "Chat",
            "is_secret": False,
            "required": False,
            "help": "@name or numeric id.",
        },
    ]
    assert fakenet["capabilities"] == ["publish", "followers", "images"]
    assert fakenet["limits"]["text"] == 280
    assert fakenet["limits"]["media"] == 2
    assert fakenet["limits"]["image_formats"] == ["image/jpeg"]
    assert fakenet["default_base_url"] == "https://api.fakenet.test"
    assert fakenet["sign_in"] is False
    assert networks["fakeoauth"]["sign_in"] is True
    assert networks["fakeoauth"]["fields"] == []
    assert [field["name"] for field in networks["fakemanual"]["fields"]] == ["name", "url"]


def test_clients_do_not_see_channels(team, api_client_for):
    client = api_client_for(team.member(Role.CLIENT))
    assert client.get("/api/v1/networks").status_code == 403
    assert client.get("/api/v1/channels").status_code == 403


def test_connect_list_get_test_rename_disconnect(team, api_client_for):
    client = api_client_for(team.member(Role.MANAGER))
    response = post(client, "/api/v1/channels", {"network": "fakenet", "fields": {"token": SECRET_TOKEN}})
    assert response.status_code == 201, response.content
    created = response.json()
    assert set(created) == CHANNEL_KEYS
    assert created["status"] == "active"
    assert created["followers"] == 42
    assert created["needs_attention"] is False
    assert SECRET_TOKEN not in response.content.decode()

    listing = client.get("/api/v1/channels?limit=1")
    assert listing.json()["count"] == 1
    assert [item["id"] for item in listing.json()["items"]] == [created["id"]]
    assert client.get(f"/api/v1/channels/{created['id']}").json()["name"] == "Fake account"

    tested = post(client, f"/api/v1/channels/{created['id']}/test", {})
    assert tested.status_code == 200
    assert tested.json()["ok"] is True
    assert tested.json()["message"] == ""

    renamed = client.patch(
        f"/api/v1/channels/{created['id']}", json.dumps({"name": "News"}), content_type="application/json"
    )
    assert renamed.json()["name"] == "News"

    reconnected = post(
        client, f"/api/v1/channels/{created['id']}/reconnect", {"fields": {"token": "good-new-1"}}
    )
    assert reconnected.status_code == 200
    assert Channel.objects.get().credentials.reveal()["token"] == "good-new-1"

    assert client.delete(f"/api/v1/channels/{created['id']}").status_code == 204
    after = client.get(f"/api/v1/channels/{created['id']}").json()
    assert after["status"] == "disconnected"
    assert Channel.objects.get().credentials is None
    for response in (listing, tested, renamed, reconnected):
        assert SECRET_TOKEN not in response.content.decode()
        assert "good-new-1" not in response.content.decode()


def test_a_failed_test_answers_200_with_the_reason_and_the_new_status(team, api_client_for):
    channel = make_channel(team.workspace, credentials={"token": "revoked-77"})
    response = post(api_client_for(team.member(Role.OWNER)), f"/api/v1/channels/{channel.pk}/test", {})
    assert response.status_code == 200
    body = response.json()
    assert body["ok"] is False
    assert body["message"] == "Fakenet says the token was revoked."
    assert body["channel"]["status"] == "needs_reauth"
    assert body["channel"]["needs_attention"] is True
    assert body["channel"]["attention"] == ["Needs reconnecting."]


def test_filters(team, api_client_for):
    make_channel(team.workspace)
    make_channel(team.workspace, external_id="2", status=ChannelStatus.NEEDS_REAUTH)
    client = api_client_for(team.member(Role.DESIGNER))
    assert client.get("/api/v1/channels?status=needs_reauth").json()["count"] == 1
    assert client.get("/api/v1/channels?network=fakenet").json()["count"] == 2
    assert client.get("/api/v1/channels?network=other").json()["count"] == 0


def test_connector_refusals_and_duplicates_are_422_with_the_reason(team, api_client_for):
    client = api_client_for(team.member(Role.OWNER))
    response = post(client, "/api/v1/channels", {"network": "fakenet", "fields": {"token": "revoked-1"}})
    assert response.status_code == 422
    assert response.json()["error"]["message"] == "Fakenet says the token was revoked."
    make_channel(team.workspace)
    response = post(client, "/api/v1/channels", {"network": "fakenet", "fields": {"token": SECRET_TOKEN}})
    assert response.status_code == 422
    assert "already connected" in response.json()["error"]["message"]
    response = post(client, "/api/v1/channels", {"network": "fakeoauth", "fields": {}})
    assert response.status_code == 422
    assert "signing in" in response.json()["error"]["message"]


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"network": "fakenet"},  # the token is required
        {"network": "fakenet", "fields": ["token"]},
        {"network": "fakenet", "fields": {"token": 12}},
        {"network": "fakenet", "fields": {"token": "x" * 5000}},
        {"network": "fakenet", "fields": {"token": SECRET_TOKEN, "extra": "x"}},
        {"network": "fakenet", "fields": {f"f{i}": "x" for i in range(40)}},
        {"network": "fakenet", "fields": {"token": SECRET_TOKEN}, "surprise": 1},
        {"network": "x" * 100, "fields": {}},
        {"network": "nope", "fields": {}},
        {"network": None},
        {"network": "fakenet", "fields": {"token": SECRET_TOKEN}, "base_url": "y" * 400},
        {"network": "fakenet", "fields": {"token": SECRET_TOKEN}, "base_url": "gopher://x"},
        [],
        "text",
    ],
)
def test_garbage_is_refused_with_4xx(team, api_client_for, body):
    response = post(api_client_for(team.member(Role.OWNER)), "/api/v1/channels", body)
    assert 400 <= response.status_code < 500, response.content
    assert response.json()["error"]["code"] in {"validation_failed", "bad_request"}
    assert not Channel.objects.exists()


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/channels/0",
        "/api/v1/channels/-5",
        "/api/v1/channels/abc",
        "/api/v1/channels/99999999999999999999999",
        "/api/v1/channels?limit=0",
        "/api/v1/channels?limit=10000",
        "/api/v1/channels?status=sleeping",
        "/api/v1/channels?network=" + "n" * 100,
    ],
)
def test_garbage_paths_and_queries_are_4xx(team, api_client_for, path):
    response = api_client_for(team.member(Role.OWNER)).get(path)
    assert 400 <= response.status_code < 500


def test_broken_json_and_bad_names_are_4xx(team, api_client_for):
    client = api_client_for(team.member(Role.OWNER))
    channel = make_channel(team.workspace)
    response = client.post("/api/v1/channels", "{not json", content_type="application/json")
    assert response.status_code == 400
    for name in ("", " ", "x" * 201):
        response = client.patch(
            f"/api/v1/channels/{channel.pk}", json.dumps({"name": name}), content_type="application/json"
        )
        assert response.status_code == 422
    assert Channel.objects.get(pk=channel.pk).name == "Fake account"


def test_foreign_channels_are_not_found(team, other_team, api_client_for):
    foreign = make_channel(other_team.workspace)
    client = api_client_for(team.member(Role.OWNER))
    assert client.get(f"/api/v1/channels/{foreign.pk}").status_code == 404
    assert post(client, f"/api/v1/channels/{foreign.pk}/test", {}).status_code == 404
    assert client.delete(f"/api/v1/channels/{foreign.pk}").status_code == 404
    assert Channel.objects.get(pk=foreign.pk).status == ChannelStatus.ACTIVE

"""The generic connect flow with the real connectors that connect through a form (Telegram: bot token and
chat; Discord: webhook URL), against their documented answers (their fixtures) served by respx."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from portevoix.channels import runtime, services
from portevoix.channels.models import Channel
from portevoix.channels.tests.helpers import stored_credentials
from portevoix.core.errors import ValidationFailed
from portevoix.workspaces.roles import Role

pytestmark = pytest.mark.django_db

CONNECTORS = Path(__file__).resolve().parents[2] / "connectors"
BOT_TOKEN = "7000000001:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawX"
WEBHOOK = "https://discord.com/api/webhooks/223704706495545344/webhook-token-Secret-0123456789abcdef"
WEBHOOK_API = WEBHOOK.replace("/api/", "/api/v10/")  # the connector calls the versioned API


def fixture(network: str, name: str) -> dict:
    return json.loads((CONNECTORS / network / "fixtures" / name).read_text())


def telegram_routes(network, member: str = "getChatMember_admin.json") -> None:
    base = f"https://api.telegram.org/bot{BOT_TOKEN}"
    for method, name in (
        ("getMe", "getMe.json"),
        ("getChat", "getChat_channel.json"),
        ("getChatMember", member),
        ("getChatMemberCount", "getChatMemberCount.json"),
    ):
        network.post(f"{base}/{method}").respond(200, json=fixture("telegram", name))


def test_telegram_connects_with_a_bot_token_and_a_chat(team, network):
    telegram_routes(network)
    channel = services.channel_connect(
        by=team.member(Role.OWNER),
        network="telegram",
        fields={"bot_token": BOT_TOKEN, "external_id": "@portevoix_news"},
    )
    assert channel.external_id == "-1001234567890"  # the chat's id, whatever name it was given by
    assert channel.name == "Portevoix News"
    assert channel.handle == "@portevoix_news"
    assert channel.followers == 1542
    assert channel.options == {"external_id": "@portevoix_news"}
    assert BOT_TOKEN not in stored_credentials(channel)
    # What the publishing engine gets back.
    connector = runtime.connector_for(Channel.objects.get(pk=channel.pk))
    try:
        assert connector.channel.credentials["bot_token"] == BOT_TOKEN
        assert connector.channel.external_id == "-1001234567890"
    finally:
        connector.http.close()


def test_telegram_refusal_is_explained_without_the_token(team, network):
    telegram_routes(network, member="getChatMember_admin_cannot_post.json")
    with pytest.raises(ValidationFailed) as caught:
        services.channel_connect(
            by=team.member(Role.OWNER),
            network="telegram",
            fields={"bot_token": BOT_TOKEN, "external_id": "@portevoix_news"},
        )
    assert "may not post in this channel" in caught.value.message
    assert BOT_TOKEN not in caught.value.message
    assert not Channel.objects.exists()


def test_discord_connects_with_a_webhook_url(team, network):
    route = network.get(WEBHOOK_API).respond(200, json=fixture("discord", "webhook.json"))
    channel = services.channel_connect(
        by=team.member(Role.MANAGER), network="discord", fields={"webhook_url": WEBHOOK}
    )
    assert route.called
    assert channel.external_id == "223704706495545344"
    assert channel.name == "test webhook"
    assert channel.url == "https://discord.com/channels/41771983423143937/199737254929760256"
    assert channel.options == {}  # the webhook URL is the secret: not kept in clear anywhere
    assert "webhook-token-Secret" not in stored_credentials(channel)


def test_a_webhook_url_to_a_private_address_is_refused(team, network, settings):
    settings.PORTEVOIX_HTTP_ALLOW_PRIVATE = False
    with pytest.raises(ValidationFailed) as caught:
        services.channel_connect(
            by=team.member(Role.OWNER),
            network="discord",
            fields={"webhook_url": "http://169.254.169.254/api/webhooks/1/x"},
        )
    assert "webhook_url" in caught.value.fields
    assert not network.calls


def test_a_network_failure_while_connecting_is_a_plain_message(team, network):
    network.get(WEBHOOK_API).mock(side_effect=httpx.ConnectError("refused"))
    with pytest.raises(ValidationFailed, match="Could not reach Discord"):
        services.channel_connect(
            by=team.member(Role.OWNER), network="discord", fields={"webhook_url": WEBHOOK}
        )

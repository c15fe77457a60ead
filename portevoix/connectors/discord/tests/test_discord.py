"""The Discord connector against the documented webhook requests and answers (no real network)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from portevoix.connectors.discord import Discord, form_errors, parse_webhook_url
from portevoix.connectors.discord.tests.helpers import (
    BASE,
    CHANNEL,
    GUILD,
    HOOK,
    TOKEN,
    WEBHOOK_ID,
    WEBHOOK_URL,
    answer,
    error,
    fixture,
    form_parts,
    json_body,
)
from portevoix.connectors.errors import (
    ConnectorError,
    ContentRejected,
    OutcomeUnknown,
    RateLimited,
    ReauthRequired,
    Transient,
)
from portevoix.connectors.testing import ConnectorContract, sample_post
from portevoix.connectors.types import ChannelConfig, MediaItem, OutgoingPost

MESSAGE_URL = f"https://discord.com/channels/{GUILD}/{CHANNEL}/1323973586184392704"


def channel(**overrides: Any) -> ChannelConfig:
    values: dict[str, Any] = {
        "external_id": WEBHOOK_ID,
        "credentials": {"webhook_url": WEBHOOK_URL},
        "base_url": BASE,
        "options": {"guild_id": GUILD},
    }
    values.update(overrides)
    return ChannelConfig(**values)


def discord(**overrides: Any) -> Discord:
    return Discord(channel(**overrides), httpx.Client(timeout=5))


def media(
    tmp_path: Path,
    filename: str,
    *,
    kind: str = "image",
    content_type: str = "image/jpeg",
    content: bytes = b"\xff\xd8\xff\xe0 jpeg bytes",
    alt_text: str = "",
) -> MediaItem:
    path = tmp_path / f"{len(list(tmp_path.iterdir()))}.bin"
    path.write_bytes(content)
    return MediaItem(
        kind=kind,
        path=path,
        content_type=content_type,
        size=len(content),
        filename=filename,
        alt_text=alt_text,
    )


class TestDiscordContract(ConnectorContract):
    connector_class = Discord

    def channel(self) -> ChannelConfig:
        return channel()

    def mock_publish(self, respx_mock: Any, response: httpx.Response | Exception) -> None:
        route = respx_mock.post(HOOK)
        if isinstance(response, Exception):
            route.mock(side_effect=response)
        else:
            route.mock(return_value=response)

    def success_response(self) -> httpx.Response:
        return answer("message")

    def error_response(self, status: int, *, retry_after: int | None = None) -> httpx.Response:
        if status == 429:
            body = {"message": "You are being rate limited.", "retry_after": retry_after, "global": False}
            return httpx.Response(429, json=body, headers={"Retry-After": str(retry_after)})
        if status == 503:  # Discord's edge answers an outage with an HTML page
            return httpx.Response(503, text="<html><body>upstream connect error</body></html>")
        name = {
            400: "invalid_form_body",
            401: "invalid_webhook_token",
            403: "missing_permissions",
            500: "server_error",
        }[status]
        return error(name)


# --- Publishing -----------------------------------------------------------------------------------


def test_a_text_post_executes_the_webhook_and_waits_for_the_message(respx_mock: Any) -> None:
    route = respx_mock.post(HOOK).mock(return_value=answer("message"))
    published = discord().publish(sample_post())
    request = route.calls.last.request
    assert request.url.params["wait"] == "true"
    assert "thread_id" not in request.url.params
    assert json_body(request) == {
        "content": "Hello from Portevoix #launch https://example.com/a",
        "allowed_mentions": {"parse": []},
    }
    assert published.remote_id == "1323973586184392704"
    assert published.url == MESSAGE_URL
    assert published.published_at == datetime(2025, 1, 1, 9, 0, 0, 123000, tzinfo=UTC)


def test_the_server_id_is_asked_of_the_webhook_once_when_unknown(respx_mock: Any) -> None:
    respx_mock.post(HOOK).mock(return_value=answer("message"))
    lookup = respx_mock.get(HOOK).mock(return_value=answer("webhook"))
    connector = discord(options={})
    assert connector.publish(sample_post()).url == MESSAGE_URL
    assert connector.publish(sample_post()).url == MESSAGE_URL
    assert lookup.call_count == 1


def test_a_failed_server_lookup_costs_the_link_not_the_post(respx_mock: Any) -> None:
    respx_mock.post(HOOK).mock(return_value=answer("message"))
    respx_mock.get(HOOK).mock(return_value=error("server_error"))
    published = discord(options={}).publish(sample_post())
    assert (published.remote_id, published.url) == ("1323973586184392704", None)


def test_files_go_as_multipart_with_payload_json_and_attachments(respx_mock: Any, tmp_path: Path) -> None:
    route = respx_mock.post(HOOK).mock(return_value=answer("message_with_files"))
    items = (
        media(tmp_path, "one.jpg", alt_text="A cat on a keyboard"),
        media(
            tmp_path, "two.mp4", kind="video", content_type="video/mp4", content=b"\x00\x00\x00\x18ftypmp42"
        ),
        media(tmp_path, "one.jpg", content=b"another jpeg"),
        media(tmp_path, "café menu (v2).png", content_type="image/png", content=b"\x89PNG"),
    )
    published = discord().publish(OutgoingPost(text="Two files", idempotency_key="k", media=items))
    request = route.calls.last.request
    assert request.url.params["wait"] == "true"
    parts = form_parts(request)
    assert set(parts) == {"payload_json", "files[0]", "files[1]", "files[2]", "files[3]"}
    assert parts["payload_json"].filename is None
    assert json.loads(parts["payload_json"].text) == {
        "content": "Two files",
        "allowed_mentions": {"parse": []},
        "attachments": [
            {"id": 0, "filename": "one.jpg", "description": "A cat on a keyboard"},
            {"id": 1, "filename": "two.mp4"},
            {"id": 2, "filename": "2_one.jpg"},
            {"id": 3, "filename": "caf_menu_v2_.png"},
        ],
    }
    assert [parts[f"files[{n}]"].filename for n in range(4)] == [
        "one.jpg",
        "two.mp4",
        "2_one.jpg",
        "caf_menu_v2_.png",
    ]
    assert [parts[f"files[{n}]"].content_type for n in range(4)] == [
        "image/jpeg",
        "video/mp4",
        "image/jpeg",
        "image/png",
    ]
    assert parts["files[2]"].content == b"another jpeg"
    assert published.remote_id == "1323973586184392705"


def test_files_without_text_send_no_empty_content(respx_mock: Any, tmp_path: Path) -> None:
    route = respx_mock.post(HOOK).mock(return_value=answer("message_with_files"))
    discord().publish(OutgoingPost(text="", idempotency_key="k", media=(media(tmp_path, "a.jpg"),)))
    payload = json.loads(form_parts(route.calls.last.request)["payload_json"].text)
    assert payload["content"] == ""
    assert payload["attachments"] == [{"id": 0, "filename": "a.jpg"}]


def test_a_link_missing_from_the_text_is_added_for_discord_to_unfurl(respx_mock: Any) -> None:
    route = respx_mock.post(HOOK).mock(return_value=answer("message"))
    discord().publish(OutgoingPost(text="New post!", idempotency_key="k", link="https://example.com/b"))
    assert json_body(route.calls.last.request)["content"] == "New post!\n\nhttps://example.com/b"


def test_a_link_card_is_an_embed_and_the_text_link_is_not_unfurled_twice(respx_mock: Any) -> None:
    route = respx_mock.post(HOOK).mock(return_value=answer("message"))
    post = OutgoingPost(
        text="Read https://example.com/a today",
        idempotency_key="k",
        link="https://example.com/a",
        options={
            "link_title": "Spring launch",
            "link_description": "Everything new this spring.",
            "link_image": "https://example.com/cover.png",
        },
    )
    discord().publish(post)
    assert json_body(route.calls.last.request) == {
        "content": "Read <https://example.com/a> today",
        "embeds": [
            {
                "title": "Spring launch",
                "url": "https://example.com/a",
                "description": "Everything new this spring.",
                "image": {"url": "https://example.com/cover.png"},
            }
        ],
        "allowed_mentions": {"parse": []},
    }


def test_options_suppress_the_preview_and_the_notification_and_allow_pings(respx_mock: Any) -> None:
    route = respx_mock.post(HOOK).mock(return_value=answer("message"))
    options = {"disable_link_preview": "true", "silent": "1", "allow_mentions": "yes", "link_title": "T"}
    discord().publish(sample_post(link="https://example.com/a", options=options))
    sent = json_body(route.calls.last.request)
    assert sent["flags"] == (1 << 2) | (1 << 12)
    assert "embeds" not in sent
    assert sent["allowed_mentions"] == {"parse": ["everyone", "roles", "users"]}


def test_a_forum_thread_is_named_in_every_request(respx_mock: Any) -> None:
    options = {"guild_id": GUILD, "thread_id": "1100000000000000001"}
    post = respx_mock.post(HOOK).mock(return_value=answer("message"))
    patch = respx_mock.patch(f"{HOOK}/messages/1323973586184392704").mock(
        return_value=answer("message_edited")
    )
    delete = respx_mock.delete(f"{HOOK}/messages/1323973586184392704").mock(return_value=httpx.Response(204))
    connector = discord(options=options)
    connector.publish(sample_post())
    connector.edit("1323973586184392704", sample_post())
    connector.delete("1323973586184392704")
    for route in (post, patch, delete):
        assert route.calls.last.request.url.params["thread_id"] == "1100000000000000001"


# --- Refused before sending -----------------------------------------------------------------------


def test_an_empty_post_is_refused_without_a_request(respx_mock: Any) -> None:
    with pytest.raises(ContentRejected) as caught:
        discord().publish(OutgoingPost(text="  ", idempotency_key="k"))
    assert caught.value.problems == ("empty",)
    assert not respx_mock.calls


def test_more_than_ten_files_are_refused(respx_mock: Any, tmp_path: Path) -> None:
    items = tuple(media(tmp_path, f"{n}.jpg") for n in range(11))
    with pytest.raises(ContentRejected):
        discord().publish(OutgoingPost(text="x", idempotency_key="k", media=items))
    assert not respx_mock.calls


@pytest.mark.parametrize(
    "url",
    [
        "",
        "https://example.com/api/webhooks/223704706495545344/abcdefghijklmnopqrstuvwxyz",
        f"http://discord.com/api/webhooks/{WEBHOOK_ID}/{TOKEN}",
        f"https://discord.com/api/webhooks/{WEBHOOK_ID}",
        f"https://discord.com/api/webhooks/{WEBHOOK_ID}/{TOKEN}/../../users/@me",
        f"https://discord.com/api/webhooks/{WEBHOOK_ID}/{TOKEN}?wait=false",
        f"https://discord.com.evil.example/api/webhooks/{WEBHOOK_ID}/{TOKEN}",
    ],
)
def test_what_is_not_a_webhook_url_is_refused_before_sending(respx_mock: Any, url: str) -> None:
    with pytest.raises(ReauthRequired) as caught:
        discord(credentials={"webhook_url": url}).publish(sample_post())
    assert "webhook URL" in caught.value.message
    assert not respx_mock.calls


@pytest.mark.parametrize(
    "url",
    [
        f"https://discordapp.com/api/webhooks/{WEBHOOK_ID}/{TOKEN}",
        f"https://canary.discord.com/api/v10/webhooks/{WEBHOOK_ID}/{TOKEN}/",
        f" https://ptb.discord.com/api/webhooks/{WEBHOOK_ID}/{TOKEN} ",
    ],
)
def test_discord_webhook_urls_in_all_their_forms(url: str) -> None:
    assert parse_webhook_url(url) == (WEBHOOK_ID, TOKEN)


def test_a_configured_base_serves_its_own_webhook_urls(respx_mock: Any) -> None:
    base = "http://discord-proxy.internal/api/v10"
    route = respx_mock.post(f"{base}/webhooks/{WEBHOOK_ID}/{TOKEN}").mock(return_value=answer("message"))
    webhook_url = f"http://discord-proxy.internal/api/webhooks/{WEBHOOK_ID}/{TOKEN}"
    discord(base_url=base, credentials={"webhook_url": webhook_url}).publish(sample_post())
    assert route.called


# --- Errors ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected", "says"),
    [
        ("rate_limited", RateLimited, "slow down."),
        ("rate_limited_global", RateLimited, "(global limit)"),
        ("invalid_webhook_token", ReauthRequired, "new URL"),
        ("unknown_webhook", ReauthRequired, "new URL"),
        ("missing_permissions", ReauthRequired, "permissions"),
        ("missing_access", ReauthRequired, "permissions"),
        ("empty_message", ContentRejected, "Cannot send an empty message"),
        ("too_many_attachments", ContentRejected, "(10)"),
        ("entity_too_large", ContentRejected, "10 MiB"),
        ("invalid_form_body", ContentRejected, "content: Must be 2000 or fewer in length."),
        ("server_error", Transient, "temporary"),
        ("bad_gateway", Transient, "temporary"),
    ],
)
def test_discord_errors_are_typed_with_what_to_do(
    respx_mock: Any, name: str, expected: type[ConnectorError], says: str
) -> None:
    respx_mock.post(HOOK).mock(return_value=error(name))
    with pytest.raises(expected) as caught:
        discord().publish(sample_post())
    assert type(caught.value) is expected
    assert says in caught.value.message
    assert caught.value.detail.startswith(str(fixture("errors.json")[name]["status"]))


def test_form_errors_become_problems(respx_mock: Any) -> None:
    respx_mock.post(HOOK).mock(return_value=error("invalid_form_body"))
    with pytest.raises(ContentRejected) as caught:
        discord().publish(sample_post())
    assert caught.value.problems == (
        "content: Must be 2000 or fewer in length.",
        "embeds.0.url: Not a well formed URL.",
    )


def test_retry_after_is_the_bodys_float(respx_mock: Any) -> None:
    respx_mock.post(HOOK).mock(return_value=error("rate_limited"))
    with pytest.raises(RateLimited) as caught:
        discord().publish(sample_post())
    assert caught.value.retry_after == pytest.approx(64.57)


def test_retry_after_falls_back_to_the_headers(respx_mock: Any) -> None:
    respx_mock.post(HOOK).mock(
        return_value=httpx.Response(429, text="Too Many Requests", headers={"X-RateLimit-Reset-After": "1.5"})
    )
    with pytest.raises(RateLimited) as caught:
        discord().publish(sample_post())
    assert caught.value.retry_after == 1.5


def test_an_answer_without_the_message_is_outcome_unknown(respx_mock: Any) -> None:
    respx_mock.post(HOOK).mock(return_value=httpx.Response(204))
    with pytest.raises(OutcomeUnknown):
        discord().publish(sample_post())


def test_a_timeout_while_uploading_files_is_outcome_unknown(respx_mock: Any, tmp_path: Path) -> None:
    respx_mock.post(HOOK).mock(side_effect=httpx.WriteTimeout("slow"))
    with pytest.raises(OutcomeUnknown):
        discord().publish(OutgoingPost(text="x", idempotency_key="k", media=(media(tmp_path, "a.jpg"),)))


def test_nothing_can_be_looked_up_after_a_timeout() -> None:
    with pytest.raises(OutcomeUnknown):
        discord().find_published(sample_post(), since=datetime.now(UTC) - timedelta(minutes=5))


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(502, text=f"<p>Upstream failed for POST /api/v10/webhooks/{WEBHOOK_ID}/{TOKEN}</p>"),
        httpx.Response(400, json={"message": f"Bad webhook {WEBHOOK_URL}", "code": 0}),
        httpx.Response(200, text=f"proxy says hello to {HOOK}"),
        httpx.ConnectError(f"cannot connect to {HOOK}"),
    ],
)
def test_the_webhook_token_never_appears_in_an_error(
    respx_mock: Any, response: httpx.Response | Exception
) -> None:
    route = respx_mock.post(HOOK)
    if isinstance(response, Exception):
        route.mock(side_effect=response)
    else:
        route.mock(return_value=response)
    with pytest.raises(ConnectorError) as caught:
        discord().publish(sample_post())
    shown = f"{caught.value} {caught.value.message} {caught.value.detail} {caught.value!r}"
    assert TOKEN not in shown
    assert TOKEN[:20] not in shown


# --- Verify, edit, delete -------------------------------------------------------------------------


def test_verify_gets_the_webhook(respx_mock: Any) -> None:
    route = respx_mock.get(HOOK).mock(return_value=answer("webhook"))
    info = discord(options={}).verify()
    assert route.called
    assert info.external_id == WEBHOOK_ID
    assert info.name == "test webhook"
    assert info.url == f"https://discord.com/channels/{GUILD}/{CHANNEL}"
    assert info.followers is None


def test_verify_a_deleted_webhook(respx_mock: Any) -> None:
    respx_mock.get(HOOK).mock(return_value=error("unknown_webhook"))
    with pytest.raises(ReauthRequired):
        discord().verify()


def test_editing_changes_the_text_and_card_and_keeps_the_files(respx_mock: Any) -> None:
    route = respx_mock.patch(f"{HOOK}/messages/1323973586184392704").mock(
        return_value=answer("message_edited")
    )
    published = discord().edit("1323973586184392704", OutgoingPost(text="Hello again", idempotency_key="k"))
    assert json_body(route.calls.last.request) == {
        "content": "Hello again",
        "allowed_mentions": {"parse": []},
        "embeds": [],
    }
    assert published.remote_id == "1323973586184392704"
    assert published.url == MESSAGE_URL


def test_editing_a_deleted_message(respx_mock: Any) -> None:
    respx_mock.patch(f"{HOOK}/messages/1323973586184392704").mock(return_value=error("unknown_message"))
    with pytest.raises(ContentRejected) as caught:
        discord().edit("1323973586184392704", sample_post())
    assert "no longer exists" in caught.value.message


def test_deleting_a_message(respx_mock: Any) -> None:
    route = respx_mock.delete(f"{HOOK}/messages/1323973586184392704").mock(return_value=httpx.Response(204))
    discord().delete("1323973586184392704")
    assert route.called


def test_deleting_an_already_deleted_message_is_done(respx_mock: Any) -> None:
    respx_mock.delete(f"{HOOK}/messages/1323973586184392704").mock(return_value=error("unknown_message"))
    discord().delete("1323973586184392704")


def test_deleting_through_a_deleted_webhook(respx_mock: Any) -> None:
    respx_mock.delete(f"{HOOK}/messages/1323973586184392704").mock(return_value=error("unknown_webhook"))
    with pytest.raises(ReauthRequired):
        discord().delete("1323973586184392704")


@pytest.mark.parametrize("remote_id", ["", "text:42", "../../webhooks", "12"])
def test_a_foreign_remote_id_is_refused(respx_mock: Any, remote_id: str) -> None:
    with pytest.raises(ContentRejected):
        discord().delete(remote_id)
    with pytest.raises(ContentRejected):
        discord().edit(remote_id, sample_post())
    assert not respx_mock.calls


def test_form_errors_flatten_nested_paths() -> None:
    assert form_errors(fixture("errors.json")["invalid_form_body"]["body"]["errors"]) == [
        "content: Must be 2000 or fewer in length.",
        "embeds.0.url: Not a well formed URL.",
    ]
    assert form_errors({"_errors": [{"code": "X", "message": "Whole request"}]}) == ["request: Whole request"]
    assert form_errors(None) == []


def test_an_edit_can_suppress_the_preview_but_never_sets_other_flags(respx_mock: Any) -> None:
    route = respx_mock.patch(f"{HOOK}/messages/1323973586184392704").mock(
        return_value=answer("message_edited")
    )
    options = {"disable_link_preview": "1", "silent": "1"}
    discord().edit("1323973586184392704", OutgoingPost(text="Hi", idempotency_key="k", options=options))
    assert json_body(route.calls.last.request)["flags"] == 1 << 2

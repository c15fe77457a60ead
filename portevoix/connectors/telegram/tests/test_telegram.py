"""The Telegram connector against the Bot API's documented requests and answers (no real network)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from portevoix.connectors.errors import (
    ConnectorError,
    ContentRejected,
    OutcomeUnknown,
    RateLimited,
    ReauthRequired,
    Transient,
)
from portevoix.connectors.telegram import Telegram, safe_filename, text_with_link
from portevoix.connectors.telegram.remote import RemoteRef, message_url
from portevoix.connectors.telegram.tests.helpers import (
    BASE,
    CHAT,
    TOKEN,
    answer,
    error,
    form_parts,
    json_body,
    method_url,
)
from portevoix.connectors.testing import ConnectorContract, sample_post
from portevoix.connectors.types import ChannelConfig, MediaItem, OutgoingPost

ERROR_FOR_STATUS = {
    400: "message_too_long",
    401: "unauthorized",
    403: "bot_kicked",
    429: "too_many_requests",
    500: "internal",
    502: "bad_gateway",
    503: "unavailable",
}


def channel(**overrides: Any) -> ChannelConfig:
    values: dict[str, Any] = {"external_id": CHAT, "credentials": {"bot_token": TOKEN}, "base_url": BASE}
    values.update(overrides)
    return ChannelConfig(**values)


def telegram(**overrides: Any) -> Telegram:
    return Telegram(channel(**overrides), httpx.Client(timeout=5))


def media(
    tmp_path: Path,
    filename: str,
    *,
    kind: str = "image",
    content_type: str = "image/jpeg",
    content: bytes = b"\xff\xd8\xff\xe0 jpeg bytes",
    **extra: Any,
) -> MediaItem:
    path = tmp_path / f"{len(list(tmp_path.iterdir()))}-{safe_filename(filename, 0)}"
    path.write_bytes(content)
    return MediaItem(
        kind=kind, path=path, content_type=content_type, size=len(content), filename=filename, **extra
    )


def video(tmp_path: Path, filename: str = "launch.mp4", **extra: Any) -> MediaItem:
    return media(
        tmp_path,
        filename,
        kind="video",
        content_type="video/mp4",
        content=b"\x00\x00\x00\x18ftypmp42",
        **extra,
    )


class TestTelegramContract(ConnectorContract):
    connector_class = Telegram

    def channel(self) -> ChannelConfig:
        return channel()

    def mock_publish(self, respx_mock: Any, response: httpx.Response | Exception) -> None:
        route = respx_mock.post(method_url("sendMessage"))
        if isinstance(response, Exception):
            route.mock(side_effect=response)
        else:
            route.mock(return_value=response)

    def success_response(self) -> httpx.Response:
        return answer("sendMessage")

    def error_response(self, status: int, *, retry_after: int | None = None) -> httpx.Response:
        response = error(ERROR_FOR_STATUS[status])
        assert status != 429 or retry_after == 7  # the documented fixture says "retry after 7"
        return response


# --- Publishing -----------------------------------------------------------------------------------


def test_text_post_is_sent_with_send_message(respx_mock: Any) -> None:
    route = respx_mock.post(method_url("sendMessage")).mock(return_value=answer("sendMessage"))
    published = telegram().publish(sample_post(link="https://example.com/a"))
    sent = json_body(route.calls.last.request)
    assert sent == {
        "chat_id": CHAT,
        "text": "Hello from Portevoix #launch https://example.com/a",
        "link_preview_options": {"url": "https://example.com/a"},
    }
    assert published.remote_id == "text:42"
    assert published.url == "https://t.me/portevoix_news/42"
    assert published.published_at == datetime(2025, 1, 1, 9, 0, tzinfo=UTC)
    assert published.pending is False


def test_a_link_missing_from_the_text_is_added_on_its_own_line(respx_mock: Any) -> None:
    route = respx_mock.post(method_url("sendMessage")).mock(return_value=answer("sendMessage"))
    telegram().publish(OutgoingPost(text="Read this:  ", idempotency_key="k", link="https://example.com/b"))
    assert json_body(route.calls.last.request)["text"] == "Read this:\n\nhttps://example.com/b"


def test_options_turn_the_preview_and_the_notification_off(respx_mock: Any) -> None:
    route = respx_mock.post(method_url("sendMessage")).mock(return_value=answer("sendMessage"))
    post = sample_post(link="https://example.com/a", options={"disable_link_preview": "true", "silent": "1"})
    telegram().publish(post)
    sent = json_body(route.calls.last.request)
    assert sent["link_preview_options"] == {"is_disabled": True}
    assert sent["disable_notification"] is True


def test_one_photo_is_uploaded_as_multipart_with_the_caption(respx_mock: Any, tmp_path: Path) -> None:
    route = respx_mock.post(method_url("sendPhoto")).mock(return_value=answer("sendPhoto"))
    photo = media(tmp_path, "Our logo (final).jpg")
    published = telegram().publish(OutgoingPost(text="Our new logo", idempotency_key="k", media=(photo,)))
    parts = form_parts(route.calls.last.request)
    assert set(parts) == {"chat_id", "caption", "photo"}
    assert parts["chat_id"].text == CHAT
    assert parts["caption"].text == "Our new logo"
    assert parts["chat_id"].filename is None
    assert parts["photo"].filename == "Our_logo_final_.jpg"
    assert parts["photo"].content_type == "image/jpeg"
    assert parts["photo"].content == photo.path.read_bytes()
    assert published.remote_id == "media:43"
    assert published.url == "https://t.me/portevoix_news/43"


def test_one_video_is_uploaded_with_its_dimensions(respx_mock: Any, tmp_path: Path) -> None:
    route = respx_mock.post(method_url("sendVideo")).mock(return_value=answer("sendVideo"))
    clip = video(tmp_path, width=1280, height=720, duration_seconds=11.6)
    published = telegram().publish(
        OutgoingPost(text="The launch video", idempotency_key="k", media=(clip,), options={"silent": "yes"})
    )
    parts = form_parts(route.calls.last.request)
    assert {name: part.text for name, part in parts.items() if name != "video"} == {
        "chat_id": CHAT,
        "caption": "The launch video",
        "supports_streaming": "true",
        "width": "1280",
        "height": "720",
        "duration": "12",
        "disable_notification": "true",
    }
    assert parts["video"].filename == "launch.mp4"
    assert parts["video"].content_type == "video/mp4"
    assert published.remote_id == "media:44"


def test_a_photo_without_text_has_no_caption(respx_mock: Any, tmp_path: Path) -> None:
    route = respx_mock.post(method_url("sendPhoto")).mock(return_value=answer("sendPhoto"))
    telegram().publish(
        OutgoingPost(
            text="  ", idempotency_key="k", media=(media(tmp_path, "a.png", content_type="image/png"),)
        )
    )
    assert set(form_parts(route.calls.last.request)) == {"chat_id", "photo"}


def test_an_album_attaches_each_file_and_captions_the_first(respx_mock: Any, tmp_path: Path) -> None:
    route = respx_mock.post(method_url("sendMediaGroup")).mock(return_value=answer("sendMediaGroup"))
    items = (
        media(tmp_path, "one.jpg"),
        video(tmp_path, "two.mp4", width=640, height=360),
        media(tmp_path, "three.png", content_type="image/png", content=b"\x89PNG three"),
    )
    published = telegram().publish(OutgoingPost(text="Album caption", idempotency_key="k", media=items))
    parts = form_parts(route.calls.last.request)
    assert set(parts) == {"chat_id", "media", "file0", "file1", "file2"}
    assert json.loads(parts["media"].text) == [
        {"type": "photo", "media": "attach://file0", "caption": "Album caption"},
        {"type": "video", "media": "attach://file1", "supports_streaming": True, "width": 640, "height": 360},
        {"type": "photo", "media": "attach://file2"},
    ]
    assert [parts[f"file{n}"].filename for n in range(3)] == ["one.jpg", "two.mp4", "three.png"]
    assert [parts[f"file{n}"].content_type for n in range(3)] == ["image/jpeg", "video/mp4", "image/png"]
    assert parts["file2"].content == b"\x89PNG three"
    assert published.remote_id == "media:45,46,47"
    assert published.url == "https://t.me/portevoix_news/45"


def test_a_local_bot_api_server_gets_the_same_requests(respx_mock: Any) -> None:
    local = "http://telegram-bot-api:8081/"
    route = respx_mock.post(method_url("sendMessage", base="http://telegram-bot-api:8081")).mock(
        return_value=answer("sendMessage")
    )
    telegram(base_url=local).publish(sample_post())
    assert route.called


def test_an_empty_base_url_means_the_official_server(respx_mock: Any) -> None:
    route = respx_mock.post(method_url("sendMessage")).mock(return_value=answer("sendMessage"))
    telegram(base_url="").publish(sample_post())
    assert route.called


@pytest.mark.parametrize(
    ("external_id", "chat_id"),
    [
        ("@portevoix_news", "@portevoix_news"),
        ("portevoix_news", "@portevoix_news"),
        ("https://t.me/portevoix_news", "@portevoix_news"),
        (" -1001234567890 ", "-1001234567890"),
    ],
)
def test_the_chat_may_be_given_as_username_link_or_id(
    respx_mock: Any, external_id: str, chat_id: str
) -> None:
    route = respx_mock.post(method_url("sendMessage")).mock(return_value=answer("sendMessage"))
    telegram(external_id=external_id).publish(sample_post())
    assert json_body(route.calls.last.request)["chat_id"] == chat_id


@pytest.mark.parametrize("external_id", ["", "@a", "https://t.me/+AbCdEf", "news channel"])
def test_a_malformed_chat_is_refused_before_sending(respx_mock: Any, external_id: str) -> None:
    with pytest.raises(ReauthRequired):
        telegram(external_id=external_id).publish(sample_post())
    assert not respx_mock.calls


# --- Refused before sending -----------------------------------------------------------------------


def test_an_empty_post_is_refused_without_a_request(respx_mock: Any) -> None:
    with pytest.raises(ContentRejected) as caught:
        telegram().publish(OutgoingPost(text=" \n ", idempotency_key="k"))
    assert caught.value.problems == ("empty",)
    assert not respx_mock.calls


def test_more_than_ten_files_are_refused(respx_mock: Any, tmp_path: Path) -> None:
    items = tuple(media(tmp_path, f"p{n}.jpg") for n in range(11))
    with pytest.raises(ContentRejected) as caught:
        telegram().publish(OutgoingPost(text="x", idempotency_key="k", media=items))
    assert caught.value.problems == ("too_many_media",)
    assert not respx_mock.calls


def test_unsupported_formats_and_oversized_files_are_refused(respx_mock: Any, tmp_path: Path) -> None:
    gif = media(tmp_path, "anim.gif", content_type="image/gif")
    big = MediaItem(
        kind="image",
        path=tmp_path / "big.jpg",
        content_type="image/jpeg",
        size=11 * 1024 * 1024,
        filename="big.jpg",
    )
    mov = video(tmp_path, "clip.mov")
    mov = MediaItem(
        kind="video", path=mov.path, content_type="video/quicktime", size=mov.size, filename="clip.mov"
    )
    with pytest.raises(ContentRejected) as caught:
        telegram().publish(OutgoingPost(text="x", idempotency_key="k", media=(gif, big, mov)))
    assert len(caught.value.problems) == 3
    assert "anim.gif" in caught.value.message
    assert "big.jpg: larger than 10 MB" in caught.value.message
    assert not respx_mock.calls


def test_large_videos_go_to_a_local_server_only(respx_mock: Any, tmp_path: Path) -> None:
    clip = video(tmp_path)
    big = MediaItem(
        kind="video", path=clip.path, content_type="video/mp4", size=60 * 1024 * 1024, filename="big.mp4"
    )
    post = OutgoingPost(text="x", idempotency_key="k", media=(big,))
    with pytest.raises(ContentRejected):
        telegram().publish(post)
    route = respx_mock.post(method_url("sendVideo", base="http://localhost:8081")).mock(
        return_value=answer("sendVideo")
    )
    telegram(base_url="http://localhost:8081").publish(post)
    assert route.called


def test_a_missing_file_is_refused_plainly(respx_mock: Any, tmp_path: Path) -> None:
    gone = MediaItem(
        kind="image", path=tmp_path / "gone.jpg", content_type="image/jpeg", size=10, filename="gone.jpg"
    )
    with pytest.raises(ContentRejected) as caught:
        telegram().publish(OutgoingPost(text="x", idempotency_key="k", media=(gone,)))
    assert "gone.jpg" in caught.value.message
    assert not respx_mock.calls


@pytest.mark.parametrize(
    "token",
    ["", "not-a-token", "123:short", f"{TOKEN}/../getMe", TOKEN.replace("GWJ", "G J"), f"{TOKEN}?x=1"],
)
def test_a_malformed_token_is_refused_before_sending(respx_mock: Any, token: str) -> None:
    with pytest.raises(ReauthRequired) as caught:
        telegram(credentials={"bot_token": token}).publish(sample_post())
    assert "@BotFather" in caught.value.message
    assert not respx_mock.calls


# --- Errors ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected", "says"),
    [
        ("too_many_requests", RateLimited, "slow down"),
        ("unauthorized", ReauthRequired, "@BotFather"),
        ("not_found", ReauthRequired, "bot token"),
        ("bot_kicked", ReauthRequired, "administrator"),
        ("bot_not_member", ReauthRequired, "administrator"),
        ("not_enough_rights", ReauthRequired, "administrator"),
        ("chat_not_found", ReauthRequired, "cannot find this chat"),
        ("migrated", ReauthRequired, "-1001234567890"),
        ("message_too_long", ContentRejected, "too long"),
        ("caption_too_long", ContentRejected, "too long"),
        ("text_empty", ContentRejected, "empty"),
        ("wrong_file", ContentRejected, "file"),
        ("photo_invalid_dimensions", ContentRejected, "file"),
        ("internal", Transient, "temporary"),
        ("bad_gateway", Transient, "temporary"),
    ],
)
def test_telegram_errors_are_typed_with_what_to_do(
    respx_mock: Any, name: str, expected: type[ConnectorError], says: str
) -> None:
    respx_mock.post(method_url("sendMessage")).mock(return_value=error(name))
    with pytest.raises(expected) as caught:
        telegram().publish(sample_post())
    assert type(caught.value) is expected
    assert says in caught.value.message
    assert caught.value.detail.startswith(str(error(name).json()["error_code"]))


def test_retry_after_comes_from_the_answer_parameters(respx_mock: Any) -> None:
    respx_mock.post(method_url("sendMessage")).mock(return_value=error("too_many_requests"))
    with pytest.raises(RateLimited) as caught:
        telegram().publish(sample_post())
    assert caught.value.retry_after == 7
    assert caught.value.retryable


def test_retry_after_falls_back_to_the_header(respx_mock: Any) -> None:
    body = {"ok": False, "error_code": 429, "description": "Too Many Requests"}
    respx_mock.post(method_url("sendMessage")).mock(
        return_value=httpx.Response(429, json=body, headers={"Retry-After": "30"})
    )
    with pytest.raises(RateLimited) as caught:
        telegram().publish(sample_post())
    assert caught.value.retry_after == 30


def test_a_proxy_error_page_is_typed_by_status(respx_mock: Any) -> None:
    respx_mock.post(method_url("sendMessage")).mock(
        return_value=httpx.Response(502, text="<h1>Bad Gateway</h1>")
    )
    with pytest.raises(Transient):
        telegram().publish(sample_post())


def test_garbage_after_a_read_is_transient_and_after_a_write_unknown(respx_mock: Any) -> None:
    respx_mock.post(method_url("getChatMemberCount")).mock(return_value=httpx.Response(200, text="<html>"))
    respx_mock.post(method_url("sendMessage")).mock(return_value=httpx.Response(200, json={"result": 1}))
    with pytest.raises(Transient):
        telegram().fetch_followers()
    with pytest.raises(OutcomeUnknown):
        telegram().publish(sample_post())


def test_an_answer_without_a_message_id_is_outcome_unknown(respx_mock: Any) -> None:
    respx_mock.post(method_url("sendMessage")).mock(
        return_value=httpx.Response(200, json={"ok": True, "result": {}})
    )
    with pytest.raises(OutcomeUnknown):
        telegram().publish(sample_post())


def test_a_timeout_while_uploading_an_album_is_outcome_unknown(respx_mock: Any, tmp_path: Path) -> None:
    respx_mock.post(method_url("sendMediaGroup")).mock(side_effect=httpx.WriteTimeout("slow upload"))
    items = (media(tmp_path, "a.jpg"), media(tmp_path, "b.jpg"))
    with pytest.raises(OutcomeUnknown):
        telegram().publish(OutgoingPost(text="x", idempotency_key="k", media=items))


def test_nothing_can_be_looked_up_after_a_timeout() -> None:
    with pytest.raises(OutcomeUnknown):
        telegram().find_published(sample_post(), since=datetime.now(UTC) - timedelta(minutes=5))


# --- The token never leaks ------------------------------------------------------------------------


SECRET_HALF = TOKEN.partition(":")[2]


def _shown(error: ConnectorError) -> str:
    return f"{error} {error.message} {error.detail} {error!r} {error.args!r}"


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(502, text=f"<p>Upstream failed for POST /bot{TOKEN}/sendMessage</p>"),
        httpx.Response(404, text=f"no route /bot{TOKEN}/sendMessage"),
        httpx.Response(200, text=f"captive portal: you asked for {BASE}/bot{TOKEN}/sendMessage"),
        httpx.Response(
            400, json={"ok": False, "error_code": 400, "description": f"Bad Request: {SECRET_HALF}"}
        ),
        httpx.ConnectError(f"cannot connect to {BASE}/bot{TOKEN}/sendMessage"),
        httpx.ReadTimeout(f"timed out reading {BASE}/bot{TOKEN}/sendMessage"),
    ],
)
def test_the_token_never_appears_in_an_error(respx_mock: Any, response: httpx.Response | Exception) -> None:
    route = respx_mock.post(method_url("sendMessage"))
    if isinstance(response, Exception):
        route.mock(side_effect=response)
    else:
        route.mock(return_value=response)
    with pytest.raises(ConnectorError) as caught:
        telegram().publish(sample_post())
    shown = _shown(caught.value)
    assert SECRET_HALF not in shown
    assert caught.value.__cause__ is None or SECRET_HALF not in str(caught.value.__cause__)
    assert caught.value.__suppress_context__ or caught.value.__context__ is None


def test_the_token_is_not_in_the_connector_repr() -> None:
    connector = telegram()
    assert SECRET_HALF not in repr(connector)
    assert SECRET_HALF not in repr(connector.scrub.__dict__.keys())


# --- Verify and followers -------------------------------------------------------------------------


def _verify_routes(
    respx_mock: Any, *, chat: str = "getChat_channel", member: str = "getChatMember_admin"
) -> Any:
    respx_mock.post(method_url("getMe")).mock(return_value=answer("getMe"))
    respx_mock.post(method_url("getChat")).mock(return_value=answer(chat))
    member_route = respx_mock.post(method_url("getChatMember")).mock(return_value=answer(member))
    respx_mock.post(method_url("getChatMemberCount")).mock(return_value=answer("getChatMemberCount"))
    return member_route


def test_verify_checks_the_bot_may_post_and_describes_the_channel(respx_mock: Any) -> None:
    member_route = _verify_routes(respx_mock)
    info = telegram(external_id="@portevoix_news").verify()
    assert json_body(member_route.calls.last.request) == {"chat_id": "@portevoix_news", "user_id": 7000000001}
    assert info.external_id == "-1001234567890"
    assert info.name == "Portevoix News"
    assert info.handle == "@portevoix_news"
    assert info.url == "https://t.me/portevoix_news"
    assert info.followers == 1542


@pytest.mark.parametrize(
    "member", ["getChatMember_admin_cannot_post", "getChatMember_member", "getChatMember_left"]
)
def test_verify_refuses_a_channel_where_the_bot_may_not_post(respx_mock: Any, member: str) -> None:
    _verify_routes(respx_mock, member=member)
    with pytest.raises(ReauthRequired) as caught:
        telegram().verify()
    assert "@portevoix_bot may not post in this channel" in caught.value.message
    assert "administrator" in caught.value.message


def test_verify_accepts_a_group_where_the_bot_is_a_member(respx_mock: Any) -> None:
    _verify_routes(respx_mock, chat="getChat_group", member="getChatMember_member")
    info = telegram(external_id="-1009876543210").verify()
    assert (info.name, info.handle, info.url) == ("Portevoix Community", "", None)


def test_verify_refuses_a_private_chat(respx_mock: Any) -> None:
    _verify_routes(respx_mock, chat="getChat_private")
    with pytest.raises(ReauthRequired) as caught:
        telegram(external_id="5551234").verify()
    assert "not a channel or a group" in caught.value.message


def test_verify_with_a_revoked_token(respx_mock: Any) -> None:
    respx_mock.post(method_url("getMe")).mock(return_value=error("unauthorized"))
    with pytest.raises(ReauthRequired):
        telegram().verify()


def test_followers_are_the_member_count(respx_mock: Any) -> None:
    route = respx_mock.post(method_url("getChatMemberCount")).mock(return_value=answer("getChatMemberCount"))
    assert telegram().fetch_followers() == 1542
    assert json_body(route.calls.last.request) == {"chat_id": CHAT}


# --- Edit and delete ------------------------------------------------------------------------------


def test_editing_a_text_message(respx_mock: Any) -> None:
    route = respx_mock.post(method_url("editMessageText")).mock(return_value=answer("editMessageText"))
    published = telegram().edit("text:42", OutgoingPost(text="Hello again", idempotency_key="k"))
    assert json_body(route.calls.last.request) == {"chat_id": CHAT, "message_id": 42, "text": "Hello again"}
    assert published.remote_id == "text:42"
    assert published.url == "https://t.me/portevoix_news/42"


def test_an_unchanged_edit_counts_as_done(respx_mock: Any) -> None:
    respx_mock.post(method_url("editMessageText")).mock(return_value=error("not_modified"))
    published = telegram(external_id="@portevoix_news").edit("text:42", sample_post())
    assert published.remote_id == "text:42"
    assert published.url == "https://t.me/portevoix_news/42"


def test_editing_an_album_changes_the_first_caption(respx_mock: Any, tmp_path: Path) -> None:
    route = respx_mock.post(method_url("editMessageCaption")).mock(return_value=answer("editMessageCaption"))
    items = (media(tmp_path, "a.jpg"), video(tmp_path), media(tmp_path, "c.jpg"))
    published = telegram().edit(
        "media:45,46,47", OutgoingPost(text="New caption", idempotency_key="k", media=items)
    )
    assert json_body(route.calls.last.request) == {
        "chat_id": CHAT,
        "message_id": 45,
        "caption": "New caption",
    }
    assert published.remote_id == "media:45,46,47"


def test_edits_that_change_the_media_are_refused(respx_mock: Any, tmp_path: Path) -> None:
    with pytest.raises(ContentRejected):
        telegram().edit(
            "media:45,46,47", OutgoingPost(text="x", idempotency_key="k", media=(media(tmp_path, "a.jpg"),))
        )
    with pytest.raises(ContentRejected):
        telegram().edit(
            "text:42", OutgoingPost(text="x", idempotency_key="k", media=(media(tmp_path, "b.jpg"),))
        )
    with pytest.raises(ContentRejected):
        telegram().edit("text:42", OutgoingPost(text="", idempotency_key="k"))
    assert not respx_mock.calls


def test_editing_a_deleted_message(respx_mock: Any) -> None:
    respx_mock.post(method_url("editMessageText")).mock(return_value=error("edit_not_found"))
    with pytest.raises(ContentRejected) as caught:
        telegram().edit("text:42", sample_post())
    assert "no longer exists" in caught.value.message


def test_deleting_one_message(respx_mock: Any) -> None:
    route = respx_mock.post(method_url("deleteMessage")).mock(return_value=answer("ok_true"))
    telegram().delete("media:43")
    assert json_body(route.calls.last.request) == {"chat_id": CHAT, "message_id": 43}


def test_deleting_an_album_deletes_every_message(respx_mock: Any) -> None:
    route = respx_mock.post(method_url("deleteMessages")).mock(return_value=answer("ok_true"))
    telegram().delete("media:45,46,47")
    assert json_body(route.calls.last.request) == {"chat_id": CHAT, "message_ids": [45, 46, 47]}


def test_deleting_an_already_deleted_message_is_done(respx_mock: Any) -> None:
    respx_mock.post(method_url("deleteMessage")).mock(return_value=error("delete_not_found"))
    telegram().delete("text:42")


def test_a_message_too_old_to_delete(respx_mock: Any) -> None:
    respx_mock.post(method_url("deleteMessage")).mock(return_value=error("cant_be_deleted"))
    with pytest.raises(ContentRejected) as caught:
        telegram().delete("text:42")
    assert "48 hours" in caught.value.message


@pytest.mark.parametrize("remote_id", ["42", "photo:1", "text:", "media:1,,2", "text:abc"])
def test_a_foreign_remote_id_is_refused(respx_mock: Any, remote_id: str) -> None:
    with pytest.raises(ContentRejected):
        telegram().delete(remote_id)
    assert not respx_mock.calls


def test_a_video_waiting_for_reencoding_has_no_link_and_cannot_be_edited(
    respx_mock: Any, tmp_path: Path
) -> None:
    scheduled = answer("sendVideo").json()
    scheduled["result"]["message_id"] = 0
    respx_mock.post(method_url("sendVideo")).mock(return_value=httpx.Response(200, json=scheduled))
    published = telegram().publish(OutgoingPost(text="x", idempotency_key="k", media=(video(tmp_path),)))
    assert (published.remote_id, published.url) == ("media:0", None)
    with pytest.raises(ContentRejected) as caught:
        telegram().delete(published.remote_id)
    assert "Telegram app" in caught.value.message
    assert not [call for call in respx_mock.calls if "delete" in str(call.request.url)]


# --- Small pieces ---------------------------------------------------------------------------------


def test_remote_ids_round_trip() -> None:
    ref = RemoteRef.parse("media:45,46,47")
    assert (ref.kind, ref.message_ids, ref.first, str(ref)) == ("media", (45, 46, 47), 45, "media:45,46,47")


@pytest.mark.parametrize(
    ("chat", "url"),
    [
        ({"id": -1001234567890, "username": "news", "type": "channel"}, "https://t.me/news/7"),
        ({"id": -1001234567890, "type": "channel"}, "https://t.me/c/1234567890/7"),
        ({"id": -4012345, "type": "group"}, None),
        ("@news", "https://t.me/news/7"),
        ("-1001234567890", "https://t.me/c/1234567890/7"),
        ("-4012345", None),
    ],
)
def test_message_links(chat: Any, url: str | None) -> None:
    assert message_url(chat, 7) == url


def test_text_with_link() -> None:
    assert text_with_link(OutgoingPost(text="", idempotency_key="k", link="https://x.y")) == "https://x.y"
    assert text_with_link(OutgoingPost(text="see https://x.y", idempotency_key="k", link="https://x.y")) == (
        "see https://x.y"
    )


def test_a_refusal_that_is_not_a_bot_api_answer_says_its_status(respx_mock: Any) -> None:
    respx_mock.post(method_url("sendMessage")).mock(return_value=httpx.Response(400, text="<h1>400</h1>"))
    with pytest.raises(ContentRejected) as caught:
        telegram().publish(sample_post())
    assert caught.value.message == "Telegram refused the request (400)."


def test_an_unknown_bad_request_quotes_telegram(respx_mock: Any) -> None:
    body = {"ok": False, "error_code": 400, "description": "Bad Request: can't parse entities"}
    respx_mock.post(method_url("sendMessage")).mock(return_value=httpx.Response(400, json=body))
    with pytest.raises(ContentRejected) as caught:
        telegram().publish(sample_post())
    assert caught.value.message == "Telegram refused the request: Bad Request: can't parse entities"

"""The VK connector against VK's documented requests and answers (dev.vk.com, VKCOM/vk-api-schema)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from portevoix.connectors import registry
from portevoix.connectors.errors import (
    AuthExpired,
    ConnectorError,
    ContentRejected,
    OutcomeUnknown,
    RateLimited,
    ReauthRequired,
    Transient,
)
from portevoix.connectors.testing import ConnectorContract, sample_post
from portevoix.connectors.types import Capability, ChannelConfig, MediaItem, OutgoingPost
from portevoix.connectors.vk import API_VERSION, VK, Comment
from portevoix.connectors.vk.tests.helpers import (
    ACCESS_TOKEN,
    API,
    GROUP_ID,
    fixture,
    form,
    make_channel,
    multipart,
    reply,
    vk_error,
)
from portevoix.textcount import TEXT_RULES, Unit

UPLOAD_URL = fixture("photos_getWallUploadServer.json")["response"]["upload_url"]
# The fixtures' post 2871 is dated 1718803260; the attempt started a minute before.
ATTEMPT = datetime.fromtimestamp(1718803200, UTC)


class TestVKContract(ConnectorContract):
    connector_class = VK

    def channel(self) -> ChannelConfig:
        return make_channel()

    def mock_publish(self, respx_mock: Any, response: httpx.Response | Exception) -> None:
        route = respx_mock.post(f"{API}/wall.post")
        if isinstance(response, Exception):
            route.mock(side_effect=response)
        else:
            route.mock(return_value=response)

    def success_response(self) -> httpx.Response:
        return reply("wall_post.json")

    def error_response(self, status: int, *, retry_after: int | None = None) -> httpx.Response:
        # VK answers its own errors with 200; other statuses come from its front servers (nginx pages).
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        if status >= 500:
            return httpx.Response(status, text=f"<html><h1>{status}</h1>nginx</html>", headers=headers)
        return httpx.Response(status, json=vk_error("100"), headers=headers)


@pytest.fixture
def vk() -> VK:
    return VK(make_channel(), httpx.Client(timeout=5))


def photo(
    tmp_path: Path, name: str = "a.jpg", *, width: int = 1200, height: int = 800, **extra: Any
) -> MediaItem:
    path = tmp_path / name
    path.write_bytes(b"\xff\xd8\xff\xe0" + name.encode() + b"\xff\xd9")
    values: dict[str, Any] = {
        "kind": "image",
        "path": path,
        "content_type": "image/jpeg",
        "size": path.stat().st_size,
        "filename": name,
        "width": width,
        "height": height,
    }
    values.update(extra)
    return MediaItem(**values)


def saved_photo(photo_id: int) -> httpx.Response:
    body = fixture("photos_saveWallPhoto.json")
    body["response"][0]["id"] = photo_id
    return httpx.Response(200, json=body)


# --- Declaration ------------------------------------------------------------------------------------


def test_declaration_matches_what_vk_offers() -> None:
    assert registry.get("vk") is VK
    assert VK.capabilities == {
        Capability.PUBLISH,
        Capability.EDIT,
        Capability.DELETE,
        Capability.METRICS,
        Capability.FOLLOWERS,
        Capability.COMMENTS,
        Capability.IMAGES,
        Capability.ALBUMS,
        Capability.LINKS,
        Capability.LOOKUP,
    }
    assert Capability.IDEMPOTENCY not in VK.capabilities  # wall.post takes no idempotency key
    assert callable(VK.fetch_comments)
    limits = VK.limits
    assert (limits.text, limits.text_unit, limits.media) == (16384, Unit.CHARS, 10)
    rule = TEXT_RULES["vk"]["post"]
    assert [(each.maximum, each.unit) for each in rule.limits] == [(limits.text, limits.text_unit)]
    assert limits.image_formats == ("image/jpeg", "image/png", "image/gif")
    assert limits.image_max_bytes == 50 * 1024 * 1024
    assert limits.aspect_ratio_min == pytest.approx(1 / 20)
    assert limits.aspect_ratio_max == 20
    assert VK.auth.oauth2 is not None
    assert VK.auth.oauth2.pkce
    assert VK.auth.oauth2.authorize_url == "https://id.vk.com/authorize"
    assert VK.auth.oauth2.token_url == "https://id.vk.com/oauth2/auth"
    assert {"wall", "photos", "groups"} <= set(VK.auth.oauth2.scopes)
    assert API_VERSION == "5.199"


# --- Publishing -------------------------------------------------------------------------------------


def test_publish_text_posts_as_the_community_with_the_token_in_the_body(vk: VK, respx_mock: Any) -> None:
    route = respx_mock.post(f"{API}/wall.post").mock(return_value=reply("wall_post.json"))

    published = vk.publish(sample_post(text="Hello from Portevoix #launch"))

    assert published.remote_id == "2871"
    assert published.url == f"https://vk.com/wall-{GROUP_ID}_2871"
    request = route.calls.last.request
    assert request.method == "POST"
    assert request.url.query == b""  # nothing, least of all the token, in the URL
    assert form(request) == {
        "owner_id": f"-{GROUP_ID}",
        "from_group": "1",
        "message": "Hello from Portevoix #launch",
        "access_token": ACCESS_TOKEN,
        "v": API_VERSION,
    }


def test_publish_with_a_link_attaches_it(vk: VK, respx_mock: Any) -> None:
    route = respx_mock.post(f"{API}/wall.post").mock(return_value=reply("wall_post.json"))

    vk.publish(sample_post(text="Read this", link="https://example.com/a?b=1"))

    assert form(route.calls.last.request)["attachments"] == "https://example.com/a?b=1"


def test_publish_photos_runs_the_whole_upload_chain(vk: VK, respx_mock: Any, tmp_path: Path) -> None:
    server = respx_mock.post(f"{API}/photos.getWallUploadServer").mock(
        return_value=reply("photos_getWallUploadServer.json")
    )
    upload = respx_mock.post(UPLOAD_URL).mock(return_value=reply("upload_photo.json"))
    save = respx_mock.post(f"{API}/photos.saveWallPhoto").mock(
        side_effect=[saved_photo(457239017), saved_photo(457239018)]
    )
    post_route = respx_mock.post(f"{API}/wall.post").mock(return_value=reply("wall_post.json"))
    first = photo(tmp_path, "first.jpg")
    second = photo(tmp_path, "second.png", content_type="image/png")

    published = vk.publish(
        OutgoingPost(
            text="Two photos", idempotency_key="k", media=(first, second), link="https://example.com"
        )
    )

    assert published.remote_id == "2871"
    assert server.call_count == 1
    assert form(server.calls.last.request) == {
        "group_id": str(GROUP_ID),
        "access_token": ACCESS_TOKEN,
        "v": API_VERSION,
    }
    # One multipart upload per photo, in the field "photo"; the upload server never sees the token.
    assert upload.call_count == 2
    for call, item in zip(upload.calls, (first, second), strict=True):
        request = call.request
        assert str(request.url) == UPLOAD_URL
        assert ACCESS_TOKEN.encode() not in request.content
        assert ACCESS_TOKEN not in str(request.url)
        parts = multipart(request)
        assert list(parts) == ["photo"]
        assert parts["photo"] == (item.filename, item.content_type, item.path.read_bytes())
    uploaded = fixture("upload_photo.json")
    assert [form(call.request) for call in save.calls] == [
        {
            "group_id": str(GROUP_ID),
            "server": str(uploaded["server"]),
            "photo": uploaded["photo"],
            "hash": uploaded["hash"],
            "access_token": ACCESS_TOKEN,
            "v": API_VERSION,
        }
    ] * 2
    assert form(post_route.calls.last.request)["attachments"] == (
        f"photo-{GROUP_ID}_457239017,photo-{GROUP_ID}_457239018,https://example.com"
    )


def test_a_photo_the_upload_server_cannot_read_is_rejected_before_posting(
    vk: VK, respx_mock: Any, tmp_path: Path
) -> None:
    respx_mock.post(f"{API}/photos.getWallUploadServer").mock(
        return_value=reply("photos_getWallUploadServer.json")
    )
    respx_mock.post(UPLOAD_URL).mock(return_value=reply("upload_photo_rejected.json"))
    post_route = respx_mock.post(f"{API}/wall.post")

    with pytest.raises(ContentRejected) as caught:
        vk.publish(OutgoingPost(text="x", idempotency_key="k", media=(photo(tmp_path),)))

    assert "a.jpg" in caught.value.message
    assert not post_route.called


def test_a_missing_photo_file_is_rejected(vk: VK, respx_mock: Any, tmp_path: Path) -> None:
    item = photo(tmp_path)
    item.path.unlink()
    respx_mock.post(f"{API}/photos.getWallUploadServer").mock(
        return_value=reply("photos_getWallUploadServer.json")
    )

    with pytest.raises(ContentRejected, match="could not be read"):
        vk.publish(OutgoingPost(text="x", idempotency_key="k", media=(item,)))


def test_save_wall_photo_without_the_photos_right_names_it(vk: VK, respx_mock: Any, tmp_path: Path) -> None:
    respx_mock.post(f"{API}/photos.getWallUploadServer").mock(
        return_value=reply("photos_getWallUploadServer.json")
    )
    respx_mock.post(UPLOAD_URL).mock(return_value=reply("upload_photo.json"))
    respx_mock.post(f"{API}/photos.saveWallPhoto").mock(return_value=httpx.Response(200, json=vk_error("15")))

    with pytest.raises(ReauthRequired, match="'photos' permission"):
        vk.publish(OutgoingPost(text="x", idempotency_key="k", media=(photo(tmp_path),)))


@pytest.mark.parametrize(
    ("overrides", "problem"),
    [
        ({"text": "x" * 16385}, "too_long"),
        ({"text": " ", "link": None}, "empty"),
        ({"media": "eleven"}, "too_many_media"),
        ({"media": "video"}, "unsupported_media"),
        ({"media": "webp"}, "unsupported_media"),
        ({"media": "huge"}, "image_too_large"),
        ({"media": "wide"}, "image_dimensions"),
        ({"media": "thin"}, "aspect_ratio"),
    ],
)
def test_posts_vk_would_refuse_are_rejected_without_any_request(
    vk: VK, respx_mock: Any, tmp_path: Path, overrides: dict[str, Any], problem: str
) -> None:
    media = {
        "eleven": tuple(photo(tmp_path, f"{n}.jpg") for n in range(11)),
        "video": (photo(tmp_path, kind="video", content_type="video/mp4"),),
        "webp": (photo(tmp_path, content_type="image/webp"),),
        "huge": (photo(tmp_path, size=50 * 1024 * 1024 + 1),),
        "wide": (photo(tmp_path, width=10000, height=4001),),
        "thin": (photo(tmp_path, width=2100, height=100),),
    }
    values: dict[str, Any] = {"text": "ok", "idempotency_key": "k"}
    values.update(overrides)
    if isinstance(values.get("media"), str):
        values["media"] = media[values["media"]]

    with pytest.raises(ContentRejected) as caught:
        vk.publish(OutgoingPost(**values))

    assert caught.value.problems == (problem,)
    assert not respx_mock.calls


def test_text_length_counts_code_points(vk: VK, respx_mock: Any) -> None:
    route = respx_mock.post(f"{API}/wall.post").mock(return_value=reply("wall_post.json"))
    text = "😀" * 16384  # 32,768 UTF-16 units, but 16,384 characters: what VK counts

    vk.publish(sample_post(text=text))

    assert form(route.calls.last.request)["message"] == text


def test_ten_photos_are_allowed_and_aspect_ratio_twenty_is_allowed(
    vk: VK, respx_mock: Any, tmp_path: Path
) -> None:
    respx_mock.post(f"{API}/photos.getWallUploadServer").mock(
        return_value=reply("photos_getWallUploadServer.json")
    )
    respx_mock.post(UPLOAD_URL).mock(return_value=reply("upload_photo.json"))
    respx_mock.post(f"{API}/photos.saveWallPhoto").mock(side_effect=[saved_photo(n) for n in range(1, 11)])
    route = respx_mock.post(f"{API}/wall.post").mock(return_value=reply("wall_post.json"))
    media = tuple(photo(tmp_path, f"{n}.jpg", width=2000, height=100) for n in range(10))

    vk.publish(OutgoingPost(text="", idempotency_key="k", media=media))

    sent = form(route.calls.last.request)
    assert "message" not in sent
    assert sent["attachments"] == ",".join(f"photo-{GROUP_ID}_{n}" for n in range(1, 11))


# --- VK's error answers ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "expected", "says"),
    [
        ("5", ReauthRequired, "reconnect"),
        ("5_expired", AuthExpired, "expired"),
        ("6", RateLimited, "3 requests per second"),
        ("9", RateLimited, "flood control"),
        ("10", OutcomeUnknown, "may or may not"),
        ("14", RateLimited, "a person must"),
        ("15", ReauthRequired, "'wall' permission"),
        ("100", ContentRejected, "parameter"),
        ("203", ReauthRequired, "editor or administrator"),
        ("214", ReauthRequired, "'wall' permission"),
        ("219", ContentRejected, "advertisement post"),
        ("220", ContentRejected, "too many recipients"),
    ],
)
def test_vk_error_codes_on_wall_post_are_typed(
    vk: VK, respx_mock: Any, code: str, expected: type[ConnectorError], says: str
) -> None:
    respx_mock.post(f"{API}/wall.post").mock(return_value=httpx.Response(200, json=vk_error(code)))

    with pytest.raises(ConnectorError) as caught:
        vk.publish(sample_post())

    assert type(caught.value) is expected
    assert says.lower() in caught.value.message.lower()
    number = code.split("_")[0]
    assert caught.value.detail.startswith(f"VK error {number}: ")
    assert ACCESS_TOKEN not in f"{caught.value.message} {caught.value.detail}"


def test_rate_limit_hints(vk: VK, respx_mock: Any) -> None:
    route = respx_mock.post(f"{API}/wall.post")
    hints = {}
    for code in ("6", "9", "14"):
        route.mock(return_value=httpx.Response(200, json=vk_error(code)))
        with pytest.raises(RateLimited) as caught:
            vk.publish(sample_post())
        hints[code] = caught.value.retry_after
    assert hints["6"] == 1.0
    assert hints["9"] is not None
    assert hints["9"] >= 60
    assert hints["14"] is not None
    assert hints["14"] >= 60


def test_internal_error_on_a_read_is_transient(vk: VK, respx_mock: Any) -> None:
    respx_mock.post(f"{API}/groups.getById").mock(return_value=httpx.Response(200, json=vk_error("10")))

    with pytest.raises(Transient):
        vk.fetch_followers()


def test_the_token_is_blanked_out_of_vk_messages(respx_mock: Any) -> None:
    vk = VK(make_channel(), httpx.Client())
    body = vk_error("100")
    body["error"]["error_msg"] = f"One of the parameters specified was missing or invalid: {ACCESS_TOKEN}"
    respx_mock.post(f"{API}/wall.post").mock(return_value=httpx.Response(200, json=body))

    with pytest.raises(ContentRejected) as caught:
        vk.publish(sample_post())

    assert ACCESS_TOKEN not in caught.value.detail
    assert "***" in caught.value.detail


def test_an_answer_that_is_not_json_on_a_read_is_transient(vk: VK, respx_mock: Any) -> None:
    respx_mock.post(f"{API}/groups.getById").mock(return_value=httpx.Response(200, text="<html>oops</html>"))

    with pytest.raises(Transient):
        vk.fetch_followers()


def test_a_read_timeout_on_a_read_is_transient(vk: VK, respx_mock: Any) -> None:
    respx_mock.post(f"{API}/wall.get").mock(side_effect=httpx.ReadTimeout("slow"))

    with pytest.raises(Transient):
        vk.find_published(sample_post(), since=ATTEMPT)


def test_a_channel_without_token_or_with_a_bad_community_id_needs_reconnecting(respx_mock: Any) -> None:
    no_token = VK(make_channel(access_token=""), httpx.Client())
    with pytest.raises(ReauthRequired):
        no_token.publish(sample_post())
    bad_id = VK(
        ChannelConfig(external_id="club-x", credentials={"access_token": "t"}, base_url=API), httpx.Client()
    )
    with pytest.raises(ReauthRequired):
        bad_id.publish(sample_post())
    assert not respx_mock.calls


def test_a_configured_base_url_is_used(respx_mock: Any) -> None:
    channel = ChannelConfig(
        external_id=str(GROUP_ID),
        credentials={"access_token": ACCESS_TOKEN},
        base_url="https://api.vk.ru/method/",
    )
    route = respx_mock.post("https://api.vk.ru/method/wall.post").mock(return_value=reply("wall_post.json"))

    VK(channel, httpx.Client()).publish(sample_post())

    assert route.called


# --- Reconciliation ---------------------------------------------------------------------------------


def test_find_published_matches_the_exact_text_since_the_attempt(vk: VK, respx_mock: Any) -> None:
    route = respx_mock.post(f"{API}/wall.get").mock(return_value=reply("wall_get.json"))

    found = vk.find_published(sample_post(text="Hello from Portevoix #launch"), since=ATTEMPT)

    assert found is not None
    assert found.remote_id == "2871"
    assert found.url == f"https://vk.com/wall-{GROUP_ID}_2871"
    assert found.published_at == datetime.fromtimestamp(1718803260, UTC)
    assert form(route.calls.last.request) == {
        "owner_id": f"-{GROUP_ID}",
        "count": "20",
        "filter": "owner",
        "access_token": ACCESS_TOKEN,
        "v": API_VERSION,
    }


def test_find_published_ignores_other_texts_and_older_posts(vk: VK, respx_mock: Any) -> None:
    respx_mock.post(f"{API}/wall.get").mock(return_value=reply("wall_get.json"))

    assert vk.find_published(sample_post(text="Something else"), since=ATTEMPT) is None
    # The same text, but published long before this attempt (the pinned post is older still).
    assert vk.find_published(sample_post(text="Yesterday's news"), since=ATTEMPT) is None
    assert vk.find_published(sample_post(text="Welcome to our community!"), since=ATTEMPT) is None


def test_find_published_allows_for_clock_skew(vk: VK, respx_mock: Any) -> None:
    respx_mock.post(f"{API}/wall.get").mock(return_value=reply("wall_get.json"))
    our_clock_ahead = datetime.fromtimestamp(1718803260, UTC) + timedelta(seconds=90)

    found = vk.find_published(sample_post(text="Hello from Portevoix #launch"), since=our_clock_ahead)

    assert found is not None
    assert found.remote_id == "2871"


def test_find_published_reads_vk_mention_markup(vk: VK, respx_mock: Any) -> None:
    body = fixture("wall_get.json")
    body["response"]["items"][1]["text"] = "Thanks [id1|Pavel] and [club1|@apiclub]!\nSee you"
    respx_mock.post(f"{API}/wall.get").mock(return_value=httpx.Response(200, json=body))

    found = vk.find_published(
        sample_post(text="Thanks @durov (Pavel) and @apiclub!\r\nSee you "), since=ATTEMPT
    )

    assert found is not None
    assert found.remote_id == "2871"


def test_find_published_for_a_photo_only_post_compares_the_photo_count(
    vk: VK, respx_mock: Any, tmp_path: Path
) -> None:
    body = fixture("wall_get.json")
    body["response"]["items"][1]["text"] = ""
    body["response"]["items"][1]["attachments"] = [
        {"type": "photo", "photo": {"id": 457239017, "owner_id": -GROUP_ID}},
        {"type": "photo", "photo": {"id": 457239018, "owner_id": -GROUP_ID}},
    ]
    respx_mock.post(f"{API}/wall.get").mock(return_value=httpx.Response(200, json=body))
    two = (photo(tmp_path, "1.jpg"), photo(tmp_path, "2.jpg"))

    found = vk.find_published(OutgoingPost(text="", idempotency_key="k", media=two), since=ATTEMPT)
    other = vk.find_published(OutgoingPost(text="", idempotency_key="k", media=two[:1]), since=ATTEMPT)

    assert found is not None
    assert found.remote_id == "2871"
    assert other is None


def test_find_published_cannot_tell_when_the_window_overflows(vk: VK, respx_mock: Any) -> None:
    body = fixture("wall_get.json")
    body["response"]["items"] = [
        {"id": 3000 + n, "owner_id": -GROUP_ID, "from_id": -GROUP_ID, "date": 1718803300 + n, "text": f"n{n}"}
        for n in range(20)
    ]
    respx_mock.post(f"{API}/wall.get").mock(return_value=httpx.Response(200, json=body))

    with pytest.raises(OutcomeUnknown):
        vk.find_published(sample_post(text="not among them"), since=ATTEMPT)


# --- Edit, delete, metrics, followers, comments -----------------------------------------------------


def test_edit_replaces_text_and_attachments(vk: VK, respx_mock: Any) -> None:
    route = respx_mock.post(f"{API}/wall.edit").mock(return_value=reply("wall_edit.json"))

    published = vk.edit("2871", sample_post(text="Fixed typo", link="https://example.com/b"))

    assert published.remote_id == "2871"
    assert published.url == f"https://vk.com/wall-{GROUP_ID}_2871"
    assert form(route.calls.last.request) == {
        "owner_id": f"-{GROUP_ID}",
        "post_id": "2871",
        "message": "Fixed typo",
        "attachments": "https://example.com/b",
        "access_token": ACCESS_TOKEN,
        "v": API_VERSION,
    }


def test_delete_removes_the_post(vk: VK, respx_mock: Any) -> None:
    route = respx_mock.post(f"{API}/wall.delete").mock(return_value=reply("wall_delete.json"))

    vk.delete(f"-{GROUP_ID}_2871")

    assert form(route.calls.last.request) == {
        "owner_id": f"-{GROUP_ID}",
        "post_id": "2871",
        "access_token": ACCESS_TOKEN,
        "v": API_VERSION,
    }


def test_a_post_of_another_community_is_refused(vk: VK, respx_mock: Any) -> None:
    with pytest.raises(ContentRejected):
        vk.delete("-999_2871")
    with pytest.raises(ContentRejected):
        vk.delete("not-a-post")
    assert not respx_mock.calls


def test_metrics_read_views_likes_reposts_and_comments(vk: VK, respx_mock: Any) -> None:
    route = respx_mock.post(f"{API}/wall.getById").mock(return_value=reply("wall_getById.json"))

    metrics = vk.fetch_metrics(["2871", f"-{GROUP_ID}_2870", "2869"])

    assert form(route.calls.last.request)["posts"] == f"-{GROUP_ID}_2871,-{GROUP_ID}_2870,-{GROUP_ID}_2869"
    by_id = {each.remote_id: each for each in metrics}
    assert set(by_id) == {"2871", f"-{GROUP_ID}_2870"}  # 2869 is gone (deleted): left out
    first = by_id["2871"]
    assert (first.views, first.likes, first.shares, first.comments) == (1893, 57, 6, 4)
    second = by_id[f"-{GROUP_ID}_2870"]
    assert second.views is None  # VK reported no view count: unknown, not zero
    assert (second.likes, second.shares, second.comments) == (5, 0, 1)
    assert first.reach is None
    assert first.saves is None


def test_metrics_are_asked_in_batches_of_100(vk: VK, respx_mock: Any) -> None:
    route = respx_mock.post(f"{API}/wall.getById").mock(
        return_value=httpx.Response(200, json={"response": {"items": []}})
    )

    vk.fetch_metrics([str(n) for n in range(1, 251)])

    assert [len(form(call.request)["posts"].split(",")) for call in route.calls] == [100, 100, 50]


def test_followers_are_the_community_members(vk: VK, respx_mock: Any) -> None:
    route = respx_mock.post(f"{API}/groups.getById").mock(return_value=reply("groups_getById.json"))

    assert vk.fetch_followers() == 4821
    assert form(route.calls.last.request) == {
        "group_id": str(GROUP_ID),
        "fields": "members_count",
        "access_token": ACCESS_TOKEN,
        "v": API_VERSION,
    }


def test_verify_describes_the_community(vk: VK, respx_mock: Any) -> None:
    respx_mock.post(f"{API}/groups.getById").mock(return_value=reply("groups_getById.json"))

    info = vk.verify()

    assert info.external_id == str(GROUP_ID)
    assert info.name == "Portevoix Demo"
    assert info.handle == "portevoix_demo"
    assert info.url == "https://vk.com/portevoix_demo"
    assert info.followers == 4821


@pytest.mark.parametrize(
    ("changes", "says"),
    [
        ({"is_admin": 0, "admin_level": None}, "editor or administrator"),
        ({"admin_level": 1}, "editor or administrator"),  # a moderator cannot post as the community
        ({"deactivated": "banned"}, "banned"),
    ],
)
def test_verify_refuses_a_community_the_account_cannot_post_to(
    vk: VK, respx_mock: Any, changes: dict[str, Any], says: str
) -> None:
    body = fixture("groups_getById.json")
    group = body["response"]["groups"][0]
    for name, value in changes.items():
        if value is None:
            group.pop(name, None)
        else:
            group[name] = value
    respx_mock.post(f"{API}/groups.getById").mock(return_value=httpx.Response(200, json=body))

    with pytest.raises(ReauthRequired, match=says):
        vk.verify()


def test_verify_names_missing_permissions_without_asking_vk(respx_mock: Any) -> None:
    vk = VK(make_channel(scope="vkid.personal_info groups"), httpx.Client())

    with pytest.raises(ReauthRequired, match="wall, photos"):
        vk.verify()
    assert not respx_mock.calls


def test_verify_for_an_unknown_community(vk: VK, respx_mock: Any) -> None:
    respx_mock.post(f"{API}/groups.getById").mock(
        return_value=httpx.Response(200, json={"response": {"groups": [], "profiles": []}})
    )

    with pytest.raises(ReauthRequired):
        vk.verify()


def test_comments_are_read_oldest_first_without_deleted_ones(vk: VK, respx_mock: Any) -> None:
    route = respx_mock.post(f"{API}/wall.getComments").mock(return_value=reply("wall_getComments.json"))

    comments = vk.fetch_comments("2871")

    assert comments == [
        Comment(
            id="2875", author_id="5550001", text="Great news!", date=datetime.fromtimestamp(1718803500, UTC)
        ),
        Comment(
            id="2877",
            author_id=f"-{GROUP_ID}",
            text="Thank you!",
            date=datetime.fromtimestamp(1718803700, UTC),
        ),
    ]
    assert form(route.calls.last.request) == {
        "owner_id": f"-{GROUP_ID}",
        "post_id": "2871",
        "offset": "0",
        "count": "100",
        "sort": "asc",
        "access_token": ACCESS_TOKEN,
        "v": API_VERSION,
    }
    with pytest.raises(AttributeError):
        comments[0].text = "changed"  # type: ignore[misc]

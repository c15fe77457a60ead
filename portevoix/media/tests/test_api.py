"""/api/v1/media: list, multipart upload, read, alt text, delete, download."""

from __future__ import annotations

import json

import pytest

from portevoix.content.models import Post, PostMedia
from portevoix.media.models import MediaAsset
from portevoix.media.tests.helpers import image_bytes, stored_asset, upload, video_bytes
from portevoix.workspaces.roles import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def designer(team, api_client_for):
    return api_client_for(team.member(Role.DESIGNER))


def _post_file(client, data: bytes, name: str, content_type: str = "image/png", **fields):
    return client.post("/api/v1/media", {"file": upload(data, name, content_type), **fields})


def test_upload_answers_201_with_the_description_then_200_for_the_same_file(designer):
    response = _post_file(designer, image_bytes("PNG", (40, 20)), "flag.jpg", "image/jpeg", alt_text="A flag")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["kind"] == "image"
    assert body["content_type"] == "image/png"
    assert body["extension"] == "png"
    assert (body["width"], body["height"], body["alt_text"]) == (40, 20, "A flag")
    assert (body["used_in"], body["duplicate"], body["has_poster"]) == (0, False, False)
    assert body["file_url"] == f"/api/v1/media/{body['id']}/file"
    again = _post_file(designer, image_bytes("PNG", (40, 20)), "copy.png")
    assert again.status_code == 200
    assert again.json()["id"] == body["id"]
    assert again.json()["duplicate"] is True


def test_a_video_upload_is_described(designer):
    response = _post_file(designer, video_bytes("mp4"), "clip.mp4", "video/mp4")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["kind"], body["codec"], body["has_poster"]) == ("video", "h264", True)
    assert body["duration_seconds"] == pytest.approx(1.5, abs=0.1)


def test_a_refused_file_answers_422_with_the_reason_on_the_file_field(designer):
    response = _post_file(designer, b"<svg xmlns='http://www.w3.org/2000/svg'/>", "logo.png")
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation_failed"
    assert "SVG" in error["message"]
    assert error["fields"]["file"] == [error["message"]]
    assert not MediaAsset.objects.exists()


def test_an_upload_without_a_file_is_a_validation_error(designer):
    response = designer.post("/api/v1/media", {"alt_text": "nothing"})
    assert response.status_code == 422
    assert "file" in response.json()["error"]["fields"]


def test_an_analyst_cannot_upload(team, api_client_for):
    response = _post_file(api_client_for(team.member(Role.ANALYST)), image_bytes("PNG"), "x.png")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"


def test_the_list_is_paginated_and_filtered(team, designer):
    for index in range(3):
        stored_asset(team.workspace, name=f"image-{index}.png", alt_text=f"picture {index}")
    stored_asset(team.workspace, name="launch.mp4", kind="video")
    page = designer.get("/api/v1/media", {"limit": 2, "offset": 0}).json()
    assert (page["count"], page["limit"], len(page["items"])) == (4, 2, 2)
    assert [item["original_name"] for item in designer.get("/api/v1/media?kind=video").json()["items"]] == [
        "launch.mp4"
    ]
    found = designer.get("/api/v1/media", {"search": "picture 2"}).json()["items"]
    assert [item["original_name"] for item in found] == ["image-2.png"]
    bad = designer.get("/api/v1/media?kind=audio")
    assert bad.status_code == 422
    assert "kind" in bad.json()["error"]["fields"]


def test_alt_text_is_changed_with_patch(team, designer):
    asset = stored_asset(team.workspace)
    url = f"/api/v1/media/{asset.pk}"
    response = designer.patch(url, json.dumps({"alt_text": "Two cats"}), content_type="application/json")
    assert response.status_code == 200
    assert response.json()["alt_text"] == "Two cats"
    too_long = designer.patch(url, json.dumps({"alt_text": "x" * 1501}), content_type="application/json")
    assert too_long.status_code == 422
    assert "alt_text" in too_long.json()["error"]["fields"]
    unknown = designer.patch(url, json.dumps({"name": "x"}), content_type="application/json")
    assert unknown.status_code == 422


def test_delete_answers_409_while_a_post_uses_the_file_then_204(team, designer):
    asset = stored_asset(team.workspace)
    post = Post.objects.create(workspace=team.workspace, text="Hello")
    link = PostMedia.objects.create(post=post, asset=asset)
    response = designer.delete(f"/api/v1/media/{asset.pk}")
    assert response.status_code == 409
    assert "used by 1 post" in response.json()["error"]["message"]
    assert designer.get(f"/api/v1/media/{asset.pk}").json()["used_in"] == 1
    link.delete()
    assert designer.delete(f"/api/v1/media/{asset.pk}").status_code == 204
    assert designer.get(f"/api/v1/media/{asset.pk}").status_code == 404


def test_the_file_is_downloaded_with_safe_headers_and_byte_ranges(team, designer):
    asset = stored_asset(team.workspace, name="clip.mp4", kind="video")
    with asset.file.open("rb") as handle:
        content = handle.read()
    response = designer.get(f"/api/v1/media/{asset.pk}/file")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == content
    assert response["Content-Type"] == "video/mp4"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("inline")
    assert "sandbox" in response["Content-Security-Policy"]
    assert response["Content-Length"] == str(len(content))
    partial = designer.get(f"/api/v1/media/{asset.pk}/file", HTTP_RANGE="bytes=10-19")
    assert partial.status_code == 206
    assert b"".join(partial.streaming_content) == content[10:20]
    assert partial["Content-Range"] == f"bytes 10-19/{len(content)}"
    tail = designer.get(f"/api/v1/media/{asset.pk}/file", HTTP_RANGE="bytes=-5")
    assert b"".join(tail.streaming_content) == content[-5:]
    beyond = designer.get(f"/api/v1/media/{asset.pk}/file", HTTP_RANGE=f"bytes={len(content)}-")
    assert beyond.status_code == 416


def test_another_workspaces_media_are_not_found(team, other_team, designer):
    foreign = stored_asset(other_team.workspace)
    for method, path in [("get", ""), ("get", "/file"), ("delete", "")]:
        response = getattr(designer, method)(f"/api/v1/media/{foreign.pk}{path}")
        assert response.status_code == 404, (method, path)
    assert designer.get("/api/v1/media").json()["count"] == 0
    assert MediaAsset.objects.filter(pk=foreign.pk).exists()

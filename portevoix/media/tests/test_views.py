"""The media library pages: grid, upload of several files, alt text, delete, and the member-only files."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from portevoix.content.models import Post, PostMedia
from portevoix.media.models import MediaAsset
from portevoix.media.tests.helpers import image_bytes, stored_asset, upload, video_bytes
from portevoix.workspaces.roles import Role

pytestmark = pytest.mark.django_db


def url(name: str, team, *args) -> str:
    return reverse(f"media:{name}", args=[team.workspace.slug, *args])


def _messages(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_the_grid_shows_thumbnails_and_the_upload_form_to_creators(team, client_for):
    image = stored_asset(team.workspace, name="cat.png", alt_text="A cat")
    stored_asset(team.workspace, name="launch.mp4", kind="video")
    response = client_for(team.user(Role.DESIGNER)).get(url("list", team))
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count('data-testid="media-item"') == 2
    assert url("thumbnail", team, image.pk) in html
    assert 'alt="A cat"' in html
    assert 'data-testid="upload-form"' in html
    assert "Media library" in html  # the navigation section
    analyst = client_for(team.user(Role.ANALYST)).get(url("list", team)).content.decode()
    assert 'data-testid="upload-form"' not in analyst
    assert 'data-testid="media-item"' in analyst


def test_the_grid_filters_and_pages(team, client_for, settings):
    for index in range(3):
        stored_asset(team.workspace, name=f"photo-{index}.png")
    stored_asset(team.workspace, name="clip.mp4", kind="video")
    client = client_for(team.user(Role.OWNER))
    videos = client.get(url("list", team), {"kind": "video"}).content.decode()
    assert videos.count('data-testid="media-item"') == 1
    assert "clip.mp4" in videos
    none = client.get(url("list", team), {"q": "nothing-like-this"}).content.decode()
    assert "No files match." in none
    ignored = client.get(url("list", team), {"kind": "audio", "page": "x"})
    assert ignored.status_code == 200


def test_several_files_are_uploaded_at_once_with_one_message_each_problem(team, client_for):
    client = client_for(team.user(Role.COPYWRITER))
    files = [
        upload(image_bytes("PNG"), "one.png", "image/png"),
        upload(image_bytes("JPEG"), "two.jpg", "image/jpeg"),
        upload(b"<svg xmlns='http://www.w3.org/2000/svg'/>", "three.png", "image/png"),
        upload(video_bytes("webm", "libvpx-vp9"), "four.webm", "video/webm"),
    ]
    response = client.post(url("upload", team), {"files": files, "alt_text": "Launch day"}, follow=True)
    assert response.status_code == 200
    texts = _messages(response)
    assert any("3 files added" in text for text in texts)
    assert any(text.startswith("three.png:") and "SVG" in text for text in texts)
    assert MediaAsset.objects.count() == 3
    assert set(MediaAsset.objects.values_list("alt_text", flat=True)) == {"Launch day"}
    again = client.post(url("upload", team), {"files": [upload(image_bytes("PNG"), "copy.png")]}, follow=True)
    assert any("already in the library" in text for text in _messages(again))
    assert MediaAsset.objects.count() == 3


def test_an_upload_without_files_says_so(team, client_for):
    response = client_for(team.user(Role.OWNER)).post(url("upload", team), {}, follow=True)
    assert any("Choose at least one file" in text for text in _messages(response))


def test_the_detail_page_edits_alt_text(team, client_for):
    asset = stored_asset(team.workspace)
    client = client_for(team.user(Role.DESIGNER))
    page = client.get(url("detail", team, asset.pk)).content.decode()
    assert 'data-testid="alt-text-form"' in page
    assert url("file", team, asset.pk) in page
    response = client.post(url("detail", team, asset.pk), {"alt_text": "Sunset over the bay"}, follow=True)
    assert "Alt text saved." in _messages(response)
    asset.refresh_from_db()
    assert asset.alt_text == "Sunset over the bay"
    invalid = client.post(url("detail", team, asset.pk), {"alt_text": "x" * 1501})
    assert invalid.status_code == 200
    assert b"errorlist" in invalid.content
    forbidden = client_for(team.user(Role.ANALYST)).post(url("detail", team, asset.pk), {"alt_text": "no"})
    assert forbidden.status_code == 403


def test_a_video_page_plays_it_with_its_poster(team, client_for):
    asset = stored_asset(team.workspace, name="clip.mp4", kind="video")
    page = client_for(team.user(Role.OWNER)).get(url("detail", team, asset.pk)).content.decode()
    assert "<video" in page
    assert url("poster", team, asset.pk) in page


def test_delete_is_refused_while_a_post_uses_the_file(team, client_for):
    asset = stored_asset(team.workspace)
    post = Post.objects.create(workspace=team.workspace, title="Spring launch")
    PostMedia.objects.create(post=post, asset=asset)
    client = client_for(team.user(Role.MANAGER))
    page = client.get(url("detail", team, asset.pk)).content.decode()
    assert "Spring launch" in page
    assert 'data-testid="delete-media"' not in page
    response = client.post(url("delete", team, asset.pk), follow=True)
    assert any("used by 1 post" in text for text in _messages(response))
    assert MediaAsset.objects.filter(pk=asset.pk).exists()


def test_delete_removes_the_file(team, client_for, django_capture_on_commit_callbacks):
    asset = stored_asset(team.workspace, name="old.png")
    path = asset.file.path
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(team.user(Role.DESIGNER)).post(url("delete", team, asset.pk), follow=True)
    assert any("old.png was deleted." in text for text in _messages(response))
    assert not MediaAsset.objects.exists()
    assert not Path(path).exists()


def test_the_file_is_served_to_members_with_the_sniffed_type_and_safe_headers(team, client_for):
    asset = stored_asset(team.workspace, name="looks-like.html")
    response = client_for(team.user(Role.ANALYST)).get(url("file", team, asset.pk))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"] == 'inline; filename="looks-like.png"'
    assert response["Content-Security-Policy"].startswith("default-src 'none'")
    assert "sandbox" in response["Content-Security-Policy"]
    assert response["Cache-Control"].startswith("private")
    thumbnail = client_for(team.user(Role.ANALYST)).get(url("thumbnail", team, asset.pk))
    assert thumbnail["Content-Type"] == "image/jpeg"
    assert client_for(team.user(Role.ANALYST)).get(url("poster", team, asset.pk)).status_code == 404


def test_a_foreign_workspaces_file_is_not_found(team, other_team, client_for):
    foreign = stored_asset(other_team.workspace)
    client = client_for(team.user(Role.OWNER))
    # Through our own workspace's address, and through theirs.
    assert client.get(url("file", team, foreign.pk)).status_code == 404
    assert client.get(url("thumbnail", team, foreign.pk)).status_code == 404
    assert client.get(url("file", other_team, foreign.pk)).status_code == 404
    assert client.get(url("detail", team, foreign.pk)).status_code == 404


def test_clients_and_anonymous_people_get_no_file(team, client_for):
    asset = stored_asset(team.workspace)
    assert client_for(team.user(Role.CLIENT)).get(url("file", team, asset.pk)).status_code == 403
    anonymous = Client().get(url("file", team, asset.pk))
    assert anonymous.status_code == 302
    assert "/accounts/login" in anonymous["Location"]

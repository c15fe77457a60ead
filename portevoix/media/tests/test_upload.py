"""The upload service against the real database and a real (temporary) storage folder."""

from __future__ import annotations

import hashlib
import io
import struct
import zlib

import pytest
from PIL import Image

from portevoix.content.models import Post, PostMedia
from portevoix.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from portevoix.media import selectors, services
from portevoix.media.models import MediaAsset
from portevoix.media.tests.helpers import (
    CAMERA,
    exif,
    ffmpeg_report,
    image_bytes,
    rotated_video_bytes,
    upload,
    video_bytes,
)
from portevoix.workspaces.models import AuditEvent
from portevoix.workspaces.roles import Role

pytestmark = pytest.mark.django_db


def _upload(team, data, name="file", content_type="application/octet-stream", role=Role.DESIGNER, **extra):
    return services.media_upload(by=team.member(role), file=upload(data, name, content_type), **extra)


def _stored_bytes(asset: MediaAsset) -> bytes:
    with asset.file.open("rb") as handle:
        return handle.read()


# --- Each accepted format ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pillow_format", "content_type", "extension"),
    [
        ("JPEG", "image/jpeg", "jpg"),
        ("PNG", "image/png", "png"),
        ("GIF", "image/gif", "gif"),
        ("WEBP", "image/webp", "webp"),
    ],
)
def test_each_image_format_is_accepted_described_and_stored(
    team, stored_files, pillow_format, content_type, extension
):
    asset = _upload(
        team, image_bytes(pillow_format, (40, 20)), f"photo.{extension}", alt_text="  A red flag  "
    )
    asset.refresh_from_db()
    assert (asset.kind, asset.content_type, asset.extension) == ("image", content_type, extension)
    assert (asset.width, asset.height) == (40, 20)
    assert asset.alt_text == "A red flag"
    assert asset.original_name == f"photo.{extension}"
    content = _stored_bytes(asset)
    assert asset.size == len(content)
    assert asset.sha256 == hashlib.sha256(content).hexdigest()
    ws = team.workspace.pk
    assert asset.file.name == f"workspaces/{ws}/media/{asset.sha256[:2]}/{asset.sha256}.{extension}"
    assert stored_files() == {asset.file.name, asset.thumbnail.name}
    with asset.thumbnail.open("rb") as thumb, Image.open(thumb) as image:
        assert image.format == "JPEG"
    assert asset.uploaded_by == team.user(Role.DESIGNER)
    event = AuditEvent.objects.get(action="media.upload")
    assert (event.object_id, event.data["content_type"]) == (str(asset.pk), content_type)


@pytest.mark.parametrize(
    ("container", "codec", "content_type", "extension", "stored_codec"),
    [
        ("mp4", "libx264", "video/mp4", "mp4", "h264"),
        ("mp4", "libx265", "video/mp4", "mp4", "hevc"),
        ("mov", "libx264", "video/quicktime", "mov", "h264"),
        ("webm", "libvpx-vp9", "video/webm", "webm", "vp9"),
        ("webm", "libvpx", "video/webm", "webm", "vp8"),
    ],
    ids=["mp4-h264", "mp4-hevc", "mov", "webm-vp9", "webm-vp8"],
)
def test_each_video_format_is_accepted_described_and_cleaned(
    team, stored_files, container, codec, content_type, extension, stored_codec
):
    original = video_bytes(container, codec)
    asset = _upload(team, original, f"clip.{container}")
    assert (asset.kind, asset.content_type, asset.extension, asset.codec) == (
        "video",
        content_type,
        extension,
        stored_codec,
    )
    assert (asset.width, asset.height) == (64, 48)
    assert asset.duration_seconds == pytest.approx(1.5, abs=0.1)
    content = _stored_bytes(asset)
    assert b"secret place" in original
    assert "location" in ffmpeg_report(original).lower()
    assert b"secret place" not in content
    assert b"loci" not in content
    assert b"48.8582" not in content
    assert "location" not in ffmpeg_report(content).lower()  # the position is gone, in every form
    assert asset.sha256 == hashlib.sha256(content).hexdigest()
    assert asset.source_sha256 == hashlib.sha256(original).hexdigest()
    # The poster frame (at 1 s) and the grid's thumbnail are stored beside the video.
    assert stored_files() == {asset.file.name, asset.poster.name, asset.thumbnail.name}
    assert asset.poster.name.endswith(f"{asset.sha256}.poster.jpg")
    with asset.poster.open("rb") as poster, Image.open(poster) as image:
        assert (image.format, image.size) == ("JPEG", (64, 48))


def test_a_video_shorter_than_a_second_gets_its_first_frame_as_poster(team):
    asset = _upload(team, video_bytes("mp4", "libx264", 0.5), "short.mp4")
    assert asset.poster
    assert asset.duration_seconds == pytest.approx(0.5, abs=0.1)


def test_a_portrait_phone_video_is_described_upright_and_keeps_its_rotation(team):
    asset = _upload(team, rotated_video_bytes(90), "portrait.mp4")
    assert (asset.width, asset.height) == (48, 64)
    with asset.poster.open("rb") as poster, Image.open(poster) as image:
        assert image.size == (48, 64)  # ffmpeg applied the rotation when it took the frame


def test_a_video_with_a_codec_outside_the_list_is_refused(team):
    with pytest.raises(ValidationFailed, match="mpeg4"):
        _upload(team, video_bytes("mp4", "mpeg4"), "old.mp4", "video/mp4")


def test_a_video_that_is_only_a_header_is_refused(team):
    data = video_bytes("mp4")
    with pytest.raises(ValidationFailed, match="damaged"):
        _upload(team, data[:40], "broken.mp4", "video/mp4")
    assert not MediaAsset.objects.exists()


# --- Renamed and disguised files ---------------------------------------------------------------------


def test_a_png_named_jpg_is_stored_as_png(team):
    asset = _upload(team, image_bytes("PNG"), "holiday.jpg", "image/jpeg")
    assert (asset.content_type, asset.extension) == ("image/png", "png")
    assert asset.file.name.endswith(".png")
    assert asset.original_name == "holiday.jpg"
    assert asset.download_name == "holiday.png"


def test_an_html_file_named_png_is_refused(team, stored_files):
    with pytest.raises(ValidationFailed, match="web page") as refused:
        _upload(team, b"<!doctype html><script>alert(document.cookie)</script>", "cat.png", "image/png")
    assert "file" in refused.value.fields
    assert not MediaAsset.objects.exists()
    assert stored_files() == set()


def test_an_svg_is_refused_even_sent_as_png(team):
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect width="10" height="10"/></svg>'
    with pytest.raises(ValidationFailed, match="SVG"):
        _upload(team, svg, "logo.png", "image/png")


def test_a_jpeg_header_on_something_else_is_refused_as_damaged(team):
    with pytest.raises(ValidationFailed, match="damaged"):
        _upload(team, b"\xff\xd8\xff\xe0" + b"not really a jpeg" * 10, "x.jpg", "image/jpeg")


def test_a_path_in_the_name_is_not_kept(team):
    asset = _upload(team, image_bytes("PNG"), "../../etc/\x07passwd.png")
    assert asset.original_name == "passwd.png"
    assert ".." not in asset.file.name


# --- Limits ------------------------------------------------------------------------------------------


def test_an_empty_file_is_refused(team):
    with pytest.raises(ValidationFailed, match="empty"):
        _upload(team, b"", "nothing.png", "image/png")


def test_an_image_above_the_size_limit_is_refused(team, settings):
    data = image_bytes("PNG")
    settings.PORTEVOIX_MEDIA_MAX_IMAGE_BYTES = len(data) - 1
    with pytest.raises(ValidationFailed, match="images may be at most") as refused:
        _upload(team, data, "big.png")
    assert "big.png" in refused.value.message


def test_a_video_above_the_video_limit_is_refused_while_an_image_of_that_size_is_not(team, settings):
    data = video_bytes("mp4")
    settings.PORTEVOIX_MEDIA_MAX_VIDEO_BYTES = len(data) - 1
    with pytest.raises(ValidationFailed, match="videos may be at most"):
        _upload(team, data, "clip.mp4")
    _upload(team, image_bytes("PNG"), "small.png")


def test_a_file_above_every_limit_is_refused_before_it_is_read(team, settings):
    settings.PORTEVOIX_MEDIA_MAX_IMAGE_BYTES = 10
    settings.PORTEVOIX_MEDIA_MAX_VIDEO_BYTES = 20
    with pytest.raises(ValidationFailed, match="files may be at most"):
        _upload(team, b"x" * 21, "blob.bin")


def test_an_image_above_the_pixel_limit_is_refused_before_decoding(team, settings):
    settings.PORTEVOIX_MEDIA_MAX_IMAGE_PIXELS = 799
    with pytest.raises(ValidationFailed, match="40 x 20 pixels"):
        _upload(team, image_bytes("PNG", (40, 20)), "wide.png")


def _png_bomb(width: int, height: int) -> bytes:
    """A valid-looking PNG header that claims width x height, with a few bytes of compressed zeros."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    idat = zlib.compress(b"\x00" * 10_000, 9)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def test_a_decompression_bomb_is_refused_with_a_message(team):
    bomb = _png_bomb(100_000, 100_000)  # 10 gigapixels in a few hundred bytes
    assert len(bomb) < 1000
    with pytest.raises(ValidationFailed, match="100000 x 100000 pixels"):
        _upload(team, bomb, "innocent.png", "image/png")


def test_a_truncated_image_is_refused(team):
    data = image_bytes("JPEG", (200, 200), quality=95)
    with pytest.raises(ValidationFailed, match="damaged or incomplete"):
        _upload(team, data[: len(data) // 2], "cut.jpg")
    png = image_bytes("PNG", (200, 200))
    with pytest.raises(ValidationFailed, match="damaged or incomplete"):
        _upload(team, png[: len(png) - 30], "cut.png")


def test_a_png_with_a_bad_checksum_is_refused(team):
    data = bytearray(image_bytes("PNG"))
    idat = data.index(b"IDAT")
    data[idat + 6] ^= 0xFF
    with pytest.raises(ValidationFailed, match="damaged"):
        _upload(team, bytes(data), "corrupt.png")


# --- Privacy: metadata and orientation ---------------------------------------------------------------


def test_a_photo_loses_its_gps_position_and_camera(team):
    original = image_bytes("JPEG", exif=exif(gps=True))
    assert CAMERA.encode() in original
    asset = _upload(team, original, "photo.jpg")
    content = _stored_bytes(asset)
    assert CAMERA.encode() not in content
    with Image.open(io.BytesIO(content)) as image:
        assert not image.getexif()
    assert asset.source_sha256 == hashlib.sha256(original).hexdigest() != asset.sha256


def test_a_photo_rotated_by_exif_is_stored_upright(team):
    # The pixels are 40 x 20, left red and right blue; orientation 6 means "rotate 90° clockwise to show".
    asset = _upload(team, image_bytes("JPEG", (40, 20), exif=exif(orientation=6)), "portrait.jpg")
    assert (asset.width, asset.height) == (20, 40)
    with Image.open(io.BytesIO(_stored_bytes(asset))) as image:
        assert image.size == (20, 40)
        assert not image.getexif()  # no orientation left to apply twice
        top, bottom = image.getpixel((10, 2)), image.getpixel((10, 37))
    assert top[0] > 200 > top[2]  # red on top
    assert bottom[2] > 200 > bottom[0]  # blue below


# --- Duplicates --------------------------------------------------------------------------------------


def test_the_same_bytes_again_give_back_the_existing_asset(team, stored_files):
    data = image_bytes("JPEG", exif=exif())
    first = _upload(team, data, "one.jpg")
    files = stored_files()
    second = _upload(team, data, "two.jpg", role=Role.COPYWRITER, alt_text="ignored")
    assert second.pk == first.pk
    assert second.is_duplicate
    assert not first.is_duplicate
    assert second.original_name == "one.jpg"
    assert second.alt_text == ""
    assert MediaAsset.objects.count() == 1
    assert stored_files() == files
    assert AuditEvent.objects.filter(action="media.upload").count() == 1


def test_the_stored_file_uploaded_again_is_a_duplicate_too(team):
    first = _upload(team, image_bytes("JPEG", exif=exif()), "one.jpg")
    again = _upload(team, _stored_bytes(first), "downloaded.jpg")
    assert again.pk == first.pk
    assert again.is_duplicate


def test_duplicates_are_found_per_workspace(team, other_team):
    data = image_bytes("PNG")
    ours = _upload(team, data, "a.png")
    theirs = services.media_upload(by=other_team.member(Role.OWNER), file=upload(data, "a.png"))
    assert theirs.pk != ours.pk
    assert not theirs.is_duplicate
    assert theirs.file.name != ours.file.name


# --- Roles, alt text, deletion -----------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.TARGETOLOGIST, Role.ANALYST, Role.CLIENT])
def test_roles_without_media_upload_cannot_upload(team, role, stored_files):
    with pytest.raises(PermissionDenied):
        _upload(team, image_bytes("PNG"), "x.png", role=role)
    assert stored_files() == set()


def test_alt_text_is_bounded_and_audited(team):
    asset = _upload(team, image_bytes("PNG"), "x.png")
    with pytest.raises(ValidationFailed) as refused:
        services.media_update_alt_text(by=team.member(Role.COPYWRITER), asset=asset, alt_text="x" * 1501)
    assert "alt_text" in refused.value.fields
    services.media_update_alt_text(by=team.member(Role.COPYWRITER), asset=asset, alt_text=" Two cats ")
    asset.refresh_from_db()
    assert asset.alt_text == "Two cats"
    assert AuditEvent.objects.get(action="media.update").data == {"alt_text": "Two cats"}
    with pytest.raises(PermissionDenied):
        services.media_update_alt_text(by=team.member(Role.ANALYST), asset=asset, alt_text="no")


def test_another_workspaces_asset_cannot_be_changed(team, other_team):
    asset = _upload(team, image_bytes("PNG"), "x.png")
    with pytest.raises(NotFound):
        services.media_update_alt_text(by=other_team.member(Role.OWNER), asset=asset, alt_text="mine")
    with pytest.raises(NotFound):
        services.media_delete(by=other_team.member(Role.OWNER), asset=asset)
    with pytest.raises(NotFound):
        selectors.media_get(by=other_team.member(Role.OWNER), asset_id=asset.pk)


def test_an_asset_used_by_a_post_cannot_be_deleted(team, stored_files, django_capture_on_commit_callbacks):
    asset = _upload(team, image_bytes("PNG"), "used.png")
    post = Post.objects.create(workspace=team.workspace, text="Hello")
    PostMedia.objects.create(post=post, asset=asset)
    with pytest.raises(Conflict, match="used by 1 post"):
        services.media_delete(by=team.member(Role.DESIGNER), asset=asset)
    assert MediaAsset.objects.filter(pk=asset.pk).exists()
    assert asset.file.name in stored_files()


def test_deleting_an_unused_asset_removes_its_files_after_commit(
    team, stored_files, django_capture_on_commit_callbacks
):
    asset = _upload(team, video_bytes("webm", "libvpx-vp9"), "clip.webm")
    assert len(stored_files()) == 3
    with django_capture_on_commit_callbacks(execute=True):
        services.media_delete(by=team.member(Role.MANAGER), asset=asset)
    assert not MediaAsset.objects.exists()
    assert stored_files() == set()
    assert AuditEvent.objects.filter(action="media.delete").count() == 1


# --- Reads and the connectors' view ------------------------------------------------------------------


def test_the_list_filters_by_kind_and_words_and_counts_usage(team):
    cat = _upload(team, image_bytes("PNG", (10, 10)), "cat.png", alt_text="A ginger cat asleep")
    _upload(team, image_bytes("PNG", (11, 10)), "dog.png")
    clip = _upload(team, video_bytes("mp4"), "launch.mp4")
    post = Post.objects.create(workspace=team.workspace, text="Hi")
    PostMedia.objects.create(post=post, asset=cat)
    by = team.member(Role.ANALYST)
    assert [a.pk for a in selectors.media_list(by=by, kind="video")] == [clip.pk]
    assert [a.pk for a in selectors.media_list(by=by, search="GINGER asleep")] == [cat.pk]
    assert [a.pk for a in selectors.media_list(by=by, search="launch")] == [clip.pk]
    assert {a.pk: a.used_in for a in selectors.media_list(by=by)}[cat.pk] == 1
    with pytest.raises(PermissionDenied):
        selectors.media_list(by=team.member(Role.CLIENT))
    with pytest.raises(ValidationFailed):
        selectors.media_list(by=by, kind="audio")


def test_as_media_item_points_connectors_at_the_stored_file(team):
    asset = _upload(team, image_bytes("PNG", (40, 20)), "card.jpg", alt_text="Our new card")
    item = selectors.as_media_item(asset)
    assert item.path.is_file()
    assert item.path.read_bytes() == _stored_bytes(asset)
    assert (item.kind, item.content_type, item.size) == ("image", "image/png", asset.size)
    assert (item.filename, item.width, item.height, item.alt_text) == ("card.png", 40, 20, "Our new card")
    clip = selectors.as_media_item(_upload(team, video_bytes("mov"), "clip.mov"))
    assert (clip.kind, clip.content_type, clip.filename) == ("video", "video/quicktime", "clip.mov")
    assert clip.duration_seconds == pytest.approx(1.5, abs=0.1)

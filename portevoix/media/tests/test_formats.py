"""What a file is, from its bytes; metadata removal without touching the pixels; reading ffmpeg's report."""

from __future__ import annotations

import io

import pytest
from PIL import Image, PngImagePlugin

from portevoix.core.errors import ValidationFailed
from portevoix.media import formats, metadata, video
from portevoix.media.tests.helpers import CAMERA, exif, image_bytes


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (image_bytes("JPEG"), formats.JPEG),
        (image_bytes("PNG"), formats.PNG),
        (image_bytes("GIF"), formats.GIF),
        (image_bytes("WEBP"), formats.WEBP),
        (b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00isomiso2avc1mp41", formats.MP4),
        (b"\x00\x00\x00\x14ftypqt  \x00\x00\x02\x00qt  ", formats.MOV),
        (b"\x00\x00\x00\x08wide\x00\x00\x00\x00mdat", formats.MOV),
        (b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x84webm\x42\x87", formats.WEBM),
    ],
    ids=["jpeg", "png", "gif", "webp", "mp4", "mov", "old-quicktime", "webm"],
)
def test_accepted_formats_are_recognised_by_their_first_bytes(data, expected):
    assert formats.sniff(data[: formats.SNIFF_BYTES]) == expected


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"><script/></svg>', "SVG"),
        (b"\xef\xbb\xbf  <svg onload='alert(1)'></svg>", "SVG"),
        ("<svg/>".encode("utf-16"), "SVG"),
        (b"<!DOCTYPE html><html><body><script>alert(1)</script>", "web page"),
        (b"%PDF-1.7\n", "PDF"),
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic", "HEIC"),
        (b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1", "AVIF"),
        (b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x88matroska", "Matroska"),
        (b"RIFF\x00\x00\x00\x00AVI LIST", "AVI videos"),
        (b"II*\x00\x08\x00\x00\x00", "TIFF images"),
        (b"BM\x00\x00", "BMP images"),
        (b"ID3\x04\x00", "Audio"),
        (b"\x00\x00\x00\x20ftypM4A \x00\x00\x00\x00", "Audio"),
        (b"PK\x03\x04zip", "not an image or a video"),
        (b"just some text", "not an image or a video"),
    ],
    ids=[
        "svg",
        "svg-bom",
        "svg-utf16",
        "html",
        "pdf",
        "heic",
        "avif",
        "mkv",
        "avi",
        "tiff",
        "bmp",
        "mp3",
        "m4a",
        "zip",
        "text",
    ],
)
def test_other_files_are_refused_with_a_message_that_names_them(data, words):
    with pytest.raises(ValidationFailed) as refused:
        formats.sniff(data)
    assert words in refused.value.message
    assert refused.value.fields == {"file": [refused.value.message]}


def test_an_empty_head_is_an_empty_file():
    with pytest.raises(ValidationFailed, match="empty"):
        formats.sniff(b"")


# --- Metadata ----------------------------------------------------------------------------------------


def _pixels(data: bytes) -> bytes:
    with Image.open(io.BytesIO(data)) as image:
        return image.convert("RGBA").tobytes()


def test_jpeg_loses_exif_comments_and_trailing_data_but_not_a_single_compressed_byte():
    original = image_bytes("JPEG", exif=exif(gps=True), comment=b"at home", icc_profile=b"fake-icc-profile")
    glued = original + b"MOTIONPHOTO-VIDEO-DATA"
    cleaned = metadata.strip_jpeg(glued)
    assert CAMERA.encode() not in cleaned
    assert b"at home" not in cleaned
    assert b"MOTIONPHOTO" not in cleaned
    assert cleaned.endswith(b"\xff\xd9")
    assert b"ICC_PROFILE\x00" in cleaned  # colours are kept
    assert _pixels(cleaned) == _pixels(original)
    with Image.open(io.BytesIO(cleaned)) as image:
        assert not image.getexif()
        assert "comment" not in image.info
    # The compressed scan is copied as it was: the cleaned file is the original minus whole segments.
    scan = original.index(b"\xff\xda")
    assert cleaned.endswith(original[scan:])
    assert metadata.strip_jpeg(cleaned) == cleaned


def test_jpeg_keeps_its_jfif_header_without_the_thumbnail():
    original = image_bytes("JPEG")
    assert original[2:4] == b"\xff\xe0"
    length = int.from_bytes(original[4:6], "big")
    header = original[6 : 4 + length - 2]  # "JFIF\0", version, units, densities; thumbnail 0 x 0
    thumbnail = b"\x02\x02" + b"\xaa" * 12  # a 2 x 2 RGB thumbnail of the uncropped picture
    app0 = b"\xff\xe0" + (2 + len(header) + len(thumbnail)).to_bytes(2, "big") + header + thumbnail
    with_thumbnail = original[:2] + app0 + original[4 + length :]
    cleaned = metadata.strip_jpeg(with_thumbnail)
    assert b"\xaa" * 12 not in cleaned
    assert cleaned == original  # the header as Pillow writes it: no thumbnail
    assert _pixels(cleaned) == _pixels(with_thumbnail)


def test_png_keeps_only_the_chunks_that_draw_the_image():
    text = PngImagePlugin.PngInfo()
    text.add_text("Comment", "shot at home")
    text.add_itxt("XML:com.adobe.xmp", "<x:xmpmeta>GPS 48.85</x:xmpmeta>")
    original = image_bytes("PNG", alpha=True, exif=exif().tobytes(), pnginfo=text)
    cleaned = metadata.strip_png(original)
    assert b"tEXt" not in cleaned
    assert b"iTXt" not in cleaned
    assert b"eXIf" not in cleaned
    assert b"shot at home" not in cleaned
    assert b"48.85" not in cleaned
    assert _pixels(cleaned) == _pixels(original)


def test_webp_drops_exif_and_xmp_and_clears_their_flags():
    original = image_bytes("WEBP", exif=exif(), xmp=b"<x:xmpmeta>GPS 48.85</x:xmpmeta>", lossless=True)
    cleaned = metadata.strip_webp(original)
    assert b"EXIF" not in cleaned
    assert b"XMP " not in cleaned
    assert b"48.85" not in cleaned
    assert int.from_bytes(cleaned[4:8], "little") == len(cleaned) - 8
    vp8x = cleaned.index(b"VP8X")
    assert cleaned[vp8x + 8] & 0x0C == 0
    assert _pixels(cleaned) == _pixels(original)


def test_gif_drops_comments_and_keeps_the_animation():
    frames = [Image.new("RGB", (8, 8), colour) for colour in ("red", "green", "blue")]
    out = io.BytesIO()
    frames[0].save(
        out, "GIF", save_all=True, append_images=frames[1:], loop=0, duration=80, comment=b"secret"
    )
    cleaned = metadata.strip_gif(out.getvalue())
    assert b"secret" not in cleaned
    with Image.open(io.BytesIO(cleaned)) as image:
        assert image.n_frames == 3
        assert image.info["loop"] == 0


@pytest.mark.parametrize(
    "cleaner", [metadata.strip_jpeg, metadata.strip_png, metadata.strip_gif, metadata.strip_webp]
)
def test_a_structure_that_cannot_be_followed_is_reported(cleaner):
    with pytest.raises(metadata.MalformedImage):
        cleaner(b"GIF89a" if cleaner is not metadata.strip_gif else b"nonsense-and-more-nonsense")


def test_a_truncated_png_is_malformed():
    data = image_bytes("PNG")
    with pytest.raises(metadata.MalformedImage):
        metadata.strip_png(data[: len(data) // 2])


# --- ffmpeg's report -----------------------------------------------------------------------------------

PHONE_REPORT = """Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 'file:/tmp/x/source.mov':
  Metadata:
    major_brand     : qt
    com.apple.quicktime.location.ISO6709: +48.8582+002.2945+035.000/
  Duration: 00:01:02.50, start: 0.000000, bitrate: 8123 kb/s
  Stream #0:0[0x1](und): Audio: aac (LC) (mp4a / 0x6134706D), 44100 Hz, stereo, fltp, 128 kb/s (default)
  Stream #0:1[0x2](und): Video: hevc (Main) (hvc1 / 0x31637668), yuv420p(tv, bt709), 1920x1080, 30 fps
    Metadata:
      handler_name    : Core Media Video
    Side data:
      displaymatrix: rotation of -90.00 degrees
  Stream #0:2[0x3](und): Data: none (mebx / 0x7862656D), 0 kb/s (default)
At least one output file must be specified
"""


def test_the_video_stream_codec_size_rotation_and_duration_are_read():
    info = video.parse_probe(PHONE_REPORT, formats.MOV)
    assert info.codec == "hevc"
    assert (info.width, info.height) == (1080, 1920)  # shown upright
    assert info.rotation == 270
    assert info.duration_seconds == pytest.approx(62.5)
    assert (info.video_stream, info.audio_stream) == (1, 0)


def test_cover_art_is_not_taken_for_the_video():
    report = (
        "Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 'x':\n  Duration: 00:00:03.00, start: 0.0\n"
        "  Stream #0:0: Video: mjpeg (Baseline), yuvj420p, 300x300, 90k tbr (attached pic)\n"
        "  Stream #0:1: Audio: aac (LC), 44100 Hz, stereo\n"
    )
    with pytest.raises(ValidationFailed, match="no video track"):
        video.parse_probe(report, formats.MP4)


def test_a_codec_the_container_does_not_allow_is_refused():
    report = (
        "Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 'x':\n  Duration: 00:00:03.00, start: 0.0\n"
        "  Stream #0:0[0x1](und): Video: mpeg4 (Simple Profile) (mp4v / 0x7634706D), yuv420p, 320x240\n"
    )
    with pytest.raises(ValidationFailed, match=r"mpeg4.*H\.264, HEVC"):
        video.parse_probe(report, formats.MP4)


def test_a_report_without_an_input_means_a_damaged_file():
    with pytest.raises(ValidationFailed, match="damaged"):
        video.parse_probe("file:/tmp/x: Invalid data found when processing input\n", formats.MP4)

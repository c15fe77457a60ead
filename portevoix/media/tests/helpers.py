"""Small real media files made on the fly (Pillow for images, the bundled ffmpeg for videos), and stored
assets for tests of other apps. Nothing here is fetched from anywhere."""

from __future__ import annotations

import functools
import hashlib
import io
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from portevoix.media.models import MediaAsset, MediaKind
from portevoix.media.video import ffmpeg_exe

# A GPS position (the Eiffel Tower) and a camera, as a phone writes them.
GPS_IFD = {1: "N", 2: (48.0, 51.0, 29.0), 3: "E", 4: (2.0, 17.0, 40.0)}
CAMERA = "PhoneMaker X1"


def exif(orientation: int = 1, *, gps: bool = True) -> Image.Exif:
    data = Image.Exif()
    data[0x0112] = orientation
    data[0x010F] = CAMERA
    if gps:
        data[0x8825] = GPS_IFD
    return data


def image_bytes(pillow_format: str = "PNG", size: tuple[int, int] = (40, 20), **options: Any) -> bytes:
    """A two-colour image (left half red, right half blue) so that a rotation can be seen in the pixels."""
    mode = "RGBA" if pillow_format in ("PNG", "WEBP") and options.pop("alpha", False) else "RGB"
    image = Image.new(mode, size, "red")
    image.paste("blue", (size[0] // 2, 0, size[0], size[1]))
    out = io.BytesIO()
    image.save(out, pillow_format, **options)
    return out.getvalue()


def upload(
    data: bytes, name: str = "file.bin", content_type: str = "application/octet-stream"
) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def png_upload(name: str = "picture.png") -> SimpleUploadedFile:
    return upload(image_bytes("PNG"), name, "image/png")


@functools.cache
def video_bytes(container: str = "mp4", codec: str = "libx264", seconds: float = 1.5, *extra: str) -> bytes:
    """A tiny test-pattern video (64x48, 10 fps) with a GPS position in its metadata."""
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / f"video.{container}"
        options = ["-pix_fmt", "yuv420p"] if codec in ("libx264", "libx265") else []
        if codec == "libx265":
            options += ["-x265-params", "log-level=error", "-tag:v", "hvc1"]
        command = [
            ffmpeg_exe(),
            "-hide_banner",
            "-loglevel",
            "error",
            "-f",
            "lavfi",
            "-i",
            f"testsrc=size=64x48:rate=10:duration={seconds}",
            "-c:v",
            codec,
            *options,
            "-metadata",
            "location=+48.8582+002.2945/",
            "-metadata",
            "comment=secret place",
            *extra,
            "-y",
            str(target),
        ]
        subprocess.run(command, check=True, capture_output=True, timeout=60)
        return target.read_bytes()


@functools.cache
def rotated_video_bytes(degrees: int = 90) -> bytes:
    """An MP4 whose display matrix says "rotate by ``degrees``", as phones record portrait videos."""
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "source.mp4"
        source.write_bytes(video_bytes("mp4"))
        target = Path(folder) / "rotated.mp4"
        command = [
            ffmpeg_exe(),
            "-hide_banner",
            "-loglevel",
            "error",
            "-display_rotation",
            str(degrees),
            "-i",
            str(source),
            "-c",
            "copy",
            "-y",
            str(target),
        ]
        subprocess.run(command, check=True, capture_output=True, timeout=60)
        return target.read_bytes()


def stored_asset(
    workspace: Any, *, name: str = "stored.png", kind: str = MediaKind.IMAGE, **fields: Any
) -> MediaAsset:
    """An asset row with real stored files, without going through the upload checks (for other apps'
    tests, and for pages that need an image and a video)."""
    content = image_bytes("PNG") if kind == MediaKind.IMAGE else video_bytes("mp4")
    content += name.encode()  # a distinct hash per name
    digest = hashlib.sha256(content).hexdigest()
    asset = MediaAsset(
        workspace=workspace,
        kind=kind,
        original_name=name,
        content_type="image/png" if kind == MediaKind.IMAGE else "video/mp4",
        extension="png" if kind == MediaKind.IMAGE else "mp4",
        size=len(content),
        sha256=digest,
        source_sha256=digest,
        width=40 if kind == MediaKind.IMAGE else 64,
        height=20 if kind == MediaKind.IMAGE else 48,
        duration_seconds=None if kind == MediaKind.IMAGE else 1.5,
        codec="" if kind == MediaKind.IMAGE else "h264",
        **fields,
    )
    asset.file.save("upload", ContentFile(content), save=False)
    thumbnail = image_bytes("JPEG", (20, 10))
    asset.thumbnail.save("thumb.jpg", ContentFile(thumbnail), save=False)
    if kind == MediaKind.VIDEO:
        asset.poster.save("poster.jpg", ContentFile(image_bytes("JPEG", (64, 48))), save=False)
    asset.save()
    return asset


def ffmpeg_report(data: bytes) -> str:
    """What ``ffmpeg -i`` says about a video (its streams and metadata)."""
    with tempfile.NamedTemporaryFile(suffix=".video") as handle:
        handle.write(data)
        handle.flush()
        result = subprocess.run(
            [ffmpeg_exe(), "-hide_banner", "-i", handle.name], capture_output=True, timeout=60, check=False
        )
    return result.stderr.decode("utf-8", "replace")

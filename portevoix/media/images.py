"""Checking an uploaded image with Pillow, making it safe to publish, and its library thumbnail.

- Pillow opens the file restricted to the one format its first bytes announced, so a file has to be what
  it claims to be.
- Width x height is checked against the pixel limit as soon as the header is read, before any pixel is
  decoded (decompression bombs: a few kilobytes that would decode to gigabytes). Pillow's own
  ``Image.MAX_IMAGE_PIXELS`` is set to the same limit (apps.py) as a second guard.
- ``verify()`` then a full ``load()``: damaged and truncated files are refused.
- Metadata are removed without re-encoding (metadata.py). A photo whose EXIF says "rotate me" is rotated
  for real and re-encoded (JPEG at quality 95), since the rotation note goes with the EXIF block; width and
  height are those of the upright picture.
"""

from __future__ import annotations

import io
import logging
import struct
import zlib
from dataclasses import dataclass

from django.utils.translation import gettext as _
from PIL import ExifTags, Image, ImageOps, JpegImagePlugin

from portevoix.media import formats, metadata
from portevoix.media.formats import Format

logger = logging.getLogger(__name__)

THUMBNAIL_BOX = (480, 480)
THUMBNAIL_QUALITY = 80
REENCODE_QUALITY = 95

# What Pillow raises on a damaged file varies by format and by version.
_DAMAGED = (OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError, struct.error, zlib.error)


@dataclass(frozen=True)
class CleanImage:
    content: bytes  # the file to store: metadata removed, upright
    width: int
    height: int
    thumbnail: bytes  # a small JPEG for the library grid
    pillow_format: str


def damaged() -> Exception:
    return formats.refuse(_("This image is damaged or incomplete; Portevoix could not read it."))


def too_many_pixels(width: int, height: int, limit: int) -> Exception:
    return formats.refuse(
        _(
            "This image is %(width)s x %(height)s pixels; at most %(megapixels)s megapixels are accepted. "
            "Make it smaller and upload it again."
        )
        % {"width": width, "height": height, "megapixels": _megapixels(limit)}
    )


def _megapixels(pixels: int) -> str:
    value = pixels / 1_000_000
    return f"{value:.0f}" if value >= 10 else f"{value:.1f}".rstrip("0").rstrip(".")


def _open(data: bytes, fmt: Format) -> Image.Image:
    return Image.open(io.BytesIO(data), formats=[fmt.pillow])


def clean_image(data: bytes, fmt: Format, *, max_pixels: int) -> CleanImage:
    """The image as it will be stored; ValidationFailed with a plain message when it is refused."""
    try:
        with _open(data, fmt) as image:
            width, height = image.size
            if width < 1 or height < 1:
                raise damaged()
            if width * height > max_pixels:
                raise too_many_pixels(width, height, max_pixels)
            image.verify()
        with _open(data, fmt) as image:
            image.load()
            pillow_format = image.format or fmt.pillow
            orientation = image.getexif().get(ExifTags.Base.Orientation, 1)
            animated = bool(getattr(image, "is_animated", False))
            if orientation in range(2, 9) and not animated:
                upright = ImageOps.exif_transpose(image)
                content = metadata.strip(pillow_format, _encode(upright, image, fmt, data))
            else:
                upright = image
                content = metadata.strip(pillow_format, data)
            thumbnail = _thumbnail(upright)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise too_many_pixels(*_header_size(data, fmt), max_pixels) from None
    except metadata.MalformedImage as error:
        logger.info("Refused an image whose structure could not be followed: %s", error)
        raise damaged() from None
    except _DAMAGED:
        raise damaged() from None
    return _checked(content, fmt, thumbnail)


def _checked(content: bytes, fmt: Format, thumbnail: bytes) -> CleanImage:
    """Open what will be stored, as a reader would: it must still be a sound image of the same format."""
    try:
        with _open(content, fmt) as image:
            image.load()
            return CleanImage(
                content=content,
                width=image.width,
                height=image.height,
                thumbnail=thumbnail,
                pillow_format=image.format or fmt.pillow,
            )
    except _DAMAGED:
        logger.warning("A cleaned %s image could not be read back; refused", fmt.label)
        raise damaged() from None


def _header_size(data: bytes, fmt: Format) -> tuple[int, int]:
    """Width and height from the header alone, for the message about a decompression bomb."""
    if fmt.pillow == "PNG" and len(data) >= 24:
        return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    if fmt.pillow == "GIF" and len(data) >= 10:
        return int.from_bytes(data[6:8], "little"), int.from_bytes(data[8:10], "little")
    return 0, 0


def _encode(upright: Image.Image, original: Image.Image, fmt: Format, data: bytes) -> bytes:
    out = io.BytesIO()
    icc = original.info.get("icc_profile")
    options: dict[str, object] = {"icc_profile": icc} if icc else {}
    if fmt.pillow == "JPEG":
        is_jpeg = isinstance(original, JpegImagePlugin.JpegImageFile)
        sampling = JpegImagePlugin.get_sampling(original) if is_jpeg else -1
        if sampling != -1:
            options["subsampling"] = sampling
        upright.save(out, "JPEG", quality=REENCODE_QUALITY, **options)
    elif fmt.pillow == "WEBP":
        lossless = metadata.webp_is_lossless(data)
        upright.save(out, "WEBP", lossless=lossless, quality=100 if lossless else 90, **options)
    else:
        upright.save(out, fmt.pillow, **options)
    return out.getvalue()


def _thumbnail(image: Image.Image) -> bytes:
    """The first frame, fitted in THUMBNAIL_BOX, as JPEG on a white background where it was transparent."""
    frame = image.copy()
    frame.thumbnail(THUMBNAIL_BOX)
    if frame.mode in ("P", "PA"):
        frame = frame.convert("RGBA")
    if frame.mode in ("RGBA", "LA", "La", "RGBa"):
        background = Image.new("RGB", frame.size, "white")
        background.paste(frame, mask=frame.getchannel("A"))
        frame = background
    elif frame.mode != "RGB":
        frame = frame.convert("RGB")
    out = io.BytesIO()
    frame.save(out, "JPEG", quality=THUMBNAIL_QUALITY)
    return out.getvalue()


def thumbnail_of(jpeg: bytes) -> bytes:
    """A library thumbnail of a still (a video's poster frame)."""
    with Image.open(io.BytesIO(jpeg), formats=["JPEG"]) as image:
        image.load()
        return _thumbnail(image)

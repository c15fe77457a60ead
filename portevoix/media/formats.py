"""What a file is, read from its first bytes (its "magic"), never from its name or the Content-Type the
browser sent. Only the allow-listed formats below are accepted; everything else is refused with a message
that names what the file is when we can tell (SVG, HTML, PDF, HEIC, Matroska...).

The answer here is a first look: images are then opened by Pillow restricted to that one format, and
videos are read by ffmpeg with the matching demuxer forced, so a file has to be what its first bytes say.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from portevoix.core.errors import ValidationFailed

SNIFF_BYTES = 4096  # enough to find "<svg" after an XML prologue, or the DocType of a WebM file


@dataclass(frozen=True)
class Format:
    kind: str  # "image" or "video" (models.MediaKind)
    content_type: str
    extension: str
    label: str
    pillow: str = ""  # Pillow's format name (images)
    ffmpeg: str = ""  # ffmpeg's demuxer and muxer (videos)


JPEG = Format("image", "image/jpeg", "jpg", "JPEG", pillow="JPEG")
PNG = Format("image", "image/png", "png", "PNG", pillow="PNG")
GIF = Format("image", "image/gif", "gif", "GIF", pillow="GIF")
WEBP = Format("image", "image/webp", "webp", "WebP", pillow="WEBP")
MP4 = Format("video", "video/mp4", "mp4", "MP4", ffmpeg="mp4")
MOV = Format("video", "video/quicktime", "mov", "MOV", ffmpeg="mov")
WEBM = Format("video", "video/webm", "webm", "WebM", ffmpeg="webm")

ACCEPTED = (JPEG, PNG, GIF, WEBP, MP4, MOV, WEBM)
ACCEPTED_CONTENT_TYPES = tuple(item.content_type for item in ACCEPTED)
BY_CONTENT_TYPE = {item.content_type: item for item in ACCEPTED}

# Video codecs accepted in each container: what the networks take (H.264 everywhere, HEVC from phones,
# VP8/VP9/AV1 in WebM).
VIDEO_CODECS: dict[str, frozenset[str]] = {
    "video/mp4": frozenset({"h264", "hevc"}),
    "video/quicktime": frozenset({"h264", "hevc"}),
    "video/webm": frozenset({"vp8", "vp9", "av1"}),
}

# ISO base media brands that are still images or sound, not video.
_HEIF_BRANDS = frozenset({b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1", b"avif"})
_HEIF_BRANDS |= frozenset({b"avis"})
_AUDIO_BRANDS = frozenset({b"M4A ", b"M4B ", b"M4P "})
# Top-level atoms a QuickTime file without an "ftyp" atom (older cameras) may start with.
_QUICKTIME_ATOMS = frozenset({b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot"})


def accepted_summary() -> str:
    return _("Accepted: JPEG, PNG, GIF and WebP images; MP4 (H.264 or HEVC), MOV and WebM videos.")


def refuse(message: str) -> ValidationFailed:
    return ValidationFailed(message, fields={"file": [message]})


def sniff(head: bytes) -> Format:
    """The accepted format ``head`` (the first bytes of the file) starts like; ValidationFailed otherwise."""
    if not head:
        raise refuse(_("The file is empty."))
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return GIF
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in _HEIF_BRANDS:
            raise refuse(_("HEIC and AVIF images are not accepted yet: export the picture as JPEG."))
        if brand in _AUDIO_BRANDS:
            raise refuse(_("Audio files are not accepted: upload images or videos."))
        return MOV if brand == b"qt  " else MP4
    if head[4:8] in _QUICKTIME_ATOMS:
        return MOV
    if head.startswith(b"\x1a\x45\xdf\xa3"):  # EBML: WebM or another Matroska file
        if b"webm" in head[:64]:
            return WEBM
        raise refuse(_("Matroska (MKV) videos are not accepted: convert the video to MP4 (H.264)."))
    raise refuse(_refusal(head))


def _refusal(head: bytes) -> str:
    """The clearest message we can give for a file that is not accepted."""
    text = _as_text(head)
    if text.startswith("<") and "<svg" in text:
        return _(
            "SVG images are not accepted: they can carry scripts, and networks do not take them. "
            "Export the picture as PNG."
        )
    if text.startswith("<") and any(tag in text for tag in ("<html", "<!doctype html", "<head", "<body")):
        return _("This is a web page (HTML), not an image or a video.")
    if text.startswith("<script") or text.startswith("<?php"):
        return _("This is a script, not an image or a video.")
    named = _named_format(head)
    if named:
        kind, label = named
        if kind == "image":
            return _("%(format)s images are not accepted: convert the picture to JPEG or PNG.") % {
                "format": label
            }
        if kind == "video":
            return _("%(format)s videos are not accepted: convert the video to MP4 (H.264).") % {
                "format": label
            }
        if kind == "audio":
            return _("Audio files are not accepted: upload images or videos.")
        if kind == "pdf":
            return _("PDF documents are not accepted: export the page as PNG or JPEG.")
    return _("This file is not an image or a video that Portevoix accepts.") + " " + accepted_summary()


def _as_text(head: bytes) -> str:
    for bom in (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff"):
        if head.startswith(bom):
            head = head[len(bom) :]
            break
    head = head.replace(b"\x00", b"")  # UTF-16 text reads as ASCII once its zero bytes are dropped
    return head.decode("latin-1").lstrip().lower()


def _named_format(head: bytes) -> tuple[str, str] | None:
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return "image", "TIFF"
    if head.startswith(b"BM"):
        return "image", "BMP"
    if head.startswith(b"\x00\x00\x01\x00"):
        return "image", "ICO"
    if head.startswith(b"8BPS"):
        return "image", "PSD"
    if head.startswith(b"\x00\x00\x00\x0cjP  ") or head.startswith(b"\xff\x4f\xff\x51"):
        return "image", "JPEG 2000"
    if head.startswith((b"\xff\x0a", b"\x00\x00\x00\x0cJXL ")):
        return "image", "JPEG XL"
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return "video", "AVI"
    if head.startswith(b"FLV"):
        return "video", "FLV"
    if head.startswith(b"\x30\x26\xb2\x75\x8e\x66\xcf\x11"):
        return "video", "WMV"
    if head.startswith(b"\x00\x00\x01\xba") or (len(head) > 188 and head[0] == 0x47 and head[188] == 0x47):
        return "video", "MPEG"
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "audio", "WAV"
    if head.startswith((b"ID3", b"fLaC", b"OggS")) or head[:2] in (b"\xff\xfb", b"\xff\xf3", b"\xff\xf2"):
        return "audio", "audio"
    if head.startswith(b"%PDF"):
        return "pdf", "PDF"
    return None

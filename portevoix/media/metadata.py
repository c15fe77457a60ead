"""Removing metadata from images without touching their pixels.

Photos carry EXIF (camera, date, often the GPS position where they were taken), XMP and IPTC blocks, and
comments. Posts are public: the library removes all of them when a file is uploaded (docs/media.md). It
does so by rewriting the file's container, block by block, keeping only what drawing the picture needs
(colour profile, transparency, animation), so the image data is byte for byte the same and no quality is
lost. Anything after the end of the image (a phone's "motion photo" video, a second file glued on) is
dropped too.

Each function takes the whole file and returns the cleaned file; ``MalformedImage`` means the structure
could not be followed (the upload is then refused as damaged).
"""

from __future__ import annotations


class MalformedImage(ValueError):
    pass


def strip(pillow_format: str, data: bytes) -> bytes:
    cleaner = _CLEANERS.get(pillow_format)
    if cleaner is None:
        raise MalformedImage(f"No metadata cleaner for {pillow_format}")
    return cleaner(data)


# --- JPEG ---------------------------------------------------------------------------------------

# Application segments kept, by marker, when their payload starts with one of these identifiers.
_JPEG_KEEP = {
    0xE0: (b"JFIF\x00",),  # JFIF header (density), without its thumbnail; the JFXX extension is dropped
    0xE2: (b"ICC_PROFILE\x00",),  # colour profile, possibly in several chunks
    0xEE: (b"Adobe",),  # colour transform of CMYK/YCCK files
}
_SOS, _EOI = 0xDA, 0xD9
_JFIF_WITHOUT_THUMBNAIL = 14  # "JFIF\0", version, units, densities, thumbnail width and height (0, 0)


def strip_jpeg(data: bytes) -> bytes:
    """Keep every segment but APP1-APP15 (EXIF, XMP, IPTC, MPF...) and comments, except the few above."""
    if not data.startswith(b"\xff\xd8"):
        raise MalformedImage("JPEG: no start of image")
    out = bytearray(b"\xff\xd8")
    size = len(data)
    i = 2
    while i < size:
        if data[i] != 0xFF:
            raise MalformedImage(f"JPEG: expected a marker at {i}")
        while i < size and data[i] == 0xFF:  # fill bytes may precede a marker
            i += 1
        if i >= size:
            break
        marker = data[i]
        i += 1
        if marker == _EOI:
            out += b"\xff\xd9"
            return bytes(out)  # whatever follows the image is not part of it
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:  # markers without a length
            out += bytes((0xFF, marker))
            continue
        if i + 2 > size:
            break
        length = int.from_bytes(data[i : i + 2], "big")
        if length < 2 or i + length > size:
            raise MalformedImage("JPEG: segment runs past the end")
        payload = data[i + 2 : i + length]
        segment = data[i : i + length]
        i += length
        is_metadata = 0xE0 <= marker <= 0xEF or marker == 0xFE  # APPn segments and comments
        if is_metadata and not payload.startswith(_JPEG_KEEP.get(marker, ())):
            continue
        if marker == 0xE0 and len(payload) > _JFIF_WITHOUT_THUMBNAIL:
            # The thumbnail may show the picture before it was cropped: keep the header only.
            payload = payload[: _JFIF_WITHOUT_THUMBNAIL - 2] + b"\x00\x00"
            segment = (len(payload) + 2).to_bytes(2, "big") + payload
        out += bytes((0xFF, marker)) + segment
        if marker == _SOS:
            end = _entropy_end(data, i)
            out += data[i:end]
            i = end
    raise MalformedImage("JPEG: no end of image")


def _entropy_end(data: bytes, start: int) -> int:
    """Where the compressed data after a start-of-scan ends: the first marker that is not a stuffed 0xFF00
    or a restart marker."""
    j = start
    while True:
        j = data.find(b"\xff", j)
        if j < 0 or j + 1 >= len(data):
            raise MalformedImage("JPEG: scan data runs past the end")
        following = data[j + 1]
        if following == 0x00 or 0xD0 <= following <= 0xD7:
            j += 2
        elif following == 0xFF:
            j += 1
        else:
            return j


# --- PNG ----------------------------------------------------------------------------------------

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Critical chunks, and the ancillary ones that change how the image looks or moves (APNG).
_PNG_KEEP = frozenset(
    {b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"gAMA", b"cHRM", b"sRGB", b"iCCP", b"sBIT", b"cICP"}
    | {b"mDCV", b"cLLI", b"pHYs", b"bKGD", b"acTL", b"fcTL", b"fdAT"}
)


def strip_png(data: bytes) -> bytes:
    """Drop text (tEXt, zTXt, iTXt: XMP lives there), eXIf, tIME and every unknown chunk."""
    if not data.startswith(_PNG_SIGNATURE):
        raise MalformedImage("PNG: no signature")
    out = bytearray(_PNG_SIGNATURE)
    i = len(_PNG_SIGNATURE)
    size = len(data)
    while i + 12 <= size:
        length = int.from_bytes(data[i : i + 4], "big")
        kind = data[i + 4 : i + 8]
        end = i + 12 + length
        if end > size:
            break
        if kind in _PNG_KEEP:
            out += data[i:end]
        i = end
        if kind == b"IEND":
            return bytes(out)
    raise MalformedImage("PNG: no end chunk")


# --- WebP ---------------------------------------------------------------------------------------

_WEBP_KEEP = frozenset({b"VP8 ", b"VP8L", b"VP8X", b"ALPH", b"ANIM", b"ANMF", b"ICCP"})
_VP8X_EXIF, _VP8X_XMP = 0x08, 0x04


def strip_webp(data: bytes) -> bytes:
    """Drop the EXIF and XMP chunks (and clear their flags in the VP8X header)."""
    if data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        raise MalformedImage("WebP: no RIFF header")
    declared = int.from_bytes(data[4:8], "little") + 8
    size = min(len(data), declared)
    chunks = bytearray()
    i = 12
    while i + 8 <= size:
        kind = data[i : i + 4]
        length = int.from_bytes(data[i + 4 : i + 8], "little")
        end = i + 8 + length + (length & 1)
        if i + 8 + length > size:
            raise MalformedImage("WebP: chunk runs past the end")
        chunk = bytearray(data[i:end]).ljust(end - i, b"\x00")  # restore a missing padding byte
        if kind == b"VP8X" and length >= 1:
            chunk[8] &= ~(_VP8X_EXIF | _VP8X_XMP) & 0xFF
        if kind in _WEBP_KEEP:
            chunks += chunk
        i = end
    if i < size - 1:  # one byte of padding may be missing after an odd last chunk
        raise MalformedImage("WebP: trailing bytes")
    return b"RIFF" + (len(chunks) + 4).to_bytes(4, "little") + b"WEBP" + bytes(chunks)


def webp_is_lossless(data: bytes) -> bool:
    i = 12
    while i + 8 <= len(data):
        kind = data[i : i + 4]
        if kind == b"VP8L":
            return True
        if kind == b"VP8 ":
            return False
        length = int.from_bytes(data[i + 4 : i + 8], "little")
        i += 8 + length + (length & 1)
    return False


# --- GIF ----------------------------------------------------------------------------------------

_GIF_KEEP_APPLICATIONS = (b"NETSCAPE2.0", b"ANIMEXTS1.0")  # loop count of animations


def strip_gif(data: bytes) -> bytes:
    """Drop comment extensions and application extensions other than the animation loop (XMP, ICC...)."""
    if data[:6] not in (b"GIF87a", b"GIF89a") or len(data) < 13:
        raise MalformedImage("GIF: no header")
    packed = data[10]
    global_table = 3 * (1 << ((packed & 0x07) + 1)) if packed & 0x80 else 0
    i = 13 + global_table
    out = bytearray(data[:i])
    size = len(data)
    while i < size:
        introducer = data[i]
        if introducer == 0x3B:  # trailer
            out += b";"
            return bytes(out)
        if introducer == 0x21:  # extension: label, then sub-blocks
            if i + 2 > size:
                break
            label = data[i + 1]
            end = _gif_sub_blocks_end(data, i + 2)
            keep = label in (0xF9, 0x01)  # graphic control, plain text
            if label == 0xFF and i + 3 <= size:
                identifier = data[i + 3 : i + 3 + data[i + 2]]
                keep = identifier in _GIF_KEEP_APPLICATIONS
            if keep:
                out += data[i:end]
            i = end
        elif introducer == 0x2C:  # image: descriptor, local colour table, LZW code size, sub-blocks
            if i + 10 > size:
                break
            flags = data[i + 9]
            local_table = 3 * (1 << ((flags & 0x07) + 1)) if flags & 0x80 else 0
            end = _gif_sub_blocks_end(data, i + 10 + local_table + 1)
            out += data[i:end]
            i = end
        else:
            raise MalformedImage(f"GIF: unexpected block {introducer:#x}")
    if i == size:  # the trailer is missing, which readers tolerate
        out += b";"
        return bytes(out)
    raise MalformedImage("GIF: truncated")


def _gif_sub_blocks_end(data: bytes, j: int) -> int:
    while True:
        if j >= len(data):
            raise MalformedImage("GIF: sub-blocks run past the end")
        length = data[j]
        j += 1
        if length == 0:
            return j
        j += length


_CLEANERS = {"JPEG": strip_jpeg, "MPO": strip_jpeg, "PNG": strip_png, "WEBP": strip_webp, "GIF": strip_gif}

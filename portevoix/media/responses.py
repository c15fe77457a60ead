"""Serving a stored media file to a member (the web pages and the API use the same function).

Media files are not public static files: the caller's membership has been checked before this is called.
The answer is made so that a browser can only show the file, never run it: the content type found at
upload (never the name's), ``X-Content-Type-Options: nosniff``, ``Content-Disposition: inline``, and a
Content-Security-Policy that allows nothing but the media itself (with ``sandbox``). Single byte ranges are
answered (206), so that videos can be scrubbed and Safari plays them at all.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import IO

from django.http import FileResponse, HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

from portevoix.core.errors import NotFound
from portevoix.media.models import MediaAsset

CSP = "default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'; sandbox"
CACHE = "private, max-age=86400"  # the stored name is the content hash: a file never changes
_RANGE = re.compile(r"^bytes=(?P<start>\d*)-(?P<end>\d*)$")
_CHUNK = 64 * 1024

VARIANTS = ("file", "thumbnail", "poster")


def media_response(request: HttpRequest, asset: MediaAsset, variant: str = "file") -> HttpResponseBase:
    if variant == "thumbnail":
        field, content_type, filename = asset.thumbnail, "image/jpeg", f"{asset.sha256[:12]}.thumb.jpg"
        if not field and asset.kind == "image":
            field, content_type, filename = asset.file, asset.content_type, asset.download_name
    elif variant == "poster":
        field, content_type, filename = asset.poster, "image/jpeg", f"{asset.sha256[:12]}.poster.jpg"
    else:
        field, content_type, filename = asset.file, asset.content_type, asset.download_name
    name = field.name if field else ""
    if not name:
        raise NotFound(_("This file has no such preview."))
    try:
        handle = field.storage.open(name, "rb")
    except FileNotFoundError:
        raise NotFound(_("The stored file is missing.")) from None
    size = field.storage.size(name)
    response = _ranged(request, handle, size, content_type)
    response["Content-Disposition"] = content_disposition_header(False, filename) or "inline"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = CSP
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    response["Cache-Control"] = CACHE
    response["Accept-Ranges"] = "bytes"
    return response


def _ranged(request: HttpRequest, handle: IO[bytes], size: int, content_type: str) -> HttpResponseBase:
    match = _RANGE.match(request.headers.get("Range", "").strip())
    if match is None or request.method != "GET":
        response: HttpResponseBase = FileResponse(handle, content_type=content_type)
        response["Content-Length"] = str(size)
        return response
    start_text, end_text = match["start"], match["end"]
    if start_text:
        start = int(start_text)
        end = min(int(end_text), size - 1) if end_text else size - 1
    elif end_text:  # the last N bytes
        start, end = max(size - int(end_text), 0), size - 1
    else:
        start, end = 0, size - 1
    if start >= size or start > end:
        handle.close()
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
        return response
    handle.seek(start)
    response = StreamingHttpResponse(_read(handle, end - start + 1), status=206, content_type=content_type)
    response["Content-Range"] = f"bytes {start}-{end}/{size}"
    response["Content-Length"] = str(end - start + 1)
    return response


def _read(handle: IO[bytes], remaining: int) -> Iterator[bytes]:
    try:
        while remaining > 0:
            chunk = handle.read(min(_CHUNK, remaining))
            if not chunk:
                break
            remaining -= len(chunk)
            yield chunk
    finally:
        handle.close()

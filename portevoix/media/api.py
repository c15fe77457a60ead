"""The media library API: list, upload (multipart), read, change the alt text, delete, download.
Thin: selectors and services check the role and do the work."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.http.response import HttpResponseBase
from ninja import File, Form, Path, Query, Router, Status, UploadedFile

from portevoix.core.api import MAX_ID, error_responses, paginate
from portevoix.media import responses, selectors, services
from portevoix.media.schemas import MediaListParams, MediaOut, MediaPage, MediaUpdateIn
from portevoix.workspaces.api_auth import API_AUTH, member

router = Router(auth=API_AUTH, tags=["media"])

ID = Path(..., ge=1, le=MAX_ID, description="The media file's id.")

_BINARY = {
    "responses": {
        200: {
            "description": "The file, with the content type found at upload. Single byte ranges are "
            "answered with 206.",
            "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
        }
    }
}


@router.get(
    "/media",
    response={200: MediaPage, **error_responses(403, 404)},
    summary="List the media library, newest first",
)
def media_list(request: HttpRequest, params: Query[MediaListParams]) -> dict[str, Any]:
    assets = selectors.media_list(by=member(request), kind=params.kind, search=params.search)
    return paginate(assets, params)


@router.post(
    "/media",
    response={200: MediaOut, 201: MediaOut, **error_responses(403, 404)},
    summary="Upload an image or a video (multipart/form-data)",
    description="Send the file in the `file` part, and optionally `alt_text`. The type is found from the "
    "content, never from the name or the part's Content-Type: JPEG, PNG, GIF and WebP images; MP4 "
    "(H.264 or HEVC), MOV and WebM videos. Metadata (EXIF, GPS position, XMP, comments) are removed. "
    "A refused file answers 422 with the reason in `fields.file`. The same file uploaded again answers "
    "200 with the existing asset and `duplicate: true`; a new one answers 201.",
)
def media_upload(request: HttpRequest, file: File[UploadedFile], alt_text: Form[str] = "") -> Status[Any]:
    asset = services.media_upload(by=member(request), file=file, alt_text=alt_text)
    return Status(200 if asset.is_duplicate else 201, asset)


@router.get(
    "/media/{id}",
    response={200: MediaOut, **error_responses(403, 404)},
    summary="One media file's description",
)
def media_get(request: HttpRequest, id: int = ID) -> Any:
    return selectors.media_get(by=member(request), asset_id=id)


@router.patch(
    "/media/{id}",
    response={200: MediaOut, **error_responses(403, 404)},
    summary="Change a media file's alt text",
)
def media_update(request: HttpRequest, payload: MediaUpdateIn, id: int = ID) -> Any:
    membership = member(request)
    asset = selectors.media_get(by=membership, asset_id=id)
    services.media_update_alt_text(by=membership, asset=asset, alt_text=payload.alt_text)
    return asset


@router.delete(
    "/media/{id}",
    response={204: None, **error_responses(403, 404, 409)},
    summary="Delete a media file",
    description="A file that posts use cannot be deleted (409): remove it from those posts first.",
)
def media_delete(request: HttpRequest, id: int = ID) -> Status[None]:
    membership = member(request)
    asset = selectors.media_get(by=membership, asset_id=id)
    services.media_delete(by=membership, asset=asset)
    return Status(204, None)


@router.get(
    "/media/{id}/file",
    response={200: None, 206: None, **error_responses(403, 404)},
    summary="Download a media file",
    openapi_extra=_BINARY,
)
def media_file(request: HttpRequest, id: int = ID) -> HttpResponseBase:
    asset = selectors.media_get(by=member(request), asset_id=id)
    return responses.media_response(request, asset)

"""Request and response bodies of the media API (/api/v1/media)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from ninja import Field, Schema
from pydantic import AfterValidator, StringConstraints

from portevoix.core.api import InputSchema, Page, PageParams, no_nul
from portevoix.media.models import MediaKind
from portevoix.media.services import MAX_ALT_TEXT

AltText = Annotated[str, StringConstraints(max_length=MAX_ALT_TEXT), AfterValidator(no_nul)]
Search = Annotated[str, StringConstraints(max_length=200), AfterValidator(no_nul)]


class MediaOut(Schema):
    id: int
    kind: MediaKind
    original_name: str = Field(description="The name the file was uploaded with (display only).")
    content_type: str = Field(description="What the content is, found from the file itself.")
    extension: str
    size: int = Field(description="Bytes of the stored file (metadata removed).")
    sha256: str = Field(description="SHA-256 of the stored file.")
    width: int | None = Field(description="Pixels, upright (EXIF rotation and video rotation applied).")
    height: int | None
    duration_seconds: float | None = Field(description="Videos only.")
    codec: str = Field(description="Video codec (h264, hevc, vp8, vp9, av1); empty for images.")
    alt_text: str
    used_in: int = Field(description="How many posts use this file; it cannot be deleted while > 0.")
    has_poster: bool = Field(description="A video's poster frame (at 1 s) is available.")
    file_url: str = Field(description="GET it with the same authentication to download the file.")
    created_at: datetime
    duplicate: bool = Field(
        False, description="On upload: the same file was already in the library; this is that asset."
    )

    @staticmethod
    def resolve_used_in(obj: Any) -> int:
        used = getattr(obj, "used_in", None)
        return int(used) if used is not None else obj.attachments.values("post").distinct().count()

    @staticmethod
    def resolve_has_poster(obj: Any) -> bool:
        return bool(obj.poster)

    @staticmethod
    def resolve_file_url(obj: Any) -> str:
        return f"/api/v1/media/{obj.pk}/file"

    @staticmethod
    def resolve_duplicate(obj: Any) -> bool:
        return bool(getattr(obj, "is_duplicate", False))


class MediaPage(Page):
    items: list[MediaOut]


class MediaListParams(PageParams):
    kind: MediaKind | None = Field(None, description="Only images or only videos.")
    search: Search | None = Field(None, description="Words to find in the file name or the alt text.")


class MediaUpdateIn(InputSchema):
    alt_text: AltText = Field(description="What the image or video shows, for people who cannot see it.")

"""What one Mastodon instance allows in a post, read from ``GET /api/v2/instance``.

Each instance sets its own limits (``configuration.statuses`` and ``configuration.media_attachments`` of the
Instance entity, https://docs.joinmastodon.org/entities/Instance/); the composer measures text and media
against them. A field the instance does not report keeps Mastodon's default.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from portevoix.connectors.types import Limits
from portevoix.textcount import TextCheck, check_text

# Mastodon's defaults (app/validators/status_length_validator.rb, app/models/media_attachment.rb and the
# documented GET /api/v2/instance example).
DEFAULT_MAX_CHARACTERS = 500
DEFAULT_CHARACTERS_RESERVED_PER_URL = 23
DEFAULT_MAX_MEDIA_ATTACHMENTS = 4
DEFAULT_IMAGE_SIZE_LIMIT = 10_485_760  # 10 MiB
DEFAULT_VIDEO_SIZE_LIMIT = 41_943_040  # 40 MiB
DEFAULT_IMAGE_MATRIX_LIMIT = 16_777_216  # 4096 x 4096 pixels


@dataclass(frozen=True)
class InstanceLimits:
    max_characters: int = DEFAULT_MAX_CHARACTERS
    characters_reserved_per_url: int = DEFAULT_CHARACTERS_RESERVED_PER_URL
    max_media_attachments: int = DEFAULT_MAX_MEDIA_ATTACHMENTS
    supported_mime_types: tuple[str, ...] = ()  # empty: the instance did not say
    image_size_limit: int | None = None
    video_size_limit: int | None = None
    image_matrix_limit: int | None = None

    @property
    def image_formats(self) -> tuple[str, ...]:
        return tuple(mime for mime in self.supported_mime_types if mime.startswith("image/"))

    @property
    def video_formats(self) -> tuple[str, ...]:
        return tuple(mime for mime in self.supported_mime_types if mime.startswith("video/"))

    def to_limits(self, base: Limits) -> Limits:
        """``base`` (the connector's declared limits) with this instance's own numbers in place."""
        return replace(
            base,
            text=self.max_characters,
            media=self.max_media_attachments,
            image_formats=self.image_formats or base.image_formats,
            video_formats=self.video_formats or base.video_formats,
            image_max_bytes=self.image_size_limit or base.image_max_bytes,
            video_max_bytes=self.video_size_limit or base.video_max_bytes,
            image_max_pixels=self.image_matrix_limit or base.image_max_pixels,
        )

    def check_text(self, text: str) -> TextCheck:
        """Measure ``text`` the way this instance counts it (URLs count ``characters_reserved_per_url``)."""
        return check_text(
            text, "mastodon", limit=self.max_characters, url_length=self.characters_reserved_per_url
        )


def parse_instance(body: object) -> InstanceLimits:
    """Read the limits from an Instance entity (v2, or v1 which has the same ``configuration``)."""
    configuration = _mapping(_mapping(body).get("configuration"))
    statuses = _mapping(configuration.get("statuses"))
    media = _mapping(configuration.get("media_attachments"))
    mime_types = media.get("supported_mime_types")
    return InstanceLimits(
        max_characters=_positive(statuses.get("max_characters")) or DEFAULT_MAX_CHARACTERS,
        characters_reserved_per_url=_positive(statuses.get("characters_reserved_per_url"))
        or DEFAULT_CHARACTERS_RESERVED_PER_URL,
        max_media_attachments=_positive(statuses.get("max_media_attachments"))
        or DEFAULT_MAX_MEDIA_ATTACHMENTS,
        supported_mime_types=tuple(m for m in mime_types if isinstance(m, str))
        if isinstance(mime_types, list)
        else (),
        image_size_limit=_positive(media.get("image_size_limit")),
        video_size_limit=_positive(media.get("video_size_limit")),
        image_matrix_limit=_positive(media.get("image_matrix_limit")),
    )


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _positive(value: object) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        return None
    return value

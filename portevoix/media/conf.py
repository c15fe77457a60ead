"""The media library's limits, read in one place with their defaults (settings.py reads them from the
environment; see docs/media.md)."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

MB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    image_bytes: int  # largest image file accepted
    video_bytes: int  # largest video file accepted
    image_pixels: int  # width x height of an image (or a video frame) at most
    ffmpeg_timeout: float  # seconds one ffmpeg run (probe, clean-up, poster frame) may take

    @classmethod
    def load(cls) -> Limits:
        return cls(
            image_bytes=int(getattr(settings, "PORTEVOIX_MEDIA_MAX_IMAGE_BYTES", 20 * MB)),
            video_bytes=int(getattr(settings, "PORTEVOIX_MEDIA_MAX_VIDEO_BYTES", 1024 * MB)),
            image_pixels=int(getattr(settings, "PORTEVOIX_MEDIA_MAX_IMAGE_PIXELS", 64_000_000)),
            ffmpeg_timeout=float(getattr(settings, "PORTEVOIX_MEDIA_FFMPEG_TIMEOUT", 300)),
        )


def limits() -> Limits:
    return Limits.load()

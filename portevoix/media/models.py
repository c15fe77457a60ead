"""The media library: images and videos uploaded once, used in many posts."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from portevoix.core.models import TimeStampedModel
from portevoix.workspaces.models import Workspace


class MediaKind(models.TextChoices):
    IMAGE = "image", _("Image")
    VIDEO = "video", _("Video")


def _folder(instance: MediaAsset) -> str:
    return f"workspaces/{instance.workspace_id}/media/{instance.sha256[:2]}"


def media_path(instance: MediaAsset, filename: str) -> str:
    # The stored name is the content hash: no user-controlled path, and duplicates share nothing else.
    return f"{_folder(instance)}/{instance.sha256}.{instance.extension}"


def thumbnail_path(instance: MediaAsset, filename: str) -> str:
    return f"{_folder(instance)}/{instance.sha256}.thumb.jpg"


def poster_path(instance: MediaAsset, filename: str) -> str:
    return f"{_folder(instance)}/{instance.sha256}.poster.jpg"


class MediaAsset(TimeStampedModel):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="media")
    kind = models.CharField(max_length=10, choices=MediaKind.choices)
    file = models.FileField(upload_to=media_path, max_length=300)
    original_name = models.CharField(max_length=255, blank=True)
    content_type = models.CharField(max_length=100)
    extension = models.CharField(max_length=10)
    size = models.BigIntegerField()
    sha256 = models.CharField(max_length=64)  # of the stored file
    # Of the file as it was uploaded, before its metadata were removed: uploading it again finds the asset.
    source_sha256 = models.CharField(max_length=64, blank=True, default="")
    width = models.IntegerField(null=True, blank=True)
    height = models.IntegerField(null=True, blank=True)
    duration_seconds = models.FloatField(null=True, blank=True)
    codec = models.CharField(max_length=32, blank=True, default="")  # video codec as ffmpeg names it
    # A small JPEG for the library grid, and a video's frame at 1 s (full size, JPEG).
    thumbnail = models.FileField(upload_to=thumbnail_path, max_length=300, blank=True)
    poster = models.FileField(upload_to=poster_path, max_length=300, blank=True)
    alt_text = models.TextField(_("alt text"), blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["workspace", "sha256"], name="media_ws_hash"),
            models.Index(fields=["workspace", "source_sha256"], name="media_ws_source_hash"),
        ]

    # Set by services.media_upload when the same bytes were already in the library (not stored).
    is_duplicate: bool = False

    def __str__(self) -> str:
        return self.original_name or self.sha256[:12]

    @property
    def download_name(self) -> str:
        """The uploaded name with the extension of what the file really is (a PNG named .jpg is .png)."""
        stem = self.original_name.rsplit(".", 1)[0] if "." in self.original_name else self.original_name
        return f"{stem or self.sha256[:12]}.{self.extension}"

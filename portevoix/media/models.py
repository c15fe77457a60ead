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


def media_path(instance: MediaAsset, filename: str) -> str:
    # The stored name is the content hash: no user-controlled path, and duplicates share nothing else.
    return f"workspaces/{instance.workspace_id}/media/{instance.sha256[:2]}/{instance.sha256}.{instance.extension}"


class MediaAsset(TimeStampedModel):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="media")
    kind = models.CharField(max_length=10, choices=MediaKind.choices)
    file = models.FileField(upload_to=media_path, max_length=300)
    original_name = models.CharField(max_length=255, blank=True)
    content_type = models.CharField(max_length=100)
    extension = models.CharField(max_length=10)
    size = models.BigIntegerField()
    sha256 = models.CharField(max_length=64)
    width = models.IntegerField(null=True, blank=True)
    height = models.IntegerField(null=True, blank=True)
    duration_seconds = models.FloatField(null=True, blank=True)
    alt_text = models.TextField(_("alt text"), blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["workspace", "sha256"], name="media_ws_hash")]

    def __str__(self) -> str:
        return self.original_name or self.sha256[:12]

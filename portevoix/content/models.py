"""Posts: one base text with per-network variants and attached media, planned for a time.

A post reaches channels through its publishing targets (publishing.Target, one per post x channel); the
state of the post as a whole is derived from them.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from portevoix.core.models import TimeStampedModel
from portevoix.media.models import MediaAsset
from portevoix.workspaces.models import Workspace


class ApprovalState(models.TextChoices):
    """The post's standing in its workspace's approval policy (approvals app)."""

    NOT_REQUIRED = "not_required", _("No approval needed")
    DRAFT = "draft", _("Not submitted")
    PENDING = "pending", _("Awaiting approval")
    CHANGES_REQUESTED = "changes_requested", _("Changes requested")
    APPROVED = "approved", _("Approved")


class Post(TimeStampedModel):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="posts")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    title = models.CharField(_("internal title"), max_length=200, blank=True)
    text = models.TextField(_("text"), blank=True)
    link = models.URLField(_("link"), max_length=2000, blank=True)
    # The planned instant (UTC) and the IANA zone it was planned in, to show and re-plan in local time.
    scheduled_at = models.DateTimeField(null=True, blank=True, db_index=True)
    timezone = models.CharField(max_length=64, default="UTC")
    media = models.ManyToManyField(MediaAsset, through="PostMedia", blank=True, related_name="posts")
    rubric = models.ForeignKey(
        "planning.Rubric", null=True, blank=True, on_delete=models.SET_NULL, related_name="posts"
    )
    # Only "approved" and "not_required" may publish; the approvals app moves it.
    approval_state = models.CharField(
        max_length=20, choices=ApprovalState.choices, default=ApprovalState.NOT_REQUIRED
    )
    # Evergreen posts may be recycled into free queue slots (planning app, EvergreenPolicy).
    evergreen = models.BooleanField(default=False)
    recycled_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="recycled_copies"
    )
    # An occurrence of a recurring series (planning.RecurringSeries).
    series = models.ForeignKey(
        "planning.RecurringSeries", null=True, blank=True, on_delete=models.SET_NULL, related_name="posts"
    )

    class Meta:
        ordering = ["-scheduled_at", "-created_at"]
        indexes = [models.Index(fields=["workspace", "scheduled_at"], name="post_ws_when")]

    def __str__(self) -> str:
        return self.title or (self.text[:60] if self.text else f"Post {self.pk}")


class PostMedia(models.Model):
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="attachments")
    asset = models.ForeignKey(MediaAsset, on_delete=models.PROTECT, related_name="attachments")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position"]
        constraints = [models.UniqueConstraint(fields=["post", "asset"], name="unique_post_media")]

    def __str__(self) -> str:
        return f"{self.post_id}/{self.asset_id}#{self.position}"


class PostVariant(models.Model):
    """The text for one network when it differs from the base text."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="variants")
    network = models.CharField(max_length=32)
    text = models.TextField(blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["post", "network"], name="unique_post_variant")]

    def __str__(self) -> str:
        return f"{self.post_id}/{self.network}"

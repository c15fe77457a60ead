"""The content plan: rubrics (content pillars), posting queues, recurring series, CSV imports and
calendar feeds. Posts themselves are content.Post; their planned instants live on the post and its
publishing targets.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from portevoix.channels.models import Channel
from portevoix.content.models import Post
from portevoix.core.models import TimeStampedModel
from portevoix.workspaces.models import Workspace


class Rubric(TimeStampedModel):
    """A content pillar with a colour for the calendar and the share of the plan it should hold."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="rubrics")
    name = models.CharField(_("name"), max_length=80)
    description = models.TextField(_("description"), blank=True)
    colour = models.CharField(_("colour"), max_length=7, default="#4c6ef5")  # "#rrggbb"
    # Percent of the posts of a period that should belong to this rubric (None: no target).
    target_share = models.PositiveSmallIntegerField(_("target share (%)"), null=True, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    archived = models.BooleanField(default=False)

    class Meta:
        ordering = ["position", "name"]
        constraints = [models.UniqueConstraint(fields=["workspace", "name"], name="unique_rubric_name")]

    def __str__(self) -> str:
        return self.name


class ChannelQueue(models.Model):
    """A channel's posting queue: its weekly slots (QueueSlot) and the posts waiting for them
    (QueueEntry). A paused queue sends nothing; resuming re-plans its entries into the next free slots."""

    channel = models.OneToOneField(Channel, on_delete=models.CASCADE, related_name="queue")
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    paused_at = models.DateTimeField(null=True, blank=True)
    # Slots are local wall times in this zone (the workspace's zone when the queue was created).
    timezone = models.CharField(max_length=64, default="UTC")

    def __str__(self) -> str:
        return f"queue of {self.channel_id}"


class QueueSlot(models.Model):
    queue = models.ForeignKey(ChannelQueue, on_delete=models.CASCADE, related_name="slots")
    weekday = models.PositiveSmallIntegerField()  # 0 = Monday ... 6 = Sunday (Python's weekday())
    local_time = models.TimeField()

    class Meta:
        ordering = ["weekday", "local_time"]
        constraints = [
            models.UniqueConstraint(fields=["queue", "weekday", "local_time"], name="unique_queue_slot")
        ]

    def __str__(self) -> str:
        return f"{self.weekday} {self.local_time}"


class QueueEntry(TimeStampedModel):
    """A post waiting in a channel's queue; ``position`` orders the entries (the first gets the next
    free slot). The planned instant is on the post's target for the channel."""

    queue = models.ForeignKey(ChannelQueue, on_delete=models.CASCADE, related_name="entries")
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="queue_entries")
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "pk"]
        constraints = [models.UniqueConstraint(fields=["queue", "post"], name="unique_queue_entry")]

    def __str__(self) -> str:
        return f"{self.queue_id}#{self.position}: {self.post_id}"


class RecurringSeries(TimeStampedModel):
    """A post repeated by an RFC 5545 rule in local wall time. Occurrences are real posts
    (content.Post.series) created ahead of time up to a horizon by a periodic job."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    template = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    rule = models.CharField(_("rule"), max_length=500)  # RRULE body, e.g. "FREQ=WEEKLY;BYDAY=MO,WE"
    start_date = models.DateField()  # the local date and time of the first occurrence (DTSTART)
    start_time = models.TimeField()
    timezone = models.CharField(max_length=64, default="UTC")
    active = models.BooleanField(default=True)
    # Occurrences exist as posts up to this instant.
    generated_until = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.rule} from {self.start_date}"


class EvergreenPolicy(models.Model):
    """Recycling of evergreen posts (content.Post.evergreen) into free queue slots."""

    workspace = models.OneToOneField(Workspace, on_delete=models.CASCADE, related_name="evergreen_policy")
    enabled = models.BooleanField(default=False)
    min_gap_days = models.PositiveSmallIntegerField(default=30)

    def __str__(self) -> str:
        return f"evergreen of {self.workspace_id}"


class ImportStatus(models.TextChoices):
    CHECKING = "checking", _("Checking")
    CHECKED = "checked", _("Checked")
    IMPORTING = "importing", _("Importing")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")
    DISCARDED = "discarded", _("Discarded")


class ImportJob(TimeStampedModel):
    """A CSV import: checked first (the dry run, nothing written), imported only when confirmed."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    filename = models.CharField(max_length=255)
    file = models.FileField(upload_to="imports/%Y/%m/", max_length=300, blank=True)
    status = models.CharField(max_length=12, choices=ImportStatus.choices, default=ImportStatus.CHECKING)
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    error_rows = models.PositiveIntegerField(default=0)
    created_posts = models.PositiveIntegerField(default=0)
    # Per-row problems of the dry run: [{"row": 3, "column": "date", "message": "..."}] (capped).
    problems = models.JSONField(default=list, blank=True)
    message = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"import {self.pk} ({self.status})"


class CalendarFeed(TimeStampedModel):
    """A person's private iCalendar feed of a workspace's plan: a secret URL, stored hashed, revocable."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=16)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"feed {self.prefix} of {self.user_id}"

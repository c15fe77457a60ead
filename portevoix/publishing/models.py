"""Publishing state: one target per post x channel, and one attempt row per network call.

The database row is the source of truth; the queue only carries work (ARCHITECTURE.md, "Publishing
engine"). ``fence`` increases at every claim: a worker whose lease was taken over can no longer write.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from portevoix.channels.models import Channel
from portevoix.content.models import Post
from portevoix.core.models import TimeStampedModel
from portevoix.workspaces.models import Workspace


class TargetState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    AWAITING_APPROVAL = "awaiting_approval", _("Awaiting approval")
    SCHEDULED = "scheduled", _("Scheduled")
    PUBLISHING = "publishing", _("Publishing")
    PUBLISHED = "published", _("Published")
    PENDING_REMOTE = "pending_remote", _("Processing on the network")
    RETRY_WAIT = "retry_wait", _("Waiting to retry")
    UNCONFIRMED = "unconfirmed", _("Unconfirmed")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


class Target(TimeStampedModel):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="targets")
    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="targets")
    state = models.CharField(max_length=20, choices=TargetState.choices, default=TargetState.DRAFT)
    due_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    attempt_count = models.PositiveIntegerField(default=0)
    idempotency_key = models.CharField(max_length=64, unique=True)
    lease_owner = models.CharField(max_length=100, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    fence = models.BigIntegerField(default=0)
    remote_id = models.CharField(max_length=200, blank=True)
    remote_url = models.URLField(max_length=500, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    error_code = models.CharField(max_length=40, blank=True)
    error_message = models.TextField(blank=True)
    # Set when a publish attempt may have reached the network without us knowing (timeout after sending, a
    # worker that died mid-call): the instant of the first attempt, from which the network is searched
    # before anything is sent again. Cleared once the lookup has answered.
    reconcile_since = models.DateTimeField(null=True, blank=True)
    # ``attempt_count`` when a person last asked for a retry: automatic retries count from here.
    retry_base = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["post", "channel"], name="unique_target")]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="target_due"),
            # Its (workspace, state) prefix serves the per-state lists; the dashboards count what was
            # published in a period.
            models.Index(fields=["workspace", "state", "published_at"], name="target_ws_state_published"),
        ]

    def __str__(self) -> str:
        return f"post {self.post_id} -> {self.channel_id} ({self.state})"


class AttemptOutcome(models.TextChoices):
    STARTED = "started", _("Started")
    PUBLISHED = "published", _("Published")
    PENDING_REMOTE = "pending_remote", _("Accepted, processing")
    RECONCILED = "reconciled", _("Found already published")
    NOT_FOUND = "not_found", _("Looked up: not published")
    RETRYABLE = "retryable", _("Temporary error")
    RATE_LIMITED = "rate_limited", _("Rate limited")
    REJECTED = "rejected", _("Rejected")
    AUTH = "auth", _("Authorisation problem")
    UNKNOWN = "unknown", _("Outcome unknown")
    ABANDONED = "abandoned", _("Interrupted")
    REFRESHED = "refreshed", _("Access renewed")


class Attempt(models.Model):
    """Written before every network call (outcome "started"), completed when the call returns."""

    target = models.ForeignKey(Target, on_delete=models.CASCADE, related_name="attempts")
    number = models.PositiveIntegerField()
    kind = models.CharField(max_length=20, default="publish")  # publish, lookup, check, refresh, manual
    fence = models.BigIntegerField()
    worker = models.CharField(max_length=100, blank=True)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=20, choices=AttemptOutcome.choices, default=AttemptOutcome.STARTED)
    error_code = models.CharField(max_length=40, blank=True)
    message = models.TextField(blank=True)
    detail = models.TextField(blank=True)
    # What the network answered, kept on the attempt even when the worker had lost its lease (a stale
    # fence): the current owner adopts it instead of sending again.
    remote_id = models.CharField(max_length=200, blank=True)
    remote_url = models.URLField(max_length=500, blank=True)

    class Meta:
        ordering = ["target", "number"]
        constraints = [models.UniqueConstraint(fields=["target", "number"], name="unique_attempt_number")]

    def __str__(self) -> str:
        return f"attempt {self.number} of target {self.target_id}: {self.outcome}"


class RateBucket(models.Model):
    """A token bucket shared by every worker: ``key`` names an account or a network (and the limit)."""

    key = models.CharField(max_length=200, primary_key=True)
    tokens = models.FloatField(default=0)
    updated_at = models.DateTimeField()
    # The network said "slow down" (429 with Retry-After): nothing for this key before then.
    blocked_until = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.key


class NotificationKind(models.TextChoices):
    FAILED = "failed", _("Publishing failed")
    UNCONFIRMED = "unconfirmed", _("Publishing unconfirmed")
    LATE = "late", _("Too late to publish")
    MANUAL = "manual", _("Time to publish by hand")
    NEEDS_REAUTH = "needs_reauth", _("Channel needs reconnecting")
    TOKEN_EXPIRING = "token_expiring", _("Channel access expiring")


class Notification(TimeStampedModel):
    """An in-app alert for a workspace's team (owners and managers also get it by e-mail)."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20, choices=NotificationKind.choices)
    title = models.CharField(max_length=300)
    message = models.TextField(blank=True)
    channel = models.ForeignKey(Channel, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    targets = models.ManyToManyField(Target, blank=True, related_name="notifications")
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)
    # What the alert is about ([{target_id, post, channel, message}]), so that it is written in each
    # reader's language when shown; ``title`` and ``message`` keep the workspace-language text of the
    # e-mail. None on alerts stored before this field existed: they show their stored text.
    items = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["workspace", "read_at"], name="notification_ws_unread")]

    def __str__(self) -> str:
        return self.title

    def _described(self) -> tuple[str, str]:
        from portevoix.publishing.notifications import Item, describe

        if self.items is None:
            return self.title, self.message
        return describe(self.kind, [Item(**item) for item in self.items], self.channel)

    @property
    def display_title(self) -> str:
        """The title in the active language (the reader's)."""
        return self._described()[0]

    @property
    def display_message(self) -> str:
        return self._described()[1]

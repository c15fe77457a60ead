"""Network metrics: post metric snapshots and follower counts (collected from connectors, entered by hand or
imported from CSV), with the small tables the dashboards read.

Fact tables are narrow and carry ``workspace_id`` (no join to filter a workspace), indexed by (workspace,
time). Every metric is nullable: ``None`` means the network does not report it (never 0).

- ``PostMetricSnapshot``: one reading of a published post x channel (a ``publishing.Target``).
- ``PostMetricLatest``: one row per target, the newest value of each metric, updated on every write.
- ``FollowerSnapshot``: one reading of a channel's follower count.
- ``FollowerDaily``: the follower count at the end of each day (the workspace's time zone), per channel.
- ``FollowerMonth``: the same daily counts, one row per channel and month (what the dashboards read).
- ``MetricPoll``: when a target's metrics are next due from its network's API (the ageing schedule).
- ``ChannelCollection``: per channel, the collection lease (one worker at a time), the rate-limit hold,
  when its follower count is next due, and the last error.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models
from django.utils.translation import gettext_lazy as _

from portevoix.channels.models import Channel
from portevoix.content.models import Post
from portevoix.publishing.models import Target
from portevoix.workspaces.models import Workspace

METRIC_FIELDS = ("views", "reach", "likes", "comments", "shares", "saves", "quotes")

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class Source(models.TextChoices):
    API = "api", _("Network API")
    MANUAL = "manual", _("Entered by hand")
    CSV = "csv", _("CSV import")


def _count(label: StrOrPromise) -> models.BigIntegerField:  # type: ignore[type-arg]
    return models.BigIntegerField(label, null=True, blank=True)


class PostMetricSnapshot(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+", db_index=False)
    target = models.ForeignKey(Target, on_delete=models.CASCADE, related_name="metric_snapshots")
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="+", db_index=False)
    collected_at = models.DateTimeField()
    views = _count(_("views"))
    reach = _count(_("reach"))
    likes = _count(_("likes"))
    comments = _count(_("comments"))
    shares = _count(_("shares"))
    saves = _count(_("saves"))
    quotes = _count(_("quotes"))
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.API)

    class Meta:
        indexes = [
            models.Index(fields=["workspace", "collected_at"], name="metricsnap_ws_at"),
            models.Index(fields=["target", "collected_at"], name="metricsnap_target_at"),
            models.Index(fields=["channel", "collected_at"], name="metricsnap_channel_at"),
        ]

    def __str__(self) -> str:
        return f"target {self.target_id} @ {self.collected_at:%Y-%m-%d %H:%M}"


class PostMetricLatest(models.Model):
    """The newest known value of each metric of a target (a metric a newer reading leaves empty keeps its
    older value). ``published_at``, ``post``, ``channel``, the post's ``rubric`` and the ``followers`` at
    publication are copied here so that a dashboard reads one narrow table."""

    target = models.OneToOneField(Target, on_delete=models.CASCADE, primary_key=True, related_name="metrics")
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+", db_index=False)
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="+")
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="+")
    published_at = models.DateTimeField(null=True, blank=True)
    collected_at = models.DateTimeField()
    views = _count(_("views"))
    reach = _count(_("reach"))
    likes = _count(_("likes"))
    comments = _count(_("comments"))
    shares = _count(_("shares"))
    saves = _count(_("saves"))
    quotes = _count(_("quotes"))
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.API)
    # Kept in step by metrics.services.publication (the dashboards group and rate posts from this table):
    # the post's rubric, and the channel's followers at publication (None: not known).
    rubric = models.ForeignKey(
        "planning.Rubric", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    followers = models.BigIntegerField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["workspace", "published_at"], name="metriclatest_ws_pub")]

    def __str__(self) -> str:
        return f"latest of target {self.target_id}"


class FollowerSnapshot(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+", db_index=False)
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="+", db_index=False)
    collected_at = models.DateTimeField()
    followers = models.BigIntegerField(_("followers"))
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.API)

    class Meta:
        indexes = [
            models.Index(fields=["workspace", "collected_at"], name="followersnap_ws_at"),
            models.Index(fields=["channel", "collected_at"], name="followersnap_channel_at"),
        ]

    def __str__(self) -> str:
        return f"{self.channel_id}: {self.followers} @ {self.collected_at:%Y-%m-%d %H:%M}"


class FollowerDaily(models.Model):
    """Followers at the end of ``day`` (the workspace's zone): the last reading of that day."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+", db_index=False)
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="+", db_index=False)
    day = models.DateField()
    followers = models.BigIntegerField()
    collected_at = models.DateTimeField()
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.API)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["channel", "day"], name="followerdaily_channel_day")]
        indexes = [models.Index(fields=["workspace", "day"], name="followerdaily_ws_day")]

    def __str__(self) -> str:
        return f"{self.channel_id}: {self.followers} on {self.day}"


class FollowerMonth(models.Model):
    """One channel's ``FollowerDaily`` counts for one month in a row: ``counts[n]`` is day n + 1's count,
    None where the day has none. The dashboards' followers panel reads ~5 of these per channel for 90 days
    instead of ~120 daily rows. Kept by ``metrics.services.record.followers_write`` (and
    ``months.follower_months_fill`` after bulk loads); never written elsewhere."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+", db_index=False)
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="+", db_index=False)
    month = models.DateField()  # its first day
    counts = models.JSONField(default=list)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["channel", "month"], name="followermonth_channel_month")
        ]
        indexes = [models.Index(fields=["workspace", "month"], name="followermonth_ws_month")]

    def __str__(self) -> str:
        return f"{self.channel_id}: {self.month:%Y-%m}"


class MetricPoll(models.Model):
    """When a published target's metrics are next due from the network (None: no longer polled)."""

    target = models.OneToOneField(Target, on_delete=models.CASCADE, primary_key=True, related_name="+")
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="+", db_index=False)
    published_at = models.DateTimeField()
    next_due_at = models.DateTimeField(null=True, blank=True)
    last_polled_at = models.DateTimeField(null=True, blank=True)
    polls = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["channel", "next_due_at"], name="metricpoll_channel_due")]

    def __str__(self) -> str:
        return f"poll of target {self.target_id}"


class ChannelCollection(models.Model):
    channel = models.OneToOneField(Channel, on_delete=models.CASCADE, primary_key=True, related_name="+")
    # The worker collecting this channel now (a random token per claim) and the end of its lease.
    lease_owner = models.CharField(max_length=64, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    # The network asked us to slow down, or the channel failed: nothing before then.
    blocked_until = models.DateTimeField(null=True, blank=True)
    followers_due_at = models.DateTimeField(null=True, blank=True)
    last_run_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"collection of channel {self.channel_id}"

"""The dashboards' roll-up tables, kept up to date by the periodic job ``dashboards.refresh``
(services.py; docs/dashboards.md).

Days are the workspace's local days ([local midnight, next local midnight), DST-correct). Rows are narrow
and lead with (workspace, day); dimensions are plain integers (0: none) so that unique keys work the same
on SQLite and PostgreSQL (NULLs are distinct in unique constraints).

- ``ClickDaily``: clicks per day and short link (with the link's post, channel and network copied).
- ``VisitDaily``: visits of the site tracker per day x network x campaign x post.
- ``ConversionDaily``: conversions and revenue per day x network x campaign x post x goal x currency.
- ``RollupState``: per source table, the highest raw row id already added (the watermark).
"""

from __future__ import annotations

from django.db import models


class RollupState(models.Model):
    source = models.CharField(max_length=32, unique=True)
    watermark = models.BigIntegerField(default=0)  # every raw row with id <= watermark is in the roll-up
    # The raw table's highest id seen at ``seen_at``: processed by a later run (rows of transactions that
    # were still open when an id was taken are committed by then; see services.SETTLE).
    seen_max = models.BigIntegerField(default=0)
    seen_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.source} <= {self.watermark}"


class ClickDaily(models.Model):
    workspace_id = models.BigIntegerField()
    day = models.DateField()
    link_id = models.BigIntegerField()
    post_id = models.BigIntegerField(default=0)
    channel_id = models.BigIntegerField(default=0)
    network = models.CharField(max_length=32, blank=True)
    humans = models.BigIntegerField(default=0)
    bots = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["link_id", "day"], name="clickdaily_link_day")]
        # Covering: the panels' sums per day, network, channel and post read the index alone.
        indexes = [
            models.Index(
                fields=["workspace_id", "day", "network", "channel_id", "post_id", "humans", "bots"],
                name="clickdaily_ws_day",
            )
        ]

    def __str__(self) -> str:
        return f"link {self.link_id} {self.day}: {self.humans}+{self.bots}"


class VisitDaily(models.Model):
    workspace_id = models.BigIntegerField()
    day = models.DateField()
    network = models.CharField(max_length=32, blank=True)
    campaign = models.CharField(max_length=255, blank=True)
    post_id = models.BigIntegerField(default=0)
    visits = models.BigIntegerField(default=0)
    bounces = models.BigIntegerField(default=0)
    engaged_seconds = models.BigIntegerField(default=0)
    pageviews = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace_id", "day", "network", "campaign", "post_id"], name="visitdaily_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.workspace_id} {self.day} {self.network}: {self.visits}"


class ConversionDaily(models.Model):
    workspace_id = models.BigIntegerField()
    day = models.DateField()
    network = models.CharField(max_length=32, blank=True)
    campaign = models.CharField(max_length=255, blank=True)
    post_id = models.BigIntegerField(default=0)
    goal = models.CharField(max_length=80)
    currency = models.CharField(max_length=3, blank=True)
    conversions = models.BigIntegerField(default=0)
    with_revenue = models.BigIntegerField(default=0)
    revenue = models.DecimalField(max_digits=18, decimal_places=2, default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace_id", "day", "network", "campaign", "post_id", "goal", "currency"],
                name="conversiondaily_key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.workspace_id} {self.day} {self.goal}: {self.conversions}"


class ZoneSeen(models.Model):
    """The time zone a workspace's roll-ups were computed in: a change triggers a rebuild."""

    workspace_id = models.BigIntegerField(unique=True)
    timezone = models.CharField(max_length=64)

    def __str__(self) -> str:
        return f"{self.workspace_id}: {self.timezone}"

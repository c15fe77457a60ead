"""The dashboards' roll-up tables, kept up to date by the periodic job ``dashboards.refresh``
(services.py; docs/dashboards.md).

Days are the workspace's local days ([local midnight, next local midnight), DST-correct). Rows are narrow
and lead with (workspace, span, day); dimensions are plain integers (0: none) so that unique keys work the
same on SQLite and PostgreSQL (NULLs are distinct in unique constraints). Every table holds day rows and,
with the same columns, week and month rows that hold the sums of their days (``span``, spans.py): a
period is read from the fewest rows that cover it.

- ``ClickDaily``: clicks per short link (with the link's post, channel and network copied).
- ``ClickChannelDaily``: clicks per channel (the per-day series and the channel and network totals).
- ``ClickPostDaily``: clicks per post (the rankings of posts by clicks).
- ``VisitDaily``: visits of the site tracker per network x campaign x post, with the visits that
  completed a goal (``converted``).
- ``VisitPostDaily``: the same per post and "from a social network or not" (the rankings by visits).
- ``VisitNetworkDaily``: the same per network x campaign (no post): totals, series, networks, campaigns.
- ``VisitDurationDaily``: visits per network and engaged-time bucket (``durations.py``), for the median.
- ``ConversionDaily``: conversions and revenue per network x campaign x post x goal x currency.
- ``ConversionGoalDaily``: the same without the post.
- ``RollupState``: per source table, the highest raw row id already added (the watermark).
"""

from __future__ import annotations

from django.db import models

from portevoix.dashboards.spans import DAY

SPAN_CHOICES = [("d", "day"), ("w", "week"), ("m", "month")]


def _span() -> models.CharField:  # type: ignore[type-arg]
    # "d": the day ``day``; "w": the ISO week starting on ``day``; "m": the month starting on ``day``.
    return models.CharField(max_length=1, choices=SPAN_CHOICES, default=DAY)


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
    span = _span()
    day = models.DateField()
    link_id = models.BigIntegerField()
    post_id = models.BigIntegerField(default=0)
    channel_id = models.BigIntegerField(default=0)
    network = models.CharField(max_length=32, blank=True)
    humans = models.BigIntegerField(default=0)
    bots = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["link_id", "span", "day"], name="clickdaily_link_span_day")
        ]
        # Covering: the panels' sums per post (and channel, network) read the index alone.
        indexes = [
            models.Index(
                fields=["workspace_id", "span", "day", "network", "channel_id", "post_id", "humans", "bots"],
                name="clickdaily_ws_span_day",
            )
        ]

    def __str__(self) -> str:
        return f"link {self.link_id} {self.span}{self.day}: {self.humans}+{self.bots}"


class ClickChannelDaily(models.Model):
    workspace_id = models.BigIntegerField()
    span = _span()
    day = models.DateField()
    channel_id = models.BigIntegerField(default=0)
    network = models.CharField(max_length=32, blank=True)
    humans = models.BigIntegerField(default=0)
    bots = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace_id", "span", "day", "channel_id", "network"], name="clickchannel_key"
            )
        ]

    def __str__(self) -> str:
        return f"channel {self.channel_id} {self.span}{self.day}: {self.humans}+{self.bots}"


class ClickPostDaily(models.Model):
    """Clicks per post (0: links without a post), for ranking posts by clicks (ClickDaily has a row per
    link: two or more per post)."""

    workspace_id = models.BigIntegerField()
    span = _span()
    day = models.DateField()
    post_id = models.BigIntegerField(default=0)
    humans = models.BigIntegerField(default=0)
    bots = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace_id", "span", "day", "post_id"], name="clickpost_key")
        ]

    def __str__(self) -> str:
        return f"post {self.post_id} {self.span}{self.day}: {self.humans}+{self.bots}"


class VisitDaily(models.Model):
    workspace_id = models.BigIntegerField()
    span = _span()
    day = models.DateField()
    network = models.CharField(max_length=32, blank=True)
    campaign = models.CharField(max_length=255, blank=True)
    post_id = models.BigIntegerField(default=0)
    visits = models.BigIntegerField(default=0)
    bounces = models.BigIntegerField(default=0)
    engaged_seconds = models.BigIntegerField(default=0)
    pageviews = models.BigIntegerField(default=0)
    converted = models.BigIntegerField(default=0)  # visits with at least one conversion

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace_id", "span", "day", "network", "campaign", "post_id"],
                name="visitdaily_span_key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.workspace_id} {self.span}{self.day} {self.network}: {self.visits}"


class VisitNetworkDaily(models.Model):
    workspace_id = models.BigIntegerField()
    span = _span()
    day = models.DateField()
    network = models.CharField(max_length=32, blank=True)
    campaign = models.CharField(max_length=255, blank=True)
    visits = models.BigIntegerField(default=0)
    bounces = models.BigIntegerField(default=0)
    engaged_seconds = models.BigIntegerField(default=0)
    pageviews = models.BigIntegerField(default=0)
    converted = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace_id", "span", "day", "network", "campaign"], name="visitnetwork_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.workspace_id} {self.span}{self.day} {self.network}: {self.visits}"


class VisitPostDaily(models.Model):
    """Visits per post and whether they came from a social network, for ranking posts by visits (VisitDaily
    has a row per network x campaign of each post)."""

    workspace_id = models.BigIntegerField()
    span = _span()
    day = models.DateField()
    post_id = models.BigIntegerField(default=0)
    social = models.BooleanField(default=True)
    visits = models.BigIntegerField(default=0)
    bounces = models.BigIntegerField(default=0)
    engaged_seconds = models.BigIntegerField(default=0)
    pageviews = models.BigIntegerField(default=0)
    converted = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace_id", "span", "day", "post_id", "social"], name="visitpost_key"
            )
        ]

    def __str__(self) -> str:
        return f"post {self.post_id} {self.span}{self.day}: {self.visits}"


class VisitDurationDaily(models.Model):
    """Visits per bucket of engaged seconds (durations.BOUNDS), with the shortest and longest in it."""

    workspace_id = models.BigIntegerField()
    span = _span()
    day = models.DateField()
    network = models.CharField(max_length=32, blank=True)
    bucket = models.PositiveSmallIntegerField()
    visits = models.BigIntegerField(default=0)
    min_seconds = models.BigIntegerField(default=0)
    max_seconds = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace_id", "span", "day", "network", "bucket"], name="visitduration_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.workspace_id} {self.span}{self.day} {self.network} #{self.bucket}: {self.visits}"


class ConversionDaily(models.Model):
    workspace_id = models.BigIntegerField()
    span = _span()
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
                fields=["workspace_id", "span", "day", "network", "campaign", "post_id", "goal", "currency"],
                name="conversiondaily_span_key",
            )
        ]
        # Covering indexes (every column the query reads is in the index: no lookup of the table's rows,
        # a quarter of the conversions panel's time on SQLite): the ranking of posts by conversions over a
        # period, and a few posts' conversions and revenue (the funnel's and the panel's top posts).
        indexes = [
            models.Index(
                fields=["workspace_id", "span", "day", "post_id", "conversions"],
                name="conversiondaily_ranking",
            ),
            models.Index(
                fields=[
                    "workspace_id", "post_id", "span", "day", "currency", "conversions", "with_revenue",
                    "revenue",
                ],
                name="conversiondaily_post_sums",
            ),
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.workspace_id} {self.span}{self.day} {self.goal}: {self.conversions}"


class ConversionGoalDaily(models.Model):
    workspace_id = models.BigIntegerField()
    span = _span()
    day = models.DateField()
    network = models.CharField(max_length=32, blank=True)
    campaign = models.CharField(max_length=255, blank=True)
    goal = models.CharField(max_length=80)
    currency = models.CharField(max_length=3, blank=True)
    conversions = models.BigIntegerField(default=0)
    with_revenue = models.BigIntegerField(default=0)
    revenue = models.DecimalField(max_digits=18, decimal_places=2, default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace_id", "span", "day", "network", "campaign", "goal", "currency"],
                name="conversiongoal_key",
            )
        ]
        # The key and the sums: the panel's and the funnel's groups read from the index alone.
        indexes = [
            models.Index(
                fields=[
                    "workspace_id", "span", "day", "goal", "network", "campaign", "currency", "conversions",
                    "with_revenue", "revenue",
                ],
                name="conversiongoal_sums",
            )
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.workspace_id} {self.span}{self.day} {self.goal}: {self.conversions}"


class ZoneSeen(models.Model):
    """The time zone a workspace's roll-ups were computed in: a change triggers a rebuild."""

    workspace_id = models.BigIntegerField(unique=True)
    timezone = models.CharField(max_length=64)

    def __str__(self) -> str:
        return f"{self.workspace_id}: {self.timezone}"

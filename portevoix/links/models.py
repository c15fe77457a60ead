"""Tracked short links: the link itself (with its final URL, UTM tags applied at creation), the workspace's
UTM rules and custom domain, every click, and an hourly roll-up of clicks per link.

Clicks are written by the redirect fast path (links/fastpath.py) in batches; the table is shaped for
aggregation over millions of rows: ``workspace_id`` is stored on each click (no join to filter a workspace),
the device class is a small integer, and the indexes lead with (link, at) and (workspace, at).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from portevoix.workspaces.models import Workspace

CODE_LENGTH = 8
MAX_TARGET_LENGTH = 2000
MAX_FINAL_LENGTH = 2600
MAX_TEMPLATE_LENGTH = 200


class Device(models.IntegerChoices):
    OTHER = 0, _("Other")
    DESKTOP = 1, _("Desktop")
    MOBILE = 2, _("Mobile")
    TABLET = 3, _("Tablet")
    BOT = 4, _("Bot")


class ShortLink(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="short_links")
    code = models.CharField(max_length=16, unique=True)
    target_url = models.CharField(_("target address"), max_length=MAX_TARGET_LENGTH)
    # The address the redirect sends to: the target with the UTM tags of the workspace's rules, computed once
    # at creation (later changes of the rules do not move links already shared).
    final_url = models.CharField(max_length=MAX_FINAL_LENGTH)
    post = models.ForeignKey(
        "content.Post", null=True, blank=True, on_delete=models.SET_NULL, related_name="short_links"
    )
    channel = models.ForeignKey(
        "channels.Channel", null=True, blank=True, on_delete=models.SET_NULL, related_name="short_links"
    )
    campaign = models.CharField(_("campaign"), max_length=100, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    disabled = models.BooleanField(_("disabled"), default=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["workspace", "-created_at"], name="link_ws_created"),
            models.Index(fields=["post", "channel"], name="link_post_channel"),
        ]

    def __str__(self) -> str:
        return f"{self.code} -> {self.target_url[:80]}"


class LinkSettings(models.Model):
    """A workspace's UTM rules and optional custom short domain (one row per workspace, made on first use).

    Templates take placeholders: {network}, {channel}, {rubric}, {campaign}, {post_id}, {workspace}. A tag
    whose template renders empty is not added. Tags already on the target are kept unless ``override``.
    """

    workspace = models.OneToOneField(Workspace, on_delete=models.CASCADE, related_name="link_settings")
    utm_source = models.CharField(_("utm_source"), max_length=MAX_TEMPLATE_LENGTH, default="{network}")
    utm_medium = models.CharField(_("utm_medium"), max_length=MAX_TEMPLATE_LENGTH, default="social")
    utm_campaign = models.CharField(
        _("utm_campaign"), max_length=MAX_TEMPLATE_LENGTH, default="{campaign}", blank=True
    )
    utm_content = models.CharField(
        _("utm_content"), max_length=MAX_TEMPLATE_LENGTH, default="{post_id}", blank=True
    )
    shorten_in_posts = models.BooleanField(
        _("shorten and tag the links of posts when they are published"),
        default=False,
        help_text=_("Each address in a post becomes a short link with the UTM tags above, per channel."),
    )
    override = models.BooleanField(
        _("replace UTM tags already on the target"),
        default=False,
        help_text=_("Off: a utm_… parameter already in the target address is kept as it is."),
    )
    custom_domain = models.CharField(
        _("custom short domain"),
        max_length=253,
        blank=True,
        help_text=_("A host name such as go.example.com that points to this server (see the documentation)."),
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["custom_domain"], condition=~models.Q(custom_domain=""), name="unique_link_domain"
            )
        ]

    def __str__(self) -> str:
        return f"Link settings of {self.workspace_id}"


class Click(models.Model):
    """One visit of a short link. What is stored: the time, the link (and its workspace), the referring
    page's host only, the device class, whether the client is a bot, and the country when a GeoIP database
    is configured. Never the address, the full referrer or the user agent."""

    link = models.ForeignKey(ShortLink, on_delete=models.CASCADE, related_name="clicks", db_index=False)
    workspace_id = models.BigIntegerField()  # denormalised from the link: dashboards filter without a join
    at = models.DateTimeField()
    referrer_host = models.CharField(max_length=255, blank=True)
    device = models.PositiveSmallIntegerField(choices=Device.choices, default=Device.OTHER)
    is_bot = models.BooleanField(default=False)
    country = models.CharField(max_length=2, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["link", "at"], name="click_link_at"),
            models.Index(fields=["workspace_id", "at"], name="click_ws_at"),
        ]

    def __str__(self) -> str:
        return f"{self.link_id} @ {self.at.isoformat()}"


class LinkHourly(models.Model):
    """Clicks per link and hour (UTC), kept up to date by the click writer: lists and dashboards sum these
    instead of counting raw clicks."""

    link = models.ForeignKey(ShortLink, on_delete=models.CASCADE, related_name="hourly")
    workspace_id = models.BigIntegerField()
    hour = models.DateTimeField()
    humans = models.PositiveIntegerField(default=0)
    bots = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["link", "hour"], name="unique_link_hour")]
        indexes = [models.Index(fields=["workspace_id", "hour"], name="hourly_ws_hour")]

    def __str__(self) -> str:
        return f"{self.link_id} {self.hour.isoformat()}: {self.humans}+{self.bots}"

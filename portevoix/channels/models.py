"""Connected accounts ("channels"): a Telegram channel, a VK community, a Mastodon account...

A channel belongs to one workspace and names its connector (``network`` = the connector's key). Its
credentials live encrypted in the token vault; everything else here is safe to show.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from portevoix.core.fields import EncryptedJSONField
from portevoix.core.models import TimeStampedModel
from portevoix.workspaces.models import Workspace


class ChannelStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    NEEDS_REAUTH = "needs_reauth", _("Needs reconnecting")
    ERROR = "error", _("Error")
    DISCONNECTED = "disconnected", _("Disconnected")


class Channel(TimeStampedModel):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="channels")
    network = models.CharField(_("network"), max_length=32, db_index=True)
    name = models.CharField(_("name"), max_length=200)
    external_id = models.CharField(max_length=200)
    handle = models.CharField(max_length=200, blank=True)
    url = models.URLField(max_length=500, blank=True)
    base_url = models.URLField(_("API address"), max_length=300)
    credentials = EncryptedJSONField(null=True)
    options = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=20, choices=ChannelStatus.choices, default=ChannelStatus.ACTIVE)
    token_expires_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_checked_at = models.DateTimeField(null=True, blank=True)
    followers = models.IntegerField(null=True, blank=True)
    # When the tokens should be renewed: 24 hours before they expire, or half-way through their life for
    # tokens that live a few hours (VK ID: one hour). Set when tokens are stored; empty: 24 hours ahead.
    refresh_due_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Single-flight token refresh (refresh tokens are often single-use): a worker takes the channel with a
    # conditional UPDATE that sets a random claim and a lease; only the holder of the claim may write the new
    # tokens back, and an abandoned claim lapses when its lease ends. See services.channel_refresh.
    refresh_claim = models.CharField(max_length=32, blank=True, editable=False)
    refresh_claimed_until = models.DateTimeField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["network", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "network", "external_id"], name="unique_channel_per_workspace"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.network})"

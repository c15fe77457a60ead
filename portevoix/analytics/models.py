"""The first-party site tracker: the tracked sites of a workspace, one row per visit (session) and one per
conversion (goal completion).

Visits and conversions are written by the tracker's fast path (analytics/fastpath.py) in batches; server-side
conversions by the API. ``workspace`` is stored on every fact row and indexed with its time, so that
dashboards filter a workspace and a period without a join. What is stored about a visitor: a hash of the
first-party id the script keeps in the site's localStorage (never the raw id, the IP address or the user
agent), the landing path, the referring host, the UTM tags, the device class and the country when a GeoIP
database is configured.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from portevoix.links.models import Device
from portevoix.workspaces.models import Workspace

MAX_NAME = 100
MAX_DOMAINS = 2000
MAX_PATH = 500
MAX_TAG = 150
SECRET_PREFIX = "pvs_"  # server-side conversions keys


class Site(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="tracked_sites")
    name = models.CharField(_("name"), max_length=MAX_NAME)
    # The snippet's ``data-site``: public (it is in every page of the site), identifies the site only.
    public_key = models.CharField(max_length=32, unique=True)
    # SHA-256 of the server-side conversions key (``pvs_…``), shown once at creation or rotation.
    secret_hash = models.CharField(max_length=64, unique=True)
    # Allowed host names of the site, one per line; empty: beacons are accepted from any origin.
    domains = models.TextField(_("domains"), blank=True, max_length=MAX_DOMAINS)
    created_at = models.DateTimeField(auto_now_add=True)
    last_event_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["workspace", "name"], name="site_ws_name")]

    def __str__(self) -> str:
        return self.name

    @property
    def domain_list(self) -> list[str]:
        return [line.strip() for line in self.domains.splitlines() if line.strip()]


class Visit(models.Model):
    """One session: it ends after 30 minutes without a hit from the visitor."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+", db_index=False)
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="visits", db_index=False)
    visitor = models.CharField(max_length=32)  # HMAC of the site and the first-party visitor id
    started_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()
    landing_path = models.CharField(max_length=MAX_PATH, blank=True)
    referrer_host = models.CharField(max_length=255, blank=True)
    source = models.CharField(max_length=MAX_TAG, blank=True)
    medium = models.CharField(max_length=MAX_TAG, blank=True)
    campaign = models.CharField(max_length=MAX_TAG, blank=True)
    content = models.CharField(max_length=MAX_TAG, blank=True)
    network = models.CharField(max_length=32, blank=True)  # "" = not from a social network
    post = models.ForeignKey(
        "content.Post", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    link = models.ForeignKey(
        "links.ShortLink", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    pageviews = models.PositiveIntegerField(default=1)
    engaged_seconds = models.PositiveIntegerField(default=0)
    engaged = models.BooleanField(default=False)
    bounced = models.BooleanField(default=True)
    device = models.PositiveSmallIntegerField(choices=Device.choices, default=Device.OTHER)
    country = models.CharField(max_length=2, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["workspace", "started_at"], name="visit_ws_started"),
            models.Index(fields=["site", "visitor", "last_seen_at"], name="visit_site_visitor"),
            models.Index(fields=["site", "-last_seen_at"], name="visit_site_seen"),
            models.Index(fields=["post"], name="visit_post"),
        ]

    def __str__(self) -> str:
        return f"{self.site_id} {self.started_at.isoformat()} {self.source or '-'}"


class Goal:
    SIGNUP = "signup"
    PURCHASE = "purchase"
    REGISTRATION = "registration"
    BUILTIN = (SIGNUP, PURCHASE, REGISTRATION)
    CUSTOM_PREFIX = "custom:"


class Conversion(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+", db_index=False)
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="conversions", db_index=False)
    visit = models.ForeignKey(Visit, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField()
    goal = models.CharField(max_length=64)
    revenue = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    # Attribution: the visitor's last social visit within the window (30 days), copied here.
    network = models.CharField(max_length=32, blank=True)
    campaign = models.CharField(max_length=MAX_TAG, blank=True)
    post = models.ForeignKey(
        "content.Post", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    source = models.CharField(max_length=8)  # "page" or "server"
    order_id = models.CharField(max_length=100, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["site", "order_id"], condition=~models.Q(order_id=""), name="unique_site_order"
            )
        ]
        indexes = [
            models.Index(fields=["workspace", "at"], name="conversion_ws_at"),
            models.Index(fields=["site", "-at"], name="conversion_site_at"),
        ]

    def __str__(self) -> str:
        return f"{self.goal} @ {self.at.isoformat()}"

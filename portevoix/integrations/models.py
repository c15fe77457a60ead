"""Analytics integrations (a GA4 property, a Yandex Metrica counter) and the daily traffic they import.

``AnalyticsIntegration.credentials`` is encrypted by the token vault (the service account's JSON key, or
the Metrica OAuth token) and is never shown again once stored; ``account_label`` is what may be shown
(the service account's e-mail). ``TrafficDaily`` holds one narrow row per day x source x medium x
campaign x content, as the service reported it, replaced whole by each import of that day.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from portevoix.core.fields import EncryptedJSONField
from portevoix.core.models import TimeStampedModel
from portevoix.workspaces.models import Workspace

LABEL_LENGTH = 255


class IntegrationKind(models.TextChoices):
    GA4 = "ga4", _("Google Analytics 4")
    METRICA = "metrica", _("Yandex Metrica")


class IntegrationStatus(models.TextChoices):
    NEW = "new", _("Not imported yet")
    OK = "ok", _("Working")
    FAILED = "failed", _("Last import failed")


class AnalyticsIntegration(TimeStampedModel):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="analytics_integrations")
    kind = models.CharField(_("service"), max_length=16, choices=IntegrationKind.choices)
    name = models.CharField(_("name"), max_length=200)
    # GA4: {"property_id": "123", "conversion_metric": "keyEvents"}; Metrica: {"counter_id": 123,
    # "goal_ids": [1, 2], "ecommerce_revenue": false, "currency": "RUB"}. Validated by the services.
    config = models.JSONField(default=dict, blank=True)
    credentials = EncryptedJSONField(null=True)
    account_label = models.CharField(max_length=254, blank=True)  # GA4: the service account's e-mail
    active = models.BooleanField(default=True)
    status = models.CharField(max_length=16, choices=IntegrationStatus.choices, default=IntegrationStatus.NEW)
    last_run_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_rows = models.IntegerField(null=True, blank=True)  # rows stored by the last successful import
    next_run_at = models.DateTimeField(null=True, blank=True, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["kind", "name", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.name}"


class TrafficDaily(models.Model):
    """Sessions of one day and one source/medium/campaign/content, as GA4 or Metrica counted them.

    ``bounce_rate`` is a percentage in the service's own definition (GA4: sessions that were not engaged;
    Metrica: visits of one page view shorter than its threshold). ``None`` wherever the service gave no
    value (Metrica has no engaged sessions), never 0.
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    integration = models.ForeignKey(AnalyticsIntegration, on_delete=models.CASCADE, related_name="traffic")
    day = models.DateField()
    source = models.CharField(max_length=LABEL_LENGTH)
    medium = models.CharField(max_length=LABEL_LENGTH)
    campaign = models.CharField(max_length=LABEL_LENGTH)
    content = models.CharField(max_length=LABEL_LENGTH, default="", blank=True)
    sessions = models.PositiveIntegerField(default=0)
    engaged_sessions = models.PositiveIntegerField(null=True, blank=True)
    bounce_rate = models.FloatField(null=True, blank=True)
    avg_duration = models.FloatField(null=True, blank=True)  # seconds
    conversions = models.FloatField(null=True, blank=True)
    revenue = models.DecimalField(max_digits=18, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True)

    class Meta:
        ordering = ["day", "source", "medium", "campaign", "content"]
        constraints = [
            models.UniqueConstraint(
                fields=["integration", "day", "source", "medium", "campaign", "content"],
                name="unique_traffic_row_per_integration",
            )
        ]
        indexes = [models.Index(fields=["workspace", "day"], name="traffic_workspace_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.source}/{self.medium}/{self.campaign}: {self.sessions}"

"""Reports: the workspace's branding (its logo on every report) and report schedules (sent by e-mail).

The logo is small (capped in services.py) and stored in the database row itself, already checked and
cleaned (PNG or JPEG only, metadata removed): a report renders without touching file storage.

A schedule's ``next_run_at`` is the UTC instant of its next run, computed in the workspace's local wall
time (schedule.py). The periodic job claims a due schedule by moving ``next_run_at`` forward with a
conditional UPDATE: only one scheduler process wins a given run.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from portevoix.workspaces.models import Membership, Workspace


class ReportBranding(models.Model):
    workspace = models.OneToOneField(Workspace, on_delete=models.CASCADE, related_name="report_branding")
    logo = models.BinaryField(null=True, blank=True, editable=False)
    logo_type = models.CharField(max_length=20, blank=True)  # image/png or image/jpeg
    logo_width = models.PositiveIntegerField(null=True, blank=True)
    logo_height = models.PositiveIntegerField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"Report branding of {self.workspace_id}"

    @property
    def has_logo(self) -> bool:
        return bool(self.logo)


class Frequency(models.TextChoices):
    WEEKLY = "weekly", _("Weekly")
    MONTHLY = "monthly", _("Monthly")


class ReportFormat(models.TextChoices):
    PDF = "pdf", _("PDF")
    CSV = "csv", _("CSV")
    BOTH = "both", _("PDF and CSV")


class ReportSchedule(models.Model):
    """Weekly: on ``weekday`` (0 = Monday) at ``time_of_day``, the previous week (Monday to Sunday).
    Monthly: on ``day_of_month`` (the last day of a shorter month when it has no such day) at
    ``time_of_day``, the previous calendar month. Times are the workspace's local wall time."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="report_schedules")
    name = models.CharField(_("name"), max_length=120)
    frequency = models.CharField(_("frequency"), max_length=10, choices=Frequency.choices)
    weekday = models.PositiveSmallIntegerField(_("day of the week"), default=0)
    day_of_month = models.PositiveSmallIntegerField(_("day of the month"), default=1)
    time_of_day = models.TimeField(_("time"))
    report_format = models.CharField(_("format"), max_length=4, choices=ReportFormat.choices)
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    members = models.ManyToManyField(Membership, blank=True, related_name="+", verbose_name=_("members"))
    emails = models.JSONField(_("other e-mail addresses"), default=list, blank=True)
    active = models.BooleanField(_("active"), default=True)
    next_run_at = models.DateTimeField(null=True, blank=True)
    last_run_at = models.DateTimeField(null=True, blank=True)
    last_sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "pk"]
        indexes = [models.Index(fields=["active", "next_run_at"], name="reportschedule_due")]

    def __str__(self) -> str:
        return self.name

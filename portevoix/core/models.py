"""Base models shared by every app, and the small operational tables (heartbeats, periodic jobs)."""

from __future__ import annotations

from django.db import models


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class Heartbeat(models.Model):
    """The last sign of life of a background role ("worker", "scheduler"), read by /healthz."""

    name = models.CharField(max_length=64, primary_key=True)
    beat_at = models.DateTimeField()
    details = models.JSONField(default=dict, blank=True)

    def __str__(self) -> str:
        return f"{self.name} @ {self.beat_at.isoformat()}"


class PeriodicJobState(models.Model):
    """When a periodic job last ran; claimed with a conditional UPDATE so that several schedulers
    never enqueue the same run twice."""

    name = models.CharField(max_length=128, primary_key=True)
    last_run_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.name

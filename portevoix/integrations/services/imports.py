"""Talking to GA4 and Metrica: testing a connection and importing daily traffic.

An import run reads every page of the report first, then writes in one transaction: the rows of the
days it covers are replaced whole (a day re-imported replaces, never doubles). Any failure (HTTP error,
non-JSON, a missing field, a wrong type, a row of the wrong length) leaves the stored figures exactly as
they were and records a clear ``last_error``.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import DataError, IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portevoix.core.vault import VaultError
from portevoix.integrations.common import ImportFailed, Report, TrafficRow, short
from portevoix.integrations.ga4 import client as ga4
from portevoix.integrations.ga4.auth import ServiceAccountKey
from portevoix.integrations.metrica import client as metrica
from portevoix.integrations.models import (
    AnalyticsIntegration,
    IntegrationKind,
    IntegrationStatus,
    TrafficDaily,
)
from portevoix.integrations.services.validation import same_workspace
from portevoix.workspaces import audit, permissions
from portevoix.workspaces.models import Membership

logger = logging.getLogger(__name__)

REIMPORT_DAYS = 3  # both services revise the last days: they are imported again every run
BACKFILL_DAYS = 30  # the first import reaches this far back
MAX_CATCH_UP_DAYS = 90
IMPORT_EVERY = dt.timedelta(hours=24)
RETRY_AFTER_FAILURE = dt.timedelta(hours=2)


def _setting(name: str, default: str) -> str:
    return str(getattr(settings, name, "") or default)


def _ga4_config(integration: AnalyticsIntegration, credentials: Mapping[str, Any]) -> ga4.Ga4Config:
    try:
        key = ServiceAccountKey.from_json(credentials.get("key") or {})
    except ValueError as error:
        raise ImportFailed("config", str(error)) from None
    return ga4.Ga4Config(
        property_id=str(integration.config.get("property_id", "")),
        key=key,
        conversion_metric=str(integration.config.get("conversion_metric") or "keyEvents"),
        api_url=_setting("PORTEVOIX_GA4_API_URL", ga4.API_URL),
        token_url=_setting("PORTEVOIX_GA4_TOKEN_URL", ga4.TOKEN_URL),
        page_size=int(getattr(settings, "PORTEVOIX_GA4_PAGE_SIZE", ga4.PAGE_SIZE)),
    )


def _metrica_config(
    integration: AnalyticsIntegration, credentials: Mapping[str, Any]
) -> metrica.MetricaConfig:
    token = credentials.get("token")
    if not isinstance(token, str) or not token:
        raise ImportFailed("config", _("No OAuth token is stored: connect the counter again."))
    config = integration.config
    return metrica.MetricaConfig(
        counter_id=int(config.get("counter_id", 0)),
        token=token,
        goal_ids=tuple(int(goal) for goal in config.get("goal_ids", [])),
        ecommerce_revenue=bool(config.get("ecommerce_revenue", False)),
        currency=str(config.get("currency") or "RUB"),
        api_url=_setting("PORTEVOIX_METRICA_API_URL", metrica.API_URL),
        page_size=int(getattr(settings, "PORTEVOIX_METRICA_PAGE_SIZE", metrica.PAGE_SIZE)),
    )


def fetch_report(
    integration: AnalyticsIntegration, start: dt.date, end: dt.date, *, max_rows: int | None = None
) -> Report:
    """The service's rows for ``start``..``end``; ImportFailed on any problem (never another exception
    for bad answers or credentials that cannot be read)."""
    try:
        credentials = integration.credentials.reveal() if integration.credentials is not None else None
    except VaultError:
        raise ImportFailed(
            "config", _("The stored credentials cannot be decrypted: connect again.")
        ) from None
    if not isinstance(credentials, dict):
        raise ImportFailed("config", _("No credentials are stored: connect again."))
    try:
        if integration.kind == IntegrationKind.GA4:
            return ga4.run_report(_ga4_config(integration, credentials), start, end, max_rows=max_rows)
        if integration.kind == IntegrationKind.METRICA:
            return metrica.fetch(_metrica_config(integration, credentials), start, end, max_rows=max_rows)
    except (ValueError, TypeError, KeyError) as error:  # a stored config that cannot be used
        raise ImportFailed(
            "config",
            _("The integration's settings are not valid: %(type)s.") % {"type": type(error).__name__},
        ) from None
    raise ImportFailed("config", _("Unknown kind of integration."))


@dataclass(frozen=True)
class TestResult:
    ok: bool
    message: str
    rows: int = 0


def integration_test(*, by: Membership, integration: AnalyticsIntegration) -> TestResult:
    """Ask the service for one row of the last two days. Writes nothing: stored figures stay as they are."""
    permissions.require(by, "analytics.manage")
    same_workspace(by, integration)
    today = timezone.localdate(timezone=by.workspace.tzinfo)
    try:
        report = fetch_report(integration, today - dt.timedelta(days=1), today, max_rows=1)
    except ImportFailed as failure:
        logger.info("Integration %s test failed: %s", integration.pk, failure.code)
        return TestResult(ok=False, message=failure.message)
    return TestResult(ok=True, message=_("The connection works."), rows=len(report.rows))


# --- Importing ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportResult:
    ok: bool
    start: dt.date | None = None
    end: dt.date | None = None
    rows: int = 0
    message: str = ""


def import_window(integration: AnalyticsIntegration, *, today: dt.date) -> tuple[dt.date, dt.date]:
    """From 30 days back on the first import; otherwise the last 3 days, reaching back to the last
    success when runs were missed (at most 90 days)."""
    if integration.last_success_at is None:
        days = BACKFILL_DAYS
    else:
        missed = (today - integration.last_success_at.date()).days
        days = min(max(REIMPORT_DAYS, missed + REIMPORT_DAYS - 1), MAX_CATCH_UP_DAYS)
    return today - dt.timedelta(days=days - 1), today


def _merge(rows: Sequence[TrafficRow]) -> dict[tuple[dt.date, str, str, str, str], dict[str, Any]]:
    """Rows by key; two rows that share one (labels cut to the same text) are added up, with bounce rate
    and duration weighted by sessions."""

    def add(a: float | Decimal | None, b: float | Decimal | None) -> Any:
        return b if a is None else a if b is None else a + b  # type: ignore[operator]

    merged: dict[tuple[dt.date, str, str, str, str], dict[str, Any]] = {}
    for row in rows:
        fields = {
            "sessions": row.sessions,
            "engaged_sessions": row.engaged_sessions,
            "bounce_rate": row.bounce_rate,
            "avg_duration": row.avg_duration,
            "conversions": row.conversions,
            "revenue": row.revenue,
        }
        known = merged.get(row.key)
        if known is None:
            merged[row.key] = fields
            continue
        total = known["sessions"] + row.sessions
        for name in ("bounce_rate", "avg_duration"):
            a, b = known[name], fields[name]
            if a is None or b is None or total == 0:
                known[name] = add(a, b) if (a is None or b is None) else a
            else:
                known[name] = (a * known["sessions"] + b * row.sessions) / total
        for name in ("engaged_sessions", "conversions", "revenue"):
            known[name] = add(known[name], fields[name])
        known["sessions"] = total
    return merged


def _store(integration_id: int, report: Report, start: dt.date, end: dt.date, now: dt.datetime) -> int:
    outside = [row.day for row in report.rows if not start <= row.day <= end]
    if outside:
        raise ImportFailed(
            "bad_answer",
            _("The answer holds a day outside the period asked for (%(day)s).") % {"day": outside[0]},
        )
    merged = _merge(report.rows)
    with transaction.atomic():
        integration = AnalyticsIntegration.objects.select_for_update().get(pk=integration_id)
        TrafficDaily.objects.filter(integration=integration, day__gte=start, day__lte=end).delete()
        TrafficDaily.objects.bulk_create(
            [
                TrafficDaily(
                    workspace_id=integration.workspace_id,
                    integration=integration,
                    day=day,
                    source=source,
                    medium=medium,
                    campaign=campaign,
                    content=content,
                    currency=report.currency if values["revenue"] is not None else "",
                    **values,
                )
                for (day, source, medium, campaign, content), values in merged.items()
            ],
            batch_size=500,
        )
        AnalyticsIntegration.objects.filter(pk=integration_id).update(
            status=IntegrationStatus.OK,
            last_run_at=now,
            last_success_at=now,
            last_error="",
            last_rows=len(merged),
            next_run_at=now + IMPORT_EVERY,
        )
    return len(merged)


def integration_import(*, integration_id: int, now: dt.datetime | None = None) -> ImportResult:
    """One import run (the worker's job): fetch every page, then replace the covered days in one
    transaction. A failure writes only the status, ``last_error`` and when to try again."""
    now = now or timezone.now()
    integration = AnalyticsIntegration.objects.select_related("workspace").filter(pk=integration_id).first()
    if integration is None:
        return ImportResult(ok=False, message=_("No such integration."))
    today = timezone.localdate(now, timezone=integration.workspace.tzinfo)
    start, end = import_window(integration, today=today)
    try:
        report = fetch_report(integration, start, end)
        try:
            rows = _store(integration_id, report, start, end, now)
        except AnalyticsIntegration.DoesNotExist:  # disconnected while the report was read
            return ImportResult(ok=False, message=_("No such integration."))
        except (DataError, IntegrityError) as error:
            logger.exception("Import of integration %s could not be stored", integration_id)
            raise ImportFailed(
                "bad_answer", _("The answer could not be stored (%(type)s).") % {"type": type(error).__name__}
            ) from None
    except ImportFailed as failure:
        retry = RETRY_AFTER_FAILURE
        if failure.retry_after:
            retry = max(retry, dt.timedelta(seconds=min(failure.retry_after, 86400)))
        message = short(failure.message)
        AnalyticsIntegration.objects.filter(pk=integration_id).update(
            status=IntegrationStatus.FAILED, last_run_at=now, last_error=message, next_run_at=now + retry
        )
        logger.warning("Import of integration %s failed (%s): %s", integration_id, failure.code, message)
        return ImportResult(ok=False, start=start, end=end, message=message)
    logger.info("Imported %s rows for integration %s (%s to %s)", rows, integration_id, start, end)
    return ImportResult(ok=True, start=start, end=end, rows=rows)


def integration_import_request(*, by: Membership, integration: AnalyticsIntegration) -> None:
    """ "Import now": queue a run for the worker."""
    permissions.require(by, "analytics.manage")
    same_workspace(by, integration)
    with transaction.atomic():
        audit.record(actor=by.user, action="integration.import", workspace=by.workspace, obj=integration)
    enqueue_import(integration.pk)


def enqueue_import(integration_id: int) -> None:
    from portevoix.integrations.tasks import import_integration

    transaction.on_commit(lambda: import_integration.enqueue(integration_id))


def integrations_import_due(*, now: dt.datetime | None = None) -> list[int]:
    """Queue a run for every active integration whose next run is due; each is claimed with a conditional
    UPDATE (moving ``next_run_at`` forward) so that two schedulers never queue the same run twice."""
    now = now or timezone.now()
    due = AnalyticsIntegration.objects.filter(
        active=True, next_run_at__lte=now
    ) | AnalyticsIntegration.objects.filter(active=True, next_run_at__isnull=True)
    queued: list[int] = []
    for integration_id, next_run_at in due.values_list("pk", "next_run_at"):
        claimed = AnalyticsIntegration.objects.filter(pk=integration_id, next_run_at=next_run_at).update(
            next_run_at=now + RETRY_AFTER_FAILURE
        )
        if claimed:
            with transaction.atomic():
                enqueue_import(integration_id)
            queued.append(integration_id)
    return queued

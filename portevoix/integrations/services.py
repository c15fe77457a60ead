"""Writes for analytics integrations: connecting GA4 and Metrica, changing and removing them, testing the
connection, and importing their daily traffic.

An import run reads every page of the report first, then writes in one transaction: the rows of the
days it covers are replaced whole (a day re-imported replaces, never doubles). Any failure (HTTP error,
non-JSON, a missing field, a wrong type, a row of the wrong length) leaves the stored figures exactly as
they were and records a clear ``last_error``.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portevoix.core.errors import ValidationFailed
from portevoix.core.vault import VaultError
from portevoix.integrations.common import ImportFailed, Report, TrafficRow, short
from portevoix.integrations.ga4 import client as ga4
from portevoix.integrations.ga4.auth import ServiceAccountKey, assertion
from portevoix.integrations.metrica import client as metrica
from portevoix.integrations.models import (
    AnalyticsIntegration,
    IntegrationKind,
    IntegrationStatus,
    TrafficDaily,
)
from portevoix.workspaces import audit, permissions
from portevoix.workspaces.models import Membership

logger = logging.getLogger(__name__)

MAX_KEY_BYTES = 20_000  # a service account key file is about 2.3 KB
MAX_TOKEN_LENGTH = 500
MAX_NAME = 200
REIMPORT_DAYS = 3  # both services revise the last days: they are imported again every run
BACKFILL_DAYS = 30  # the first import reaches this far back
MAX_CATCH_UP_DAYS = 90
IMPORT_EVERY = dt.timedelta(hours=24)
RETRY_AFTER_FAILURE = dt.timedelta(hours=2)
CURRENCY_LENGTH = 3


# --- Configuration ------------------------------------------------------------------------------


def _setting(name: str, default: str) -> str:
    return str(getattr(settings, name, "") or default)


def _invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, fields={field: [message]})


def clean_name(name: object) -> str:
    if not isinstance(name, str) or not name.strip() or "\x00" in name:
        raise _invalid("name", _("Enter a name."))
    name = name.strip()
    if len(name) > MAX_NAME:
        raise _invalid("name", _("Use at most %(max)s characters.") % {"max": MAX_NAME})
    return name


def parse_service_account_key(raw: object) -> tuple[dict[str, Any], ServiceAccountKey]:
    """The pasted or uploaded key file: JSON text (or bytes, or an object) with client_email, private_key
    and token_uri. Raises ValidationFailed on the ``key_json`` field."""
    if isinstance(raw, bytes):
        if len(raw) > MAX_KEY_BYTES:
            raise _invalid("key_json", _("The key file is too large: a service account key is about 2 KB."))
        try:
            raw = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise _invalid("key_json", _("The key file is not UTF-8 text.")) from None
    if isinstance(raw, str):
        if len(raw) > MAX_KEY_BYTES:
            raise _invalid("key_json", _("The key file is too large: a service account key is about 2 KB."))
        if not raw.strip():
            raise _invalid("key_json", _("Paste or upload the service account's JSON key file."))
        try:
            raw = json.loads(raw)
        except ValueError:
            raise _invalid("key_json", _("The key file is not valid JSON.")) from None
    if not isinstance(raw, dict):
        raise _invalid("key_json", _("The key file must be a JSON object."))
    try:
        key = ServiceAccountKey.from_json(raw)
    except ValueError as error:
        raise _invalid("key_json", str(error)) from None
    try:
        assertion(key, audience="https://oauth2.googleapis.com/token")  # the key can sign
    except ImportFailed:
        raise _invalid("key_json", _("The key file's private key could not be read.")) from None
    kept = {
        name: raw[name]
        for name in ("type", "client_email", "private_key", "private_key_id", "token_uri")
        if name in raw
    }
    return kept, key


def clean_property_id(value: object) -> str:
    text = str(value).strip() if isinstance(value, str | int) and not isinstance(value, bool) else ""
    text = text.removeprefix("properties/")
    if not text.isascii() or not text.isdigit() or len(text) > 20 or int(text) == 0:
        raise _invalid("property_id", _("Enter the numeric GA4 property id (Admin > Property details)."))
    return text


def clean_conversion_metric(value: object) -> str:
    value = value or "keyEvents"
    if value not in ga4.CONVERSION_METRICS:
        raise _invalid("conversion_metric", _("Choose keyEvents or conversions."))
    return str(value)


def clean_counter_id(value: object) -> int:
    text = str(value).strip() if isinstance(value, str | int) and not isinstance(value, bool) else ""
    if not text.isascii() or not text.isdigit() or len(text) > 12 or int(text) == 0:
        raise _invalid("counter_id", _("Enter the numeric Metrica counter (tag) number."))
    return int(text)


def clean_goal_ids(value: object) -> list[int]:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        parts: Iterable[Any] = [part.strip() for part in value.replace(";", ",").replace(" ", ",").split(",")]
        parts = [part for part in parts if part]
    elif isinstance(value, list | tuple):
        parts = value
    else:
        raise _invalid("goal_ids", _("Enter goal numbers separated by commas."))
    goals: list[int] = []
    for part in parts:
        text = str(part) if isinstance(part, str | int) and not isinstance(part, bool) else ""
        if not text.isascii() or not text.isdigit() or len(text) > 12 or int(text) == 0:
            raise _invalid("goal_ids", _("Enter goal numbers separated by commas."))
        if int(text) not in goals:
            goals.append(int(text))
    if len(goals) > metrica.MAX_GOALS:
        raise _invalid("goal_ids", _("At most %(n)s goals per counter.") % {"n": metrica.MAX_GOALS})
    return goals


def clean_currency(value: object) -> str:
    text = (value or "RUB") if isinstance(value, str) else ""
    text = text.strip().upper()
    if len(text) != CURRENCY_LENGTH or not text.isascii() or not text.isalpha():
        raise _invalid("currency", _("Enter a three-letter currency code, e.g. RUB."))
    return text


def clean_token(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _invalid("token", _("Paste the OAuth token."))
    token = value.strip().removeprefix("OAuth ").strip()
    if len(token) > MAX_TOKEN_LENGTH or not token.isascii() or any(ch.isspace() for ch in token):
        raise _invalid("token", _("This does not look like an OAuth token."))
    return token


# --- Connecting, changing, removing ---------------------------------------------------------------


def integration_connect_ga4(
    *,
    by: Membership,
    name: object,
    property_id: object,
    key_json: object,
    conversion_metric: object = "keyEvents",
) -> AnalyticsIntegration:
    """Connect a GA4 property with a service account's JSON key (stored encrypted, never shown again)."""
    permissions.require(by, "analytics.manage")
    clean = clean_name(name)
    config = {
        "property_id": clean_property_id(property_id),
        "conversion_metric": clean_conversion_metric(conversion_metric),
    }
    key_data, key = parse_service_account_key(key_json)
    return _create(
        by=by,
        kind=IntegrationKind.GA4,
        name=clean,
        config=config,
        credentials={"key": key_data},
        label=key.client_email,
    )


def integration_connect_metrica(
    *,
    by: Membership,
    name: object,
    counter_id: object,
    token: object,
    goal_ids: object = (),
    ecommerce_revenue: object = False,
    currency: object = "RUB",
) -> AnalyticsIntegration:
    """Connect a Yandex Metrica counter with an OAuth token (scope metrika:read; stored encrypted)."""
    permissions.require(by, "analytics.manage")
    clean = clean_name(name)
    config = {
        "counter_id": clean_counter_id(counter_id),
        "goal_ids": clean_goal_ids(goal_ids),
        "ecommerce_revenue": bool(ecommerce_revenue),
        "currency": clean_currency(currency),
    }
    return _create(
        by=by,
        kind=IntegrationKind.METRICA,
        name=clean,
        config=config,
        credentials={"token": clean_token(token)},
        label="",
    )


def _create(
    *, by: Membership, kind: str, name: str, config: dict[str, Any], credentials: dict[str, Any], label: str
) -> AnalyticsIntegration:
    with transaction.atomic():
        integration = AnalyticsIntegration.objects.create(
            workspace=by.workspace,
            kind=kind,
            name=name,
            config=config,
            credentials=credentials,
            account_label=label,
            created_by=by.user,
            next_run_at=timezone.now(),
        )
        audit.record(
            actor=by.user, action="integration.connect", workspace=by.workspace, obj=integration, kind=kind
        )
    _enqueue_import(integration.pk)
    return integration


def integration_update(
    *, by: Membership, integration: AnalyticsIntegration, changes: Mapping[str, Any]
) -> AnalyticsIntegration:
    """Change the name, pause or resume (``active``), the settings of its kind, or give new credentials
    (``key_json`` for GA4, ``token`` for Metrica). Keys of ``changes`` that are None are left alone."""
    permissions.require(by, "analytics.manage")
    _same_workspace(by, integration)
    changes = {key: value for key, value in changes.items() if value is not None}
    ga4_fields = {"property_id", "conversion_metric", "key_json"}
    metrica_fields = {"counter_id", "goal_ids", "ecommerce_revenue", "currency", "token"}
    foreign = (metrica_fields if integration.kind == IntegrationKind.GA4 else ga4_fields) & set(changes)
    if foreign:
        field = sorted(foreign)[0]
        raise _invalid(
            field, _("This setting does not apply to %(kind)s.") % {"kind": integration.get_kind_display()}
        )
    config = dict(integration.config)
    fields = ["config", "updated_at"]
    if "name" in changes:
        integration.name = clean_name(changes["name"])
        fields.append("name")
    if "active" in changes:
        integration.active = bool(changes["active"])
        fields.append("active")
    if "property_id" in changes:
        config["property_id"] = clean_property_id(changes["property_id"])
    if "conversion_metric" in changes:
        config["conversion_metric"] = clean_conversion_metric(changes["conversion_metric"])
    if "counter_id" in changes:
        config["counter_id"] = clean_counter_id(changes["counter_id"])
    if "goal_ids" in changes:
        config["goal_ids"] = clean_goal_ids(changes["goal_ids"])
    if "ecommerce_revenue" in changes:
        config["ecommerce_revenue"] = bool(changes["ecommerce_revenue"])
    if "currency" in changes:
        config["currency"] = clean_currency(changes["currency"])
    if "key_json" in changes:
        key_data, key = parse_service_account_key(changes["key_json"])
        integration.credentials = {"key": key_data}
        integration.account_label = key.client_email
        fields += ["credentials", "account_label"]
    if "token" in changes:
        integration.credentials = {"token": clean_token(changes["token"])}
        fields.append("credentials")
    integration.config = config
    with transaction.atomic():
        integration.save(update_fields=fields)
        audit.record(
            actor=by.user,
            action="integration.update",
            workspace=by.workspace,
            obj=integration,
            changed=sorted(key if key not in {"key_json", "token"} else "credentials" for key in changes),
        )
    return integration


def integration_delete(*, by: Membership, integration: AnalyticsIntegration) -> None:
    """Disconnect: the integration, its stored credentials and the traffic it imported are removed."""
    permissions.require(by, "analytics.manage")
    _same_workspace(by, integration)
    with transaction.atomic():
        audit.record(
            actor=by.user,
            action="integration.disconnect",
            workspace=by.workspace,
            obj=integration,
            kind=integration.kind,
        )
        integration.delete()


def _same_workspace(by: Membership, integration: AnalyticsIntegration) -> None:
    if integration.workspace_id != by.workspace_id:
        from portevoix.core.errors import NotFound

        raise NotFound(_("No such integration."))


# --- Talking to the services ----------------------------------------------------------------------


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
    _same_workspace(by, integration)
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
        rows = _store(integration_id, report, start, end, now)
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
    _same_workspace(by, integration)
    with transaction.atomic():
        audit.record(actor=by.user, action="integration.import", workspace=by.workspace, obj=integration)
    _enqueue_import(integration.pk)


def _enqueue_import(integration_id: int) -> None:
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
                _enqueue_import(integration_id)
            queued.append(integration_id)
    return queued

"""Connecting GA4 and Metrica, changing and disconnecting them. Credentials are stored encrypted by the
token vault and never returned."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portevoix.integrations.models import (
    AnalyticsIntegration,
    IntegrationKind,
)
from portevoix.integrations.services.imports import enqueue_import
from portevoix.integrations.services.validation import (
    clean_conversion_metric,
    clean_counter_id,
    clean_currency,
    clean_goal_ids,
    clean_name,
    clean_property_id,
    clean_token,
    invalid,
    parse_service_account_key,
    same_workspace,
)
from portevoix.workspaces import audit, permissions
from portevoix.workspaces.models import Membership


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
    enqueue_import(integration.pk)
    return integration


def integration_update(
    *, by: Membership, integration: AnalyticsIntegration, changes: Mapping[str, Any]
) -> AnalyticsIntegration:
    """Change the name, pause or resume (``active``), the settings of its kind, or give new credentials
    (``key_json`` for GA4, ``token`` for Metrica). Keys of ``changes`` that are None are left alone."""
    permissions.require(by, "analytics.manage")
    same_workspace(by, integration)
    changes = {key: value for key, value in changes.items() if value is not None}
    ga4_fields = {"property_id", "conversion_metric", "key_json"}
    metrica_fields = {"counter_id", "goal_ids", "ecommerce_revenue", "currency", "token"}
    foreign = (metrica_fields if integration.kind == IntegrationKind.GA4 else ga4_fields) & set(changes)
    if foreign:
        field = sorted(foreign)[0]
        raise invalid(
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
    same_workspace(by, integration)
    with transaction.atomic():
        audit.record(
            actor=by.user,
            action="integration.disconnect",
            workspace=by.workspace,
            obj=integration,
            kind=integration.kind,
        )
        integration.delete()

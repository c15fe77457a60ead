"""The integrations API: GA4 and Metrica integrations (list, connect, read, change, disconnect, test, import
now) and the imported traffic. Thin: selectors and services check the role and the workspace. Secrets are
accepted and never returned."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Path, Query, Router, Status

from portevoix.core.api import MAX_ID, error_responses
from portevoix.core.errors import ValidationFailed
from portevoix.integrations import selectors, services
from portevoix.integrations.models import AnalyticsIntegration, IntegrationKind
from portevoix.integrations.schemas import (
    ImportOut,
    IntegrationCreateIn,
    IntegrationDeleteOut,
    IntegrationListParams,
    IntegrationOut,
    IntegrationPage,
    IntegrationUpdateIn,
    TestOut,
    TrafficOut,
    TrafficParams,
)
from portevoix.workspaces import permissions
from portevoix.workspaces.api_auth import API_AUTH, member

router = Router(auth=API_AUTH, tags=["integrations"])

ID = Path(..., ge=1, le=MAX_ID, description="The integration's id.")


def integration_out(integration: AnalyticsIntegration) -> dict[str, Any]:
    return {
        "id": integration.pk,
        "kind": integration.kind,
        "name": integration.name,
        "config": dict(integration.config),
        "credentials": {
            "set": integration.credentials is not None,
            "client_email": integration.account_label,
        },
        "active": integration.active,
        "status": integration.status,
        "last_run_at": integration.last_run_at,
        "last_success_at": integration.last_success_at,
        "last_error": integration.last_error,
        "last_rows": integration.last_rows,
        "next_run_at": integration.next_run_at,
        "created_at": integration.created_at,
    }


@router.get(
    "/integrations",
    response={200: IntegrationPage, **error_responses(403)},
    summary="List analytics integrations",
)
def integration_list(request: HttpRequest, params: Query[IntegrationListParams]) -> dict[str, Any]:
    integrations = selectors.integration_list(by=member(request))
    return {
        "items": [
            integration_out(item) for item in integrations[params.offset : params.offset + params.limit]
        ],
        "count": integrations.count(),
        "limit": params.limit,
        "offset": params.offset,
    }


def _missing(field: str) -> ValidationFailed:
    return ValidationFailed(_("This field is required."), fields={field: [_("This field is required.")]})


@router.post(
    "/integrations",
    response={201: IntegrationOut, **error_responses(403)},
    summary="Connect GA4 or Yandex Metrica",
    description="GA4: `property_id` and `key_json` (the service account's JSON key file as text). "
    "Metrica: `counter_id`, `token` (OAuth, scope metrika:read) and optional `goal_ids`. The first "
    "import (30 days) is queued at once. See docs/integrations.md.",
)
def integration_create(request: HttpRequest, payload: IntegrationCreateIn) -> Status[Any]:
    by = member(request)
    permissions.require(by, "analytics.manage")
    if payload.kind == IntegrationKind.GA4:
        for field in ("property_id", "key_json"):
            if getattr(payload, field) is None:
                raise _missing(field)
        integration = services.integration_connect_ga4(
            by=by,
            name=payload.name,
            property_id=payload.property_id,
            key_json=payload.key_json,
            conversion_metric=payload.conversion_metric or "keyEvents",
        )
    else:
        for field in ("counter_id", "token"):
            if getattr(payload, field) is None:
                raise _missing(field)
        integration = services.integration_connect_metrica(
            by=by,
            name=payload.name,
            counter_id=payload.counter_id,
            token=payload.token,
            goal_ids=payload.goal_ids or [],
            ecommerce_revenue=bool(payload.ecommerce_revenue),
            currency=payload.currency or "RUB",
        )
    return Status(201, integration_out(integration))


@router.get(
    "/integrations/{id}",
    response={200: IntegrationOut, **error_responses(403, 404)},
    summary="One integration",
)
def integration_get(request: HttpRequest, id: int = ID) -> dict[str, Any]:
    return integration_out(selectors.integration_get(by=member(request), integration_id=id))


@router.patch(
    "/integrations/{id}",
    response={200: IntegrationOut, **error_responses(403, 404)},
    summary="Change, pause or give new credentials to an integration",
)
def integration_update(request: HttpRequest, payload: IntegrationUpdateIn, id: int = ID) -> dict[str, Any]:
    by = member(request)
    integration = selectors.integration_get(by=by, integration_id=id)
    changes = payload.model_dump(exclude_unset=True)
    return integration_out(services.integration_update(by=by, integration=integration, changes=changes))


@router.delete(
    "/integrations/{id}",
    response={200: IntegrationDeleteOut, **error_responses(403, 404)},
    summary="Disconnect an integration (its imported traffic is removed too)",
)
def integration_delete(request: HttpRequest, id: int = ID) -> dict[str, Any]:
    by = member(request)
    services.integration_delete(by=by, integration=selectors.integration_get(by=by, integration_id=id))
    return {"deleted": True}


@router.post(
    "/integrations/{id}/test",
    response={200: TestOut, **error_responses(403, 404)},
    summary="Test the connection",
    description="Asks the service for one row of the last two days; writes nothing. A failure is `ok: false` "
    "with the reason (wrong key, no access to the property, quota...).",
)
def integration_test(request: HttpRequest, id: int = ID) -> dict[str, Any]:
    by = member(request)
    result = services.integration_test(by=by, integration=selectors.integration_get(by=by, integration_id=id))
    return {"ok": result.ok, "message": result.message, "rows": result.rows}


@router.post(
    "/integrations/{id}/import",
    response={202: ImportOut, **error_responses(403, 404)},
    summary="Import now",
    description="Queues an import of the recent days (30 on the first run, else 3 or back to the last "
    "success). Its outcome shows in `status`, `last_run_at` and `last_error`.",
)
def integration_import(request: HttpRequest, id: int = ID) -> Status[Any]:
    by = member(request)
    services.integration_import_request(
        by=by, integration=selectors.integration_get(by=by, integration_id=id)
    )
    return Status(202, {"queued": True})


@router.get(
    "/traffic",
    response={200: TrafficOut, **error_responses(403, 404)},
    summary="Imported traffic by integration, source, medium and campaign",
    description="Sums of sessions, conversions and revenue; bounce rate (percent, each service's own "
    "definition) and visit duration weighted by sessions; null where the service gives no value. Days as "
    "each service dates them. At most 731 days.",
)
def traffic_list(request: HttpRequest, params: Query[TrafficParams]) -> dict[str, Any]:
    start, end, rows = selectors.traffic_report(
        by=member(request),
        start=params.start,
        end=params.end,
        integration_id=params.integration_id,
        source=params.source,
        medium=params.medium,
        campaign=params.campaign,
    )
    return {
        "start": start,
        "end": end,
        "rows": [{**row, "integration_id": row["integration"]} for row in rows],
    }

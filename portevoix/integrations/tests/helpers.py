"""Shared pieces of the integrations' app tests: connecting through the services, and mocking the two APIs
with their documented fixtures."""

from __future__ import annotations

import json
from typing import Any

import httpx

from portevoix.integrations import services
from portevoix.integrations.conftest import GA4_API, GA4_TOKEN, METRICA_API, fixture
from portevoix.integrations.models import AnalyticsIntegration
from portevoix.workspaces.models import Membership

PROPERTY = "123456789"
REPORT_URL = f"{GA4_API}/v1beta/properties/{PROPERTY}:runReport"
DATA_URL = f"{METRICA_API}/stat/v1/data"
METRICA_TOKEN = "y0_AgAAAAAsecretmetricatoken"
ACCESS_TOKEN = "ya29.c.test-access-token"


def connect_ga4(by: Membership, service_account: dict[str, str], **extra: Any) -> AnalyticsIntegration:
    return services.integration_connect_ga4(
        by=by, name="Site GA4", property_id=PROPERTY, key_json=json.dumps(service_account), **extra
    )


def connect_metrica(by: Membership, **extra: Any) -> AnalyticsIntegration:
    values: dict[str, Any] = {"name": "Site Metrica", "counter_id": "44147844", "token": METRICA_TOKEN}
    values["goal_ids"] = "1001, 1002"
    values.update(extra)
    return services.integration_connect_metrica(by=by, **values)


def mock_ga4(respx_mock: Any, *pages: httpx.Response | dict[str, Any]) -> Any:
    respx_mock.post(GA4_TOKEN).mock(return_value=httpx.Response(200, json=fixture("ga4", "token.json")))
    answers = [page if isinstance(page, httpx.Response) else httpx.Response(200, json=page) for page in pages]
    return respx_mock.post(REPORT_URL).mock(side_effect=answers)


def mock_metrica(respx_mock: Any, *pages: httpx.Response | dict[str, Any]) -> Any:
    answers = [page if isinstance(page, httpx.Response) else httpx.Response(200, json=page) for page in pages]
    return respx_mock.get(DATA_URL).mock(side_effect=answers)


def ga4_pages() -> tuple[dict[str, Any], dict[str, Any]]:
    return fixture("ga4", "runreport_page1.json"), fixture("ga4", "runreport_page2.json")


def metrica_pages() -> tuple[dict[str, Any], dict[str, Any]]:
    return fixture("metrica", "data_page1.json"), fixture("metrica", "data_page2.json")

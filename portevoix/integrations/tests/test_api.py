"""The integrations API: connecting, reading (never a secret), changing, testing, importing, disconnecting,
and the traffic report."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import httpx
import pytest

from portevoix.integrations import services
from portevoix.integrations.conftest import fixture
from portevoix.integrations.models import AnalyticsIntegration, TrafficDaily
from portevoix.integrations.tests.helpers import (
    METRICA_TOKEN,
    connect_ga4,
    connect_metrica,
    mock_ga4,
)
from portevoix.workspaces.roles import Role

pytestmark = pytest.mark.django_db


def post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def patch(client, url, body):
    return client.patch(url, json.dumps(body), content_type="application/json")


def assert_no_secret(text: str, service_account: dict[str, str]) -> None:
    assert "PRIVATE KEY" not in text
    assert service_account["private_key"][40:80] not in text
    assert METRICA_TOKEN not in text
    assert "vault:v1" not in text


def test_connect_ga4_and_read_it_back_without_the_key(team, service_account, api_client_for):
    client = api_client_for(team.member(Role.ANALYST))
    response = post(
        client,
        "/api/v1/integrations",
        {"kind": "ga4", "name": "Shop", "property_id": "123456789", "key_json": json.dumps(service_account)},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["kind"] == "ga4"
    assert body["config"] == {"property_id": "123456789", "conversion_metric": "keyEvents"}
    assert body["credentials"] == {"set": True, "client_email": service_account["client_email"]}
    assert body["status"] == "new"
    assert_no_secret(response.content.decode(), service_account)
    listed = client.get("/api/v1/integrations")
    assert listed.json()["count"] == 1
    assert_no_secret(listed.content.decode(), service_account)
    one = client.get(f"/api/v1/integrations/{body['id']}")
    assert one.json()["name"] == "Shop"
    assert_no_secret(one.content.decode(), service_account)


def test_connect_metrica_without_a_token_is_refused(team, api_client_for):
    client = api_client_for(team.member(Role.OWNER))
    response = post(
        client, "/api/v1/integrations", {"kind": "metrica", "name": "M", "counter_id": "44147844"}
    )
    assert response.status_code == 422
    assert "token" in response.json()["error"]["fields"]
    response = post(
        client,
        "/api/v1/integrations",
        {
            "kind": "metrica",
            "name": "M",
            "counter_id": "44147844",
            "token": METRICA_TOKEN,
            "goal_ids": [1, 2],
        },
    )
    assert response.status_code == 201
    assert response.json()["config"]["goal_ids"] == [1, 2]
    assert response.json()["credentials"] == {"set": True, "client_email": ""}
    assert METRICA_TOKEN not in response.content.decode()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "ga4", "name": "G", "property_id": "123", "key_json": "{}"}, "key_json"),
        ({"kind": "ga4", "name": "G", "property_id": "12a", "key_json": "{}"}, "property_id"),
        ({"kind": "ga4", "name": "G", "property_id": "123"}, "key_json"),
        (
            {"kind": "metrica", "name": "M", "counter_id": "1", "token": "t", "goal_ids": list(range(1, 10))},
            "goal_ids",
        ),
        ({"kind": "yandex", "name": "M"}, "kind"),
        ({"kind": "metrica", "name": "M", "counter_id": "1", "token": "t", "surprise": 1}, "surprise"),
    ],
)
def test_bad_bodies_are_422_with_the_field(team, api_client_for, body, field):
    response = post(api_client_for(team.member(Role.OWNER)), "/api/v1/integrations", body)
    assert response.status_code == 422, response.content
    assert field in response.json()["error"]["fields"]
    assert not AnalyticsIntegration.objects.exists()


def test_patch_changes_settings_and_replaces_credentials(team, service_account, api_client_for):
    integration = connect_metrica(team.member(Role.OWNER))
    client = api_client_for(team.member(Role.MANAGER))
    url = f"/api/v1/integrations/{integration.pk}"
    response = patch(client, url, {"goal_ids": [7], "active": False, "token": "y0_new-token"})
    assert response.status_code == 200, response.content
    assert response.json()["config"]["goal_ids"] == [7]
    assert response.json()["active"] is False
    assert "y0_new-token" not in response.content.decode()
    integration.refresh_from_db()
    assert integration.credentials.reveal() == {"token": "y0_new-token"}
    refused = patch(client, url, {"property_id": "123"})
    assert refused.status_code == 422
    assert "property_id" in refused.json()["error"]["fields"]


def test_test_endpoint_reports_the_outcome(team, service_account, api_client_for, respx_mock):
    integration = connect_ga4(team.member(Role.OWNER), service_account)
    client = api_client_for(team.member(Role.OWNER))
    mock_ga4(respx_mock, httpx.Response(403, json=fixture("ga4", "error_403.json")))
    response = client.post(f"/api/v1/integrations/{integration.pk}/test")
    assert response.status_code == 200
    assert response.json()["ok"] is False
    assert "sufficient permissions" in response.json()["message"]
    respx_mock.reset()
    mock_ga4(respx_mock, fixture("ga4", "runreport_empty.json"))
    assert client.post(f"/api/v1/integrations/{integration.pk}/test").json() == {
        "ok": True,
        "message": "The connection works.",
        "rows": 0,
    }


def test_import_now_queues_a_run(team, service_account, api_client_for, django_capture_on_commit_callbacks):
    from django_tasks_db.models import DBTaskResult

    integration = connect_ga4(team.member(Role.OWNER), service_account)
    before = DBTaskResult.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client_for(team.member(Role.OWNER)).post(
            f"/api/v1/integrations/{integration.pk}/import"
        )
    assert response.status_code == 202
    assert response.json() == {"queued": True}
    assert DBTaskResult.objects.count() == before + 1


def test_delete_removes_the_integration_and_its_traffic(team, service_account, api_client_for):
    integration = connect_ga4(team.member(Role.OWNER), service_account)
    TrafficDaily.objects.create(
        workspace=team.workspace,
        integration=integration,
        day=dt.date(2026, 11, 1),
        source="vk",
        medium="social",
        campaign="x",
    )
    response = api_client_for(team.member(Role.OWNER)).delete(f"/api/v1/integrations/{integration.pk}")
    assert response.status_code == 200
    assert not AnalyticsIntegration.objects.exists()
    assert not TrafficDaily.objects.exists()


def test_another_workspace_s_integration_is_not_found(team, other_team, service_account, api_client_for):
    foreign = connect_ga4(other_team.member(Role.OWNER), service_account)
    client = api_client_for(team.member(Role.OWNER))
    for method, suffix in (("get", ""), ("delete", ""), ("post", "/test"), ("post", "/import")):
        response = getattr(client, method)(f"/api/v1/integrations/{foreign.pk}{suffix}")
        assert response.status_code == 404
    assert client.get(f"/api/v1/traffic?integration_id={foreign.pk}").status_code == 404


def test_traffic_report(team, service_account, api_client_for):
    integration = connect_ga4(team.member(Role.OWNER), service_account)
    for day, source, sessions, bounce in ((20, "vk", 100, 20.0), (21, "vk", 300, 60.0), (21, "tg", 10, None)):
        TrafficDaily.objects.create(
            workspace=team.workspace,
            integration=integration,
            day=dt.date(2026, 11, day),
            source=source,
            medium="social",
            campaign="spring",
            sessions=sessions,
            bounce_rate=bounce,
            revenue=Decimal("2.50"),
            currency="EUR",
        )
    client = api_client_for(team.member(Role.CLIENT))
    assert client.get("/api/v1/traffic").status_code == 403  # clients see no analytics
    client = api_client_for(team.member(Role.COPYWRITER))
    response = client.get("/api/v1/traffic?start=2026-11-01&end=2026-11-30")
    assert response.status_code == 200
    rows = response.json()["rows"]
    assert rows[0] == {
        "integration_id": integration.pk,
        "source": "vk",
        "medium": "social",
        "campaign": "spring",
        "sessions": 400,
        "engaged_sessions": None,
        "bounce_rate": 50.0,
        "avg_duration": None,
        "conversions": None,
        "revenue": "5.00",
        "currency": "EUR",
    }
    assert rows[1]["bounce_rate"] is None
    filtered = client.get("/api/v1/traffic?start=2026-11-01&end=2026-11-30&source=tg").json()["rows"]
    assert [row["source"] for row in filtered] == ["tg"]
    reversed_range = client.get("/api/v1/traffic?start=2026-11-30&end=2026-11-01")
    assert reversed_range.status_code == 422
    assert client.get("/api/v1/traffic?start=2026-13-01").status_code == 422


def test_an_import_failure_shows_in_the_integration(team, service_account, api_client_for, respx_mock):
    integration = connect_ga4(team.member(Role.OWNER), service_account)
    mock_ga4(respx_mock, httpx.Response(200, text="<html>oops</html>"))
    services.integration_import(integration_id=integration.pk)
    body = api_client_for(team.member(Role.OWNER)).get(f"/api/v1/integrations/{integration.pk}").json()
    assert body["status"] == "failed"
    assert "could not be read" in body["last_error"]

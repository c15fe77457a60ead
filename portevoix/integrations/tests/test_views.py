"""The integrations page: connect forms (upload or paste), test / import / disconnect buttons, the traffic
table, and who sees what."""

from __future__ import annotations

import datetime as dt
import json

import httpx
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from portevoix.integrations.conftest import fixture
from portevoix.integrations.models import AnalyticsIntegration, TrafficDaily
from portevoix.integrations.tests.helpers import METRICA_TOKEN, connect_ga4, connect_metrica, mock_ga4
from portevoix.workspaces.roles import Role

pytestmark = pytest.mark.django_db


def url(team, name, *args):
    return reverse(f"integrations:{name}", args=[team.workspace.slug, *args])


def test_the_page_lists_integrations_and_traffic_without_secrets(team, service_account, client_for):
    integration = connect_ga4(team.member(Role.OWNER), service_account)
    connect_metrica(team.member(Role.OWNER))
    TrafficDaily.objects.create(
        workspace=team.workspace,
        integration=integration,
        day=dt.date.today(),
        source="vk",
        medium="social",
        campaign="launch-campaign",
        sessions=42,
        bounce_rate=12.5,
    )
    response = client_for(team.user(Role.DESIGNER)).get(url(team, "list"))
    assert response.status_code == 200
    text = response.content.decode()
    assert "Site GA4" in text
    assert "Site Metrica" in text
    assert "launch-campaign" in text
    assert "12.5" in text
    assert service_account["client_email"] in text
    assert "PRIVATE KEY" not in text
    assert METRICA_TOKEN not in text
    assert 'data-testid="ga4-form"' not in text  # designers do not manage integrations
    assert client_for(team.user(Role.CLIENT)).get(url(team, "list")).status_code == 403


def test_connect_ga4_with_an_uploaded_key_file(team, service_account, client_for):
    client = client_for(team.user(Role.ANALYST))
    upload = SimpleUploadedFile(
        "key.json", json.dumps(service_account).encode(), content_type="application/json"
    )
    response = client.post(
        url(team, "connect_ga4"),
        {
            "ga4-name": "Shop",
            "ga4-property_id": "987654321",
            "ga4-key_file": upload,
            "ga4-conversion_metric": "keyEvents",
        },
    )
    assert response.status_code == 302
    integration = AnalyticsIntegration.objects.get()
    assert integration.config["property_id"] == "987654321"
    assert integration.account_label == service_account["client_email"]


def test_a_bad_pasted_key_shows_the_error(team, client_for):
    response = client_for(team.user(Role.OWNER)).post(
        url(team, "connect_ga4"),
        {
            "ga4-name": "Shop",
            "ga4-property_id": "1",
            "ga4-key_json": '{"client_email": "x@y.z"}',
            "ga4-conversion_metric": "keyEvents",
        },
    )
    assert response.status_code == 422
    assert "private_key" in response.content.decode()
    assert not AnalyticsIntegration.objects.exists()


def test_connect_metrica(team, client_for):
    response = client_for(team.user(Role.MANAGER)).post(
        url(team, "connect_metrica"),
        {
            "metrica-name": "Counter",
            "metrica-counter_id": "44147844",
            "metrica-token": METRICA_TOKEN,
            "metrica-goal_ids": "5, 6",
            "metrica-currency": "rub",
        },
    )
    assert response.status_code == 302
    integration = AnalyticsIntegration.objects.get()
    assert integration.config == {
        "counter_id": 44147844,
        "goal_ids": [5, 6],
        "ecommerce_revenue": False,
        "currency": "RUB",
    }


def test_test_button_shows_the_failure(team, service_account, client_for, respx_mock):
    integration = connect_ga4(team.member(Role.OWNER), service_account)
    mock_ga4(respx_mock, httpx.Response(403, json=fixture("ga4", "error_403.json")))
    response = client_for(team.user(Role.OWNER)).post(url(team, "test", integration.pk), follow=True)
    assert response.status_code == 200
    assert "sufficient permissions" in response.content.decode()


def test_import_and_disconnect(team, service_account, client_for):
    integration = connect_ga4(team.member(Role.OWNER), service_account)
    client = client_for(team.user(Role.OWNER))
    response = client.post(url(team, "import", integration.pk), follow=True)
    assert "queued" in response.content.decode()
    response = client.post(url(team, "disconnect", integration.pk), follow=True)
    assert "disconnected" in response.content.decode()
    assert not AnalyticsIntegration.objects.exists()


def test_a_reversed_period_is_explained_not_a_500(team, client_for):
    response = client_for(team.user(Role.OWNER)).get(url(team, "list") + "?start=2026-11-30&end=2026-11-01")
    assert response.status_code == 200
    assert "must not be after" in response.content.decode()
    response = client_for(team.user(Role.OWNER)).get(url(team, "list") + "?start=garbage")
    assert response.status_code == 200

"""Connecting, importing and failing: rows stored from the documented answers, re-imports that replace and
never double, and every bad answer leaving the stored figures exactly as they were."""

from __future__ import annotations

import datetime as dt
import json
import logging
from decimal import Decimal
from typing import Any

import httpx
import pytest
from django.db import connection

from portevoix.core.errors import PermissionDenied, ValidationFailed
from portevoix.integrations import selectors, services
from portevoix.integrations.conftest import fixture
from portevoix.integrations.models import AnalyticsIntegration, IntegrationStatus, TrafficDaily
from portevoix.integrations.tests.helpers import (
    ACCESS_TOKEN,
    METRICA_TOKEN,
    connect_ga4,
    connect_metrica,
    ga4_pages,
    metrica_pages,
    mock_ga4,
    mock_metrica,
)
from portevoix.workspaces.roles import Role

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.UTC)
LATER = NOW + dt.timedelta(hours=1)  # a run again the same day: the last 3 days


@pytest.fixture(autouse=True)
def _small_pages(settings):
    settings.PORTEVOIX_GA4_PAGE_SIZE = 2
    settings.PORTEVOIX_METRICA_PAGE_SIZE = 2


def stored(integration: AnalyticsIntegration) -> list[tuple[Any, ...]]:
    return list(
        TrafficDaily.objects.filter(integration=integration)
        .order_by("day", "source")
        .values_list("day", "source", "medium", "campaign", "content", "sessions", "bounce_rate", "revenue")
    )


# --- GA4 ---------------------------------------------------------------------------------------------


def test_ga4_import_stores_every_page(team, service_account, respx_mock):
    integration = connect_ga4(team.member(Role.OWNER), service_account)
    route = mock_ga4(respx_mock, *ga4_pages())
    result = services.integration_import(integration_id=integration.pk, now=NOW)
    assert result.ok, result.message
    assert result.rows == 3
    body = json.loads(route.calls[0].request.content)
    assert body["dateRanges"] == [{"startDate": "2026-10-28", "endDate": "2026-11-26"}]  # 30-day backfill
    rows = TrafficDaily.objects.filter(integration=integration).order_by("day", "source")
    assert rows.count() == 3
    vk = rows.get(source="vk")
    assert vk.workspace_id == team.workspace.pk
    assert (vk.day, vk.medium, vk.campaign, vk.content) == (
        dt.date(2026, 11, 24),
        "social",
        "spring_sale",
        "post_42",
    )
    assert (vk.sessions, vk.engaged_sessions, vk.bounce_rate, vk.avg_duration) == (120, 78, 35.0, 95.5)
    assert (vk.conversions, vk.revenue, vk.currency) == (6.0, Decimal("240.50"), "EUR")
    integration.refresh_from_db()
    assert integration.status == IntegrationStatus.OK
    assert integration.last_error == ""
    assert integration.last_rows == 3
    assert integration.last_success_at == NOW
    assert integration.next_run_at == NOW + services.IMPORT_EVERY


def test_a_reimport_replaces_the_days_and_never_doubles(team, service_account, respx_mock):
    integration = connect_ga4(team.member(Role.OWNER), service_account)
    mock_ga4(respx_mock, *ga4_pages())
    services.integration_import(integration_id=integration.pk, now=NOW)
    first = stored(integration)
    respx_mock.reset()
    page1, page2 = ga4_pages()
    page1["rows"][0]["metricValues"][0]["value"] = "150"  # GA4 revised the figure
    route = mock_ga4(respx_mock, page1, page2)
    assert services.integration_import(integration_id=integration.pk, now=LATER).ok
    second = stored(integration)
    assert len(second) == len(first) == 3
    assert {row[1]: row[5] for row in second}["vk"] == 150
    assert TrafficDaily.objects.count() == 3
    body = json.loads(route.calls[0].request.content)
    assert body["dateRanges"] == [{"startDate": "2026-11-24", "endDate": "2026-11-26"}]  # the last 3 days


def test_a_row_gone_from_a_reimported_day_is_removed(team, service_account, respx_mock):
    integration = connect_ga4(team.member(Role.OWNER), service_account)
    mock_ga4(respx_mock, *ga4_pages())
    services.integration_import(integration_id=integration.pk, now=NOW)
    respx_mock.reset()
    empty = fixture("ga4", "runreport_empty.json")
    mock_ga4(respx_mock, empty)
    assert services.integration_import(integration_id=integration.pk, now=NOW).ok
    assert stored(integration) == []


def test_import_window_catches_up_after_missed_runs(team, service_account):
    integration = connect_ga4(team.member(Role.OWNER), service_account)
    today = dt.date(2026, 11, 26)
    assert services.import_window(integration, today=today) == (dt.date(2026, 10, 28), today)
    integration.last_success_at = NOW - dt.timedelta(days=5)
    assert services.import_window(integration, today=today) == (dt.date(2026, 11, 20), today)
    integration.last_success_at = NOW - dt.timedelta(days=400)
    assert services.import_window(integration, today=today)[0] == today - dt.timedelta(days=89)


GA4_FAILURES = {
    "401": (httpx.Response(401, json=fixture("ga4", "error_401.json")), "credentials"),
    "403": (httpx.Response(403, json=fixture("ga4", "error_403.json")), "sufficient permissions"),
    "429": (httpx.Response(429, json=fixture("ga4", "error_429.json")), "quota"),
    "500": (httpx.Response(500, json=fixture("ga4", "error_500.json")), "HTTP 500"),
    "html": (httpx.Response(200, text="<html>Service Unavailable</html>"), "JSON"),
    "truncated": (httpx.Response(200, text='{"dimensionHeaders": [{"name": "da'), "JSON"),
    "wrong shape": (httpx.Response(200, json={"rows": "none", "rowCount": 1}), "dimensionHeaders"),
}


@pytest.mark.parametrize("kind", sorted(GA4_FAILURES))
@pytest.mark.parametrize("on_page", [1, 2])
def test_a_failed_ga4_import_changes_no_figure(team, service_account, respx_mock, kind, on_page):
    integration = connect_ga4(team.member(Role.OWNER), service_account)
    mock_ga4(respx_mock, *ga4_pages())
    services.integration_import(integration_id=integration.pk, now=NOW)
    before = stored(integration)
    respx_mock.reset()
    answer, words = GA4_FAILURES[kind]
    page1, _page2 = ga4_pages()
    page1["rows"][0]["metricValues"][0]["value"] = "999"  # would change the figures if it were written
    mock_ga4(respx_mock, *([answer] if on_page == 1 else [page1, answer]))
    result = services.integration_import(integration_id=integration.pk, now=LATER)
    assert not result.ok
    assert stored(integration) == before
    integration.refresh_from_db()
    assert integration.status == IntegrationStatus.FAILED
    assert words in integration.last_error
    assert integration.last_run_at == LATER
    assert integration.last_success_at == NOW
    assert integration.next_run_at >= LATER + services.RETRY_AFTER_FAILURE


def test_a_day_outside_the_period_is_refused(team, service_account, respx_mock):
    integration = connect_ga4(team.member(Role.OWNER), service_account)
    page = fixture("ga4", "runreport_page2.json")
    page["rowCount"] = 1
    page["rows"][0]["dimensionValues"][0]["value"] = "20200101"
    mock_ga4(respx_mock, page)
    result = services.integration_import(integration_id=integration.pk, now=NOW)
    assert not result.ok
    assert "outside" in result.message
    assert not TrafficDaily.objects.exists()


def test_credentials_are_encrypted_at_rest(team, service_account):
    integration = connect_ga4(team.member(Role.OWNER), service_account)
    metrica = connect_metrica(team.member(Role.OWNER))
    with connection.cursor() as cursor:
        cursor.execute("SELECT credentials FROM integrations_analyticsintegration ORDER BY id")
        raw = [row[0] for row in cursor.fetchall()]
    assert all(value.startswith("vault:v1:") for value in raw)
    assert all("PRIVATE KEY" not in value and METRICA_TOKEN not in value for value in raw)
    assert str(integration.credentials) == "***"
    assert integration.account_label == service_account["client_email"]
    assert metrica.credentials.reveal() == {"token": METRICA_TOKEN}


def test_secrets_never_reach_the_logs(team, service_account, respx_mock, caplog):
    caplog.set_level(logging.DEBUG)
    ga4_integration = connect_ga4(team.member(Role.OWNER), service_account)
    metrica_integration = connect_metrica(team.member(Role.OWNER))
    mock_ga4(respx_mock, httpx.Response(403, json=fixture("ga4", "error_403.json")))
    mock_metrica(respx_mock, *metrica_pages(), httpx.Response(401, json=fixture("metrica", "error_401.json")))
    services.integration_import(integration_id=ga4_integration.pk, now=NOW)
    services.integration_import(integration_id=metrica_integration.pk, now=NOW)
    services.integration_import(integration_id=metrica_integration.pk, now=LATER)
    assert "api-metrika.yandex.net" in caplog.text  # the requests were logged...
    for secret in (METRICA_TOKEN, ACCESS_TOKEN, "PRIVATE KEY", service_account["private_key"][40:80]):
        assert secret not in caplog.text  # ...without a secret


def test_undecryptable_credentials_fail_cleanly(team, service_account, respx_mock):
    integration = connect_ga4(team.member(Role.OWNER), service_account)
    AnalyticsIntegration.objects.filter(pk=integration.pk).update(credentials=None)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE integrations_analyticsintegration SET credentials = %s WHERE id = %s",
            ["vault:v1:nokey:AAAA", integration.pk],
        )
    result = services.integration_import(integration_id=integration.pk, now=NOW)
    assert not result.ok
    assert "connect again" in result.message


# --- Metrica -----------------------------------------------------------------------------------------


def test_metrica_import_stores_rows(team, respx_mock):
    integration = connect_metrica(team.member(Role.OWNER))
    route = mock_metrica(respx_mock, *metrica_pages())
    result = services.integration_import(integration_id=integration.pk, now=NOW)
    assert result.ok, result.message
    params = route.calls[0].request.url.params
    assert (params["date1"], params["date2"]) == ("2026-10-28", "2026-11-26")
    assert params["ids"] == "44147844"
    rows = TrafficDaily.objects.filter(integration=integration)
    assert rows.count() == 3
    vk = rows.get(source="vk")
    assert (vk.sessions, vk.engaged_sessions, vk.bounce_rate, vk.conversions) == (200, None, 22.5, 6.0)
    assert (vk.revenue, vk.currency) == (Decimal("1500.00"), "RUB")
    direct = rows.get(day=dt.date(2026, 11, 25))
    assert (direct.source, direct.revenue, direct.currency) == ("(not set)", Decimal("0.00"), "RUB")


METRICA_FAILURES = {
    "401": httpx.Response(401, json=fixture("metrica", "error_401.json")),
    "403": httpx.Response(403, json=fixture("metrica", "error_403.json")),
    "429": httpx.Response(429, json=fixture("metrica", "error_429.json")),
    "500": httpx.Response(500, text="Internal Server Error"),
    "html": httpx.Response(200, text="<html>captcha</html>"),
    "row of wrong length": httpx.Response(
        200, json={"data": [{"dimensions": [{"name": "2026-11-26"}], "metrics": [1.0]}], "total_rows": 1}
    ),
}


@pytest.mark.parametrize("kind", sorted(METRICA_FAILURES))
def test_a_failed_metrica_import_changes_no_figure(team, respx_mock, kind):
    integration = connect_metrica(team.member(Role.OWNER))
    mock_metrica(respx_mock, *metrica_pages())
    services.integration_import(integration_id=integration.pk, now=NOW)
    before = stored(integration)
    respx_mock.reset()
    page1, _page2 = metrica_pages()
    mock_metrica(respx_mock, page1, METRICA_FAILURES[kind])  # the second page fails
    result = services.integration_import(integration_id=integration.pk, now=LATER)
    assert not result.ok
    assert stored(integration) == before
    integration.refresh_from_db()
    assert integration.status == IntegrationStatus.FAILED
    assert integration.last_error


# --- Connecting, testing, scheduling ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key_json", "words"),
    [
        ("", "Paste or upload"),
        ("{not json", "not valid JSON"),
        ("[1, 2]", "JSON object"),
        ('{"client_email": "a@b.c"}', "private_key"),
    ],
)
def test_a_bad_key_file_is_refused(team, key_json, words):
    with pytest.raises(ValidationFailed) as caught:
        services.integration_connect_ga4(
            by=team.member(Role.OWNER), name="GA4", property_id="123", key_json=key_json
        )
    assert words in caught.value.fields["key_json"][0]
    assert not AnalyticsIntegration.objects.exists()


@pytest.mark.parametrize(
    ("field", "extra"),
    [
        ("counter_id", {"counter_id": "abc"}),
        ("goal_ids", {"goal_ids": "1,2,3,4,5,6,7,8,9"}),
        ("goal_ids", {"goal_ids": "1, x"}),
        ("currency", {"currency": "RUBLES"}),
        ("token", {"token": "two words"}),
    ],
)
def test_bad_metrica_settings_are_refused(team, field, extra):
    with pytest.raises(ValidationFailed) as caught:
        connect_metrica(team.member(Role.OWNER), **extra)
    assert field in caught.value.fields


def test_only_analytics_managers_connect(team, service_account):
    for role in (Role.COPYWRITER, Role.DESIGNER, Role.TARGETOLOGIST, Role.CLIENT):
        with pytest.raises(PermissionDenied):
            connect_metrica(team.member(role))
    assert connect_metrica(team.member(Role.ANALYST)).pk


def test_the_connection_test_writes_nothing(team, service_account, respx_mock):
    integration = connect_ga4(team.member(Role.OWNER), service_account)
    route = mock_ga4(respx_mock, fixture("ga4", "runreport_empty.json"))
    result = services.integration_test(by=team.member(Role.OWNER), integration=integration)
    assert result.ok
    assert json.loads(route.calls[0].request.content)["limit"] == 1
    respx_mock.reset()
    mock_ga4(respx_mock, httpx.Response(403, json=fixture("ga4", "error_403.json")))
    result = services.integration_test(by=team.member(Role.OWNER), integration=integration)
    assert not result.ok
    assert "HTTP 403" in result.message
    integration.refresh_from_db()
    assert integration.status == IntegrationStatus.NEW
    assert not TrafficDaily.objects.exists()


def test_due_integrations_are_queued_once(team, service_account, django_capture_on_commit_callbacks):
    from django_tasks_db.models import DBTaskResult

    due = connect_metrica(team.member(Role.OWNER))
    later = connect_metrica(team.member(Role.OWNER), name="Later")
    paused = connect_metrica(team.member(Role.OWNER), name="Paused")
    AnalyticsIntegration.objects.filter(pk=due.pk).update(next_run_at=NOW - dt.timedelta(minutes=1))
    AnalyticsIntegration.objects.filter(pk=later.pk).update(next_run_at=NOW + dt.timedelta(hours=3))
    AnalyticsIntegration.objects.filter(pk=paused.pk).update(next_run_at=None, active=False)
    before = DBTaskResult.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        assert services.integrations_import_due(now=NOW) == [due.pk]
    with django_capture_on_commit_callbacks(execute=True):
        assert services.integrations_import_due(now=NOW) == []  # claimed: not queued twice
    assert DBTaskResult.objects.count() == before + 1
    assert DBTaskResult.objects.latest("enqueued_at").args_kwargs["args"] == [due.pk]


# --- Reading -----------------------------------------------------------------------------------------


def _row(integration: AnalyticsIntegration, day: int, source: str, **values: Any) -> TrafficDaily:
    fields: dict[str, Any] = {"medium": "social", "campaign": "spring", "content": "", "sessions": 0}
    fields.update(values)
    return TrafficDaily.objects.create(
        workspace=integration.workspace,
        integration=integration,
        day=dt.date(2026, 11, day),
        source=source,
        **fields,
    )


def test_traffic_by_source_sums_and_weights_by_sessions(team, service_account, other_team):
    ga = connect_ga4(team.member(Role.OWNER), service_account)
    _row(
        ga,
        20,
        "vk",
        sessions=100,
        bounce_rate=20.0,
        avg_duration=60.0,
        conversions=2,
        revenue=Decimal("10"),
        currency="EUR",
    )
    _row(
        ga,
        21,
        "vk",
        sessions=300,
        bounce_rate=60.0,
        avg_duration=100.0,
        conversions=3,
        revenue=Decimal("5"),
        currency="EUR",
    )
    _row(ga, 21, "vk", campaign="other", sessions=50, bounce_rate=None, avg_duration=None, conversions=None)
    _row(ga, 25, "tg", sessions=10, bounce_rate=10.0, avg_duration=10.0, revenue=Decimal("1"), currency="USD")
    _row(
        ga,
        25,
        "tg",
        medium="cpc",
        sessions=10,
        bounce_rate=30.0,
        avg_duration=30.0,
        revenue=Decimal("2"),
        currency="EUR",
    )
    _row(ga, 30, "vk", sessions=1000)  # outside the period
    foreign = connect_metrica(other_team.member(Role.OWNER))
    _row(foreign, 21, "vk", sessions=5000)

    rows = selectors.traffic_by_source(team.workspace, dt.date(2026, 11, 20), dt.date(2026, 11, 26))
    by_key = {(r["source"], r["medium"], r["campaign"]): r for r in rows}
    vk = by_key[("vk", "social", "spring")]
    assert vk["sessions"] == 400
    assert vk["bounce_rate"] == 50.0  # (100 x 20 + 300 x 60) / 400
    assert vk["avg_duration"] == 90.0  # (100 x 60 + 300 x 100) / 400
    assert vk["conversions"] == 5.0
    assert (vk["revenue"], vk["currency"]) == (Decimal("15.00"), "EUR")
    other = by_key[("vk", "social", "other")]
    assert (other["sessions"], other["bounce_rate"], other["avg_duration"], other["conversions"]) == (
        50,
        None,
        None,
        None,
    )
    assert rows[0]["source"] == "vk"
    assert rows[0]["sessions"] == 400

    by_source = {
        r["source"]: r
        for r in selectors.traffic_by_source(
            team.workspace, dt.date(2026, 11, 20), dt.date(2026, 11, 26), group_by=("source",)
        )
    }
    assert by_source["vk"]["sessions"] == 450
    assert by_source["vk"]["bounce_rate"] == 50.0  # the 50 sessions without a bounce rate do not count
    assert by_source["tg"]["bounce_rate"] == 20.0
    assert (by_source["tg"]["revenue"], by_source["tg"]["currency"]) == (
        None,
        "",
    )  # EUR and USD: not added up
    only_cpc = selectors.traffic_by_source(
        team.workspace, dt.date(2026, 11, 20), dt.date(2026, 11, 26), medium="cpc"
    )
    assert [r["sessions"] for r in only_cpc] == [10]
    by_kind = selectors.traffic_by_source(
        team.workspace, dt.date(2026, 11, 1), dt.date(2026, 11, 30), group_by=("kind",)
    )
    assert by_kind == [pytest.approx(by_kind[0])]
    assert by_kind[0]["kind"] == "ga4"
    assert by_kind[0]["sessions"] == 1470


def test_a_count_too_large_to_store_is_a_clean_failure(team, service_account, respx_mock):
    integration = connect_ga4(team.member(Role.OWNER), service_account)
    page = fixture("ga4", "runreport_page2.json")
    page["rowCount"] = 1
    page["rows"][0]["metricValues"][0]["value"] = str(2**40)
    mock_ga4(respx_mock, page)
    result = services.integration_import(integration_id=integration.pk, now=NOW)
    assert not result.ok
    assert "out of range" in result.message
    assert not TrafficDaily.objects.exists()


def test_an_integration_disconnected_during_the_import(team, service_account, respx_mock, monkeypatch):
    integration = connect_ga4(team.member(Role.OWNER), service_account)
    mock_ga4(respx_mock, *ga4_pages())
    real_fetch = services.fetch_report

    def fetch_then_disconnect(*args: Any, **kwargs: Any) -> Any:
        report = real_fetch(*args, **kwargs)
        services.integration_delete(by=team.member(Role.OWNER), integration=integration)
        return report

    monkeypatch.setattr(services.imports, "fetch_report", fetch_then_disconnect)
    result = services.integration_import(integration_id=integration.pk, now=NOW)
    assert not result.ok
    assert not TrafficDaily.objects.exists()

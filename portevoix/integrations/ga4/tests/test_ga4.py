"""The GA4 client against respx fixtures built from the Data API v1beta documentation: the service account
assertion, the token cache, the runReport body, paging, parsing, and every kind of bad answer."""

from __future__ import annotations

import copy
import datetime as dt
import json
from decimal import Decimal
from typing import Any

import httpx
import jwt
import pytest

from portevoix.integrations.common import ImportFailed
from portevoix.integrations.conftest import GA4_API, GA4_TOKEN, fixture
from portevoix.integrations.ga4 import client as ga4
from portevoix.integrations.ga4.auth import SCOPE, ServiceAccountKey, assertion
from portevoix.integrations.ga4.auth import cache as token_cache

PROPERTY = "123456789"
REPORT_URL = f"{GA4_API}/v1beta/properties/{PROPERTY}:runReport"
START, END = dt.date(2026, 11, 24), dt.date(2026, 11, 26)


@pytest.fixture
def config(service_account: dict[str, str]) -> ga4.Ga4Config:
    return ga4.Ga4Config(property_id=PROPERTY, key=ServiceAccountKey.from_json(service_account))


@pytest.fixture
def token_route(respx_mock: Any) -> Any:
    return respx_mock.post(GA4_TOKEN).mock(
        return_value=httpx.Response(200, json=fixture("ga4", "token.json"))
    )


def test_assertion_is_an_rs256_jwt_signed_by_the_service_account(rsa_key, service_account):
    key = ServiceAccountKey.from_json(service_account)
    token = assertion(key, audience=GA4_TOKEN, now=1_800_000_000)
    header = jwt.get_unverified_header(token)
    assert header["alg"] == "RS256"
    assert header["kid"] == service_account["private_key_id"]
    claims = jwt.decode(
        token,
        rsa_key.public_key(),
        algorithms=["RS256"],
        audience=GA4_TOKEN,
        options={"verify_exp": False, "verify_iat": False},
    )
    assert claims == {
        "iss": service_account["client_email"],
        "scope": SCOPE,
        "aud": GA4_TOKEN,
        "iat": 1_800_000_000,
        "exp": 1_800_003_600,
    }
    assert SCOPE == "https://www.googleapis.com/auth/analytics.readonly"


def test_token_exchange_sends_the_jwt_bearer_grant(rsa_key, config, respx_mock, token_route):
    respx_mock.post(REPORT_URL).mock(
        return_value=httpx.Response(200, json=fixture("ga4", "runreport_empty.json"))
    )
    ga4.run_report(config, START, END)
    form = dict(httpx.QueryParams(token_route.calls.last.request.content.decode()))
    assert form["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer"
    claims = jwt.decode(form["assertion"], rsa_key.public_key(), algorithms=["RS256"], audience=GA4_TOKEN)
    assert claims["iss"] == config.key.client_email


def test_the_access_token_is_cached_until_it_expires(config, respx_mock, token_route, monkeypatch):
    report = respx_mock.post(REPORT_URL).mock(
        return_value=httpx.Response(200, json=fixture("ga4", "runreport_empty.json"))
    )
    now = [1000.0]
    monkeypatch.setattr(token_cache, "clock", lambda: now[0])
    ga4.run_report(config, START, END)
    ga4.run_report(config, START, END)
    assert token_route.call_count == 1
    assert report.call_count == 2
    assert report.calls.last.request.headers["Authorization"] == "Bearer ya29.c.test-access-token"
    now[0] += 3599 - 61  # still a minute and more before expiry
    ga4.run_report(config, START, END)
    assert token_route.call_count == 1
    now[0] += 2  # inside the last minute: renewed
    ga4.run_report(config, START, END)
    assert token_route.call_count == 2


def test_run_report_body_names_the_dimensions_metrics_and_dates(config, respx_mock, token_route):
    route = respx_mock.post(REPORT_URL).mock(
        return_value=httpx.Response(200, json=fixture("ga4", "runreport_empty.json"))
    )
    report = ga4.run_report(config, START, END)
    body = json.loads(route.calls.last.request.content)
    assert body["dateRanges"] == [{"startDate": "2026-11-24", "endDate": "2026-11-26"}]
    assert [d["name"] for d in body["dimensions"]] == [
        "date",
        "sessionSource",
        "sessionMedium",
        "sessionCampaignName",
        "sessionManualAdContent",
    ]
    assert [m["name"] for m in body["metrics"]] == [
        "sessions",
        "engagedSessions",
        "bounceRate",
        "averageSessionDuration",
        "keyEvents",
        "totalRevenue",
    ]
    assert body["offset"] == 0
    assert body["limit"] == ga4.PAGE_SIZE
    assert report.rows == []
    assert report.currency == "EUR"


def test_the_old_conversions_metric_can_be_asked_for(service_account, respx_mock, token_route):
    config = ga4.Ga4Config(
        property_id=PROPERTY,
        key=ServiceAccountKey.from_json(service_account),
        conversion_metric="conversions",
    )
    answer = fixture("ga4", "runreport_page2.json")
    answer["metricHeaders"][4]["name"] = "conversions"
    answer["rowCount"] = 1
    route = respx_mock.post(REPORT_URL).mock(return_value=httpx.Response(200, json=answer))
    report = ga4.run_report(config, START, END)
    assert [m["name"] for m in json.loads(route.calls.last.request.content)["metrics"]][4] == "conversions"
    assert report.rows[0].conversions == 2.0


def test_pages_are_read_with_limit_and_offset_until_row_count(service_account, respx_mock, token_route):
    config = ga4.Ga4Config(
        property_id=PROPERTY, key=ServiceAccountKey.from_json(service_account), page_size=2
    )
    route = respx_mock.post(REPORT_URL).mock(
        side_effect=[
            httpx.Response(200, json=fixture("ga4", "runreport_page1.json")),
            httpx.Response(200, json=fixture("ga4", "runreport_page2.json")),
        ]
    )
    report = ga4.run_report(config, START, END)
    bodies = [json.loads(call.request.content) for call in route.calls]
    assert [(b["offset"], b["limit"]) for b in bodies] == [(0, 2), (2, 2)]
    assert len(report.rows) == 3
    vk = report.rows[0]
    assert vk.day == dt.date(2026, 11, 24)
    assert (vk.source, vk.medium, vk.campaign, vk.content) == ("vk", "social", "spring_sale", "post_42")
    assert vk.sessions == 120
    assert vk.engaged_sessions == 78
    assert vk.bounce_rate == 35.0  # 0.35 as a percentage
    assert vk.avg_duration == 95.5
    assert vk.conversions == 6.0
    assert vk.revenue == Decimal("240.50")
    assert report.rows[1].source == "(direct)"
    assert report.rows[2].day == dt.date(2026, 11, 25)
    assert report.currency == "EUR"


@pytest.mark.parametrize(
    ("status", "name", "code", "words"),
    [
        (401, "error_401.json", "auth", "UNAUTHENTICATED"),
        (403, "error_403.json", "forbidden", "sufficient permissions"),
        (429, "error_429.json", "rate_limited", "Exhausted property tokens"),
        (500, "error_500.json", "server", "Internal error"),
    ],
)
def test_error_answers_are_typed_failures_with_google_s_message(
    config, respx_mock, token_route, status, name, code, words
):
    respx_mock.post(REPORT_URL).mock(
        return_value=httpx.Response(status, json=fixture("ga4", name), headers={"Retry-After": "30"})
    )
    with pytest.raises(ImportFailed) as caught:
        ga4.run_report(config, START, END)
    assert caught.value.code == code
    assert words in caught.value.message
    assert "ya29" not in caught.value.message
    if status == 429:
        assert caught.value.retry_after == 30


def _broken(change: Any) -> dict[str, Any]:
    answer = copy.deepcopy(fixture("ga4", "runreport_page1.json"))
    answer["rowCount"] = 2
    change(answer)
    return answer


GARBAGE = {
    "html": httpx.Response(
        200, text="<html><body>Bad gateway</body></html>", headers={"content-type": "text/html"}
    ),
    "truncated": httpx.Response(200, text=json.dumps(fixture("ga4", "runreport_page1.json"))[:300]),
    "a list": httpx.Response(200, json=[1, 2, 3]),
    "no headers": httpx.Response(200, json=_broken(lambda a: a.pop("dimensionHeaders"))),
    "other metrics": httpx.Response(200, json=_broken(lambda a: a["metricHeaders"].reverse())),
    "row too short": httpx.Response(200, json=_broken(lambda a: a["rows"][0]["metricValues"].pop())),
    "row too long": httpx.Response(
        200, json=_broken(lambda a: a["rows"][1]["dimensionValues"].append({"value": "x"}))
    ),
    "not a number": httpx.Response(
        200, json=_broken(lambda a: a["rows"][0]["metricValues"][0].update(value="many"))
    ),
    "negative": httpx.Response(
        200, json=_broken(lambda a: a["rows"][0]["metricValues"][0].update(value="-5"))
    ),
    "bad date": httpx.Response(
        200, json=_broken(lambda a: a["rows"][0]["dimensionValues"][0].update(value="2026-11-24"))
    ),
    "bounce over 1": httpx.Response(
        200, json=_broken(lambda a: a["rows"][0]["metricValues"][2].update(value="3.5"))
    ),
    "rows not a list": httpx.Response(200, json=_broken(lambda a: a.update(rows={"a": 1}))),
    "rowCount text": httpx.Response(200, json=_broken(lambda a: a.update(rowCount="2"))),
    "value not text": httpx.Response(
        200, json=_broken(lambda a: a["rows"][0]["dimensionValues"][1].update(value=7))
    ),
}


@pytest.mark.parametrize("kind", sorted(GARBAGE))
def test_garbage_answers_are_bad_answer_failures(config, respx_mock, token_route, kind):
    respx_mock.post(REPORT_URL).mock(return_value=GARBAGE[kind])
    with pytest.raises(ImportFailed) as caught:
        ga4.run_report(config, START, END)
    assert caught.value.code == "bad_answer"


def test_a_refused_key_is_an_auth_failure(config, respx_mock):
    respx_mock.post(GA4_TOKEN).mock(
        return_value=httpx.Response(400, json=fixture("ga4", "token_invalid_grant.json"))
    )
    report = respx_mock.post(REPORT_URL)
    with pytest.raises(ImportFailed) as caught:
        ga4.run_report(config, START, END)
    assert caught.value.code == "auth"
    assert "invalid_grant" in caught.value.message
    assert not report.called


def test_a_token_answer_without_a_token_is_bad(config, respx_mock):
    respx_mock.post(GA4_TOKEN).mock(return_value=httpx.Response(200, json={"token_type": "Bearer"}))
    with pytest.raises(ImportFailed) as caught:
        ga4.run_report(config, START, END)
    assert caught.value.code == "bad_answer"


def test_network_errors_are_failures(config, respx_mock, token_route):
    respx_mock.post(REPORT_URL).mock(side_effect=httpx.ConnectTimeout("timed out"))
    with pytest.raises(ImportFailed) as caught:
        ga4.run_report(config, START, END)
    assert caught.value.code == "network"


def test_a_revoked_token_is_forgotten(config, respx_mock, token_route):
    respx_mock.post(REPORT_URL).mock(
        side_effect=[
            httpx.Response(401, json=fixture("ga4", "error_401.json")),
            httpx.Response(200, json=fixture("ga4", "runreport_empty.json")),
        ]
    )
    with pytest.raises(ImportFailed):
        ga4.run_report(config, START, END)
    ga4.run_report(config, START, END)
    assert token_route.call_count == 2


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda k: k.pop("private_key"), "private_key"),
        (lambda k: k.pop("client_email"), "client_email"),
        (lambda k: k.pop("token_uri"), "token_uri"),
        (lambda k: k.update(type="authorized_user"), "service account"),
        (lambda k: k.update(private_key="not a key"), "PEM"),
    ],
)
def test_key_files_are_checked(service_account, change, words):
    key = dict(service_account)
    change(key)
    with pytest.raises(ValueError, match=words):
        ServiceAccountKey.from_json(key)

"""The Metrica client against respx fixtures built from the Reports API documentation: request parameters,
1-based paging, parsing (null UTM values, goals), the documented error format and garbage answers."""

from __future__ import annotations

import copy
import datetime as dt
import json
from decimal import Decimal
from typing import Any

import httpx
import pytest

from portevoix.integrations.common import NOT_SET, ImportFailed
from portevoix.integrations.conftest import METRICA_API, fixture
from portevoix.integrations.metrica import client as metrica

DATA_URL = f"{METRICA_API}/stat/v1/data"
START, END = dt.date(2026, 11, 24), dt.date(2026, 11, 26)
TOKEN = "y0_AgAAAAAtestmetricatoken"


def config(**changes: Any) -> metrica.MetricaConfig:
    values: dict[str, Any] = {
        "counter_id": 44147844,
        "token": TOKEN,
        "goal_ids": (1001, 1002),
        "page_size": 2,
    }
    values.update(changes)
    return metrica.MetricaConfig(**values)


def test_request_parameters_and_oauth_header(respx_mock):
    route = respx_mock.get(DATA_URL).mock(
        side_effect=[
            httpx.Response(200, json=fixture("metrica", "data_page1.json")),
            httpx.Response(200, json=fixture("metrica", "data_page2.json")),
        ]
    )
    metrica.fetch(config(), START, END)
    first = route.calls[0].request
    assert first.headers["Authorization"] == f"OAuth {TOKEN}"
    params = dict(first.url.params)
    assert params["ids"] == "44147844"
    assert params["metrics"].split(",") == [
        "ym:s:visits",
        "ym:s:bounceRate",
        "ym:s:avgVisitDurationSeconds",
        "ym:s:goal1001reaches",
        "ym:s:goal1001revenue",
        "ym:s:goal1002reaches",
        "ym:s:goal1002revenue",
    ]
    assert params["dimensions"].split(",") == [
        "ym:s:date",
        "ym:s:UTMSource",
        "ym:s:UTMMedium",
        "ym:s:UTMCampaign",
        "ym:s:UTMContent",
    ]
    assert (params["date1"], params["date2"]) == ("2026-11-24", "2026-11-26")
    assert params["accuracy"] == "full"
    assert [(c.request.url.params["offset"], c.request.url.params["limit"]) for c in route.calls] == [
        ("1", "2"),
        ("3", "2"),
    ]  # 1-based offsets


def test_rows_are_parsed_with_goals_summed(respx_mock):
    respx_mock.get(DATA_URL).mock(
        side_effect=[
            httpx.Response(200, json=fixture("metrica", "data_page1.json")),
            httpx.Response(200, json=fixture("metrica", "data_page2.json")),
        ]
    )
    report = metrica.fetch(config(), START, END)
    assert len(report.rows) == 3
    vk, direct, telegram = report.rows
    assert vk.day == dt.date(2026, 11, 24)
    assert (vk.source, vk.medium, vk.campaign, vk.content) == ("vk", "social", "spring_sale", "post_42")
    assert vk.sessions == 200
    assert vk.engaged_sessions is None  # Metrica has none: not available, not 0
    assert vk.bounce_rate == 22.5  # already a percentage
    assert vk.avg_duration == 130.4
    assert vk.conversions == 6.0  # 5 + 1 reaches of the two goals
    assert vk.revenue == Decimal("1500.00")
    assert (direct.source, direct.medium, direct.campaign, direct.content) == (NOT_SET,) * 4
    assert telegram.revenue == Decimal("150.50")
    assert report.currency == "RUB"


def test_without_goals_there_are_no_conversions(respx_mock):
    answer = fixture("metrica", "data_page2.json")
    answer["data"][0]["metrics"] = answer["data"][0]["metrics"][:3]
    answer["total_rows"] = 1
    route = respx_mock.get(DATA_URL).mock(return_value=httpx.Response(200, json=answer))
    report = metrica.fetch(config(goal_ids=()), START, END)
    assert route.calls.last.request.url.params["metrics"].count(",") == 2
    assert report.rows[0].conversions is None
    assert report.rows[0].revenue is None


def test_ecommerce_revenue_replaces_goal_revenue(respx_mock):
    answer = fixture("metrica", "data_page2.json")
    answer["data"][0]["metrics"] = [10.0, 10.0, 30.0, 2.0, 1.0, 777.7]
    answer["total_rows"] = 1
    route = respx_mock.get(DATA_URL).mock(return_value=httpx.Response(200, json=answer))
    report = metrica.fetch(config(ecommerce_revenue=True), START, END)
    assert route.calls.last.request.url.params["metrics"].endswith(
        "ym:s:goal1002reaches,ym:s:ecommerceRevenue"
    )
    assert report.rows[0].revenue == Decimal("777.70")
    assert report.rows[0].conversions == 3.0


@pytest.mark.parametrize(
    ("status", "name", "code", "words"),
    [
        (400, "error_400.json", "bad_answer", "invalid_parameter"),
        (401, "error_401.json", "auth", "invalid_token"),
        (403, "error_403.json", "forbidden", "access_denied"),
        (429, "error_429.json", "rate_limited", "quota_requests_by_uid"),
    ],
)
def test_documented_errors_are_typed_failures(respx_mock, status, name, code, words):
    respx_mock.get(DATA_URL).mock(return_value=httpx.Response(status, json=fixture("metrica", name)))
    with pytest.raises(ImportFailed) as caught:
        metrica.fetch(config(), START, END)
    assert caught.value.code == code
    assert words in caught.value.message
    assert TOKEN not in caught.value.message


def test_a_server_error_with_an_html_page(respx_mock):
    respx_mock.get(DATA_URL).mock(return_value=httpx.Response(502, text="<html>502 Bad Gateway</html>"))
    with pytest.raises(ImportFailed) as caught:
        metrica.fetch(config(), START, END)
    assert caught.value.code == "server"


def _broken(change: Any) -> dict[str, Any]:
    answer = copy.deepcopy(fixture("metrica", "data_page1.json"))
    answer["total_rows"] = 2
    change(answer)
    return answer


GARBAGE = {
    "html": httpx.Response(
        200, text="<!doctype html><title>Captcha</title>", headers={"content-type": "text/html"}
    ),
    "truncated": httpx.Response(200, text=json.dumps(fixture("metrica", "data_page1.json"))[:250]),
    "errors in a 200": httpx.Response(200, json=fixture("metrica", "error_400.json")),
    "no data": httpx.Response(200, json=_broken(lambda a: a.pop("data"))),
    "no total": httpx.Response(200, json=_broken(lambda a: a.pop("total_rows"))),
    "short metrics": httpx.Response(200, json=_broken(lambda a: a["data"][0]["metrics"].pop())),
    "extra dimension": httpx.Response(
        200, json=_broken(lambda a: a["data"][1]["dimensions"].append({"name": "x"}))
    ),
    "text metric": httpx.Response(
        200, json=_broken(lambda a: a["data"][0]["metrics"].__setitem__(0, "lots"))
    ),
    "bool metric": httpx.Response(200, json=_broken(lambda a: a["data"][0]["metrics"].__setitem__(0, True))),
    "bounce over 100": httpx.Response(
        200, json=_broken(lambda a: a["data"][0]["metrics"].__setitem__(1, 250.0))
    ),
    "bad date": httpx.Response(
        200, json=_broken(lambda a: a["data"][0]["dimensions"][0].update(name="24.11.2026"))
    ),
    "dimension not object": httpx.Response(
        200, json=_broken(lambda a: a["data"][0]["dimensions"].__setitem__(1, "vk"))
    ),
    "row not object": httpx.Response(200, json=_broken(lambda a: a["data"].__setitem__(0, [1, 2]))),
}


@pytest.mark.parametrize("kind", sorted(GARBAGE))
def test_garbage_answers_are_bad_answer_failures(respx_mock, kind):
    respx_mock.get(DATA_URL).mock(return_value=GARBAGE[kind])
    with pytest.raises(ImportFailed) as caught:
        metrica.fetch(config(page_size=10), START, END)
    assert caught.value.code == "bad_answer"


def test_too_many_goals_are_refused_before_any_request(respx_mock):
    route = respx_mock.get(DATA_URL)
    with pytest.raises(ImportFailed) as caught:
        metrica.fetch(config(goal_ids=tuple(range(1, 10))), START, END)
    assert caught.value.code == "config"
    assert not route.called

"""Yandex Metrica Reports API: ``GET /stat/v1/data``, visits by day and UTM source / medium / campaign /
content, with the reaches and revenue of the configured goals, paged with ``limit`` and a 1-based
``offset`` until ``total_rows`` rows are read. ``accuracy=full``: no sampling.

Errors come as ``{"errors": [{"error_type": ..., "message": ...}], "code": 400, "message": ...}``; a quota
error is HTTP 429. Metrica's ``bounceRate`` is already a percentage, in its own definition (a visit of one
page view lasting under 15 seconds by default).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portevoix.core import http
from portevoix.integrations.common import (
    ImportFailed,
    Report,
    TrafficRow,
    garbage,
    http_error,
    json_body,
    label,
    money,
    network_error,
    number,
    retry_after,
    whole,
)

SERVICE = gettext_lazy("Yandex Metrica")  # "Яндекс Метрика" in Russian
API_URL = "https://api-metrika.yandex.net"
PAGE_SIZE = 10_000  # rows per request (the API allows up to 100 000)
MAX_PAGES = 100
MAX_METRICS = 20  # per request, the API's limit
BASE_METRICS = ("ym:s:visits", "ym:s:bounceRate", "ym:s:avgVisitDurationSeconds")
DIMENSIONS = ("ym:s:date", "ym:s:UTMSource", "ym:s:UTMMedium", "ym:s:UTMCampaign", "ym:s:UTMContent")
# Each goal adds two metrics (reaches and revenue); with the ecommerce revenue one more.
MAX_GOALS = (MAX_METRICS - len(BASE_METRICS) - 1) // 2


@dataclass(frozen=True)
class MetricaConfig:
    counter_id: int
    token: str
    goal_ids: tuple[int, ...] = ()
    ecommerce_revenue: bool = False  # revenue from ym:s:ecommerceRevenue instead of the goals' revenue
    currency: str = "RUB"  # the counter's currency: Metrica's answer does not name it
    api_url: str = API_URL
    page_size: int = PAGE_SIZE


def metric_names(config: MetricaConfig) -> list[str]:
    names = list(BASE_METRICS)
    for goal in config.goal_ids:
        names.append(f"ym:s:goal{goal}reaches")
        if not config.ecommerce_revenue:
            names.append(f"ym:s:goal{goal}revenue")
    if config.ecommerce_revenue:
        names.append("ym:s:ecommerceRevenue")
    return names


def request_params(
    config: MetricaConfig, start: dt.date, end: dt.date, *, offset: int, limit: int
) -> dict[str, str]:
    return {
        "ids": str(config.counter_id),
        "metrics": ",".join(metric_names(config)),
        "dimensions": ",".join(DIMENSIONS),
        "date1": start.isoformat(),
        "date2": end.isoformat(),
        "limit": str(limit),
        "offset": str(offset),  # 1-based
        "accuracy": "full",
        "lang": "en",
    }


def _error_detail(response: httpx.Response) -> str:
    try:
        body = json_body(response)
    except ImportFailed:
        return _("the answer is not JSON")
    if not isinstance(body, dict):
        return ""
    errors = body.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        first = errors[0]
        return " ".join(str(part) for part in (first.get("error_type", ""), first.get("message", "")) if part)
    return str(body.get("message", ""))


def _date(value: Any) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except (ValueError, TypeError):
        raise garbage(_("a date is not in YYYY-MM-DD form")) from None


def parse_row(row: Any, config: MetricaConfig) -> TrafficRow:
    if not isinstance(row, dict):
        raise garbage(_("a row is not an object"))
    dimensions, values = row.get("dimensions"), row.get("metrics")
    names = metric_names(config)
    if not isinstance(dimensions, list) or len(dimensions) != len(DIMENSIONS):
        raise garbage(_("a row does not have one value per column"))
    if not isinstance(values, list) or len(values) != len(names):
        raise garbage(_("a row does not have one value per column"))
    if not all(isinstance(cell, dict) for cell in dimensions):
        raise garbage(_("a dimension is not an object"))
    day, source, medium, campaign, content = (cell.get("name") for cell in dimensions)
    by_name = dict(zip(names, values, strict=True))
    bounce = number(by_name["ym:s:bounceRate"], what="ym:s:bounceRate")
    if bounce is not None and bounce > 100:
        raise garbage(_("ym:s:bounceRate is out of range"))
    conversions: float | None = None
    revenue: Decimal | None = None
    for goal in config.goal_ids:
        reaches = number(by_name[f"ym:s:goal{goal}reaches"], what=f"ym:s:goal{goal}reaches")
        if reaches is not None:
            conversions = (conversions or 0.0) + reaches
        if not config.ecommerce_revenue:
            amount = money(by_name[f"ym:s:goal{goal}revenue"], what=f"ym:s:goal{goal}revenue")
            if amount is not None:
                revenue = (revenue or Decimal(0)) + amount
    if config.ecommerce_revenue:
        revenue = money(by_name["ym:s:ecommerceRevenue"], what="ym:s:ecommerceRevenue")
    return TrafficRow(
        day=_date(day),
        source=label(source),
        medium=label(medium),
        campaign=label(campaign),
        content=label(content),
        sessions=whole(by_name["ym:s:visits"], what="ym:s:visits"),
        engaged_sessions=None,  # Metrica has no "engaged session"
        bounce_rate=bounce,
        avg_duration=number(by_name["ym:s:avgVisitDurationSeconds"], what="ym:s:avgVisitDurationSeconds"),
        conversions=conversions,
        revenue=revenue,
    )


def fetch(config: MetricaConfig, start: dt.date, end: dt.date, *, max_rows: int | None = None) -> Report:
    """Every row from ``start`` to ``end`` (inclusive, the counter's time zone), or ImportFailed."""
    if len(metric_names(config)) > MAX_METRICS:
        raise ImportFailed("config", _("Too many goals: at most %(n)s.") % {"n": MAX_GOALS})
    url = f"{config.api_url.rstrip('/')}/stat/v1/data"
    headers = {"Authorization": f"OAuth {config.token}", "Accept": "application/json"}
    rows: list[TrafficRow] = []
    read = 0
    limit = config.page_size if max_rows is None else min(config.page_size, max_rows)
    with http.client() as client:
        for _page in range(MAX_PAGES):
            params = request_params(config, start, end, offset=read + 1, limit=limit)
            try:
                response = client.get(url, params=params, headers=headers)
            except httpx.HTTPError as error:
                raise network_error(str(SERVICE), error) from None
            if response.status_code != 200:
                raise http_error(
                    response.status_code,
                    str(SERVICE),
                    _error_detail(response),
                    retry_after=retry_after(response),
                )
            page = json_body(response)
            if not isinstance(page, dict):
                raise garbage(_("the report is not an object"))
            if "errors" in page:
                raise ImportFailed(
                    "bad_answer",
                    _("%(service)s: %(detail)s") % {"service": SERVICE, "detail": _error_detail(response)},
                )
            data, total = page.get("data"), page.get("total_rows")
            if (
                not isinstance(data, list)
                or isinstance(total, bool)
                or not isinstance(total, int)
                or total < 0
            ):
                raise garbage(_("data or total_rows is missing or has the wrong type"))
            if len(data) > limit:
                raise garbage(_("a page has more rows than asked for"))
            rows.extend(parse_row(row, config) for row in data)
            read += len(data)
            if not data or read >= total or (max_rows is not None and read >= max_rows):
                break
        else:
            raise ImportFailed(
                "bad_answer", _("The report has too many rows (more than %(n)s pages).") % {"n": MAX_PAGES}
            )
    return Report(rows=rows, currency=config.currency)

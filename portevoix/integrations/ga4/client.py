"""Google Analytics 4 Data API v1beta: ``properties/{id}:runReport``, sessions by day and session source /
medium / campaign / manual ad content, paged with ``limit`` and ``offset`` until ``rowCount`` rows are read.

Every page is checked before anything is returned: headers in the order asked, each row with exactly one
value per header, numbers that are numbers, dates that are dates. Anything else is an ``ImportFailed``.
GA4's ``bounceRate`` is a fraction (0.45); it is returned as a percentage (45.0) like Metrica's.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import httpx
from django.utils.translation import gettext as _

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
from portevoix.integrations.ga4.auth import ServiceAccountKey, access_token, cache_key
from portevoix.integrations.ga4.auth import cache as token_cache

SERVICE = "Google Analytics"
API_URL = "https://analyticsdata.googleapis.com"
TOKEN_URL = "https://oauth2.googleapis.com/token"
PAGE_SIZE = 10_000  # rows per request (the API allows up to 250 000)
MAX_PAGES = 100
DIMENSIONS = ("date", "sessionSource", "sessionMedium", "sessionCampaignName", "sessionManualAdContent")
# "conversions" was renamed "keyEvents" in 2024; older setups may still ask for the old name.
CONVERSION_METRICS = ("keyEvents", "conversions")


def metrics(conversion_metric: str) -> tuple[str, ...]:
    return (
        "sessions",
        "engagedSessions",
        "bounceRate",
        "averageSessionDuration",
        conversion_metric,
        "totalRevenue",
    )


@dataclass(frozen=True)
class Ga4Config:
    property_id: str
    key: ServiceAccountKey
    conversion_metric: str = "keyEvents"
    api_url: str = API_URL
    token_url: str = TOKEN_URL
    page_size: int = PAGE_SIZE


def request_body(
    config: Ga4Config, start: dt.date, end: dt.date, *, offset: int, limit: int
) -> dict[str, Any]:
    return {
        "dateRanges": [{"startDate": start.isoformat(), "endDate": end.isoformat()}],
        "dimensions": [{"name": name} for name in DIMENSIONS],
        "metrics": [{"name": name} for name in metrics(config.conversion_metric)],
        "limit": limit,
        "offset": offset,
        "keepEmptyRows": False,
    }


def _error_detail(response: httpx.Response) -> str:
    """Google's error body: ``{"error": {"code": 403, "message": "...", "status": "PERMISSION_DENIED"}}``."""
    try:
        body = json_body(response)
    except ImportFailed:
        return _("the answer is not JSON")
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        return " ".join(str(part) for part in (error.get("status", ""), error.get("message", "")) if part)
    return ""


def _headers(body: dict[str, Any], field: str, expected: tuple[str, ...]) -> None:
    headers = body.get(field)
    if not isinstance(headers, list) or not all(isinstance(h, dict) for h in headers):
        raise garbage(_("%(field)s is missing") % {"field": field})
    names = tuple(h.get("name") for h in headers)
    if names != expected:
        raise garbage(_("%(field)s are not the ones asked for") % {"field": field})


def _date(value: str) -> dt.date:
    try:
        return dt.datetime.strptime(value, "%Y%m%d").date()
    except (ValueError, TypeError):
        raise garbage(_("a date is not in YYYYMMDD form")) from None


def _values(row: dict[str, Any], field: str, count: int) -> list[Any]:
    cells = row.get(field)
    if not isinstance(cells, list) or len(cells) != count:
        raise garbage(_("a row does not have one value per column"))
    values = []
    for cell in cells:
        if not isinstance(cell, dict):
            raise garbage(_("a row does not have one value per column"))
        values.append(cell.get("value"))
    return values


def parse_row(row: Any, conversion_metric: str) -> TrafficRow:
    if not isinstance(row, dict):
        raise garbage(_("a row is not an object"))
    day, source, medium, campaign, content = _values(row, "dimensionValues", len(DIMENSIONS))
    sessions, engaged, bounce, duration, conversions, revenue = _values(
        row, "metricValues", len(metrics(conversion_metric))
    )
    if not isinstance(day, str):
        raise garbage(_("a date is not in YYYYMMDD form"))
    bounce_fraction = number(bounce, what="bounceRate")
    if bounce_fraction is not None and bounce_fraction > 1:
        raise garbage(_("bounceRate is out of range"))
    return TrafficRow(
        day=_date(day),
        source=label(source),
        medium=label(medium),
        campaign=label(campaign),
        content=label(content),
        sessions=whole(sessions, what="sessions"),
        engaged_sessions=whole(engaged, what="engagedSessions") if engaged is not None else None,
        bounce_rate=round(bounce_fraction * 100, 4) if bounce_fraction is not None else None,
        avg_duration=number(duration, what="averageSessionDuration"),
        conversions=number(conversions, what=conversion_metric),
        revenue=money(revenue, what="totalRevenue"),
    )


def run_report(config: Ga4Config, start: dt.date, end: dt.date, *, max_rows: int | None = None) -> Report:
    """Every row from ``start`` to ``end`` (inclusive, the property's time zone), or ImportFailed."""
    url = f"{config.api_url.rstrip('/')}/v1beta/properties/{config.property_id}:runReport"
    rows: list[TrafficRow] = []
    currency = ""
    offset = 0
    limit = config.page_size if max_rows is None else min(config.page_size, max_rows)
    with http.client() as client:
        for _page in range(MAX_PAGES):
            token = access_token(client, config.key, token_url=config.token_url)
            body = request_body(config, start, end, offset=offset, limit=limit)
            try:
                response = client.post(url, json=body, headers={"Authorization": f"Bearer {token}"})
            except httpx.HTTPError as error:
                raise network_error(SERVICE, error) from None
            if response.status_code == 401:  # the cached token was revoked: ask for a new one next time
                token_cache.forget(cache_key(config.key, config.token_url))
            if response.status_code != 200:
                raise http_error(
                    response.status_code, SERVICE, _error_detail(response), retry_after=retry_after(response)
                )
            page = json_body(response)
            if not isinstance(page, dict):
                raise garbage(_("the report is not an object"))
            _headers(page, "dimensionHeaders", DIMENSIONS)
            _headers(page, "metricHeaders", metrics(config.conversion_metric))
            page_rows = page.get("rows", [])
            total = page.get("rowCount", 0)
            if (
                not isinstance(page_rows, list)
                or isinstance(total, bool)
                or not isinstance(total, int)
                or total < 0
            ):
                raise garbage(_("rows or rowCount has the wrong type"))
            metadata = page.get("metadata", {})
            if isinstance(metadata, dict) and isinstance(metadata.get("currencyCode"), str):
                currency = metadata["currencyCode"][:3].upper()
            rows.extend(parse_row(row, config.conversion_metric) for row in page_rows)
            if len(page_rows) > limit:
                raise garbage(_("a page has more rows than asked for"))
            offset += len(page_rows)
            if not page_rows or offset >= total or (max_rows is not None and offset >= max_rows):
                break
        else:
            raise ImportFailed(
                "bad_answer", _("The report has too many rows (more than %(n)s pages).") % {"n": MAX_PAGES}
            )
    return Report(rows=rows, currency=currency)

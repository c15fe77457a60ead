"""Test helpers for the Telegram connector: documented answers from ``fixtures/`` and multipart parsing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx

from portevoix.connectors.testing import Part as Part  # re-exported for the tests
from portevoix.connectors.testing import form_parts as form_parts

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
BASE = "https://api.telegram.org"
CHAT = "-1001234567890"


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def answer(name: str) -> httpx.Response:
    """A documented success answer, from ``fixtures/<name>.json``."""
    return httpx.Response(200, json=fixture(f"{name}.json"))


def error(name: str, *, headers: dict[str, str] | None = None) -> httpx.Response:
    """A documented error answer, from ``fixtures/errors.json`` (status = its error_code)."""
    body = fixture("errors.json")[name]
    return httpx.Response(body["error_code"], json=body, headers=headers)


def method_url(method: str, *, base: str = BASE, token: str = TOKEN) -> str:
    return f"{base}/bot{token}/{method}"


def json_body(request: httpx.Request) -> Any:
    assert request.headers["content-type"] == "application/json"
    return json.loads(request.read())

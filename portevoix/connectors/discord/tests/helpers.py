"""Test helpers for the Discord connector: documented answers from ``fixtures/`` and multipart parsing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx

from portevoix.connectors.testing import Part as Part  # re-exported for the tests
from portevoix.connectors.testing import form_parts as form_parts

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
WEBHOOK_ID = "223704706495545344"
TOKEN = "3d89bb7572e0fb30d8128367b3b1b44fecd1726de135cbe28a41f8b2f777c372ba2939e72279b94526ff5d1bd4358d65cf11"
WEBHOOK_URL = f"https://discord.com/api/webhooks/{WEBHOOK_ID}/{TOKEN}"
BASE = "https://discord.com/api/v10"
HOOK = f"{BASE}/webhooks/{WEBHOOK_ID}/{TOKEN}"
GUILD = "41771983423143937"
CHANNEL = "199737254929760256"


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def answer(name: str, status: int = 200) -> httpx.Response:
    return httpx.Response(status, json=fixture(f"{name}.json"))


def error(name: str) -> httpx.Response:
    """A documented error answer from ``fixtures/errors.json``: status, headers and JSON body."""
    spec = fixture("errors.json")[name]
    return httpx.Response(spec["status"], json=spec["body"], headers=spec.get("headers"))


def json_body(request: httpx.Request) -> Any:
    assert request.headers["content-type"] == "application/json"
    return json.loads(request.read())

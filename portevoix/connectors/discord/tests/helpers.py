"""Test helpers for the Discord connector: documented answers from ``fixtures/`` and multipart parsing."""

from __future__ import annotations

import json
from dataclasses import dataclass
from email.parser import BytesParser
from email.policy import HTTP
from pathlib import Path
from typing import Any

import httpx

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


@dataclass(frozen=True)
class Part:
    name: str
    filename: str | None
    content_type: str | None
    content: bytes

    @property
    def text(self) -> str:
        return self.content.decode("utf-8")


def form_parts(request: httpx.Request) -> dict[str, Part]:
    """The parts of a multipart/form-data request, by field name."""
    content_type = request.headers["content-type"]
    assert content_type.startswith("multipart/form-data; boundary=")
    raw = f"Content-Type: {content_type}\r\n\r\n".encode() + request.read()
    message = BytesParser(policy=HTTP).parsebytes(raw)
    parts: dict[str, Part] = {}
    for part in message.iter_parts():  # type: ignore[attr-defined]
        name = part.get_param("name", header="content-disposition")
        assert name not in parts, f"field {name} sent twice"
        parts[name] = Part(
            name=name,
            filename=part.get_filename(),
            content_type=part["content-type"] and part.get_content_type(),
            content=part.get_payload(decode=True),
        )
    return parts


def json_body(request: httpx.Request) -> Any:
    assert request.headers["content-type"] == "application/json"
    return json.loads(request.read())

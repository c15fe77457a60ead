"""Test helpers for the Telegram connector: documented answers from ``fixtures/`` and multipart parsing."""

from __future__ import annotations

import json
from dataclasses import dataclass
from email.parser import BytesParser
from email.policy import HTTP
from pathlib import Path
from typing import Any

import httpx

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

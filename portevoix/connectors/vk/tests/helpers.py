"""Shared test data for the VK connector: documented fixtures, a channel, request readers."""

from __future__ import annotations

import copy
import json
from email.parser import BytesParser
from email.policy import default as default_policy
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx

from portevoix.connectors.types import ChannelConfig

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
API = "https://api.vk.com/method"
GROUP_ID = 123456
ACCESS_TOKEN = "vk1.a.test-access-token-0123456789"
REFRESH_TOKEN = "vk1.a.test-refresh-token-0123456789"
DEVICE_ID = "device-5f0c6d2e-0123"
CLIENT_ID = "51900000"


@cache
def _load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def fixture(name: str) -> Any:
    """A fresh copy of a fixture (tests may change it)."""
    return copy.deepcopy(_load(name))


def vk_error(code: str) -> dict[str, Any]:
    return fixture("errors.json")[code]


def reply(name: str) -> httpx.Response:
    return httpx.Response(200, json=fixture(name))


def make_channel(**credentials: str) -> ChannelConfig:
    values = {
        "access_token": ACCESS_TOKEN,
        "refresh_token": REFRESH_TOKEN,
        "device_id": DEVICE_ID,
        "client_id": CLIENT_ID,
    }
    values.update(credentials)
    return ChannelConfig(
        external_id=str(GROUP_ID),
        credentials={name: value for name, value in values.items() if value},
        base_url=API,
    )


def form(request: httpx.Request) -> dict[str, str]:
    """The form-encoded body of a request, one value per name (and none repeated)."""
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    parsed = parse_qs(request.content.decode("ascii"), keep_blank_values=True, strict_parsing=True)
    assert all(len(values) == 1 for values in parsed.values()), parsed
    return {name: values[0] for name, values in parsed.items()}


def multipart(request: httpx.Request) -> dict[str, tuple[str | None, str, bytes]]:
    """The parts of a multipart/form-data body: name -> (filename, content type, content)."""
    content_type = request.headers["content-type"]
    assert content_type.startswith("multipart/form-data")
    message = BytesParser(policy=default_policy).parsebytes(
        b"Content-Type: " + content_type.encode("ascii") + b"\r\n\r\n" + request.content
    )
    parts: dict[str, tuple[str | None, str, bytes]] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        assert isinstance(name, str)
        payload = part.get_payload(decode=True)
        assert isinstance(payload, bytes)
        parts[name] = (part.get_filename(), part.get_content_type(), payload)
    return parts

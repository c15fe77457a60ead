"""Checking what a person gives when connecting or changing an integration; every function raises
ValidationFailed on the field at fault."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from django.utils.translation import gettext as _

from portevoix.core.errors import NotFound, ValidationFailed
from portevoix.integrations.common import ImportFailed
from portevoix.integrations.ga4 import client as ga4
from portevoix.integrations.ga4.auth import ServiceAccountKey, assertion
from portevoix.integrations.metrica import client as metrica
from portevoix.integrations.models import (
    AnalyticsIntegration,
)
from portevoix.workspaces.models import Membership

MAX_KEY_BYTES = 20_000  # a service account key file is about 2.3 KB
MAX_TOKEN_LENGTH = 500
MAX_NAME = 200
CURRENCY_LENGTH = 3


def invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, fields={field: [message]})


def clean_name(name: object) -> str:
    if not isinstance(name, str) or not name.strip() or "\x00" in name:
        raise invalid("name", _("Enter a name."))
    name = name.strip()
    if len(name) > MAX_NAME:
        raise invalid("name", _("Use at most %(max)s characters.") % {"max": MAX_NAME})
    return name


def parse_service_account_key(raw: object) -> tuple[dict[str, Any], ServiceAccountKey]:
    """The pasted or uploaded key file: JSON text (or bytes, or an object) with client_email, private_key
    and token_uri. Raises ValidationFailed on the ``key_json`` field."""
    if isinstance(raw, bytes):
        if len(raw) > MAX_KEY_BYTES:
            raise invalid("key_json", _("The key file is too large: a service account key is about 2 KB."))
        try:
            raw = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise invalid("key_json", _("The key file is not UTF-8 text.")) from None
    if isinstance(raw, str):
        if len(raw) > MAX_KEY_BYTES:
            raise invalid("key_json", _("The key file is too large: a service account key is about 2 KB."))
        if not raw.strip():
            raise invalid("key_json", _("Paste or upload the service account's JSON key file."))
        try:
            raw = json.loads(raw)
        except ValueError:
            raise invalid("key_json", _("The key file is not valid JSON.")) from None
    if not isinstance(raw, dict):
        raise invalid("key_json", _("The key file must be a JSON object."))
    try:
        key = ServiceAccountKey.from_json(raw)
    except ValueError as error:
        raise invalid("key_json", str(error)) from None
    try:
        assertion(key, audience="https://oauth2.googleapis.com/token")  # the key can sign
    except ImportFailed:
        raise invalid("key_json", _("The key file's private key could not be read.")) from None
    kept = {
        name: raw[name]
        for name in ("type", "client_email", "private_key", "private_key_id", "token_uri")
        if name in raw
    }
    return kept, key


def clean_property_id(value: object) -> str:
    text = str(value).strip() if isinstance(value, str | int) and not isinstance(value, bool) else ""
    text = text.removeprefix("properties/")
    if not text.isascii() or not text.isdigit() or len(text) > 20 or int(text) == 0:
        raise invalid("property_id", _("Enter the numeric GA4 property id (Admin > Property details)."))
    return text


def clean_conversion_metric(value: object) -> str:
    value = value or "keyEvents"
    if value not in ga4.CONVERSION_METRICS:
        raise invalid("conversion_metric", _("Choose keyEvents or conversions."))
    return str(value)


def clean_counter_id(value: object) -> int:
    text = str(value).strip() if isinstance(value, str | int) and not isinstance(value, bool) else ""
    if not text.isascii() or not text.isdigit() or len(text) > 12 or int(text) == 0:
        raise invalid("counter_id", _("Enter the numeric Metrica counter (tag) number."))
    return int(text)


def clean_goal_ids(value: object) -> list[int]:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        parts: Iterable[Any] = [part.strip() for part in value.replace(";", ",").replace(" ", ",").split(",")]
        parts = [part for part in parts if part]
    elif isinstance(value, list | tuple):
        parts = value
    else:
        raise invalid("goal_ids", _("Enter goal numbers separated by commas."))
    goals: list[int] = []
    for part in parts:
        text = str(part) if isinstance(part, str | int) and not isinstance(part, bool) else ""
        if not text.isascii() or not text.isdigit() or len(text) > 12 or int(text) == 0:
            raise invalid("goal_ids", _("Enter goal numbers separated by commas."))
        if int(text) not in goals:
            goals.append(int(text))
    if len(goals) > metrica.MAX_GOALS:
        raise invalid("goal_ids", _("At most %(n)s goals per counter.") % {"n": metrica.MAX_GOALS})
    return goals


def clean_currency(value: object) -> str:
    text = (value or "RUB") if isinstance(value, str) else ""
    text = text.strip().upper()
    if len(text) != CURRENCY_LENGTH or not text.isascii() or not text.isalpha():
        raise invalid("currency", _("Enter a three-letter currency code, e.g. RUB."))
    return text


def clean_token(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise invalid("token", _("Paste the OAuth token."))
    token = value.strip().removeprefix("OAuth ").strip()
    if len(token) > MAX_TOKEN_LENGTH or not token.isascii() or any(ch.isspace() for ch in token):
        raise invalid("token", _("This does not look like an OAuth token."))
    return token


def same_workspace(by: Membership, integration: AnalyticsIntegration) -> None:
    if integration.workspace_id != by.workspace_id:
        raise NotFound(_("No such integration."))

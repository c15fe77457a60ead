"""No input makes the API fail with a 500: arbitrary JSON bodies, query strings and path ids against every
operation, as the owner (who gets furthest into the code)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

import pytest
from django.test import Client
from django.test.client import ClientHandler
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from portevoix.api import api
from portevoix.core.api import iter_operations
from portevoix.workspaces import services
from portevoix.workspaces.roles import Role

pytestmark = pytest.mark.django_db

_HANDLER = ClientHandler(enforce_csrf_checks=False)
OPERATIONS = sorted({(op.method, op.path) for op in iter_operations(api)})
FIELDS = ["name", "timezone", "language", "require_2fa", "role", "email", "expires_at", "extra"]
QUERY_KEYS = ["limit", "offset", "action", "actor_id", "object_type", "since", "until", "pending_only"]

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**80), max_value=2**80)
    | st.floats(allow_nan=False)
    | st.text(max_size=40)
    | st.sampled_from(
        [
            "owner",
            "client",
            "Europe/Paris",
            "fr",
            "a@example.com",
            "2030-01-01T00:00:00Z",
            "9999-12-31T23:59:59-23:59",
            "0001-01-01T00:00:00+14:00",
            "\x00",
            "",
            " ",
        ]
    )
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
bodies = st.one_of(
    st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=4),
    json_values,
)
ids = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.text(alphabet="0123456789abc-_.%", min_size=1, max_size=25),
)
queries = st.dictionaries(
    st.sampled_from(QUERY_KEYS),
    st.one_of(
        st.integers(min_value=-(2**70), max_value=2**70).map(str),
        st.text(max_size=30),
        st.sampled_from(["2025-01-01T00:00:00", "9999-12-31T23:59:59-23:59", "true", "member."]),
    ),
    max_size=4,
)


_current: dict[str, Any] = {}
FILE_TYPES = ("application/json", "text/csv", "application/pdf", "text/calendar", "image/", "video/")


def _owner_client(team: Any) -> Client:
    """One token per test: hypothesis runs many examples with the same (function-scoped) fixtures."""
    if _current.get("team") is not team:
        issued = services.api_token_create(by=team.member(Role.OWNER), name="fuzz")
        client = Client(HTTP_AUTHORIZATION=f"Bearer {issued.secret}")
        client.handler = _HANDLER
        _current.update(team=team, client=client, token_id=issued.token.pk)
    return _current["client"]


def _as_int(text: str) -> int | None:
    try:
        return int(text)
    except ValueError:
        return None


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[" ".join(op) for op in OPERATIONS])
@settings(
    max_examples=15, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=bodies, object_id=ids, query=queries)
def test_no_input_causes_a_server_error(team, method, path, body, object_id, query):
    client = _owner_client(team)
    if path == "/api/v1/tokens/{id}":  # revoking the fuzzing token itself would end the test's session
        assume(_as_int(object_id) != _current["token_id"])
    url = path.replace("{id}", object_id)
    if query:
        url = f"{url}?{urlencode(query)}"
    call = getattr(client, method.lower())
    if method in {"POST", "PATCH", "PUT"}:
        response = call(url, json.dumps(body), content_type="application/json")
    else:
        response = call(url)
    assert response.status_code != 401, "the fuzzing client must be authenticated"
    assert response.status_code < 500, (method, url, body, response.content)
    content_type = response["Content-Type"]
    if response.status_code >= 400:
        assert content_type.startswith("application/json")
        assert set(response.json()["error"]) == {"code", "message", "fields"}
    else:  # a few operations answer files (CSV exports, PDF reports, media)
        assert content_type.startswith(FILE_TYPES), (method, url, content_type)

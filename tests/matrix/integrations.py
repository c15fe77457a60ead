"""Access-matrix entries for the GA4 and Metrica integrations (see tests/matrix/__init__.py): seeing them and
the imported traffic needs analytics.view (staff: not the client); connecting, testing, importing and
disconnecting needs analytics.manage (owner, manager, analyst). No request reaches the network: the
integrations acted on answer from respx with Metrica's documented empty report."""

from __future__ import annotations

import functools
import json
from typing import Any

import httpx
import respx

from portevoix.integrations import urls as integrations_urls
from portevoix.integrations.models import AnalyticsIntegration
from portevoix.workspaces.roles import Role

STAFF = frozenset(Role) - {Role.CLIENT}
ANALYSTS = frozenset({Role.OWNER, Role.MANAGER, Role.ANALYST})

URLCONFS: dict[str, Any] = {"integrations": integrations_urls}

EMPTY_REPORT = {"query": {}, "data": [], "total_rows": 0, "sampled": False}


@functools.cache
def service_account_json() -> str:
    """A key file shaped like Google's, with a key generated once per run."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return json.dumps(
        {
            "type": "service_account",
            "private_key_id": "matrix",
            "private_key": pem,
            "client_email": "matrix@example.iam.gserviceaccount.com",
            "token_uri": "https://oauth2.googleapis.com/token",
        }
    )


def _offline(world: Any) -> None:
    """Answer Metrica's report URL from respx for the rest of the test, with no DNS lookup."""
    if "integrations_offline" in world._cache:
        return
    world.request.getfixturevalue("settings").PORTEVOIX_HTTP_ALLOW_PRIVATE = True
    router = respx.mock(assert_all_called=False)
    router.get(url__regex=r"^https://api-metrika\.yandex\.net/stat/v1/data").mock(
        return_value=httpx.Response(200, json=EMPTY_REPORT)
    )
    router.start()
    world.request.addfinalizer(router.stop)
    world._cache["integrations_offline"] = router


def _integration(workspace: Any, name: str) -> AnalyticsIntegration:
    return AnalyticsIntegration.objects.create(
        workspace=workspace,
        kind="metrica",
        name=name,
        config={"counter_id": 44147844, "goal_ids": [], "ecommerce_revenue": False, "currency": "RUB"},
        credentials={"token": "matrix-token"},
    )


def own_integration(world: Any, role: Role) -> int:
    """A fresh integration per request (disconnecting it must not affect the next role)."""
    _offline(world)
    return _integration(world.team.workspace, "own").pk


def foreign_integration(world: Any) -> AnalyticsIntegration:
    return _integration(world.other.workspace, "foreign")


API_EXPECTED = {
    ("GET", "/api/v1/integrations"): STAFF,
    ("POST", "/api/v1/integrations"): ANALYSTS,
    ("GET", "/api/v1/integrations/{id}"): STAFF,
    ("PATCH", "/api/v1/integrations/{id}"): ANALYSTS,
    ("DELETE", "/api/v1/integrations/{id}"): ANALYSTS,
    ("POST", "/api/v1/integrations/{id}/test"): ANALYSTS,
    ("POST", "/api/v1/integrations/{id}/import"): ANALYSTS,
    ("GET", "/api/v1/traffic"): STAFF,
}

API_IDS = {
    "/api/v1/integrations/{id}": (own_integration, foreign_integration),
    "/api/v1/integrations/{id}/test": (own_integration, foreign_integration),
    "/api/v1/integrations/{id}/import": (own_integration, foreign_integration),
}

API_BODIES = {
    ("POST", "/api/v1/integrations"): {
        "kind": "metrica",
        "name": "Matrix",
        "counter_id": "44147844",
        "token": "matrix-token",
    },
    ("PATCH", "/api/v1/integrations/{id}"): {"name": "Renamed", "goal_ids": [1]},
}

HTML_EXPECTED = {
    ("integrations:list", "GET"): STAFF,
    ("integrations:connect_ga4", "POST"): ANALYSTS,
    ("integrations:connect_metrica", "POST"): ANALYSTS,
    ("integrations:test", "POST"): ANALYSTS,
    ("integrations:import", "POST"): ANALYSTS,
    ("integrations:disconnect", "POST"): ANALYSTS,
}

HTML_IDS = {"integration_id": (own_integration, foreign_integration)}

HTML_POST_DATA = {
    "integrations:connect_ga4": {
        "ga4-name": "Matrix GA4",
        "ga4-property_id": "123456789",
        "ga4-key_json": service_account_json,  # a callable: generated on first use
        "ga4-conversion_metric": "keyEvents",
    },
    "integrations:connect_metrica": {
        "metrica-name": "Matrix Metrica",
        "metrica-counter_id": "44147844",
        "metrica-token": "matrix-token",
        "metrica-currency": "RUB",
    },
}

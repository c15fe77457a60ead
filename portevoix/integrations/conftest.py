"""Fixtures of the integrations' tests: a service account key generated per session, the documented
fixtures of each API, and no DNS (respx answers every request)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from portevoix.integrations.ga4.auth import cache as token_cache

HERE = Path(__file__).parent
GA4_API = "https://analyticsdata.googleapis.com"
GA4_TOKEN = "https://oauth2.googleapis.com/token"
METRICA_API = "https://api-metrika.yandex.net"


def fixture(service: str, name: str) -> Any:
    return json.loads((HERE / service / "fixtures" / name).read_text())


def fixture_text(service: str, name: str) -> str:
    return (HERE / service / "fixtures" / name).read_text()


@pytest.fixture(scope="session")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="session")
def service_account(rsa_key: rsa.RSAPrivateKey) -> dict[str, str]:
    """A key file shaped like the one Google gives for a service account."""
    pem = rsa_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return {
        "type": "service_account",
        "project_id": "portevoix-test",
        "private_key_id": "0123456789abcdef0123456789abcdef01234567",
        "private_key": pem,
        "client_email": "portevoix-reader@portevoix-test.iam.gserviceaccount.com",
        "client_id": "123456789012345678901",
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": GA4_TOKEN,
        "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
        "client_x509_cert_url": "https://www.googleapis.com/robot/v1/metadata/x509/portevoix-reader",
        "universe_domain": "googleapis.com",
    }


@pytest.fixture(autouse=True)
def _integrations_network(settings):
    """No DNS lookups (respx answers), fixed service addresses, and an empty token cache per test."""
    settings.PORTEVOIX_HTTP_ALLOW_PRIVATE = True
    settings.PORTEVOIX_GA4_API_URL = GA4_API
    settings.PORTEVOIX_GA4_TOKEN_URL = GA4_TOKEN
    settings.PORTEVOIX_METRICA_API_URL = METRICA_API
    token_cache.clear()
    yield
    token_cache.clear()

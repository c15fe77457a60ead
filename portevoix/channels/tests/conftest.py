"""Fixtures for the channels tests: the fake networks, a workspace team, clients."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import respx

from portevoix.channels.tests.fakes import registered_fakes
from portevoix.core import vault


@pytest.fixture(autouse=True)
def fake_networks(settings) -> Iterator[None]:
    settings.PORTEVOIX_FAKEOAUTH_CLIENT_ID = "fake-client-id"
    settings.PORTEVOIX_FAKEOAUTH_CLIENT_SECRET = "fake-client-secret-9c1"
    settings.PORTEVOIX_BASE_URL = "https://portevoix.example"
    with registered_fakes():
        yield


@pytest.fixture(autouse=True)
def network(settings) -> Iterator[respx.MockRouter]:
    """No test reaches the network: every request must match a route added by the test. The SSRF guard
    would resolve the fake host names first, so it is relaxed here (tests of the guard turn it back on
    with IP literals)."""
    settings.PORTEVOIX_HTTP_ALLOW_PRIVATE = True
    with respx.mock(assert_all_called=False, assert_all_mocked=True) as router:
        yield router


@pytest.fixture
def lose_vault_key(monkeypatch) -> Iterator[Callable[[], None]]:
    """Call it to configure a new vault key only: what was encrypted before can no longer be read."""

    def lose() -> None:
        monkeypatch.setenv(vault.ENV_VAR, vault.generate_key())
        vault.reset_cache()

    yield lose
    monkeypatch.undo()
    vault.reset_cache()

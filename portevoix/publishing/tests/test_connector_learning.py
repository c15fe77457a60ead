"""What a connector learns during a call is kept: a Bluesky-style session opened or renewed goes to the
channel's encrypted credentials (engine and channel test), a Mastodon instance's limits to its options
(connect and test). Neither ever fails the publication, the connect or the test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from portevoix.channels import runtime as channel_runtime
from portevoix.channels.services.common import verify_account
from portevoix.connectors import registry
from portevoix.connectors.mastodon.instance import InstanceLimits
from portevoix.connectors.types import AccountInfo, ChannelConfig, OutgoingPost, Published, TokenSet
from portevoix.content.validation import instance_limits_from_options
from portevoix.publishing.engine import execute
from portevoix.publishing.models import TargetState
from portevoix.publishing.tests.conftest import claim_one
from portevoix.publishing.tests.fakes import Scripted

pytestmark = pytest.mark.django_db

SESSION = TokenSet(
    access_token="new-access-jwt", refresh_token="new-refresh-jwt", extra={"did": "did:plc:abc"}
)


class FakeSessionConnector:
    def __init__(self, *, tokens: TokenSet | None = SESSION, broken: bool = False) -> None:
        self.session_changed = True
        self._tokens = tokens
        self._broken = broken

    def current_session(self) -> TokenSet | None:
        if self._broken:
            raise RuntimeError("boom")
        return self._tokens


class SessionScripted(Scripted):
    """The scripted network, logging in again on every publish (as Bluesky does without a session)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.session_changed = False

    def publish(self, post: OutgoingPost) -> Published:
        self.session_changed = True
        return super().publish(post)

    def current_session(self) -> TokenSet:
        return SESSION


@pytest.fixture
def session_network(network) -> Iterator[None]:
    registry.CONNECTORS.pop(Scripted.key, None)
    registry.register(SessionScripted)
    yield
    registry.CONNECTORS.pop(Scripted.key, None)
    registry.register(Scripted)


def test_persist_session_merges_into_the_encrypted_credentials(channel):
    connector = FakeSessionConnector()
    assert channel_runtime.persist_session(channel, connector) is True
    channel.refresh_from_db()
    stored = channel.credentials.reveal()
    assert stored["access_token"] == "new-access-jwt"
    assert stored["refresh_token"] == "new-refresh-jwt"
    assert stored["did"] == "did:plc:abc"
    assert connector.session_changed is False
    assert channel_runtime.persist_session(channel, connector) is False  # nothing new


def test_persist_session_with_nothing_changed_or_a_broken_connector(channel):
    before = channel.credentials.reveal()
    assert channel_runtime.persist_session(channel, object()) is False
    assert channel_runtime.persist_session(channel, FakeSessionConnector(tokens=None)) is False
    assert channel_runtime.persist_session(channel, FakeSessionConnector(broken=True)) is False
    channel.refresh_from_db()
    assert channel.credentials.reveal() == before


def test_the_engine_stores_a_session_changed_while_publishing(session_network, channel, make_target):
    target = make_target()
    execute(target.pk, claim_one(target), "w1")
    target.refresh_from_db()
    assert target.state == TargetState.PUBLISHED
    channel.refresh_from_db()
    stored = channel.credentials.reveal()
    assert stored["access_token"] == "new-access-jwt"
    assert stored["refresh_token"] == "new-refresh-jwt"


class LimitsConnector:
    def __init__(self, limits: InstanceLimits | Exception) -> None:
        self._limits = limits

    def instance_limits(self) -> InstanceLimits:
        if isinstance(self._limits, Exception):
            raise self._limits
        return self._limits


def test_remember_instance_limits(channel):
    limits = InstanceLimits(max_characters=5000)
    assert channel_runtime.remember_instance_limits(channel, LimitsConnector(limits)) is True
    channel.refresh_from_db()
    assert instance_limits_from_options(channel.options).max_characters == 5000
    assert channel_runtime.remember_instance_limits(channel, LimitsConnector(RuntimeError("down"))) is False
    assert channel_runtime.remember_instance_limits(channel, object()) is False
    channel.refresh_from_db()
    assert instance_limits_from_options(channel.options).max_characters == 5000


class _Net:
    key = "scripted"
    label = "Scripted"

    def __init__(self, connector_cls: type) -> None:
        self.connector = connector_cls


def test_verify_keeps_the_session_and_the_instance_limits_in_what_connect_stores():
    class Verifying(FakeSessionConnector):
        def __init__(self, config, client) -> None:
            super().__init__()

        def verify(self) -> AccountInfo:
            return AccountInfo(external_id="acct-9", name="Acme")

        def instance_limits(self) -> InstanceLimits:
            return InstanceLimits(max_characters=1000)

    config = ChannelConfig(external_id="", credentials={"app_password": "pw"}, base_url="", options={})
    info = verify_account(_Net(Verifying), config)  # type: ignore[arg-type]
    assert info.external_id == "acct-9"
    assert config.credentials["access_token"] == "new-access-jwt"
    assert config.credentials["app_password"] == "pw"
    assert instance_limits_from_options(config.options).max_characters == 1000


def test_verify_succeeds_when_the_instance_limits_fail():
    class Verifying:
        def __init__(self, config, client) -> None:
            pass

        def verify(self) -> AccountInfo:
            return AccountInfo(external_id="acct-9", name="Acme")

        def instance_limits(self) -> InstanceLimits:
            raise RuntimeError("instance down")

    config = ChannelConfig(external_id="", credentials={"token": "t"}, base_url="", options={})
    assert verify_account(_Net(Verifying), config).external_id == "acct-9"  # type: ignore[arg-type]
    assert "instance_limits" not in config.options

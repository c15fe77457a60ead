"""The contract every connector passes, on top of its own fixture-driven tests.

A connector's test module subclasses ``ConnectorContract`` and fills in the scenario hooks with respx
routes built from the network's documented requests and responses::

    class TestTelegramContract(ConnectorContract):
        connector_class = Telegram
        def channel(self): return ChannelConfig(external_id="@news", credentials={...}, base_url=...)
        def mock_publish(self, respx_mock, reply): respx_mock.post(...).mock(return_value=reply(...))
        ...

Every hook receives ``reply``: a function that builds the network's answer for a status (documented
success body for 2xx, documented error body for 4xx/5xx) so the contract can exercise each outcome.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any, ClassVar

import httpx
import pytest

from portevoix.connectors import registry
from portevoix.connectors.base import Connector
from portevoix.connectors.errors import (
    AuthExpired,
    ConnectorError,
    OutcomeUnknown,
    RateLimited,
    ReauthRequired,
    Transient,
)
from portevoix.connectors.types import Capability, ChannelConfig, OutgoingPost, Published

Reply = Callable[..., httpx.Response]


# --- Reading what a connector sent ---------------------------------------------------------------------


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
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        assert isinstance(name, str), "a form part without a name"
        assert name not in parts, f"field {name} sent twice"
        content = part.get_payload(decode=True)
        assert isinstance(content, bytes)
        parts[name] = Part(
            name=name,
            filename=part.get_filename(),
            content_type=part["content-type"] and part.get_content_type(),
            content=content,
        )
    return parts


def sample_post(**overrides: Any) -> OutgoingPost:
    values: dict[str, Any] = {
        "text": "Hello from Portevoix #launch https://example.com/a",
        "idempotency_key": "k-1",
    }
    values.update(overrides)
    return OutgoingPost(**values)


class ConnectorContract:
    """Checks shared by every connector. Subclasses set ``connector_class`` and the hooks."""

    connector_class: ClassVar[type[Connector]]

    # --- Hooks ----------------------------------------------------------------------------------

    def channel(self) -> ChannelConfig:
        raise NotImplementedError

    def mock_publish(self, respx_mock: Any, response: httpx.Response | Exception) -> None:
        """Route every request that ``publish(sample_post())`` makes; the *final* publishing request
        answers ``response`` (or raises it, for transport errors)."""
        raise NotImplementedError

    def error_response(self, status: int, *, retry_after: int | None = None) -> httpx.Response:
        """The network's documented error answer for ``status``."""
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        return httpx.Response(status, json={"error": f"status {status}"}, headers=headers)

    def success_response(self) -> httpx.Response:
        raise NotImplementedError

    # --- Fixtures -------------------------------------------------------------------------------

    @pytest.fixture
    def connector(self) -> Connector:
        return self.connector_class(self.channel(), httpx.Client(timeout=5))

    # --- The contract ---------------------------------------------------------------------------

    def test_declaration_is_complete(self) -> None:
        cls = self.connector_class
        assert re.fullmatch(r"[a-z][a-z0-9_]*", cls.key), "key: lower-case identifier"
        assert cls.label
        assert registry.get(cls.key) is cls, "register the connector in connectors/registry.py"
        if Capability.IMAGES in cls.capabilities or Capability.VIDEO in cls.capabilities:
            assert cls.limits.media > 0
        if Capability.IMAGES in cls.capabilities:
            assert cls.limits.image_formats, "declare the accepted image formats"
        if Capability.VIDEO in cls.capabilities:
            assert cls.limits.video_formats, "declare the accepted video formats"
        for capability, method in (
            (Capability.PUBLISH, "publish"),
            (Capability.EDIT, "edit"),
            (Capability.DELETE, "delete"),
            (Capability.METRICS, "fetch_metrics"),
            (Capability.FOLLOWERS, "fetch_followers"),
            (Capability.LOOKUP, "find_published"),
        ):
            overridden = getattr(cls, method) is not getattr(Connector, method)
            assert overridden == (capability in cls.capabilities), (
                f"{method} is {'implemented' if overridden else 'missing'} but {capability} is "
                f"{'not ' if overridden else ''}declared"
            )

    def test_publish_returns_the_remote_id(self, connector: Connector, respx_mock: Any) -> None:
        if Capability.PUBLISH not in connector.capabilities:
            pytest.skip(f"{connector.label} declares no publishing")
        self.mock_publish(respx_mock, self.success_response())
        published = connector.publish(sample_post())
        assert isinstance(published, Published)
        assert published.remote_id

    @pytest.mark.parametrize(
        ("status", "expected"),
        [
            (401, (AuthExpired, ReauthRequired)),
            (403, (ReauthRequired,)),
            (429, (RateLimited,)),
            (500, (Transient,)),
            (503, (Transient,)),
        ],
    )
    def test_http_errors_are_typed(
        self, connector: Connector, respx_mock: Any, status: int, expected: tuple[type[Exception], ...]
    ) -> None:
        if Capability.PUBLISH not in connector.capabilities:
            pytest.skip(f"{connector.label} declares no publishing")
        self.mock_publish(respx_mock, self.error_response(status, retry_after=7 if status == 429 else None))
        with pytest.raises(expected) as caught:
            connector.publish(sample_post())
        assert isinstance(caught.value, ConnectorError)
        assert caught.value.message
        if isinstance(caught.value, RateLimited):
            assert caught.value.retry_after == 7

    def test_garbage_answer_is_a_typed_error(self, connector: Connector, respx_mock: Any) -> None:
        if Capability.PUBLISH not in connector.capabilities:
            pytest.skip(f"{connector.label} declares no publishing")
        self.mock_publish(respx_mock, httpx.Response(200, text="<html>proxy error</html>"))
        with pytest.raises(ConnectorError):
            connector.publish(sample_post())

    def test_connection_refused_is_transient(self, connector: Connector, respx_mock: Any) -> None:
        if Capability.PUBLISH not in connector.capabilities:
            pytest.skip(f"{connector.label} declares no publishing")
        self.mock_publish(respx_mock, httpx.ConnectError("refused"))
        with pytest.raises(Transient):
            connector.publish(sample_post())

    def test_timeout_after_sending_is_outcome_unknown(self, connector: Connector, respx_mock: Any) -> None:
        if Capability.PUBLISH not in connector.capabilities:
            pytest.skip(f"{connector.label} declares no publishing")
        self.mock_publish(respx_mock, httpx.ReadTimeout("no answer"))
        with pytest.raises(OutcomeUnknown):
            connector.publish(sample_post())

    def test_credentials_never_appear_in_errors(self, connector: Connector, respx_mock: Any) -> None:
        if Capability.PUBLISH not in connector.capabilities:
            pytest.skip(f"{connector.label} declares no publishing")
        self.mock_publish(respx_mock, self.error_response(400))
        with pytest.raises(ConnectorError) as caught:
            connector.publish(sample_post())
        secrets = [value for value in self.channel().credentials.values() if len(value) >= 8]
        shown = f"{caught.value.message} {caught.value.detail} {caught.value!r}"
        for secret in secrets:
            assert secret not in shown

"""Every connector, registered in one line each."""

from __future__ import annotations

from portevoix.connectors.base import Connector

CONNECTORS: dict[str, type[Connector]] = {}


def register(connector: type[Connector]) -> type[Connector]:
    if connector.key in CONNECTORS:
        raise ValueError(f"Connector {connector.key!r} is registered twice")
    CONNECTORS[connector.key] = connector
    return connector


def get(key: str) -> type[Connector]:
    try:
        return CONNECTORS[key]
    except KeyError:
        raise KeyError(f"No connector {key!r}; known: {', '.join(sorted(CONNECTORS))}") from None


def all_connectors() -> list[type[Connector]]:
    return [CONNECTORS[key] for key in sorted(CONNECTORS)]


# One line per network (kept sorted):
from portevoix.connectors.bluesky import Bluesky  # noqa: E402
from portevoix.connectors.discord import Discord  # noqa: E402
from portevoix.connectors.mastodon import Mastodon  # noqa: E402
from portevoix.connectors.telegram import Telegram  # noqa: E402
from portevoix.connectors.vk import VK  # noqa: E402

register(Bluesky)
register(Discord)
register(Mastodon)
register(Telegram)
register(VK)

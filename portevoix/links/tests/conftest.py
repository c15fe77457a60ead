"""The publishing engine's test fixtures (a scripted network, posts, targets), for the tests of links in
published posts. ``_engine_settings`` is autouse there: it only sets the engine's own settings."""

from portevoix.publishing.tests.conftest import (  # noqa: F401
    _engine_settings,
    channel,
    make_channel,
    make_post,
    make_target,
    network,
)

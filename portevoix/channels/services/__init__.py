"""Writes for channels: connect, test, reconnect, rename, disconnect, token refresh and health checks.

Every person-driven function takes the acting member as ``by`` and checks ``channel.manage``. Talking to
the network (the connector's ``verify()``, a token refresh) happens before the transaction that stores the
result, never inside it. Connector errors reach people as ``ValidationFailed`` with the connector's plain
message; credentials never appear in a message, an audit entry or a log line.

- ``connect``: connecting with a form's values or a sign-in's tokens, reconnecting, renaming, disconnecting;
- ``health``: "Test connection", the daily check, errors reported by the publishing engine;
- ``refresh``: single-flight token renewal;
- ``common``: limits and input checks.
"""

from __future__ import annotations

from portevoix.channels.services.common import (
    CHECK_EVERY,
    EXTERNAL_ID_FIELD,
    MAX_BASE_URL_LENGTH,
    MAX_FIELD_LENGTH,
    MAX_NAME_LENGTH,
    REFRESH_AHEAD,
    REFRESH_LEASE,
    RunSummary,
    clean_base_url,
    clean_fields,
)
from portevoix.channels.services.connect import (
    channel_connect,
    channel_connect_oauth,
    channel_disconnect,
    channel_reconnect,
    channel_reconnect_oauth,
    channel_rename,
)
from portevoix.channels.services.health import (
    CheckResult,
    channel_check,
    channel_report_error,
    channel_test,
    channels_check_all,
)
from portevoix.channels.services.refresh import (
    channel_refresh,
    channel_refresh_claim,
    channels_refresh_due,
    refresh_due_at,
    refresh_due_filter,
)

__all__ = [
    "CHECK_EVERY",
    "EXTERNAL_ID_FIELD",
    "MAX_BASE_URL_LENGTH",
    "MAX_FIELD_LENGTH",
    "MAX_NAME_LENGTH",
    "REFRESH_AHEAD",
    "REFRESH_LEASE",
    "CheckResult",
    "RunSummary",
    "channel_check",
    "channel_connect",
    "channel_connect_oauth",
    "channel_disconnect",
    "channel_reconnect",
    "channel_reconnect_oauth",
    "channel_refresh",
    "channel_refresh_claim",
    "channel_rename",
    "channel_report_error",
    "channel_test",
    "channels_check_all",
    "channels_refresh_due",
    "clean_base_url",
    "clean_fields",
    "refresh_due_at",
    "refresh_due_filter",
]

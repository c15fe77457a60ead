"""The URLconfs of the apps added after the first table was written: their workspace pages are enumerated
like the others'."""

from __future__ import annotations

from typing import Any

from portevoix.approvals import urls as approvals_urls
from portevoix.planning import urls as planning_urls
from portevoix.teamtasks import urls as teamtasks_urls

URLCONFS: dict[str, Any] = {
    "planning": planning_urls,
    "approvals": approvals_urls,
    "teamtasks": teamtasks_urls,
}

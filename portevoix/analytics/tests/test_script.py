"""The tracker script itself, run by node in a fake browser: what it sends, the visitor id it keeps, no
cookies, nothing at all under Do Not Track or Global Privacy Control."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

NODE = shutil.which("node") or shutil.which("nodejs")
pytestmark = pytest.mark.skipif(NODE is None, reason="node is not installed")
HARNESS = Path(__file__).parent / "pv_harness.js"


def run(**options):
    out = subprocess.run(
        [NODE, str(HARNESS), json.dumps(options)], capture_output=True, text=True, timeout=30
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_pageview_goals_and_engaged_time():
    result = run(
        search="?utm_source=vk&utm_medium=social&utm_campaign=spring%20sale&utm_content=42&pv=AbCd1234&x=1",
        referrer="https://away.vk.com/away.php",
        queued=[["goal", "signup"]],
        calls=[["goal", "purchase", {"revenue": "12.5", "currency": "eur", "order_id": 1001}]],
        hide=15_400,
    )
    assert not result["cookieTouched"]
    vid = result["store"]["pv_id"]
    assert re.fullmatch(r"[0-9a-f]{32}", vid)
    sent = result["sent"]
    assert {item["url"] for item in sent} == {"https://pv.example/t/e"}
    assert {item["type"] for item in sent} == {"string"}  # sendBeacon(url, string): text/plain, no preflight
    bodies = [item["body"] for item in sent]
    assert all(body["k"] == "site1234key" and body["v"] == vid for body in bodies)
    assert bodies[0] == {
        "e": "pageview",
        "p": "/landing",
        "r": "https://away.vk.com/away.php",
        "u": {"source": "vk", "medium": "social", "campaign": "spring sale", "content": "42"},
        "l": "AbCd1234",
        "k": "site1234key",
        "v": vid,
    }
    assert [(body["e"], body.get("g")) for body in bodies[1:3]] == [("goal", "signup"), ("goal", "purchase")]
    assert (bodies[2]["rev"], bodies[2]["cur"], bodies[2]["oid"]) == (12.5, "EUR", "1001")
    assert bodies[3] == {"e": "engagement", "s": 15, "k": "site1234key", "v": vid}


@pytest.mark.parametrize("signal", [{"dnt": True}, {"gpc": True}])
def test_nothing_is_sent_or_stored_when_the_browser_asks_not_to_be_tracked(signal):
    result = run(calls=[["goal", "purchase", {"revenue": 1, "currency": "EUR"}]], hide=20_000, **signal)
    assert result["sent"] == []
    assert result["store"] == {}

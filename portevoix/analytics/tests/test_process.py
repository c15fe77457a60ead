"""No tracker event is lost on a graceful restart: ``portevoix web`` takes beacons (and short-link clicks),
is sent SIGTERM, and every accepted beacon and click is in the database afterwards (both writers' intervals
are an hour, so only the flush on lifespan shutdown can have stored them)."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import time

import httpx
import pytest

from portevoix.links.tests.test_process import free_port, portevoix

pytestmark = pytest.mark.process

SETUP = """
from portevoix.accounts.models import User
from portevoix.analytics.services import site_create
from portevoix.links.services import link_create
from portevoix.workspaces import services
from portevoix.workspaces.models import Membership
owner = User.objects.create_user("owner@example.com", "a-long-passphrase-1")
services.workspace_create(user=owner, name="Acme", timezone_name="UTC", language="en")
member = Membership.objects.get(user=owner)
site = site_create(by=member, name="Shop", domains="shop.example").site
link = link_create(by=member, url="https://shop.example/")
print(site.public_key, link.code)
"""
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"


def test_sigterm_flushes_every_beacon_and_click(tmp_path):
    env = {key: value for key, value in os.environ.items() if key not in {"DATABASE_URL", "HOST", "PORT"}}
    env.update(
        PORTEVOIX_DATA_DIR=str(tmp_path),
        PORTEVOIX_LINKS_FLUSH_SECONDS="3600",
        PORTEVOIX_TRACKER_FLUSH_SECONDS="3600",
        PORTEVOIX_TRACKER_IP_RATE="1000",
        PYTHONUNBUFFERED="1",
    )
    subprocess.run(portevoix("migrate", "--noinput", "-v", "0"), env=env, check=True, timeout=180)
    out = subprocess.run(
        portevoix("shell", "-c", SETUP), env=env, check=True, timeout=60, capture_output=True, text=True
    )
    key, code = out.stdout.strip().splitlines()[-1].split()
    port = free_port()
    log = (tmp_path / "web.log").open("w")
    server = subprocess.Popen(
        portevoix("web", "--port", str(port), "--no-access-log"),
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    visitors = 50
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.head(f"{base}/t/pv.js", timeout=1)
                break
            except httpx.TransportError:
                assert server.poll() is None, (tmp_path / "web.log").read_text()
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.2)
        headers = {"Origin": "https://shop.example", "User-Agent": BROWSER, "Content-Type": "text/plain"}
        with httpx.Client(timeout=5) as client:
            for number in range(visitors):
                vid = f"{number:032x}"
                pageview = {
                    "k": key,
                    "v": vid,
                    "e": "pageview",
                    "p": "/",
                    "u": {"source": "vk", "medium": "social"},
                }
                engaged = {"k": key, "v": vid, "e": "engagement", "s": 12}
                for body in (pageview, engaged):
                    answer = client.post(f"{base}/t/e", content=json.dumps(body), headers=headers)
                    assert answer.status_code == 204, answer.text
                assert client.get(f"{base}/l/{code}", headers={"User-Agent": BROWSER}).status_code == 302
        with sqlite3.connect(tmp_path / "portevoix.sqlite3") as db:
            assert db.execute("select count(*) from analytics_visit").fetchone()[0] == 0  # still buffered
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=30) == 0
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
        log.close()
    with sqlite3.connect(tmp_path / "portevoix.sqlite3") as db:
        visits = db.execute(
            "select count(*), sum(engaged_seconds), sum(bounced) from analytics_visit"
        ).fetchone()
        clicks = db.execute("select count(*) from links_click").fetchone()[0]
    assert visits == (visitors, visitors * 12, 0), (tmp_path / "web.log").read_text()
    assert clicks == visitors

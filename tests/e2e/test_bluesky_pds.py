"""The Bluesky connector end to end against a REAL PDS (@atproto/dev-env, started by bluesky_pds/run.mjs).

The PDS, its PLC directory and the account creation are the real atproto code; only the AppView (which
needs PostgreSQL and Redis) is replaced by a stand-in in run.mjs that counts the records really in the
PDS's repositories. The fixture installs the Node packages (``npm ci``) when ``node_modules`` is missing.

Without ``node`` the tests skip, unless PORTEVOIX_REQUIRE_BROWSER is set (CI sets it): then they fail.
"""

from __future__ import annotations

import fcntl
import json
import os
import selectors
import shutil
import struct
import subprocess
import tempfile
import time
import uuid
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NoReturn

import httpx
import pytest

from portevoix.connectors.bluesky import Bluesky, session_credentials
from portevoix.connectors.errors import ContentRejected, ReauthRequired
from portevoix.connectors.types import ChannelConfig, MediaItem, OutgoingPost, PostMetrics

PDS_DIR = Path(__file__).resolve().parent / "bluesky_pds"
NPM_INSTALL_TIMEOUT = 900  # seconds: a first install downloads about 470 packages
START_TIMEOUT = 60
POSTS = "app.bsky.feed.post"


def _required() -> bool:
    return os.environ.get("PORTEVOIX_REQUIRE_BROWSER", "").strip().lower() not in {"", "0", "false", "no"}


def _unavailable(message: str) -> NoReturn:
    if _required():
        pytest.fail(f"{message} PORTEVOIX_REQUIRE_BROWSER is set, so this is an error.", pytrace=False)
    pytest.skip(message)


def _install_node_packages(npm: str) -> None:
    """``npm ci`` once, even when several pytest-xdist workers get here together."""
    with (Path(tempfile.gettempdir()) / "portevoix-bluesky-pds-npm.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (PDS_DIR / "node_modules" / "@atproto" / "dev-env" / "package.json").exists():
            return
        result = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=PDS_DIR,
            capture_output=True,
            text=True,
            timeout=NPM_INSTALL_TIMEOUT,
            check=False,
        )
        if result.returncode != 0:
            pytest.fail(f"`npm ci` in {PDS_DIR} failed: {result.stderr[-2000:]}", pytrace=False)


def _read_first_line(process: subprocess.Popen[str], log: Path) -> str:
    assert process.stdout is not None
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if selector.select(timeout=0.5):
            line = process.stdout.readline()
            if line:
                return line
        if process.poll() is not None:
            break
    process.kill()
    raise AssertionError(f"The PDS did not start: {log.read_text(errors='replace')[-3000:]}")


@pytest.fixture(scope="module")
def pds(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        _unavailable("Node.js (node and npm) is not installed; the Bluesky PDS test needs it.")
    _install_node_packages(npm)
    folder = tmp_path_factory.mktemp("bluesky-pds")
    log = folder / "pds.log"
    with log.open("w") as stderr:
        process = subprocess.Popen(
            [node, "run.mjs"],
            cwd=PDS_DIR,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
            env={**os.environ, "TMPDIR": str(folder)},  # the PDS's files, even if it is killed
        )
    try:
        yield json.loads(_read_first_line(process, log))
    finally:
        if process.stdin is not None:
            process.stdin.close()  # run.mjs stops when stdin closes
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if process.stdout is not None:
            process.stdout.close()


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    # A plain client: the PDS listens on localhost, which the product's guarded client refuses (SSRF).
    with httpx.Client(timeout=15) as client:
        yield client


def connector(pds: dict[str, Any], http: httpx.Client, **credentials: str) -> Bluesky:
    account = pds["account"]
    values = {"identifier": account["handle"], "app_password": account["app_password"], **credentials}
    config = ChannelConfig(external_id=account["did"], credentials=values, base_url=pds["pds_url"])
    return Bluesky(config, http)


def xrpc_get(pds: dict[str, Any], http: httpx.Client, nsid: str, **params: str) -> httpx.Response:
    return http.get(f"{pds['pds_url']}/xrpc/{nsid}", params=params)


def post_rkeys(pds: dict[str, Any], http: httpx.Client) -> list[str]:
    response = xrpc_get(
        pds, http, "com.atproto.repo.listRecords", repo=pds["account"]["did"], collection=POSTS, limit="100"
    )
    assert response.status_code == 200, response.text
    return [record["uri"].rsplit("/", 1)[1] for record in response.json()["records"]]


def png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A real PNG, made without Pillow."""

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))

    rows = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


class Fan:
    """The second account, acting on the first one's posts with plain XRPC calls."""

    def __init__(self, pds: dict[str, Any], http: httpx.Client) -> None:
        self.pds, self.http = pds, http
        response = http.post(
            f"{pds['pds_url']}/xrpc/com.atproto.server.createSession",
            json={"identifier": pds["fan"]["handle"], "password": pds["fan"]["app_password"]},
        )
        assert response.status_code == 200, response.text
        self.token, self.did = response.json()["accessJwt"], response.json()["did"]

    def create(self, collection: str, record: dict[str, Any]) -> dict[str, Any]:
        response = self.http.post(
            f"{self.pds['pds_url']}/xrpc/com.atproto.repo.createRecord",
            headers={"Authorization": f"Bearer {self.token}"},
            json={"repo": self.did, "collection": collection, "record": {"$type": collection, **record}},
        )
        assert response.status_code == 200, response.text
        return response.json()


def now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())


# --- The tests ------------------------------------------------------------------------------------


def test_verify_and_a_wrong_app_password(pds: dict[str, Any], http: httpx.Client) -> None:
    bluesky = connector(pds, http)
    info = bluesky.verify()
    assert info.external_id == pds["account"]["did"]
    assert info.handle == "alice.test"
    assert info.name == "Alice Portevoix"
    assert info.url == "https://bsky.app/profile/alice.test"
    assert bluesky.session_changed
    tokens = bluesky.current_session()
    assert tokens is not None
    assert tokens.extra["did"] == pds["account"]["did"]

    with pytest.raises(ReauthRequired):
        connector(pds, http, app_password="aaaa-bbbb-cccc-dddd").verify()


def test_publish_with_facets_and_a_link_card_then_resend_without_duplicate(
    pds: dict[str, Any], http: httpx.Client
) -> None:
    first = connector(pds, http)
    first.verify()
    tokens = first.current_session()
    assert tokens is not None
    # The session is stored with the channel and reused: no new login for the posts below.
    stored = session_credentials(tokens)
    key = f"e2e-{uuid.uuid4()}"
    text = "Launch day 🚀 with @bob.test and @nobody.example.com #launch https://example.com/launch"
    post = OutgoingPost(
        text=text, idempotency_key=key, link="https://example.com/launch", options={"langs": "en"}
    )

    bluesky = connector(pds, http, **stored)
    published = bluesky.publish(post)
    assert not bluesky.session_changed, "the stored session served the post"

    did = pds["account"]["did"]
    rkey = published.remote_id.rsplit("/", 1)[1]
    assert published.remote_id == f"at://{did}/{POSTS}/{rkey}"
    assert published.url == f"https://bsky.app/profile/alice.test/post/{rkey}"
    record = xrpc_get(pds, http, "com.atproto.repo.getRecord", repo=did, collection=POSTS, rkey=rkey).json()
    value = record["value"]
    assert value["text"] == text
    assert value["langs"] == ["en"]
    encoded = text.encode()
    spans = {
        encoded[f["index"]["byteStart"] : f["index"]["byteEnd"]].decode(): f["features"][0]
        for f in value["facets"]
    }
    assert spans == {
        "@bob.test": {"$type": "app.bsky.richtext.facet#mention", "did": pds["fan"]["did"]},
        "#launch": {"$type": "app.bsky.richtext.facet#tag", "tag": "launch"},
        "https://example.com/launch": {
            "$type": "app.bsky.richtext.facet#link",
            "uri": "https://example.com/launch",
        },
    }, "the handle that does not resolve stays plain text"
    assert value["embed"] == {
        "$type": "app.bsky.embed.external",
        "external": {"uri": "https://example.com/launch", "title": "example.com", "description": ""},
    }

    # A resend with the same idempotency key (a retry after a timeout) finds the post instead of doubling it.
    before = post_rkeys(pds, http)
    again = connector(pds, http, **stored).publish(post)
    assert again.remote_id == published.remote_id
    assert again.published_at == published.published_at
    assert post_rkeys(pds, http) == before
    assert before.count(rkey) == 1

    found = bluesky.find_published(post, since=published.published_at)
    assert found is not None
    assert found.remote_id == published.remote_id
    missing = OutgoingPost(text=text, idempotency_key=f"never-sent-{uuid.uuid4()}")
    assert bluesky.find_published(missing, since=published.published_at) is None


def test_publish_with_an_image(pds: dict[str, Any], http: httpx.Client, tmp_path: Path) -> None:
    picture = png(24, 16, (200, 30, 60))
    path = tmp_path / "swatch.png"
    path.write_bytes(picture)
    item = MediaItem(
        kind="image",
        path=path,
        content_type="image/png",
        size=len(picture),
        filename="swatch.png",
        width=24,
        height=16,
        alt_text="A red swatch",
    )
    post = OutgoingPost(text="Our colour 🎨", idempotency_key=f"e2e-{uuid.uuid4()}", media=(item,))
    published = connector(pds, http).publish(post)

    did = pds["account"]["did"]
    rkey = published.remote_id.rsplit("/", 1)[1]
    value = xrpc_get(pds, http, "com.atproto.repo.getRecord", repo=did, collection=POSTS, rkey=rkey).json()[
        "value"
    ]
    [entry] = value["embed"]["images"]
    assert value["embed"]["$type"] == "app.bsky.embed.images"
    assert entry["alt"] == "A red swatch"
    assert entry["aspectRatio"] == {"width": 24, "height": 16}
    assert entry["image"]["mimeType"] == "image/png"
    assert entry["image"]["size"] == len(picture)
    blob = xrpc_get(pds, http, "com.atproto.sync.getBlob", did=did, cid=entry["image"]["ref"]["$link"])
    assert blob.content == picture

    too_big = MediaItem(**{**item.__dict__, "size": 1_000_001})
    with pytest.raises(ContentRejected):
        connector(pds, http).publish(OutgoingPost(text="x", idempotency_key="too-big", media=(too_big,)))


def test_metrics_followers_and_delete(pds: dict[str, Any], http: httpx.Client) -> None:
    bluesky = connector(pds, http)
    liked = bluesky.publish(OutgoingPost(text="Like this one", idempotency_key=f"e2e-{uuid.uuid4()}"))
    quiet = bluesky.publish(OutgoingPost(text="A quiet one", idempotency_key=f"e2e-{uuid.uuid4()}"))
    followers_before = bluesky.fetch_followers()
    assert followers_before is not None

    fan = Fan(pds, http)
    cid = xrpc_get(
        pds,
        http,
        "com.atproto.repo.getRecord",
        repo=pds["account"]["did"],
        collection=POSTS,
        rkey=liked.remote_id.rsplit("/", 1)[1],
    ).json()["cid"]
    subject = {"uri": liked.remote_id, "cid": cid}
    fan.create("app.bsky.feed.like", {"subject": subject, "createdAt": now()})
    fan.create("app.bsky.feed.repost", {"subject": subject, "createdAt": now()})
    fan.create(
        "app.bsky.feed.post",
        {"text": "Agreed!", "reply": {"root": subject, "parent": subject}, "createdAt": now()},
    )
    fan.create(
        "app.bsky.feed.post",
        {"text": "Look", "embed": {"$type": "app.bsky.embed.record", "record": subject}, "createdAt": now()},
    )
    fan.create("app.bsky.graph.follow", {"subject": pds["account"]["did"], "createdAt": now()})

    metrics = bluesky.fetch_metrics([liked.remote_id, quiet.remote_id])
    assert metrics == [
        PostMetrics(remote_id=liked.remote_id, views=None, likes=1, comments=1, shares=1, quotes=1),
        PostMetrics(remote_id=quiet.remote_id, views=None, likes=0, comments=0, shares=0, quotes=0),
    ]
    assert bluesky.fetch_followers() == followers_before + 1

    bluesky.delete(quiet.remote_id)
    bluesky.delete(quiet.remote_id)  # deleting twice is harmless
    gone = xrpc_get(
        pds,
        http,
        "com.atproto.repo.getRecord",
        repo=pds["account"]["did"],
        collection=POSTS,
        rkey=quiet.remote_id.rsplit("/", 1)[1],
    )
    assert gone.status_code == 400
    assert gone.json()["error"] == "RecordNotFound"
    assert [m.remote_id for m in bluesky.fetch_metrics([liked.remote_id, quiet.remote_id])] == [
        liked.remote_id
    ]


def test_an_expired_session_is_refreshed_not_logged_in_again(pds: dict[str, Any], http: httpx.Client) -> None:
    login = connector(pds, http)
    login.verify()
    tokens = login.current_session()
    assert tokens is not None
    stored = session_credentials(tokens)

    # The PDS signed this access token, but it expired a minute ago: the PDS answers ExpiredToken. The app
    # password is wrong here, so only refreshSession (not a new login) can get the call through.
    expired = {**stored, "access_jwt": pds["expired_access_jwt"]}
    bluesky = connector(pds, http, **expired, app_password="not-the-password")
    assert bluesky.fetch_followers() is not None
    assert bluesky.session_changed
    renewed = bluesky.current_session()
    assert renewed is not None
    assert renewed.access_token != pds["expired_access_jwt"]
    assert renewed.refresh_token != tokens.refresh_token  # refreshSession rotates the refresh token

    # refresh() with the newest refresh token; the new access token works.
    fresh = connector(pds, http, **session_credentials(renewed)).refresh()
    assert fresh.expires_at is not None
    assert fresh.extra["did"] == pds["account"]["did"]
    check = http.get(
        f"{pds['pds_url']}/xrpc/com.atproto.server.getSession",
        headers={"Authorization": f"Bearer {fresh.access_token}"},
    )
    assert check.status_code == 200
    assert check.json()["handle"] == "alice.test"

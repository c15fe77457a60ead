"""The bare ASGI peer of bench/redirect.py: the least an ASGI redirect can do (one known code, nothing
recorded), with the lifespan protocol answered."""

from __future__ import annotations

import os
from typing import Any

CODE = os.environ.get("BENCH_CODE", "AAAAAAAA")
LOCATION = os.environ.get("BENCH_TARGET", "https://example.com/").encode()
FOUND = [(b"location", LOCATION), (b"cache-control", b"private, max-age=0"), (b"content-length", b"0")]
MISSING = [(b"content-type", b"text/plain"), (b"content-length", b"10")]


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            await send({"type": f"{message['type']}.complete"})
            if message["type"] == "lifespan.shutdown":
                return
    if scope["path"] == f"/l/{CODE}":
        await send({"type": "http.response.start", "status": 302, "headers": FOUND})
        await send({"type": "http.response.body", "body": b""})
        return
    await send({"type": "http.response.start", "status": 404, "headers": MISSING})
    await send({"type": "http.response.body", "body": b"Not found\n"})

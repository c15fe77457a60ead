"""The Starlette peer of bench/redirect.py: a plain redirect of one known code, nothing recorded."""

from __future__ import annotations

import os

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

CODE = os.environ.get("BENCH_CODE", "AAAAAAAA")
TARGET = os.environ.get("BENCH_TARGET", "https://example.com/")


async def redirect(request: Request) -> Response:
    if request.path_params["code"] != CODE:
        return PlainTextResponse("Not found\n", status_code=404)
    return RedirectResponse(TARGET, status_code=302, headers={"Cache-Control": "private, max-age=0"})


app = Starlette(routes=[Route("/l/{code}", redirect)])

"""``portevoix web``: the web server role (uvicorn serving portevoix.asgi:application)."""

from __future__ import annotations

import os
from argparse import ArgumentParser
from typing import Any

import uvicorn
from django.core.management.base import BaseCommand, CommandError

from portevoix.core.management.processes import StopFlag, watch_supervisor

ASGI_APP = "portevoix.asgi:application"


def default_port() -> int:
    value = os.environ.get("PORT", "8000")
    return int(value) if value.isdigit() else 8000


def check_port(port: int) -> None:
    if not 0 < port < 65536:
        raise CommandError(f"The port must be between 1 and 65535, not {port}.")


class Command(BaseCommand):
    help = (
        "Run the web server (uvicorn). HOST and PORT in the environment set the defaults; "
        "WEB_CONCURRENCY the number of processes; FORWARDED_ALLOW_IPS which proxies are trusted."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--host", default=os.environ.get("HOST", "127.0.0.1"), help="Address to listen on."
        )
        parser.add_argument("--port", type=int, default=default_port(), help="Port to listen on.")
        parser.add_argument(
            "--workers",
            type=int,
            default=None,
            help="Number of web processes (default: $WEB_CONCURRENCY or 1).",
        )
        parser.add_argument("--no-access-log", action="store_true", help="Do not log every request.")
        parser.add_argument(
            "--graceful-timeout",
            type=float,
            default=20.0,
            help="Seconds to let open requests finish on SIGTERM/SIGINT (default: 20).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        port: int = options["port"]
        check_port(port)
        workers: int | None = options["workers"]
        if workers is not None and workers < 1:
            raise CommandError("--workers must be at least 1.")
        self.check_migrations()
        watch_supervisor(again_after=3.0)
        # uvicorn stops gracefully on SIGINT/SIGTERM, restores the handlers it found and raises the
        # signal again; with ours installed that second delivery only marks the stop as requested,
        # so a requested stop exits with status 0.
        StopFlag(quiet=True).install()
        uvicorn.run(
            ASGI_APP,
            host=options["host"],
            port=port,
            workers=workers,
            lifespan="on",  # the links fast path flushes buffered clicks on shutdown (asgi.py)
            proxy_headers=True,
            server_header=False,
            access_log=not options["no_access_log"],
            timeout_graceful_shutdown=int(options["graceful_timeout"]),
            log_config=None,  # Django's LOGGING (settings.py) formats uvicorn's lines too
        )

"""The Django secret key: from the environment, or generated once into the data directory."""

from __future__ import annotations

import os
import secrets
import time
from pathlib import Path


def load_or_create_secret_key(path: Path) -> str:
    """Return the key stored at ``path``, creating it (mode 0600) on first use.

    Several processes may start at once (web, worker, scheduler): O_EXCL makes exactly one of them
    write the file; the others read what it wrote.
    """
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for _ in range(50):
            key = path.read_text(encoding="ascii").strip()
            if key:
                return key
            time.sleep(0.05)
        raise RuntimeError(f"The secret key file {path} is empty; delete it or set SECRET_KEY.") from None
    key = secrets.token_urlsafe(64)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key + "\n")
    return key

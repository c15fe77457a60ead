"""High-entropy one-time secrets (invitation links, API tokens) and their stored digests."""

from __future__ import annotations

import hashlib
import hmac
import secrets


def new_secret(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)


def digest(secret: str) -> str:
    """SHA-256 hex digest. The secrets hashed here carry >= 190 bits of entropy, so a fast hash is
    safe (no password stretching needed) and lets a lookup use an index."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def same_digest(secret: str, expected_digest: str) -> bool:
    return hmac.compare_digest(digest(secret), expected_digest)

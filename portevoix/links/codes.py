"""Short-link codes: 8 characters drawn from the 62 letters and digits with ``secrets`` (62**8 ≈ 2**47.6
possible codes, so they cannot be guessed or enumerated)."""

from __future__ import annotations

import re
import secrets
import string

from portevoix.links.models import CODE_LENGTH

ALPHABET = string.ascii_letters + string.digits
CODE_PATTERN = re.compile(rf"[0-9A-Za-z]{{{CODE_LENGTH}}}")


def new_code(length: int = CODE_LENGTH) -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def is_code(value: str) -> bool:
    """Exactly ``CODE_LENGTH`` ASCII letters or digits (string tests, cheaper than the pattern)."""
    return len(value) == CODE_LENGTH and value.isascii() and value.isalnum()

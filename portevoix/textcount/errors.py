"""The longest text this package measures, and the error for a longer one.

Every search in the package is linear in the length of the text (docs/text-length.md, "Performance"); the
cap is defence in depth for the endpoints that count user text on every keystroke. It is far above every
network's limit (the largest known is Facebook's 63,206), so no real post comes near it.
"""

from __future__ import annotations

MAX_TEXT_LENGTH = 100_000  # code points


class TextTooLongError(ValueError):
    """The text is longer than ``MAX_TEXT_LENGTH`` code points: it was not measured.

    ``code`` is stable and machine-readable; an API answers it as a client error (413 or 422), never 500.
    """

    code = "text_too_long"

    def __init__(self, length: int, maximum: int = MAX_TEXT_LENGTH) -> None:
        super().__init__(f"Text of {length} code points is longer than the {maximum} that can be measured")
        self.length = length
        self.maximum = maximum


def ensure_measurable(text: str) -> None:
    """Raise ``TextTooLongError`` when ``text`` is longer than ``MAX_TEXT_LENGTH`` code points."""
    if len(text) > MAX_TEXT_LENGTH:
        raise TextTooLongError(len(text))

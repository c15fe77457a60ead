"""Threads: "Text posts are limited to 500 characters. Emojis are counted as the number of UTF-8 bytes."
(Threads API, Posts, Limitations: https://developers.facebook.com/docs/threads/posts)."""

from __future__ import annotations

from portevoix.textcount.emoji import emoji_spans
from portevoix.textcount.units import utf8_length

THREADS_MAX_CHARACTERS = 500


def threads_length(text: str) -> int:
    """Code points, except that each emoji sequence counts as its length in UTF-8 bytes."""
    length = len(text)
    for start, end in emoji_spans(text):  # checks the length
        length += utf8_length(text[start:end]) - (end - start)
    return length

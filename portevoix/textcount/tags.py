"""Hashtag and mention counting for networks that cap them (Instagram: 30 hashtags, 20 @ tags).

Instagram documents the caps ("Maximum 2200 characters, 30 hashtags, and 20 @ tags", Instagram Graph API,
``POST /{ig-user-id}/media``, ``caption``) but not how it finds a tag, so the rules here are the plain
ones the app shows: ``#`` followed by letters, digits or ``_`` with at least one non-digit, and ``@``
followed by a username (letters, digits, ``_`` and ``.``, 30 at most), neither glued to the word before.
Every occurrence counts, repeats included: the caps are on what the caption holds.
"""

from __future__ import annotations

import regex

from portevoix.textcount.errors import ensure_measurable

_HASHTAG = regex.compile(r"(?<![\w&#＃])[#＃](?!\d+(?!\w))(\w+)")
_MENTION = regex.compile(r"(?<![\w@＠])[@＠]([A-Za-z0-9_](?:[A-Za-z0-9_.]{0,28}[A-Za-z0-9_])?)(?![\w@])")


def find_hashtags(text: str) -> list[str]:
    """Hashtags of ``text`` in order, without ``#``."""
    ensure_measurable(text)
    return [match.group(1) for match in _HASHTAG.finditer(text)]


def find_mentions(text: str) -> list[str]:
    """Mentioned usernames of ``text`` in order, without ``@``."""
    ensure_measurable(text)
    return [match.group(1) for match in _MENTION.finditer(text)]


def count_hashtags(text: str) -> int:
    ensure_measurable(text)
    return len(_HASHTAG.findall(text))


def count_mentions(text: str) -> int:
    ensure_measurable(text)
    return len(_MENTION.findall(text))

"""Mastodon: how the server's ``StatusLengthValidator`` counts a status.

From mastodon/mastodon ``app/validators/status_length_validator.rb`` (AGPL-3.0): the countable text is the
content warning followed by the status text in which

* every URL that Mastodon links (an ``http://`` or ``https://`` URL found by its twitter-text based
  extractor) is replaced by 23 ``x`` (``URL_PLACEHOLDER``; the instance advertises the number as
  ``configuration.statuses.characters_reserved_per_url``),
* every mention ``@user@domain`` is replaced by ``@user`` (remote mentions cost only the local part),

and its length is the number of extended grapheme clusters (``each_grapheme_cluster.size``). The limit
is per instance (``configuration.statuses.max_characters`` of ``/api/v2/instance``), 500 by default.
"""

from __future__ import annotations

import regex

from portevoix.textcount import _twitter_regex as rx
from portevoix.textcount.errors import ensure_measurable
from portevoix.textcount.twitter import extract_urls_with_indices
from portevoix.textcount.units import unchecked_grapheme_count

DEFAULT_MAX_CHARACTERS = 500
CHARACTERS_RESERVED_PER_URL = 23

# Account::MENTION_RE with USERNAME_RE: @user or @user@domain, not after "=", "/" or a word character.
MENTION_RE = regex.compile(
    r"(?<![=/\w])@(([a-z0-9_]+(?:[.-]+[a-z0-9_]+)*)(?:@\w+(?:[.-]+\w+)*)?)", regex.IGNORECASE
)


def _mentions(text: str) -> list[tuple[int, int, str]]:
    found: list[tuple[int, int, str]] = []
    for match in MENTION_RE.finditer(text):
        if rx.END_MENTION_MATCH.match(text, match.end()):
            continue
        found.append((match.start(), match.end(), "@" + match.group(2)))
    return found


def mastodon_countable_text(text: str, *, url_length: int = CHARACTERS_RESERVED_PER_URL) -> str:
    """``text`` with URLs replaced by ``url_length`` placeholders and ``@user@domain`` by ``@user``."""
    ensure_measurable(text)
    if not text:
        return ""
    entities = [
        (u.start, u.end, "x" * url_length) for u in extract_urls_with_indices(text, without_protocol=False)
    ]
    entities += _mentions(text)
    entities.sort(key=lambda entity: entity[0])
    pieces: list[str] = []
    position = 0
    for start, end, replacement in entities:
        if start < position:  # overlaps the previous entity: dropped, as remove_overlapping_entities does
            continue
        pieces.append(text[position:start])
        pieces.append(replacement)
        position = end
    pieces.append(text[position:])
    return "".join(pieces)


def mastodon_length(
    text: str, *, spoiler_text: str = "", url_length: int = CHARACTERS_RESERVED_PER_URL
) -> int:
    """Length of a status as Mastodon's server counts it (content warning included)."""
    ensure_measurable(spoiler_text + text)
    return unchecked_grapheme_count(spoiler_text + mastodon_countable_text(text, url_length=url_length))

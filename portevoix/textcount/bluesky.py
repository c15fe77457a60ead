"""Bluesky: post length limits and rich-text facets.

Lexicon ``app.bsky.feed.post``: ``text`` has ``maxGraphemes: 300`` and ``maxLength: 3000`` (a lexicon
string length is in UTF-8 bytes). Links, mentions and hashtags are not detected by the server: the client
sends ``facets`` whose ``index`` holds ``byteStart``/``byteEnd``, UTF-8 byte offsets into the text (end
exclusive). The detection below follows Bluesky's "Links, mentions, and rich text" guide (its Python
regexes for links and mentions) and the reference TypeScript ``RichText.detectFacets`` for hashtags:
``#`` or ``＃`` after a space or the start, not only digits, trailing punctuation dropped, 64 characters
at most.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import regex

from portevoix.textcount.errors import ensure_measurable
from portevoix.textcount.units import grapheme_count, utf8_length

MAX_GRAPHEMES = 300
MAX_BYTES = 3000
MAX_TAG_LENGTH = 64

FacetKind = Literal["link", "mention", "tag"]

# Handle syntax (atproto.com/specs/handle): labels of letters, digits and hyphens, at least two labels.
_MENTION = regex.compile(
    r"(?<!\w)(@(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+[a-zA-Z](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)"
)
_LINK = regex.compile(
    r"(?<!\w)(https?://(?:www\.)?[-a-zA-Z0-9@:%._+~#=]{1,256}\.[a-zA-Z0-9()]{1,6}\b"
    r"(?:[-a-zA-Z0-9()@:%_+.~#?&/=]*[-a-zA-Z0-9@%_+~#/=])?)"
)
_TAG_EXCLUDED = r"\s\u00ad\u2060\u200a\u200b\u200c\u200d\u20e2"
_TAG = regex.compile(
    rf"(?:^|(?<=\s))([#＃])((?!\ufe0f)[^{_TAG_EXCLUDED}]*[^\d\p{{P}}{_TAG_EXCLUDED}]+[^{_TAG_EXCLUDED}]*)"
)
_PUNCTUATION = regex.compile(r"\p{P}")


@dataclass(frozen=True)
class Facet:
    """One rich-text facet: ``value`` is the URL, the handle (without ``@``) or the tag (without ``#``)."""

    kind: FacetKind
    byte_start: int
    byte_end: int
    value: str


def _without_trailing_punctuation(tag: str) -> str:
    r"""``tag`` without its trailing run of punctuation (the reference's ``/\p{P}+$/``, read from the end:
    searched from every position, that pattern costs the square of the length of a run of punctuation)."""
    end = len(tag)
    while end and _PUNCTUATION.match(tag, end - 1):
        end -= 1
    return tag[:end]


def bluesky_facet_ranges(text: str) -> list[Facet]:
    """Links, mentions and hashtags of ``text`` with their UTF-8 byte ranges, sorted by position.

    Mentions are returned with the handle; resolving it to a DID (the facet's ``did``) is the connector's
    job. Links inside one another's range are not repeated: a mention or tag inside a link is dropped.
    """
    ensure_measurable(text)
    facets: list[tuple[int, int, FacetKind, str]] = []
    for match in _LINK.finditer(text):
        facets.append((match.start(1), match.end(1), "link", match.group(1)))
    for match in _MENTION.finditer(text):
        facets.append((match.start(1), match.end(1), "mention", match.group(1)[1:]))
    for match in _TAG.finditer(text):
        tag = _without_trailing_punctuation(match.group(2).strip())
        if not tag or len(tag) > MAX_TAG_LENGTH:
            continue
        start = match.start(1)
        facets.append((start, start + 1 + len(tag), "tag", tag))
    facets.sort(key=lambda facet: (facet[0], -facet[1]))
    result: list[Facet] = []
    last_end = -1
    index = offset = 0  # the UTF-8 offset of text[index], moved forward only: the facets kept are sorted
    for start, end, kind, value in facets:
        if start < last_end:
            continue
        byte_start = offset + utf8_length(text[index:start])
        byte_end = byte_start + utf8_length(text[start:end])
        result.append(Facet(kind, byte_start, byte_end, value))
        index, offset = end, byte_end
        last_end = end
    return result


def bluesky_lengths(text: str) -> tuple[int, int]:
    """(graphemes, UTF-8 bytes) of a post's text: both must stay within 300 and 3000."""
    return grapheme_count(text), utf8_length(text)

"""Units a network counts text in, and ``count(text, unit)``."""

from __future__ import annotations

from enum import StrEnum

import regex

from portevoix.textcount.errors import ensure_measurable

_GRAPHEME = regex.compile(r"\X")


class Unit(StrEnum):
    """How a network measures text length."""

    CHARS = "chars"  # Unicode code points (Python's len)
    UTF16 = "utf16"  # UTF-16 code units (JavaScript's length; Telegram, Discord)
    GRAPHEMES = "graphemes"  # extended grapheme clusters (what a reader sees as one character; Bluesky)
    UTF8_BYTES = "utf8_bytes"  # bytes once encoded in UTF-8 (Bluesky's byte limit)
    TWITTER_WEIGHTED = "twitter_weighted"  # twitter-text v3 weighted length (X)
    CHARS_URL_23 = "chars_url_23"  # code points, each http(s) URL counts url_length, @user@domain as @user
    GRAPHEMES_URL_23 = "graphemes_url_23"  # the same rewriting, counted in graphemes (Mastodon's server)
    CHARS_EMOJI_UTF8 = "chars_emoji_utf8"  # code points, but each emoji counts its UTF-8 bytes (Threads)


def utf16_length(text: str) -> int:
    """Length in UTF-16 code units: code points above U+FFFF take two."""
    return len(text.encode("utf-16-le", errors="surrogatepass")) // 2


def utf8_length(text: str) -> int:
    return len(text.encode("utf-8", errors="surrogatepass"))


def grapheme_count(text: str) -> int:
    """Number of extended grapheme clusters (Unicode UAX #29, as the ``regex`` module implements it)."""
    ensure_measurable(text)
    return unchecked_grapheme_count(text)


def unchecked_grapheme_count(text: str) -> int:
    """``grapheme_count`` without the length check, for a text derived from a checked one (Mastodon's
    countable text, where each URL becomes 23 characters, may be longer than the text)."""
    return len(_GRAPHEME.findall(text))


def graphemes(text: str) -> list[str]:
    ensure_measurable(text)
    return _GRAPHEME.findall(text)


def count(text: str, unit: Unit, *, url_length: int = 23) -> int:
    """Length of ``text`` in ``unit``. ``url_length`` applies to the units that count URLs as a fixed length
    (X uses its own config: see ``twitter_parse`` for a non-default one).

    Raises ``TextTooLongError`` (whatever the unit) for a text longer than ``MAX_TEXT_LENGTH``."""
    ensure_measurable(text)
    if unit is Unit.CHARS:
        return len(text)
    if unit is Unit.UTF16:
        return utf16_length(text)
    if unit is Unit.GRAPHEMES:
        return grapheme_count(text)
    if unit is Unit.UTF8_BYTES:
        return utf8_length(text)
    if unit is Unit.TWITTER_WEIGHTED:
        from portevoix.textcount.twitter import twitter_weighted_length

        return twitter_weighted_length(text)
    if unit is Unit.CHARS_URL_23:
        from portevoix.textcount.mastodon import mastodon_countable_text

        return len(mastodon_countable_text(text, url_length=url_length))
    if unit is Unit.GRAPHEMES_URL_23:
        from portevoix.textcount.mastodon import mastodon_countable_text

        return unchecked_grapheme_count(mastodon_countable_text(text, url_length=url_length))
    if unit is Unit.CHARS_EMOJI_UTF8:
        from portevoix.textcount.threads import threads_length

        return threads_length(text)
    raise ValueError(f"Unknown unit: {unit!r}")

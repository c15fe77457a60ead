"""Emoji sequences: what X (and Threads) count as one emoji.

twitter-text v3 counts every emoji found by twemoji-parser as one character of weight 200, whatever its
number of code points. twemoji-parser ships a frozen list of RGI sequences; this module matches the same
shapes from the Unicode properties of the ``regex`` module instead, so new emoji count right without a
new list:

* keycaps: ``[#*0-9]`` + optional U+FE0F + U+20E3 (``1⃣`` and ``1️⃣``);
* subdivision flags: U+1F3F4 + tag characters + U+E007F (England, Scotland, Wales);
* country flags: two regional indicators;
* one pictograph with an optional skin tone or emoji presentation selector (U+FE0F), or several joined
  by ZWJ (U+200D): families, professions, ``❤️‍🔥``.

Like twemoji-parser, ``©``, ``®`` and ``™`` are emoji only when followed by U+FE0F (they are common in
plain text), and a pictograph followed by U+FE0E (text presentation) is not an emoji. The differences
from twemoji-parser are deliberate and documented in docs/text-length.md: a non-RGI ZWJ sequence and an
emoji presentation sequence (``😷`` + U+FE0F) are each one emoji here.
"""

from __future__ import annotations

import regex

from portevoix.textcount.errors import ensure_measurable

_TEXT_STYLE = "\u00a9\u00ae\u2122"  # © ® ™: emoji only with U+FE0F
_ELEMENT = (
    rf"(?:[{_TEXT_STYLE}]\uFE0F"
    rf"|(?![{_TEXT_STYLE}])\p{{Extended_Pictographic}}(?:\p{{Emoji_Modifier}}\uFE0F?|\uFE0F|(?!\uFE0E)))"
)

EMOJI_PATTERN = regex.compile(
    r"[#*0-9]\uFE0F?\u20E3"
    r"|\U0001F3F4[\U000E0020-\U000E007E]+\U000E007F"
    r"|\p{Regional_Indicator}\p{Regional_Indicator}"
    rf"|{_ELEMENT}(?:\u200D{_ELEMENT})*"
)


def emoji_spans(text: str) -> list[tuple[int, int]]:
    """Start and end (code point offsets, end exclusive) of every emoji sequence in ``text``."""
    ensure_measurable(text)
    return unchecked_emoji_spans(text)


def unchecked_emoji_spans(text: str) -> list[tuple[int, int]]:
    """``emoji_spans`` without the length check, for a text derived from a checked one (its NFC form)."""
    return [match.span() for match in EMOJI_PATTERN.finditer(text)]


def count_emoji(text: str) -> int:
    """Number of emoji sequences in ``text``."""
    ensure_measurable(text)
    return sum(1 for _ in EMOJI_PATTERN.finditer(text))

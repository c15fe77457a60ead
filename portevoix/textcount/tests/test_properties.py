"""Properties that hold for any text (hypothesis)."""

from __future__ import annotations

import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from portevoix.textcount import (
    Unit,
    bluesky_facet_ranges,
    count,
    grapheme_count,
    mastodon_length,
    twitter_parse,
    utf8_length,
    utf16_length,
)

# Hypothesis' text() leaves out surrogates, which no well-formed str from a browser holds.
texts = st.text(max_size=200)
# Text with the shapes that matter here: URLs, mentions, tags, emoji pieces, combining marks, CJK, RTL.
pieces = st.sampled_from(
    [
        "a",
        " ",
        ".",
        "/",
        "@",
        "#",
        "é",
        "e\u0301",
        "日本",
        "مرحبا",
        "\u200f",
        "\u200d",
        "\ufe0f",
        "\ufe0e",
        "👨",
        "🏽",
        "🇫",
        "1\u20e3",
        "example.com",
        "https://",
        "bsky.social",
        "\ufffe",
    ]
)
shaped_texts = st.lists(pieces, max_size=40).map("".join)
any_text = st.one_of(texts, shaped_texts)


@given(any_text, st.sampled_from(list(Unit)))
@settings(deadline=None)
def test_length_is_never_negative(text: str, unit: Unit) -> None:
    assert count(text, unit) >= 0


@given(any_text, st.characters(exclude_categories=["Cs"]))
@settings(deadline=None)
def test_adding_a_character_never_decreases_plain_lengths(text: str, char: str) -> None:
    assert count(text + char, Unit.CHARS) == count(text, Unit.CHARS) + 1
    assert count(text + char, Unit.UTF16) > count(text, Unit.UTF16)
    assert count(text + char, Unit.UTF8_BYTES) > count(text, Unit.UTF8_BYTES)


@given(any_text)
@settings(deadline=None)
def test_graphemes_never_exceed_code_points_nor_code_points_utf16(text: str) -> None:
    assert grapheme_count(text) <= len(text) <= utf16_length(text) <= utf8_length(text) + len(text)


@given(any_text)
@settings(deadline=None)
def test_x_counts_a_text_and_its_nfc_form_the_same(text: str) -> None:
    nfc = unicodedata.normalize("NFC", text)
    assert twitter_parse(text).weighted_length == twitter_parse(nfc).weighted_length
    assert twitter_parse(text).valid == twitter_parse(nfc).valid


@given(any_text)
@settings(deadline=None)
def test_x_ranges_stay_inside_the_text(text: str) -> None:
    result = twitter_parse(text)
    assert result.display_range_start == result.valid_range_start == 0
    assert result.display_range_end == max(utf16_length(text) - 1, 0)
    assert 0 <= result.valid_range_end <= result.display_range_end
    assert result.permillage >= 0


@given(texts.filter(lambda t: "@" not in t and ":" not in t))
@settings(deadline=None)
def test_mastodon_is_plain_graphemes_without_urls_or_mentions(text: str) -> None:
    assert mastodon_length(text) == grapheme_count(text)


@given(any_text)
@settings(deadline=None)
def test_bluesky_facets_are_sorted_disjoint_utf8_ranges(text: str) -> None:
    data = text.encode("utf-8")
    previous_end = 0
    for facet in bluesky_facet_ranges(text):
        assert previous_end <= facet.byte_start < facet.byte_end <= len(data)
        data[facet.byte_start : facet.byte_end].decode("utf-8")  # on character boundaries
        previous_end = facet.byte_end

"""Pathological input: the linear searches give the reference's results, and texts past the cap are refused.

The searches that used to cost the square of the length of some texts (or worse) were rewritten; these
tests compare each one with the slow reference it replaced (tests/reference.py: twitter-text's own
patterns, used as the reference uses them) on adversarial and random text, and check the exact results
on adversarial texts too long for the reference. They assert on results, never on time:
bench/textcount.py measures the time.
"""

from __future__ import annotations

import dataclasses
import functools
import sys
import unicodedata
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portevoix.textcount import (
    MAX_TEXT_LENGTH,
    TEXT_RULES,
    TextTooLongError,
    Unit,
    bluesky_facet_ranges,
    bluesky_lengths,
    check_text,
    count,
    count_emoji,
    count_hashtags,
    count_mentions,
    emoji_spans,
    extract_hashtags,
    extract_mentions,
    extract_urls_with_indices,
    find_hashtags,
    find_mentions,
    grapheme_count,
    graphemes,
    is_valid_hashtag,
    is_valid_list,
    is_valid_url,
    is_valid_username,
    mastodon_countable_text,
    mastodon_length,
    threads_length,
    twitter_parse,
    twitter_weighted_length,
)
from portevoix.textcount import _twitter_regex as rx
from portevoix.textcount._urls import _character_tables, ascii_domain_spans, url_matches
from portevoix.textcount.tests import reference
from portevoix.textcount.twitter import extract_hashtags_with_indices

# What URLs, domains, TLDs, paths and tags are made of, with the characters the patterns treat specially:
# case variants that match ASCII letters under IGNORECASE (Kelvin sign, long s, dotted I), full-width
# signs, directional marks, U+FEFF, combining marks, non-ASCII TLDs, labels longer than 63 characters.
PIECES = [
    *(
        "a",
        "b",
        "x",
        "A",
        "com",
        "COM",
        "co",
        "jp",
        "uk",
        "org",
        "ac",
        "zw",
        "comé",
        "a.com",
        "co.jp",
        "www.",
    ),
    *("xn--", "xn--p1ai", "рф", "中国", "みんな", "ТЕСТ", "ｃｏｍ", "ёлка", "日", "一", "é", "É", "ß", "ẞ"),
    *("_", "-", ".", ".", ".", "..", "a_b", "-a", "a-", "_a", "a_", "–", "\u0301", "😀", '"', "`"),
    *("/", "?", "#", ":", "@", "＠", "＃", "$", "(", ")", "((", "))", "(a)", "[", "]", "|", "*", "!", "'"),
    *(",", ";", "=", "&", "~", "%", "%ff", "+", "1", "0", ":80", "?q=1", "#frag", "/path"),
    *("http://", "https://", "HTTPS://", "http", "ttp://", "s://", "t.co/", "@user", "#tag"),
    *(" ", "\n", "\u3000", "\xa0", "\u202a", "\u200f", "\ufeff", "\u212a", "\u017f", "\u0130"),
    *("x" * 70, "日" * 64),
]
pieces = st.lists(st.sampled_from(PIECES), max_size=40).map("".join)
tiled = st.tuples(st.lists(st.sampled_from(PIECES), min_size=1, max_size=8), st.integers(2, 30)).map(
    lambda parts: ("".join(parts[0]) * parts[1])[:400]
)
characters = st.text(alphabet=st.sampled_from(sorted(set("".join(PIECES)))), max_size=200)
texts = st.one_of(pieces, tiled, characters, st.text(max_size=60))
urls = st.tuples(st.sampled_from(["", "http://", "https://", "HTTP://", "ftp://", "//"]), pieces).map("".join)

# The families of bench/textcount.py, at sizes the quadratic reference still handles.
ADVERSARIAL = {
    "dots after a TLD": ("a.com;" + "a." * 300)[:600],
    "underscore labels": "a.com." + "x_y.com." * 60,
    "long label of starts": "日" * 500 + ".a;a.com",
    "ASCII domain labels": ("a." * 150 + "a日.com ") * 3,
    "long label": "日" * 500 + ".com",
    "long label of different characters": "".join(chr(0x4E00 + i * 7919 % 20000) for i in range(300))
    + ".com",
    "path without ending": ("a.co/" + "!" * 100 + "(") * 4,
    "hashtags and URLs": "#a a.co " * 60,
    "hashtags of digits": ("#" + "1" * 50 + " ") * 8,
    "tag punctuation": "#a" + "!" * 400 + "a",
    "many facets": "#ab " * 100,
    "mention separators": "@a" + ".-" * 200,
    "authority": "http://" + "a" * 400 + "!",
    "fragment line break": "a" * 400 + "#\n\n",
    "dotted chain with protocols": ("http://a." + "b." * 20 + "c" + "é") * 10,
    "mixed": ("日.com_x.a-é.co.jp/((a)!?#" + "ſ.ac" + "\u212a.com") * 15,
}


def _as_tuples(text: str) -> list[tuple[object, ...]]:
    return [dataclasses.astuple(match) for match in url_matches(text)]


# --- The linear URL search gives the reference pattern's matches ------------------------------------


@given(texts)
@settings(deadline=None, max_examples=300)
def test_url_matches_are_the_reference_patterns_matches(text: str) -> None:
    assert _as_tuples(text) == [tuple(groups) for groups in reference.url_matches(text)]


@given(texts)
@settings(deadline=None, max_examples=200)
def test_extracted_urls_are_the_earlier_implementations(text: str) -> None:
    for without_protocol in (True, False):
        assert extract_urls_with_indices(
            text, without_protocol=without_protocol
        ) == reference.extract_urls_with_indices(text, without_protocol=without_protocol)


@given(texts)
@settings(deadline=None, max_examples=200)
def test_ascii_domains_are_the_reference_patterns_matches(text: str) -> None:
    assert ascii_domain_spans(text) == [
        match.span() for match in reference.valid_ascii_domain().finditer(text)
    ]


@given(texts)
@settings(deadline=None)
def test_hashtags_are_the_earlier_implementations(text: str) -> None:
    assert extract_hashtags_with_indices(text) == reference.extract_hashtags_with_indices(text)


@given(texts)
@settings(deadline=None)
def test_bluesky_facets_are_the_earlier_implementations(text: str) -> None:
    assert bluesky_facet_ranges(text) == reference.bluesky_facet_ranges(text)


@given(st.one_of(urls, texts))
@settings(deadline=None, max_examples=300)
def test_url_validation_is_the_earlier_implementations(url: str) -> None:
    for unicode_domains in (True, False):
        for require_protocol in (True, False):
            options = {"unicode_domains": unicode_domains, "require_protocol": require_protocol}
            assert is_valid_url(url, **options) is reference.is_valid_url(url, **options)


@pytest.mark.parametrize("text", list(ADVERSARIAL.values()), ids=list(ADVERSARIAL))
def test_adversarial_texts_give_the_references_results(text: str) -> None:
    assert _as_tuples(text) == [tuple(groups) for groups in reference.url_matches(text)]
    for without_protocol in (True, False):
        assert extract_urls_with_indices(
            text, without_protocol=without_protocol
        ) == reference.extract_urls_with_indices(text, without_protocol=without_protocol)
    assert extract_hashtags_with_indices(text) == reference.extract_hashtags_with_indices(text)
    assert bluesky_facet_ranges(text) == reference.bluesky_facet_ranges(text)
    assert is_valid_url(text) is reference.is_valid_url(text)
    assert is_valid_url(text, require_protocol=False) is reference.is_valid_url(text, require_protocol=False)


def test_character_tables_match_the_regex_classes_on_every_code_point() -> None:
    every = "".join(map(chr, range(sys.maxunicode + 1)))
    not_domain, not_preceding = _character_tables()
    assert not_domain == set(rx.DOMAIN_CHAR.sub("", every))
    assert not_preceding == set(rx.URL_PRECEDING_CHAR.sub("", every))


# --- Exact results on adversarial texts at the cap, too long for the reference ----------------------------


N = MAX_TEXT_LENGTH


def test_dots_after_a_tld_at_the_cap() -> None:
    text = ("a.com;" + "a." * N)[:N]
    assert [(u.url, u.start, u.end) for u in extract_urls_with_indices(text)] == [("a.com", 0, 5)]
    assert twitter_parse(text).weighted_length == 23 + N - 5


def test_a_url_at_every_label_at_the_cap() -> None:
    text = "a.com." + ("x_y.com." * N)[: N - 6]
    matches = list(url_matches(text))
    assert [(m.url, m.start) for m in matches] == [("a.com", 0)] + [
        ("y.com", 8 + 8 * i) for i in range((N - 6) // 8)
    ]
    # A URL without a scheme right after "_" is dropped, as in the reference.
    assert [u.url for u in extract_urls_with_indices(text)] == ["a.com"]


def test_long_labels_at_the_cap() -> None:
    assert extract_urls_with_indices("日" * (N - 4) + ".com") == []
    distinct = "".join(chr(0x4E00 + i * 7919 % 20000) for i in range(N - 4))  # punycode's worst case
    assert extract_urls_with_indices(distinct + ".com") == []
    assert extract_urls_with_indices("http://" + "日" * (N - 11) + ".com", without_protocol=False) == []
    text = "http://" + "a" * 63 + ".com " + "日" * (N - 75)
    assert [u.url for u in extract_urls_with_indices(text)] == ["http://" + "a" * 63 + ".com"]


def test_hashtags_and_urls_at_the_cap() -> None:
    text = ("#a a.co " * N)[:N]
    assert extract_hashtags(text) == ["a"] * (N // 8)
    assert count_hashtags(text) == N // 8


def test_bluesky_tag_with_punctuation_at_the_cap() -> None:
    text = "#a" + "!" * (N - 3) + "a"
    assert [(f.kind, f.value, f.byte_start, f.byte_end) for f in bluesky_facet_ranges(text)] == []
    text = "#ab" + "!" * (N - 3)
    assert [(f.kind, f.value, f.byte_start, f.byte_end) for f in bluesky_facet_ranges(text)] == [
        ("tag", "ab", 0, 3)
    ]


def test_many_bluesky_facets_at_the_cap() -> None:
    text = "✨ #ab " * (N // 6)
    facets = bluesky_facet_ranges(text)
    assert len(facets) == N // 6
    data = text.encode()
    assert {data[f.byte_start : f.byte_end] for f in facets} == {b"#ab"}


def test_url_validation_at_the_cap() -> None:
    assert not is_valid_url("http://" + "a" * (N - 8) + "!")
    assert not is_valid_url("a" * (N - 3) + "#\n\n", require_protocol=False)
    assert is_valid_url("http://example.com/" + "a" * (N - 19))


# --- The cap --------------------------------------------------------------------------------------------

TOO_LONG = "a" * (MAX_TEXT_LENGTH + 1)
MEASURERS: dict[str, Callable[[str], object]] = {
    "twitter_parse": twitter_parse,
    "twitter_weighted_length": twitter_weighted_length,
    "extract_urls_with_indices": extract_urls_with_indices,
    "extract_hashtags": extract_hashtags,
    "extract_mentions": extract_mentions,
    "is_valid_username": is_valid_username,
    "is_valid_list": is_valid_list,
    "is_valid_hashtag": is_valid_hashtag,
    "is_valid_url": is_valid_url,
    "bluesky_facet_ranges": bluesky_facet_ranges,
    "bluesky_lengths": bluesky_lengths,
    "mastodon_countable_text": mastodon_countable_text,
    "mastodon_length": mastodon_length,
    "threads_length": threads_length,
    "emoji_spans": emoji_spans,
    "count_emoji": count_emoji,
    "grapheme_count": grapheme_count,
    "graphemes": graphemes,
    "find_hashtags": find_hashtags,
    "find_mentions": find_mentions,
    "count_hashtags": count_hashtags,
    "count_mentions": count_mentions,
}
for _unit in Unit:
    MEASURERS[f"count {_unit.value}"] = functools.partial(count, unit=_unit)
for _network, _fields in TEXT_RULES.items():
    for _field in _fields:
        MEASURERS[f"check_text {_network} {_field}"] = functools.partial(
            check_text, network=_network, field_name=_field
        )


@pytest.mark.parametrize("measure", list(MEASURERS.values()), ids=list(MEASURERS))
def test_a_text_past_the_cap_is_refused_with_a_typed_error(measure: Callable[[str], object]) -> None:
    with pytest.raises(TextTooLongError) as raised:
        measure(TOO_LONG)
    assert (raised.value.length, raised.value.maximum, raised.value.code) == (
        MAX_TEXT_LENGTH + 1,
        MAX_TEXT_LENGTH,
        "text_too_long",
    )
    assert isinstance(raised.value, ValueError)


def test_the_cap_itself_is_measured() -> None:
    text = "a" * MAX_TEXT_LENGTH
    assert count(text, Unit.GRAPHEMES) == MAX_TEXT_LENGTH
    assert check_text(text, "facebook").problems == ("too_long",)
    with pytest.raises(TextTooLongError):
        mastodon_length(text, spoiler_text="CW")  # the content warning counts towards the cap


def test_texts_derived_from_a_measurable_one_may_exceed_the_cap() -> None:
    # NFC makes this character two; a URL of 12 characters counts 23 on Mastodon.
    expanding = "\u0958" * MAX_TEXT_LENGTH
    assert len(unicodedata.normalize("NFC", expanding)) == 2 * MAX_TEXT_LENGTH
    assert twitter_parse(expanding).weighted_length == 2 * MAX_TEXT_LENGTH
    urls_text = ("http://a.co " * MAX_TEXT_LENGTH)[:MAX_TEXT_LENGTH]
    assert mastodon_length(urls_text) > MAX_TEXT_LENGTH

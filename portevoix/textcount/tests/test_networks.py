"""Hand cases per network: emoji ZWJ sequences, flags, combining marks, CJK, RTL marks, URLs."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import pytest

from portevoix.textcount import (
    TEXT_RULES,
    Unit,
    bluesky_facet_ranges,
    bluesky_lengths,
    check_text,
    count,
    count_emoji,
    count_hashtags,
    count_mentions,
    extract_urls_with_indices,
    get_rule,
    mastodon_countable_text,
    mastodon_length,
    threads_length,
    twitter_parse,
)

FAMILY = "👨\u200d👩\u200d👧\u200d👦"  # 7 code points, 11 UTF-16 units, 25 UTF-8 bytes, 1 grapheme
FLAG_FR = "🇫🇷"
E_COMBINING = "e\u0301"  # é as e + combining acute: NFC makes it one code point


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("", {Unit.CHARS: 0, Unit.UTF16: 0, Unit.GRAPHEMES: 0, Unit.UTF8_BYTES: 0}, id="empty"),
        pytest.param(
            "abc", {Unit.CHARS: 3, Unit.UTF16: 3, Unit.GRAPHEMES: 3, Unit.UTF8_BYTES: 3}, id="ascii"
        ),
        pytest.param(
            FAMILY, {Unit.CHARS: 7, Unit.UTF16: 11, Unit.GRAPHEMES: 1, Unit.UTF8_BYTES: 25}, id="zwj"
        ),
        pytest.param(
            FLAG_FR, {Unit.CHARS: 2, Unit.UTF16: 4, Unit.GRAPHEMES: 1, Unit.UTF8_BYTES: 8}, id="flag"
        ),
        pytest.param(
            E_COMBINING, {Unit.CHARS: 2, Unit.UTF16: 2, Unit.GRAPHEMES: 1, Unit.UTF8_BYTES: 3}, id="mark"
        ),
        pytest.param(
            "日本語", {Unit.CHARS: 3, Unit.UTF16: 3, Unit.GRAPHEMES: 3, Unit.UTF8_BYTES: 9}, id="cjk"
        ),
        pytest.param(
            "\u200fשלום", {Unit.CHARS: 5, Unit.UTF16: 5, Unit.GRAPHEMES: 5, Unit.UTF8_BYTES: 11}, id="rtl"
        ),
        pytest.param(
            "👍🏽", {Unit.CHARS: 2, Unit.UTF16: 4, Unit.GRAPHEMES: 1, Unit.UTF8_BYTES: 8}, id="skin-tone"
        ),
    ],
)
def test_generic_units(text: str, expected: dict[Unit, int]) -> None:
    assert {unit: count(text, unit) for unit in expected} == expected


# --- X ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "weighted"),
    [
        pytest.param(FAMILY, 2, id="family ZWJ sequence is one emoji"),
        pytest.param(FLAG_FR + "🇩🇪", 4, id="two flags"),
        pytest.param("👍🏽", 2, id="skin tone"),
        pytest.param("❤\ufe0f\u200d🔥", 2, id="heart on fire (newer than twemoji-parser's list)"),
        pytest.param("1\ufe0f\u20e3", 2, id="keycap"),
        pytest.param("©", 1, id="copyright sign alone is text"),
        pytest.param("©\ufe0f", 2, id="copyright sign with emoji presentation"),
        pytest.param("☺\ufe0e", 4, id="text presentation is not an emoji"),
        pytest.param(E_COMBINING, 1, id="combining mark normalised"),
        pytest.param("日本語", 6, id="CJK weighs 2"),
        pytest.param("مرحبا", 5, id="Arabic weighs 1"),
        pytest.param("abc\u200f", 5, id="RLM is outside the light ranges"),
        pytest.param("http://example.com/" + "a" * 100, 23, id="URL with scheme"),
        pytest.param("see example.com/path", 27, id="URL without scheme"),
        pytest.param("foo.bar", 23, id="bar is a TLD"),
        pytest.param("a.b", 3, id="b is not a TLD"),
        pytest.param("me@example.com", 14, id="e-mail is not a URL"),
        pytest.param("https://t.co/abc123", 23, id="t.co"),
    ],
)
def test_x_weighted_length(text: str, weighted: int) -> None:
    assert twitter_parse(text).weighted_length == weighted


def test_x_limit_is_280_weighted() -> None:
    assert twitter_parse("a" * 280).valid
    assert not twitter_parse("a" * 281).valid
    assert twitter_parse("日" * 140).valid
    assert not twitter_parse("日" * 141).valid
    assert twitter_parse(FAMILY * 140).valid
    assert not twitter_parse("").valid


def test_x_ranges_are_utf16_and_count_the_original_text() -> None:
    result = twitter_parse("a" * 279 + "😀")
    assert (result.weighted_length, result.valid) == (281, False)
    assert (result.display_range_end, result.valid_range_end) == (280, 278)
    combining = twitter_parse(E_COMBINING)
    assert (combining.display_range_end, combining.valid_range_end) == (1, 1)


def test_x_url_entities() -> None:
    text = "Read https://example.com/a?b=c, then example.org."
    assert [(u.url, u.start, u.end) for u in extract_urls_with_indices(text)] == [
        ("https://example.com/a?b=c", 5, 30),
        ("example.org", 37, 48),
    ]
    assert [u.url for u in extract_urls_with_indices(text, without_protocol=False)] == [
        "https://example.com/a?b=c"
    ]


def test_x_check_text_reports_invalid_characters() -> None:
    assert check_text("abc\ufffe", "x").problems == ("invalid_characters",)
    assert check_text("a" * 281, "x").problems == ("too_long",)


# --- Bluesky ----------------------------------------------------------------------------------------------


def test_bluesky_counts_graphemes_and_bytes() -> None:
    assert bluesky_lengths(FAMILY) == (1, 25)
    assert check_text(E_COMBINING * 300, "bluesky").valid
    assert check_text("a" * 301, "bluesky").problems == ("too_long",)
    within_graphemes_too_many_bytes = check_text(FAMILY * 121, "bluesky")
    assert [c.valid for c in within_graphemes_too_many_bytes.counts] == [True, False]
    assert within_graphemes_too_many_bytes.problems == ("too_long",)


def test_bluesky_facets_are_utf8_byte_ranges() -> None:
    text = "✨ @alice.bsky.social read https://example.com/a. #café #123 #ok!"
    data = text.encode()
    facets = bluesky_facet_ranges(text)
    assert [(f.kind, f.value) for f in facets] == [
        ("mention", "alice.bsky.social"),
        ("link", "https://example.com/a"),
        ("tag", "café"),
        ("tag", "ok"),
    ]
    assert facets[0].byte_start == 4  # ✨ is 3 bytes, then a space
    assert [data[f.byte_start : f.byte_end].decode() for f in facets] == [
        "@alice.bsky.social",
        "https://example.com/a",
        "#café",
        "#ok",
    ]


# --- Mastodon ---------------------------------------------------------------------------------------------


def test_mastodon_urls_count_23_and_remote_mentions_their_local_part() -> None:
    text = "hi @bob@mastodon.social see https://example.com/" + "a" * 100
    assert mastodon_countable_text(text) == "hi @bob see " + "x" * 23
    assert mastodon_length(text) == len("hi @bob see ") + 23
    assert mastodon_length("example.com") == 11  # no scheme: not a link on Mastodon
    assert count("@bob@example.social https://example.com/" + "a" * 50, Unit.CHARS_URL_23) == 28


def test_mastodon_counts_graphemes_and_the_content_warning() -> None:
    assert mastodon_length(FAMILY) == 1
    assert mastodon_length("hi", spoiler_text="CW") == 4


def test_mastodon_limit_is_per_instance() -> None:
    assert check_text("a" * 500, "mastodon").valid
    assert not check_text("a" * 501, "mastodon").valid
    assert check_text("a" * 501, "mastodon", limit=5000).valid
    assert check_text("https://example.com/" + "a" * 600, "mastodon").valid
    assert check_text("https://example.com/x", "mastodon", limit=10, url_length=10).valid


# --- Telegram, Threads, Instagram ------------------------------------------------------------------------


def test_telegram_counts_utf16() -> None:
    assert check_text("😀" * 2048, "telegram", "message").valid
    assert not check_text("😀" * 2049, "telegram", "message").valid
    assert check_text("a" * 1024, "telegram", "caption").valid
    assert not check_text("a" * 1025, "telegram", "caption").valid


def test_threads_counts_emoji_as_utf8_bytes() -> None:
    assert threads_length("a😀b") == 6
    assert threads_length(FAMILY) == 25
    assert check_text("😀" * 125, "threads").valid
    assert not check_text("😀" * 126, "threads").valid
    assert count_emoji("a😀" + FAMILY + FLAG_FR) == 3


def test_instagram_hashtag_and_mention_caps() -> None:
    assert count_hashtags("#one #two #123 x#no #café_2") == 3
    assert count_mentions("@bob hi @alice.b, mail a@b.c") == 2
    assert check_text(" ".join(f"#tag{i}" for i in range(30)), "instagram").valid
    assert check_text(" ".join(f"#tag{i}" for i in range(31)), "instagram").problems == ("too_many_hashtags",)
    assert check_text(" ".join(f"@user{i}" for i in range(21)), "instagram").problems == (
        "too_many_mentions",
    )
    assert check_text("a" * 2201, "instagram").problems == ("too_long",)


# --- The registry -----------------------------------------------------------------------------------------


PRODUCT_NETWORKS = {
    "x",
    "vk",
    "instagram",
    "facebook",
    "youtube",
    "odnoklassniki",
    "soundcloud",
    "moimir",
    "discord",
    "qzone",
    "pinterest",
    "telegram",
    "mastodon",
    "bluesky",
    "threads",
    "linkedin",
    "tiktok",
}


def test_registry_covers_every_network_of_the_product() -> None:
    assert set(TEXT_RULES) == PRODUCT_NETWORKS


def test_registry_is_read_only_data_with_sources() -> None:
    for network, fields in TEXT_RULES.items():
        for field_name, rule in fields.items():
            assert (rule.network, rule.field) == (network, field_name)
            assert rule.source
            assert rule.known or not rule.documented  # an unknown limit is never called documented
            for limit in rule.limits:
                assert limit.maximum > 0
    rule = get_rule("x")
    with pytest.raises(dataclasses.FrozenInstanceError):
        rule.source = "changed"  # type: ignore[misc]
    with pytest.raises(TypeError):
        TEXT_RULES["x"] = {}  # type: ignore[index]


def test_known_limits() -> None:
    summary = {
        (rule.network, rule.field): tuple((limit.maximum, limit.unit) for limit in rule.limits)
        for fields in TEXT_RULES.values()
        for rule in fields.values()
    }
    assert summary[("x", "post")] == ((280, Unit.TWITTER_WEIGHTED),)
    assert summary[("bluesky", "post")] == ((300, Unit.GRAPHEMES), (3000, Unit.UTF8_BYTES))
    assert summary[("telegram", "message")] == ((4096, Unit.UTF16),)
    assert summary[("telegram", "caption")] == ((1024, Unit.UTF16),)
    assert summary[("youtube", "description")] == ((5000, Unit.UTF8_BYTES),)
    assert summary[("qzone", "post")] == ()


def test_unknown_limit_measures_without_judging() -> None:
    result = check_text("x" * 100_000, "qzone")
    assert result.valid
    assert [(c.length, c.limit, c.remaining) for c in result.counts] == [(100_000, None, None)]
    with pytest.raises(ValueError, match="no known unit"):
        check_text("x", "qzone", limit=10)
    with pytest.raises(KeyError):
        check_text("x", "myspace")


def test_package_does_not_import_django() -> None:
    code = "import sys, portevoix.textcount; print(sorted(m for m in sys.modules if m.startswith('django')))"
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert output.strip() == "[]"


def test_a_mention_followed_by_an_at_sign_or_a_scheme_is_not_a_mention() -> None:
    # twitter-text's endMentionMatch: "@user@host" is an e-mail-like address, "@user://" is not a mention;
    # the rule applies wherever the mention ends, not only at the start of the text.
    from portevoix.textcount import extract_mentions

    assert extract_mentions("hi @user@example.com") == []
    assert extract_mentions("hi @user://x") == []
    assert extract_mentions("hi @user, @other") == ["user", "other"]

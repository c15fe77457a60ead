"""Validation per network with hand-counted cases: each network's own unit, media rules, capabilities."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portevoix.connectors.mastodon.instance import InstanceLimits
from portevoix.connectors.types import Capability, Limits
from portevoix.content.validation import (
    MediaInfo,
    NetworkRules,
    TextTooLong,
    instance_limits_option,
    rules_for_channel,
    rules_for_network,
    validate,
    validate_networks,
)
from portevoix.core.errors import ValidationFailed

FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"  # one grapheme, 7 code points, 25 bytes
E_ACUTE = "e\u0301"  # one grapheme, two code points
LONG_URL = "https://example.com/" + "p" * 100


def check(network: str, text: str, media: list[MediaInfo] | None = None, link: str | None = None):
    return validate(text=text, media=media or [], rules=rules_for_network(network), link=link)


def codes(result) -> list[str]:
    return [problem.code for problem in result.problems]


def image(content_type: str = "image/jpeg", size: int = 100_000, width: int = 1000, height: int = 1000):
    return MediaInfo(kind="image", content_type=content_type, size=size, width=width, height=height)


def video(content_type: str = "video/mp4", size: int = 1_000_000, seconds: float = 10.0):
    return MediaInfo(
        kind="video", content_type=content_type, size=size, width=1280, height=720, duration_seconds=seconds
    )


# --- X: twitter-text v3 weighted length -----------------------------------------------------------


def test_x_counts_latin_as_one_and_stops_at_280():
    assert check("x", "a" * 280).valid
    result = check("x", "a" * 281)
    assert (result.length, result.limit, result.unit) == (281, 280, "twitter_weighted")
    assert codes(result) == ["too_long"]
    assert "281" in result.problems[0].message
    assert "280" in result.problems[0].message


def test_x_counts_cjk_and_emoji_as_two():
    assert check("x", "日" * 140).length == 280
    assert codes(check("x", "日" * 141)) == ["too_long"]
    assert check("x", FAMILY).length == 2


def test_x_counts_every_url_as_23():
    text = "a" * 256 + " " + LONG_URL  # 256 + 1 + 23
    assert check("x", text).length == 280
    assert codes(check("x", "a" + text)) == ["too_long"]


def test_x_counts_the_link_appended_on_its_own_line():
    assert check("x", "a" * 255, link="https://portevoix.org/launch").length == 255 + 2 + 23
    result = check("x", "a" * 256, link="https://portevoix.org/launch")
    assert (result.length, codes(result)) == (281, ["too_long"])
    assert result.measured_text.endswith("\n\nhttps://portevoix.org/launch")


def test_x_refuses_invalid_characters():
    assert "invalid_characters" in codes(check("x", "hello \ufffe"))


# --- Bluesky: graphemes and bytes -----------------------------------------------------------------


def test_bluesky_counts_graphemes():
    assert check("bluesky", E_ACUTE * 300).valid
    result = check("bluesky", "a" * 301)
    assert (result.length, result.limit, result.unit) == (301, 300, "graphemes")
    assert codes(result) == ["too_long"]


def test_bluesky_also_limits_bytes():
    result = check("bluesky", FAMILY * 200)  # 200 graphemes, 5,000 bytes
    assert result.length == 200
    assert [(c.length, c.limit, str(c.unit)) for c in result.counts] == [
        (200, 300, "graphemes"),
        (5000, 3000, "utf8_bytes"),
    ]
    assert codes(result) == ["too_many_bytes"]


def test_bluesky_link_is_a_card_and_does_not_count():
    result = check("bluesky", "a" * 300, link="https://portevoix.org/launch")
    assert result.valid
    assert result.length == 300


def test_bluesky_takes_four_small_images_and_no_video():
    assert check("bluesky", "hi", [image()] * 4).valid
    assert codes(check("bluesky", "hi", [image()] * 5)) == ["too_many_media"]
    assert codes(check("bluesky", "hi", [image(size=1_000_001)])) == ["file_too_large"]
    assert codes(check("bluesky", "hi", [image("image/heic")])) == ["format_not_accepted"]
    assert "video_not_supported" in codes(check("bluesky", "hi", [video()]))


# --- Mastodon: graphemes, URLs as 23, per instance -------------------------------------------------


def test_mastodon_counts_urls_as_23():
    text = "a" * 476 + " " + LONG_URL  # 476 + 1 + 23
    result = check("mastodon", text)
    assert (result.length, result.limit, result.unit) == (500, 500, "graphemes_url_23")
    assert result.valid
    assert codes(check("mastodon", "a" + text)) == ["too_long"]


def test_mastodon_counts_remote_mentions_by_username_only():
    assert check("mastodon", "@alice@example.social hi").length == len("@alice hi")


def test_mastodon_channel_uses_its_instance_limits(make_channel):
    limits = InstanceLimits(max_characters=1000, characters_reserved_per_url=30, max_media_attachments=6)
    channel = make_channel("mastodon", options={"instance_limits": instance_limits_option(limits)})
    rules = rules_for_channel(channel)
    text = "a" * 969 + " " + LONG_URL  # 969 + 1 + 30
    result = validate(text=text, rules=rules, channel=channel)
    assert (result.length, result.limit) == (1000, 1000)
    assert result.valid
    assert result.channel_id == channel.pk
    assert "30" in result.unit_label
    assert validate(text="hi", media=[image()] * 6, rules=rules).valid
    assert codes(validate(text="hi", media=[image()] * 7, rules=rules)) == ["too_many_media"]


def test_mastodon_channel_without_instance_limits_uses_the_defaults(make_channel):
    channel = make_channel("mastodon", options={"instance_limits": {"max_characters": "lots", "x": [1]}})
    assert rules_for_channel(channel).text_limit == 500  # malformed values: the defaults
    assert codes(validate(text="a" * 501, rules=rules_for_channel(channel))) == ["too_long"]
    bare = make_channel("mastodon")
    assert validate(text="a" * 500, rules=rules_for_channel(bare)).valid


def test_mastodon_does_not_mix_images_and_video_and_limits_pixels():
    assert "mixed_media" in codes(check("mastodon", "hi", [image(), video()]))
    assert codes(check("mastodon", "hi", [image(width=5000, height=5000)])) == ["too_many_pixels"]


# --- Telegram: 4096 for text, 1024 for a caption ---------------------------------------------------


def test_telegram_text_is_4096_utf16_units():
    assert check("telegram", "a" * 4096).valid
    result = check("telegram", "😀" * 2049)  # 2 UTF-16 units each
    assert (result.length, result.limit, result.unit, result.field) == (4098, 4096, "utf16", "message")
    assert codes(result) == ["too_long"]


def test_telegram_text_with_media_is_a_caption_of_1024():
    assert check("telegram", "a" * 1024, [image()]).valid
    result = check("telegram", "a" * 1025, [image()])
    assert (result.length, result.limit, result.field) == (1025, 1024, "caption")
    assert codes(result) == ["caption_too_long"]
    assert "caption" in result.problems[0].message


def test_telegram_media_count_aspect_ratio_and_formats():
    assert check("telegram", "hi", [image()] * 10).valid
    assert codes(check("telegram", "hi", [image()] * 11)) == ["too_many_media"]
    assert codes(check("telegram", "hi", [image(width=2100, height=100)])) == ["aspect_ratio"]
    assert codes(check("telegram", "hi", [image("image/webp")])) == ["format_not_accepted"]
    assert check("telegram", "hi", [image(), video()]).valid  # albums mix photos and videos
    assert codes(check("telegram", "hi", [image(size=11 * 1024 * 1024)])) == ["file_too_large"]


# --- Other networks and rules ----------------------------------------------------------------------


def test_vk_cannot_take_video():
    assert codes(check("vk", "hi", [video()])) == ["video_not_supported"]


def test_instagram_caps_hashtags_and_mentions():
    tags = " ".join(f"#tag{n}" for n in range(31))
    assert codes(check("instagram", tags)) == ["too_many_hashtags"]
    mentions = " ".join(f"@user{n}" for n in range(21))
    assert codes(check("instagram", mentions)) == ["too_many_mentions"]


def test_networks_without_a_connector_judge_no_media():
    assert check("x", "hi", [video(seconds=10_000)]).valid


def test_declared_video_length_and_hashtag_caps_apply():
    base = rules_for_network("discord")
    assert base.limits is not None
    rules = replace(base, limits=replace(base.limits, video_max_seconds=60.0, hashtags=2, mentions=1))
    result = validate(text="#a #b #c @x @y", media=[video(seconds=61)], rules=rules)
    assert codes(result) == ["too_many_hashtags", "too_many_mentions", "video_too_long"]


def test_a_network_that_takes_no_media():
    rules = NetworkRules(
        network="textonly",
        label="Text Only",
        text_rule=None,
        limits=Limits(text=10, media=0),
        capabilities=frozenset({Capability.PUBLISH}),
    )
    result = validate(text="a" * 11, media=[image()], rules=rules)
    assert codes(result) == ["too_long", "media_not_supported"]
    assert (result.length, result.limit) == (11, 10)


def test_empty_post():
    assert codes(check("telegram", "   ")) == ["empty"]
    assert check("telegram", "", [image()]).valid
    assert check("telegram", "", link="https://example.com/").valid


def test_unknown_network_and_variants():
    with pytest.raises(ValidationFailed) as raised:
        validate_networks(text="hi", networks=["x", "myspace"])
    assert "myspace" in raised.value.message
    results = validate_networks(text="a" * 400, networks=["x", "mastodon"], variants={"x": "short"})
    assert results["x"].valid
    assert results["x"].length == 5
    assert results["mastodon"].valid
    assert results["mastodon"].length == 400


def test_text_too_long_to_measure_is_a_validation_error():
    with pytest.raises(TextTooLong) as raised:
        check("x", "a" * 100_001)
    assert raised.value.status == 422
    assert raised.value.code == "text_too_long"


@settings(max_examples=150, deadline=None)
@given(text=st.text(max_size=400), link=st.one_of(st.none(), st.sampled_from(["https://portevoix.org/a"])))
def test_any_text_is_measured_without_crashing(text, link):
    media = [image()]
    for network in ("x", "bluesky", "mastodon", "telegram", "vk", "discord", "instagram", "threads"):
        result = check(network, text, media, link=link)
        assert result.length >= 0
        assert all(problem.code and problem.message for problem in result.problems)

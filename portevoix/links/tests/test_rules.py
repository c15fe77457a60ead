"""Codes, link targets and UTM rules: the pure rules, without the database."""

from __future__ import annotations

import math
from urllib.parse import parse_qs, urlsplit

import pytest

from portevoix.core.errors import ValidationFailed
from portevoix.links import codes, targets, utm
from portevoix.links.models import MAX_TARGET_LENGTH

# --- Codes ------------------------------------------------------------------------------------------


def test_codes_carry_at_least_40_bits_of_entropy():
    assert len(codes.ALPHABET) == 62
    assert len(set(codes.ALPHABET)) == 62
    bits = math.log2(len(codes.ALPHABET)) * len(codes.new_code())
    assert bits >= 40
    assert round(bits, 1) == 47.6


def test_codes_are_random_and_well_formed():
    drawn = [codes.new_code() for _ in range(20_000)]
    assert len(set(drawn)) == len(drawn)
    assert all(codes.is_code(code) for code in drawn)
    # every character of the alphabet shows up, in every position (not a counter or a timestamp)
    for position in range(8):
        assert {code[position] for code in drawn} == set(codes.ALPHABET)


@pytest.mark.parametrize(
    "value", ["", "abc", "abcdefg", "abcdefghi", "abcd-fgh", "abcd/fgh", "..%2F..", "ÀBCDEFGH"]
)
def test_is_code_refuses_anything_else(value):
    assert not codes.is_code(value)


# --- Targets ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://example.com/page?a=1#top", "https://example.com/page?a=1#top"),
        ("  HTTP://Example.COM  ", "http://example.com/"),
        ("https://example.com:8443/x", "https://example.com:8443/x"),
        (
            "https://пример.рф/путь?q=кот",
            "https://xn--e1afmkfd.xn--p1ai/%D0%BF%D1%83%D1%82%D1%8C?q=%D0%BA%D0%BE%D1%82",
        ),
        ("https://bücher.example/", "https://xn--bcher-kva.example/"),
        ("https://example.com/a%20b", "https://example.com/a%20b"),
        ("https://[2001:db8::1]/", "https://[2001:db8::1]/"),
    ],
)
def test_targets_are_normalised(value, expected):
    assert targets.clean_target(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        " javascript:alert(document.cookie)//https://example.com",
        "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
        "ftp://example.com/file",
        "file:///etc/passwd",
        "mailto:a@example.com",
        "/relative/path",
        "//evil.example/x",
        "example.com/page",
        "https://user:pass@example.com/",
        "https://bank.example@evil.example/",
        "https://example.com\\@evil.example/",
        "https://exa mple.com/",
        "https://example.com/\x00",
        "https://example.com/\nSet-Cookie:x",
        "https:///path-without-host",
        "https://example.com:99999/",
        "https://-bad-.example/",
        "https://" + "a" * 64 + ".example/",
        "http://",
        "",
        "   ",
        None,
        42,
    ],
)
def test_dangerous_or_broken_targets_are_refused(value):
    with pytest.raises(ValidationFailed) as caught:
        targets.clean_target(value)
    assert caught.value.fields["url"]


def test_overlong_targets_are_refused():
    ok = "https://example.com/" + "a" * (MAX_TARGET_LENGTH - len("https://example.com/"))
    assert targets.clean_target(ok) == ok
    with pytest.raises(ValidationFailed, match="too long"):
        targets.clean_target(ok + "a")
    # percent-encoding may make an address too long only after normalisation
    with pytest.raises(ValidationFailed, match="too long"):
        targets.clean_target("https://example.com/" + "é" * 700)


# --- UTM ------------------------------------------------------------------------------------------------


def query(url):
    return parse_qs(urlsplit(url).query, keep_blank_values=True)


def test_tags_are_added_and_encoded():
    url = utm.apply_tags(
        "https://example.com/p?ref=1#frag",
        {"utm_source": "vk", "utm_medium": "social", "utm_campaign": "Весна & co/2025", "utm_content": "42"},
        override=False,
    )
    assert url.startswith("https://example.com/p?ref=1&utm_source=vk&utm_medium=social&utm_campaign=")
    assert url.endswith("#frag")
    assert "%D0%92%D0%B5%D1%81%D0%BD%D0%B0%20%26%20co%2F2025" in url  # & and / cannot break the query
    assert query(url)["utm_campaign"] == ["Весна & co/2025"]
    assert url.isascii()


def test_existing_tags_are_kept_unless_override():
    target = "https://example.com/?utm_source=newsletter&x=1&utm_source=again"
    kept = utm.apply_tags(target, {"utm_source": "vk", "utm_medium": "social"}, override=False)
    assert query(kept) == {"utm_source": ["newsletter", "again"], "x": ["1"], "utm_medium": ["social"]}
    replaced = utm.apply_tags(target, {"utm_source": "vk", "utm_medium": "social"}, override=True)
    assert query(replaced) == {"x": ["1"], "utm_source": ["vk"], "utm_medium": ["social"]}


def test_empty_tags_are_left_out_and_the_rest_is_untouched():
    target = "https://example.com/a%2Fb?q=%7Ex&flag"
    assert utm.apply_tags(target, {"utm_source": "", "utm_content": ""}, override=True) == target
    assert utm.apply_tags(target, {"utm_source": "tg"}, override=False) == target + "&utm_source=tg"


def test_templates_render_placeholders():
    values = {"network": "telegram", "rubric": "Product news", "post_id": "7", "channel": "Acme"}
    assert utm.render("{network}", values) == "telegram"
    assert utm.render("{rubric}-{post_id}", values) == "Product news-7"
    assert utm.render("{{literal}} {campaign}", values) == "{literal}"
    assert utm.render("{campaign}", values) == ""


@pytest.mark.parametrize(
    "template",
    [
        "{unknown}",
        "{network.__class__}",
        "{network[0]}",
        "{network!r}",
        "{post_id:>10}",
        "{",
        "}",
        "{}",
        "x" * 201,
    ],
)
def test_bad_templates_are_refused(template):
    with pytest.raises(ValidationFailed) as caught:
        utm.check_template(template, field="utm_source")
    assert "utm_source" in caught.value.fields


def test_good_templates_pass():
    for template in ["{network}", "social", "{rubric}_{campaign}", "{{x}}", "", "{workspace}-{channel}"]:
        assert utm.check_template(template, field="utm_campaign") == template

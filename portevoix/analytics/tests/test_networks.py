"""The social network table and the source of a landing (UTM first, else the referrer)."""

from __future__ import annotations

import pytest

from portevoix.analytics import networks
from portevoix.analytics.sessions import traffic_source


@pytest.mark.parametrize(
    ("host", "key"),
    [
        ("vk.com", "vk"),
        ("away.vk.com", "vk"),
        ("m.vk.com", "vk"),
        ("vk.ru", "vk"),
        ("ok.ru", "ok"),
        ("my.mail.ru", "mailru"),
        ("t.me", "telegram"),
        ("web.telegram.org", "telegram"),
        ("facebook.com", "facebook"),
        ("www.facebook.com", "facebook"),
        ("l.facebook.com", "facebook"),
        ("fb.com", "facebook"),
        ("instagram.com", "instagram"),
        ("l.instagram.com", "instagram"),
        ("youtube.com", "youtube"),
        ("m.youtube.com", "youtube"),
        ("youtu.be", "youtube"),
        ("x.com", "x"),
        ("twitter.com", "x"),
        ("t.co", "x"),
        ("pinterest.com", "pinterest"),
        ("pinterest.fr", "pinterest"),
        ("www.pinterest.co.uk", "pinterest"),
        ("discord.com", "discord"),
        ("linkedin.com", "linkedin"),
        ("lnkd.in", "linkedin"),
        ("threads.net", "threads"),
        ("bsky.app", "bluesky"),
        ("tiktok.com", "tiktok"),
        ("soundcloud.com", "soundcloud"),
        ("qzone.qq.com", "qzone"),
        ("WWW.VK.COM.", "vk"),
    ],
)
def test_social_domains(host, key):
    assert networks.network_for_host(host) == key


@pytest.mark.parametrize(
    "host",
    [
        "mail.ru",
        "qq.com",
        "com",
        "notvk.com",
        "vk.com.evil.example",
        "example.com",
        "mastodon.social",
        "me",
        "",
    ],
)
def test_other_hosts_are_not_social(host):
    assert networks.network_for_host(host) == ""


def test_mastodon_is_recognised_by_utm_source_only():
    assert networks.classify(utm_source="mastodon", utm_medium="social", referrer_host="") == "mastodon"
    assert networks.classify(utm_source="", utm_medium="", referrer_host="mastodon.social") == ""


def test_utm_wins_over_the_referrer():
    # tagged for VK, opened from a Telegram link preview: the tag says where it was shared
    assert traffic_source(
        utm={"source": "vk", "medium": "social", "campaign": "spring", "content": "42"}, referrer_host="t.me"
    ) == ("vk", "social", "spring", "42", "vk")
    # a newsletter tag is not social even when the referrer is
    assert traffic_source(utm={"source": "newsletter", "medium": "email"}, referrer_host="t.co")[4] == ""
    # utm_medium=social from a source not in the table is still social
    assert traffic_source(utm={"source": "someforum", "medium": "social"}, referrer_host="")[4] == "other"


def test_source_from_the_referrer_without_utm():
    assert traffic_source(utm={}, referrer_host="away.vk.com") == ("away.vk.com", "social", "", "", "vk")
    assert traffic_source(utm={}, referrer_host="www.google.com")[:2] == ("google.com", "organic")
    assert traffic_source(utm={}, referrer_host="yandex.ru")[1] == "organic"
    assert traffic_source(utm={}, referrer_host="blog.example")[:2] == ("blog.example", "referral")
    assert traffic_source(utm={}, referrer_host="") == ("(direct)", "(none)", "", "", "")
    # a referrer from the site itself is not a source
    assert traffic_source(utm={}, referrer_host="shop.example", page_host="shop.example")[0] == "(direct)"

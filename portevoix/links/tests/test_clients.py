"""What a click records about its client: bot or not, device class, referrer host, country."""

from __future__ import annotations

import pytest

from portevoix.links.clients import Geo, classify, referrer_host
from portevoix.links.models import Device

IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.4 Mobile/15E148 Safari/604.1"
)
IPAD = (
    "Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 "
    "Mobile/15E148 Safari/604.1"
)
ANDROID_PHONE = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Mobile "
    "Safari/537.36"
)
ANDROID_TABLET = (
    "Mozilla/5.0 (Linux; Android 13; SM-X700) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 "
    "Safari/537.36"
)
WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 "
    "Safari/537.36"
)
MAC = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 "
    "Safari/605.1.15"
)
LINUX_FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0"


@pytest.mark.parametrize(
    ("user_agent", "device"),
    [
        (IPHONE, Device.MOBILE),
        (ANDROID_PHONE, Device.MOBILE),
        (IPAD, Device.TABLET),
        (ANDROID_TABLET, Device.TABLET),
        (WINDOWS, Device.DESKTOP),
        (MAC, Device.DESKTOP),
        (LINUX_FIREFOX, Device.DESKTOP),
        ("SomeSmartFridge/1.0", Device.OTHER),
    ],
)
def test_people_get_their_device_class(user_agent, device):
    assert classify(user_agent) == (device, False)


@pytest.mark.parametrize(
    "user_agent",
    [
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)",
        "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
        "TelegramBot (like TwitterBot)",
        "Twitterbot/1.0",
        "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
        "curl/8.5.0",
        "python-requests/2.31.0",
        "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
        "",
        "   ",
    ],
)
def test_crawlers_previewers_and_scripts_are_bots(user_agent):
    assert classify(user_agent) == (Device.BOT, True)


def test_classify_caps_huge_headers():
    assert classify("Mozilla/5.0 " + "x" * 100_000)[1] in {True, False}


@pytest.mark.parametrize(
    ("referer", "host"),
    [
        ("https://t.co/abc?secret=1", "t.co"),
        ("https://away.vk.com/away.php?to=https%3A%2F%2Fexample.com&utf=1", "away.vk.com"),
        ("https://www.Facebook.com:443/some/path#frag", "www.facebook.com"),
        ("", ""),
        ("not a url", ""),
        ("https://[::1", ""),
        ("android-app://org.telegram.messenger/", "org.telegram.messenger"),
    ],
)
def test_only_the_referrer_host_is_kept(referer, host):
    assert referrer_host(referer) == host


class FakeReader:
    def __init__(self, records):
        self.records = records
        self.asked = []

    def get(self, ip):
        self.asked.append(ip)
        return self.records.get(ip)


def test_geo_reads_the_country_from_the_database():
    reader = FakeReader(
        {
            "81.2.69.160": {"country": {"iso_code": "GB", "names": {"en": "United Kingdom"}}},
            "2.125.160.216": {"registered_country": {"iso_code": "fr"}},
            "89.160.20.112": {"continent": {"code": "EU"}},
            "1.1.1.1": "garbage",
        }
    )
    geo = Geo(reader=reader)
    assert geo.enabled
    assert geo.country("81.2.69.160") == "GB"
    assert geo.country("2.125.160.216") == "FR"
    assert geo.country("89.160.20.112") == ""
    assert geo.country("1.1.1.1") == ""
    assert geo.country("8.8.8.8") == ""
    # private, loopback and malformed addresses are not looked up
    for address in ("127.0.0.1", "10.0.0.1", "::1", "not-an-ip", "", None):
        assert geo.country(address) == ""
    assert reader.asked == ["81.2.69.160", "2.125.160.216", "89.160.20.112", "1.1.1.1", "8.8.8.8"]


def test_geo_without_a_database_records_nothing(tmp_path):
    assert not Geo(None).enabled
    assert Geo(None).country("81.2.69.160") == ""
    missing = Geo(str(tmp_path / "missing.mmdb"))  # a wrong path is logged, not fatal
    assert not missing.enabled
    assert missing.country("81.2.69.160") == ""
    broken = tmp_path / "broken.mmdb"
    broken.write_bytes(b"not a maxmind database")
    assert Geo(str(broken)).country("81.2.69.160") == ""


def test_geo_reads_a_real_maxmind_database(tmp_path):
    """A tiny MMDB file written by tests/mmdb.py, read by the real maxminddb reader."""
    from portevoix.links.tests.mmdb import build

    path = tmp_path / "country.mmdb"
    path.write_bytes(
        build("81.2.69.0/24", {"country": {"iso_code": "GB", "names": {"en": "United Kingdom"}}})
    )
    geo = Geo(str(path))
    assert geo.enabled
    assert geo.country("81.2.69.160") == "GB"
    assert geo.country("81.2.70.1") == ""
    assert geo.country("2a02:6b8::1") == ""  # IPv6 in an IPv4-only database: no answer, no error

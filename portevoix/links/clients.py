"""What a click records about its client, decided outside the request: bot or not (``crawlerdetect``, a
maintained list of crawler user agents, plus ua-parser's "Spider" device), the device class (ua-parser's
operating system and device), the referring page's host only, and the country from a GeoIP2/GeoLite2
database when ``PORTEVOIX_GEOIP_PATH`` names one (read with ``maxminddb``).

Results are cached per user agent: a burst of clicks from one browser costs one parse.
"""

from __future__ import annotations

import functools
import ipaddress
import logging
import threading
from typing import Any, Protocol
from urllib.parse import urlsplit

from portevoix.links.models import Device

logger = logging.getLogger(__name__)

MAX_USER_AGENT = 512
MOBILE_SYSTEMS = frozenset(
    {"iOS", "Android", "Windows Phone", "BlackBerry OS", "KaiOS", "Firefox OS", "Symbian OS", "HarmonyOS"}
)
DESKTOP_SYSTEMS = frozenset(
    {"Windows", "Mac OS X", "Linux", "Ubuntu", "Chrome OS", "ChromeOS", "Fedora", "Debian", "FreeBSD"}
    | {"OpenBSD", "NetBSD", "Solaris", "Arch Linux", "Linux Mint", "openSUSE", "Red Hat", "Gentoo", "macOS"}
)


@functools.cache
def _crawler_detect() -> Any:
    from crawlerdetect import CrawlerDetect

    return CrawlerDetect()


_detect_lock = threading.Lock()  # CrawlerDetect keeps the last matches on the instance


@functools.lru_cache(maxsize=4096)
def classify(user_agent: str) -> tuple[int, bool]:
    """(device class, is_bot) for a User-Agent header. No header at all counts as a bot (browsers always
    send one)."""
    user_agent = user_agent[:MAX_USER_AGENT]
    if not user_agent.strip():
        return Device.BOT, True
    with _detect_lock:
        crawler = bool(_crawler_detect().isCrawler(user_agent))
    import ua_parser

    parsed = ua_parser.parse(user_agent)
    device = parsed.device
    family = device.family if device else ""
    if crawler or family == "Spider":
        return Device.BOT, True
    system = parsed.os.family if parsed.os else ""
    described = f"{family} {device.brand or ''} {device.model or ''}" if device else ""
    if "iPad" in described or "Tablet" in described or "Kindle" in described:
        return Device.TABLET, False
    if system == "Android" and "Mobile" not in user_agent:
        return Device.TABLET, False  # Android's convention: tablets leave "Mobile" out
    if system in MOBILE_SYSTEMS or "iPhone" in described or "Mobi" in user_agent:
        return Device.MOBILE, False
    if system in DESKTOP_SYSTEMS:
        return Device.DESKTOP, False
    return Device.OTHER, False


def referrer_host(referer: str) -> str:
    """The host of the Referer header (``t.co``, ``away.vk.com``), never its path or query."""
    if not referer:
        return ""
    try:
        host = urlsplit(referer.strip()[:2000]).hostname or ""
    except ValueError:
        return ""
    return host[:255]


class GeoReader(Protocol):
    def get(self, ip_address: str) -> Any: ...


class Geo:
    """Country lookups from a MaxMind DB file; nothing when no file is configured or it cannot be read."""

    def __init__(self, path: str | None = None, reader: GeoReader | None = None) -> None:
        self._reader = reader
        if reader is None and path:
            try:
                import maxminddb

                self._reader = maxminddb.open_database(path)
            except Exception as error:  # a missing, unreadable or invalid file: countries are skipped
                logger.warning(
                    "GeoIP database %s could not be opened (%s); countries are not recorded", path, error
                )

    @property
    def enabled(self) -> bool:
        return self._reader is not None

    def country(self, ip: str | None) -> str:
        if self._reader is None or not ip:
            return ""
        try:
            address = ipaddress.ip_address(ip)
        except ValueError:
            return ""
        if not address.is_global:
            return ""
        try:
            record = self._reader.get(str(address))
        except Exception:  # a corrupt database must not stop the click writer
            return ""
        if not isinstance(record, dict):
            return ""
        for key in ("country", "registered_country"):
            place = record.get(key)
            if isinstance(place, dict):
                code = place.get("iso_code")
                if isinstance(code, str) and len(code) == 2 and code.isalpha():
                    return code.upper()
        return ""

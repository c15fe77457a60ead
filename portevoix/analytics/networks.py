"""Which social network a visit comes from: by its ``utm_source`` when it has one, else by the referring
host. One table for both, tested in tests/test_networks.py. Keys match the connectors' network keys where
Portevoix publishes to that network ("vk", "telegram", "facebook"...).

Mastodon has no single domain (thousands of instances): it is recognised by ``utm_source`` only.
A visit tagged ``utm_medium=social`` (or ``social-network``, ``sm``...) from a source that is not in the table
is social too, with the key ``other``.
"""

from __future__ import annotations

# Referring host (or a parent domain of it) -> network key.
DOMAINS: dict[str, str] = {
    "vk.com": "vk",
    "vk.ru": "vk",
    "m.vk.com": "vk",
    "away.vk.com": "vk",
    "ok.ru": "ok",
    "my.mail.ru": "mailru",
    "t.me": "telegram",
    "telegram.org": "telegram",
    "telegram.me": "telegram",
    "facebook.com": "facebook",
    "fb.com": "facebook",
    "l.facebook.com": "facebook",
    "lm.facebook.com": "facebook",
    "m.facebook.com": "facebook",
    "instagram.com": "instagram",
    "l.instagram.com": "instagram",
    "youtube.com": "youtube",
    "youtu.be": "youtube",
    "x.com": "x",
    "twitter.com": "x",
    "t.co": "x",
    "discord.com": "discord",
    "discord.gg": "discord",
    "linkedin.com": "linkedin",
    "lnkd.in": "linkedin",
    "threads.net": "threads",
    "threads.com": "threads",
    "bsky.app": "bluesky",
    "tiktok.com": "tiktok",
    "soundcloud.com": "soundcloud",
    "qzone.qq.com": "qzone",
}
# Pinterest has one domain per country (pinterest.fr, pinterest.co.uk, pin.it): any "pinterest.<tld>".
PREFIX_DOMAINS: dict[str, str] = {"pinterest": "pinterest"}

# utm_source values (lower case) -> network key, beside the keys themselves and the domains above.
SOURCES: dict[str, str] = {
    "vk": "vk",
    "vkontakte": "vk",
    "ok": "ok",
    "odnoklassniki": "ok",
    "mailru": "mailru",
    "my.mail.ru": "mailru",
    "telegram": "telegram",
    "tg": "telegram",
    "facebook": "facebook",
    "fb": "facebook",
    "instagram": "instagram",
    "ig": "instagram",
    "youtube": "youtube",
    "x": "x",
    "twitter": "x",
    "pinterest": "pinterest",
    "discord": "discord",
    "linkedin": "linkedin",
    "threads": "threads",
    "bluesky": "bluesky",
    "bsky": "bluesky",
    "mastodon": "mastodon",
    "tiktok": "tiktok",
    "soundcloud": "soundcloud",
    "qzone": "qzone",
}
SOCIAL_MEDIUMS = frozenset({"social", "social-network", "social-media", "sm", "social_network", "smm"})
OTHER = "other"

LABELS: dict[str, str] = {
    "vk": "VK",
    "ok": "Odnoklassniki",
    "mailru": "My.Mail.Ru",
    "telegram": "Telegram",
    "facebook": "Facebook",
    "instagram": "Instagram",
    "youtube": "YouTube",
    "x": "X (Twitter)",
    "pinterest": "Pinterest",
    "discord": "Discord",
    "linkedin": "LinkedIn",
    "threads": "Threads",
    "bluesky": "Bluesky",
    "mastodon": "Mastodon",
    "tiktok": "TikTok",
    "soundcloud": "SoundCloud",
    "qzone": "Qzone",
}


def network_for_host(host: str) -> str:
    """The network key of a referring host (``away.vk.com`` -> ``vk``), or ""."""
    host = host.lower().rstrip(".")
    if host.startswith("www."):
        host = host[4:]
    parts = host.split(".")
    for start in range(len(parts) - 1):  # away.vk.com, then vk.com (never the bare "com")
        found = DOMAINS.get(".".join(parts[start:]))
        if found:
            return found
    for index, label in enumerate(parts[:-1]):
        if label in PREFIX_DOMAINS and len(parts) - index <= 3:  # pinterest.fr, pinterest.co.uk
            return PREFIX_DOMAINS[label]
    if host == "pin.it":
        return "pinterest"
    return ""


def network_for_source(source: str) -> str:
    source = source.strip().lower()
    if not source:
        return ""
    return SOURCES.get(source) or network_for_host(source)


def classify(*, utm_source: str, utm_medium: str, referrer_host: str) -> str:
    """The network key of a visit: by UTM when tagged, else by the referrer; "" when not social."""
    if utm_source or utm_medium:
        found = network_for_source(utm_source)
        if found:
            return found
        return OTHER if utm_medium.strip().lower() in SOCIAL_MEDIUMS else ""
    return network_for_host(referrer_host) if referrer_host else ""


def label(key: str) -> str:
    return LABELS.get(key, key)


# Search engines: a visit referred by one without UTM tags has the medium "organic".
SEARCH_ENGINES = ("google.", "yandex.", "ya.ru", "bing.com", "duckduckgo.com", "search.yahoo.", "baidu.com")


def is_search_engine(host: str) -> bool:
    host = host.lower()
    return any(
        host == engine.rstrip(".") or host.startswith(engine) or f".{engine}" in f".{host}"
        for engine in SEARCH_ENGINES
    )

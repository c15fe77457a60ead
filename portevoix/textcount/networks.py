"""Text rules per network, as data: the limit, the unit it is counted in, and where the number comes from.

``TEXT_RULES[network][field]`` is a frozen ``TextRule``. A rule without limits means the network's limit is
not documented anywhere we can cite: the composer shows the length but does not judge it. ``documented``
is True when the number is in the network's own documentation or source code, False when it only comes
from secondary sources (help-desk folklore, third-party tools); docs/text-length.md lists the sources.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from portevoix.textcount._twitter_regex import INVALID_CHARS_RE
from portevoix.textcount.errors import ensure_measurable
from portevoix.textcount.tags import count_hashtags, count_mentions
from portevoix.textcount.twitter import DEFAULT_CONFIG, twitter_parse
from portevoix.textcount.units import Unit, count


@dataclass(frozen=True)
class Limit:
    maximum: int
    unit: Unit


@dataclass(frozen=True)
class TextRule:
    network: str
    field: str  # "post", "message", "caption", "title", "description"
    limits: tuple[Limit, ...]  # all must hold; empty: unknown
    source: str
    documented: bool
    max_hashtags: int | None = None
    max_mentions: int | None = None
    note: str = ""

    @property
    def known(self) -> bool:
        return bool(self.limits)


@dataclass(frozen=True)
class Count:
    """A length measured against one limit (``limit`` None when the network's limit is unknown)."""

    length: int
    limit: int | None
    unit: Unit
    valid: bool

    @property
    def remaining(self) -> int | None:
        return None if self.limit is None else self.limit - self.length


@dataclass(frozen=True)
class TextCheck:
    """The result of checking one text against one rule. ``problems`` holds stable codes, not messages:
    ``too_long``, ``invalid_characters``, ``too_many_hashtags``, ``too_many_mentions``."""

    rule: TextRule
    counts: tuple[Count, ...]
    hashtags: int
    mentions: int
    problems: tuple[str, ...] = field(default=())

    @property
    def valid(self) -> bool:
        return not self.problems


def _rule(
    network: str,
    field_name: str,
    limits: tuple[tuple[int, Unit], ...],
    source: str,
    *,
    documented: bool,
    max_hashtags: int | None = None,
    max_mentions: int | None = None,
    note: str = "",
) -> TextRule:
    return TextRule(
        network=network,
        field=field_name,
        limits=tuple(Limit(maximum, unit) for maximum, unit in limits),
        source=source,
        documented=documented,
        max_hashtags=max_hashtags,
        max_mentions=max_mentions,
        note=note,
    )


_RULES: tuple[TextRule, ...] = (
    _rule(
        "x",
        "post",
        ((280, Unit.TWITTER_WEIGHTED),),
        "twitter-text config/v3.json (maxWeightedTweetLength 280) and X's 'Counting characters' page",
        documented=True,
        note="URLs count 23, emoji 2, CJK 2; see twitter_parse.",
    ),
    _rule(
        "bluesky",
        "post",
        ((300, Unit.GRAPHEMES), (3000, Unit.UTF8_BYTES)),
        "atproto lexicon app.bsky.feed.post: text maxGraphemes 300, maxLength 3000 (bytes)",
        documented=True,
    ),
    _rule(
        "mastodon",
        "post",
        ((500, Unit.GRAPHEMES_URL_23),),
        "Mastodon StatusLengthValidator (500 by default); the instance's own limit is "
        "configuration.statuses.max_characters of /api/v2/instance",
        documented=True,
        note="Per instance: pass its limit. The content warning counts too.",
    ),
    _rule(
        "telegram",
        "message",
        ((4096, Unit.UTF16),),
        "Telegram Bot API sendMessage: text 1-4096 characters after entities parsing; entity offsets and "
        "lengths are in UTF-16 code units",
        documented=True,
    ),
    _rule(
        "telegram",
        "caption",
        ((1024, Unit.UTF16),),
        "Telegram Bot API sendPhoto/sendVideo/sendDocument: caption 0-1024 characters after entities parsing",
        documented=True,
    ),
    _rule(
        "vk",
        "post",
        ((16384, Unit.CHARS),),
        "Commonly cited wall post limit; the wall.post API reference gives no number",
        documented=False,
    ),
    _rule(
        "facebook",
        "post",
        ((63206, Unit.CHARS),),
        "Commonly cited Facebook post limit; the Graph API reference gives no number",
        documented=False,
    ),
    _rule(
        "instagram",
        "caption",
        ((2200, Unit.CHARS),),
        "Instagram Graph API, POST /{ig-user-id}/media, caption: 2200 characters, 30 hashtags, 20 @ tags",
        documented=True,
        max_hashtags=30,
        max_mentions=20,
    ),
    _rule(
        "threads",
        "post",
        ((500, Unit.CHARS_EMOJI_UTF8),),
        "Threads API, Posts, Limitations: text posts are limited to 500 characters; emojis are counted "
        "as the number of UTF-8 bytes",
        documented=True,
    ),
    _rule(
        "linkedin",
        "post",
        ((3000, Unit.CHARS),),
        "LinkedIn Posts API / Share API: commentary text up to 3000 characters",
        documented=True,
    ),
    _rule(
        "tiktok",
        "caption",
        ((2200, Unit.UTF16),),
        "TikTok Content Posting API, Direct Post, post_info.title: video caption, 2200 UTF-16 runes at most",
        documented=True,
    ),
    _rule(
        "youtube",
        "title",
        ((100, Unit.CHARS),),
        "YouTube Data API, videos resource: snippet.title maximum 100 characters (no < or >)",
        documented=True,
    ),
    _rule(
        "youtube",
        "description",
        ((5000, Unit.UTF8_BYTES),),
        "YouTube Data API, videos resource: snippet.description maximum 5000 bytes (no < or >)",
        documented=True,
    ),
    _rule(
        "pinterest",
        "title",
        ((100, Unit.CHARS),),
        "Pinterest API v5, create Pin: title 100 characters at most",
        documented=True,
    ),
    _rule(
        "pinterest",
        "description",
        ((500, Unit.CHARS),),
        "Pinterest Help: Pin descriptions up to 500 characters (the API v5 schema accepts 800)",
        documented=True,
        note="The stricter number is kept: what the app shows.",
    ),
    _rule(
        "discord",
        "message",
        ((2000, Unit.CHARS),),
        "Discord API, Create Message: content up to 2000 characters",
        documented=True,
    ),
    _rule("odnoklassniki", "post", (), "No documented limit found", documented=False),
    _rule("moimir", "post", (), "No documented limit found (My World, Mail.ru)", documented=False),
    _rule("soundcloud", "description", (), "No documented limit found", documented=False),
    _rule("qzone", "post", (), "No documented limit found", documented=False),
)


def _index(rules: tuple[TextRule, ...]) -> Mapping[str, Mapping[str, TextRule]]:
    by_network: dict[str, dict[str, TextRule]] = {}
    for rule in rules:
        by_network.setdefault(rule.network, {})[rule.field] = rule
    return MappingProxyType({network: MappingProxyType(fields) for network, fields in by_network.items()})


TEXT_RULES: Mapping[str, Mapping[str, TextRule]] = _index(_RULES)


def get_rule(network: str, field_name: str | None = None) -> TextRule:
    """The rule for ``network`` and ``field_name`` (default: the network's first field). KeyError if none."""
    fields = TEXT_RULES[network]
    if field_name is None:
        return next(iter(fields.values()))
    return fields[field_name]


def check_text(
    text: str,
    network: str,
    field_name: str | None = None,
    *,
    limit: int | None = None,
    url_length: int = 23,
) -> TextCheck:
    """Measure ``text`` as ``network`` counts it and compare it with the network's limits.

    ``limit`` replaces the first limit of the rule (a Mastodon instance's own ``max_characters``);
    ``url_length`` is the length a URL counts where URLs count a fixed length (Mastodon's
    ``characters_reserved_per_url``). Raises ``TextTooLongError`` for a text longer than ``MAX_TEXT_LENGTH``
    code points (longer than any network accepts) without measuring it.
    """
    rule = get_rule(network, field_name)
    ensure_measurable(text)
    limits = list(rule.limits)
    if limit is not None:
        if not limits:
            raise ValueError(f"{network} has no known unit to apply a limit to")
        limits[0] = Limit(limit, limits[0].unit)
    problems: list[str] = []
    counts: list[Count] = []
    for each in limits:
        if each.unit is Unit.TWITTER_WEIGHTED:
            length = twitter_parse(text, DEFAULT_CONFIG).weighted_length
            within = length <= each.maximum
            if INVALID_CHARS_RE.search(text):
                problems.append("invalid_characters")
        else:
            length = count(text, each.unit, url_length=url_length)
            within = length <= each.maximum
        if not within and "too_long" not in problems:
            problems.append("too_long")
        counts.append(Count(length=length, limit=each.maximum, unit=each.unit, valid=within))
    if not limits:
        counts.append(Count(length=len(text), limit=None, unit=Unit.CHARS, valid=True))
    hashtags, mentions = count_hashtags(text), count_mentions(text)
    if rule.max_hashtags is not None and hashtags > rule.max_hashtags:
        problems.append("too_many_hashtags")
    if rule.max_mentions is not None and mentions > rule.max_mentions:
        problems.append("too_many_mentions")
    return TextCheck(
        rule=rule, counts=tuple(counts), hashtags=hashtags, mentions=mentions, problems=tuple(problems)
    )

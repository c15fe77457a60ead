"""X (Twitter): weighted length, validity and entity checks, as twitter-text v3 does them.

Port of the reference ``parseTweet`` (twitter/twitter-text, ``js/src/parseTweet.js``, Apache License 2.0):

* the text is NFC-normalised first;
* every URL the reference extracts counts ``transformed_url_length`` (23), with or without a scheme;
* with emoji parsing on (v3), every emoji sequence counts ``default_weight`` (200) whatever its number
  of code points;
* every other code point counts the weight of the first range that holds it, else ``default_weight``;
* the text is valid when its weighted length is between 1 and ``max_weighted_tweet_length`` times
  ``scale`` and it holds no U+FFFE, U+FEFF or U+FFFF (checked on the last code unit of each counted
  piece, like the reference);
* the display and valid ranges are inclusive indices in UTF-16 code units of the *original* text.

URLs are found by ``_urls`` (the reference's matches, in linear time). Every public function here raises
``TextTooLongError`` for a text longer than ``MAX_TEXT_LENGTH`` code points.
"""

from __future__ import annotations

import bisect
import json
import math
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from portevoix.textcount import _twitter_regex as rx
from portevoix.textcount._urls import ascii_domain_spans, url_matches
from portevoix.textcount.emoji import unchecked_emoji_spans
from portevoix.textcount.errors import ensure_measurable
from portevoix.textcount.units import utf16_length

MAX_URL_LENGTH = 4096
MAX_TCO_SLUG_LENGTH = 40
MAX_DOMAIN_LABEL_LENGTH = 63
DEFAULT_PROTOCOL = "https://"


@dataclass(frozen=True)
class WeightRange:
    start: int
    end: int
    weight: int


@dataclass(frozen=True)
class TwitterConfig:
    """The parameters of twitter-text's ``config/v*.json``."""

    version: int
    max_weighted_tweet_length: int
    scale: int
    default_weight: int
    transformed_url_length: int
    ranges: tuple[WeightRange, ...]
    emoji_parsing_enabled: bool = False

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TwitterConfig:
        """Build a config from the reference's JSON (camelCase keys)."""
        return cls(
            version=int(data["version"]),
            max_weighted_tweet_length=int(data["maxWeightedTweetLength"]),
            scale=int(data["scale"]),
            default_weight=int(data["defaultWeight"]),
            transformed_url_length=int(data["transformedURLLength"]),
            ranges=tuple(
                WeightRange(start=int(r["start"]), end=int(r["end"]), weight=int(r["weight"]))
                for r in data.get("ranges", [])
            ),
            emoji_parsing_enabled=bool(data.get("emojiParsingEnabled", False)),
        )

    @classmethod
    def from_json_file(cls, path: Path) -> TwitterConfig:
        return cls.from_json(json.loads(path.read_text(encoding="utf-8")))

    def weight_of(self, code_point: int) -> int:
        for weight_range in self.ranges:
            if weight_range.start <= code_point <= weight_range.end:
                return weight_range.weight
        return self.default_weight


_V2_RANGES = (
    WeightRange(0, 4351, 100),
    WeightRange(8192, 8205, 100),
    WeightRange(8208, 8223, 100),
    WeightRange(8242, 8247, 100),
)
# The legacy rule: 140 code points, every URL 23.
CONFIG_V1 = TwitterConfig(
    version=1,
    max_weighted_tweet_length=140,
    scale=1,
    default_weight=1,
    transformed_url_length=23,
    ranges=(),
)
# 280 weighted: Latin, punctuation and the like count 1, other scripts (CJK...) 2.
CONFIG_V2 = TwitterConfig(
    version=2,
    max_weighted_tweet_length=280,
    scale=100,
    default_weight=200,
    transformed_url_length=23,
    ranges=_V2_RANGES,
)
# v2 plus emoji parsing: what X counts today.
CONFIG_V3 = TwitterConfig(
    version=3,
    max_weighted_tweet_length=280,
    scale=100,
    default_weight=200,
    transformed_url_length=23,
    ranges=_V2_RANGES,
    emoji_parsing_enabled=True,
)
DEFAULT_CONFIG = CONFIG_V3


@dataclass(frozen=True)
class TwitterParseResult:
    """The reference's ``parseTweet`` result (ranges are inclusive UTF-16 indices)."""

    weighted_length: int
    valid: bool
    permillage: int
    display_range_start: int
    display_range_end: int
    valid_range_start: int
    valid_range_end: int


@dataclass(frozen=True)
class UrlEntity:
    """A URL found in text: ``start``/``end`` are code point offsets (end exclusive)."""

    url: str
    start: int
    end: int


def _idna_labels_ok(domain: str) -> bool:
    """The reference's lightweight ``idna.toAscii`` check: every label is 1 to 63 characters once encoded."""
    if domain[:4].lower() == "xn--" and not ascii_domain_spans(domain):
        return False
    for label in domain.split("."):
        if len(label) > MAX_DOMAIN_LABEL_LENGTH:
            return False  # encoding never shortens a label (and punycode costs the square of its length)
        try:
            encoded = label if label.isascii() else "xn--" + label.encode("punycode").decode("ascii")
        except UnicodeError:
            return False
        if not 1 <= len(encoded) <= MAX_DOMAIN_LABEL_LENGTH:
            return False
    return True


def _url_length_ok(url: str, protocol: str, domain: str) -> bool:
    return len(protocol) + len(url) <= MAX_URL_LENGTH and _idna_labels_ok(domain)


def extract_urls_with_indices(text: str, *, without_protocol: bool = True) -> list[UrlEntity]:
    """URLs as twitter-text's ``extractUrlsWithIndices`` finds them (with or without ``http(s)://``)."""
    ensure_measurable(text)
    return _extract_urls(text, without_protocol=without_protocol)


def _extract_urls(text: str, *, without_protocol: bool) -> list[UrlEntity]:
    if not text or ("." not in text if without_protocol else ":" not in text):
        return []
    urls: list[UrlEntity] = []
    for match in url_matches(text):
        url, protocol, domain, start, end = match.url, match.protocol, match.domain, match.start, match.end
        if not _url_length_ok(url, protocol or DEFAULT_PROTOCOL, domain):
            continue
        if not protocol:
            if not without_protocol or rx.INVALID_URL_WITHOUT_PROTOCOL_PRECEDING.search(match.before):
                continue
            last: UrlEntity | None = None
            for ascii_start, ascii_end in ascii_domain_spans(domain):
                last = UrlEntity(domain[ascii_start:ascii_end], start + ascii_start, start + ascii_end)
                urls.append(last)
            if last is None:
                continue
            if match.path:
                urls[-1] = UrlEntity(url.replace(domain, last.url, 1), last.start, end)
        else:
            tco = rx.VALID_TCO_URL.match(url)
            if tco:
                if len(tco.group(1)) > MAX_TCO_SLUG_LENGTH:
                    continue
                url = tco.group(0)
                end = start + len(url)
            urls.append(UrlEntity(url, start, end))
    return urls


def twitter_parse(text: str, config: TwitterConfig = DEFAULT_CONFIG) -> TwitterParseResult:
    """Weighted length and validity of ``text`` as X counts it (twitter-text ``parseTweet``)."""
    ensure_measurable(text)
    normalized = unicodedata.normalize("NFC", text)  # may be longer than text: not checked again
    url_at = {entity.start: entity for entity in _extract_urls(normalized, without_protocol=True)}
    emoji_end_at = dict(unchecked_emoji_spans(normalized)) if config.emoji_parsing_enabled else {}
    limit = config.max_weighted_tweet_length * config.scale

    weighted = 0
    valid = True
    valid_display_index = 0  # UTF-16 index of the last code unit of the last piece within the limit
    utf16_index = 0
    index = 0
    while index < len(normalized):
        if index in url_at or index in emoji_end_at:
            if index in url_at:
                end = index + len(url_at[index].url)
                weighted += config.transformed_url_length * config.scale
            else:
                end = emoji_end_at[index]
                weighted += config.default_weight
            piece = normalized[index:end]
            utf16_index += utf16_length(piece)
            last = piece[-1]
        else:  # one code point: most of the text, so without slicing or a regex
            end = index + 1
            last = normalized[index]
            code_point = ord(last)
            weighted += config.weight_of(code_point)
            utf16_index += 2 if code_point > 0xFFFF else 1
        if valid:
            valid = last not in rx.INVALID_CHARS
        if valid and weighted <= limit:
            valid_display_index = utf16_index - 1
        index = end

    normalization_offset = utf16_length(text) - utf16_index
    weighted_length = weighted / config.scale
    return TwitterParseResult(
        weighted_length=math.floor(weighted_length),
        valid=valid and 0 < weighted <= limit,
        permillage=math.floor(weighted_length / config.max_weighted_tweet_length * 1000),
        display_range_start=0,
        display_range_end=max(utf16_length(text) - 1, 0),
        valid_range_start=0,
        valid_range_end=valid_display_index + normalization_offset,
    )


def twitter_weighted_length(text: str, config: TwitterConfig = DEFAULT_CONFIG) -> int:
    return twitter_parse(text, config).weighted_length


# --- Entities: mentions, lists, hashtags ---------------------------------------------------------------


@dataclass(frozen=True)
class MentionEntity:
    screen_name: str
    list_slug: str  # "" for a plain mention, else "/slug"
    start: int
    end: int


def extract_mentions_or_lists_with_indices(text: str) -> list[MentionEntity]:
    ensure_measurable(text)
    if not text or ("@" not in text and "＠" not in text):
        return []
    found: list[MentionEntity] = []
    for match in rx.VALID_MENTION_OR_LIST.finditer(text):
        if rx.END_MENTION_MATCH.match(text, match.end()):
            continue
        screen_name, slug = match.group(3), match.group(4) or ""
        start = match.start(2)
        found.append(MentionEntity(screen_name, slug, start, start + 1 + len(screen_name) + len(slug)))
    return found


def extract_mentions(text: str) -> list[str]:
    return [m.screen_name for m in extract_mentions_or_lists_with_indices(text) if not m.list_slug]


@dataclass(frozen=True)
class HashtagEntity:
    hashtag: str
    start: int
    end: int


def extract_hashtags_with_indices(text: str, *, check_url_overlap: bool = True) -> list[HashtagEntity]:
    ensure_measurable(text)
    if not text or ("#" not in text and "＃" not in text):
        return []
    tags: list[HashtagEntity] = []
    for match in rx.VALID_HASHTAG.finditer(text):
        if rx.END_HASHTAG_MATCH.match(text, match.end()):
            continue
        tags.append(HashtagEntity(match.group(3), match.start(2), match.end(3)))
    if check_url_overlap and tags:
        tags = _without_overlaps(tags, _extract_urls(text, without_protocol=True))
    return tags


def _without_overlaps(tags: list[HashtagEntity], urls: list[UrlEntity]) -> list[HashtagEntity]:
    """The tags that overlap no URL (``u.start < t.end and t.start < u.end``), in O((t + u) log u)."""
    if not urls:
        return tags
    by_end = sorted(urls, key=lambda url: url.end)
    ends = [url.end for url in by_end]
    # min_start[i]: the smallest start of the URLs by_end[i:], the only ones that end after a given point.
    min_start = [0] * len(by_end)
    smallest = by_end[-1].start
    for index in range(len(by_end) - 1, -1, -1):
        smallest = min(smallest, by_end[index].start)
        min_start[index] = smallest
    kept = []
    for tag in tags:
        first_ending_after = bisect.bisect_right(ends, tag.start)
        if first_ending_after == len(ends) or min_start[first_ending_after] >= tag.end:
            kept.append(tag)
    return kept


def extract_hashtags(text: str) -> list[str]:
    return [tag.hashtag for tag in extract_hashtags_with_indices(text)]


# --- Validation (twitter-text isValidUsername / isValidList / isValidHashtag / isValidUrl) ----------------


def is_valid_username(username: str) -> bool:
    if not username:
        return False
    extracted = extract_mentions(username)
    return len(extracted) == 1 and extracted[0] == username[1:]


def is_valid_list(username_list: str) -> bool:
    ensure_measurable(username_list)
    match = rx.VALID_MENTION_OR_LIST.fullmatch(username_list)
    return bool(match and match.group(1) == "" and match.group(4))


def is_valid_hashtag(hashtag: str) -> bool:
    if not hashtag:
        return False
    extracted = extract_hashtags(hashtag)
    return len(extracted) == 1 and extracted[0] == hashtag[1:]


def _is_valid_match(value: str | None, pattern: Any, *, optional: bool = False) -> bool:
    # As the reference: the first match must cover the whole value (not "some match covers it"). The
    # reference searches; only a match at 0 can cover the value, and searching from every other position
    # would cost the square of its length.
    if value is None:
        return optional
    if optional and value == "":
        return True
    match = pattern.match(value)
    return bool(match) and match.group(0) == value


def is_valid_url(url: str, *, unicode_domains: bool = True, require_protocol: bool = True) -> bool:
    """Whether ``url`` is a URL X accepts (twitter-text ``isValidUrl``)."""
    ensure_measurable(url)
    if not url:
        return False
    parts = rx.VALIDATE_URL_UNENCODED.match(url)
    if not parts or parts.group(0) != url:
        return False
    scheme, authority, path, query, fragment = parts.groups()
    if require_protocol and not (
        _is_valid_match(scheme, rx.VALIDATE_URL_SCHEME) and scheme.lower() in {"http", "https"}
    ):
        return False
    if not (
        _is_valid_match(path, rx.VALIDATE_URL_PATH)
        and _is_valid_match(query, rx.VALIDATE_URL_QUERY, optional=True)
        and _is_valid_match(fragment, rx.VALIDATE_URL_FRAGMENT, optional=True)
    ):
        return False
    authority_pattern = rx.VALIDATE_URL_UNICODE_AUTHORITY if unicode_domains else rx.VALIDATE_URL_AUTHORITY
    return _is_valid_match(authority, authority_pattern)

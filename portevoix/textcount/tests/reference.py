"""The slow but simple implementations this package replaced, kept for the tests that compare both.

They are twitter-text's regexes used as the reference uses them (one search of the whole pattern, which
costs the square of the length of some texts, or more) and the package's own earlier code. Only the
adversarial tests use them, on short texts.
"""

from __future__ import annotations

import functools
from typing import Any, NamedTuple

import regex

from portevoix.textcount import _twitter_regex as rx
from portevoix.textcount import bluesky
from portevoix.textcount.bluesky import Facet, FacetKind
from portevoix.textcount.twitter import (
    DEFAULT_PROTOCOL,
    MAX_DOMAIN_LABEL_LENGTH,
    MAX_TCO_SLUG_LENGTH,
    MAX_URL_LENGTH,
    HashtagEntity,
    UrlEntity,
)
from portevoix.textcount.units import utf8_length

_FLAGS = regex.IGNORECASE | regex.VERSION0


@functools.cache
def extract_url() -> regex.Pattern[str]:
    return regex.compile(rx.extract_url_source(), _FLAGS)


@functools.cache
def valid_ascii_domain() -> regex.Pattern[str]:
    return regex.compile(rx.valid_ascii_domain_source(), _FLAGS)


class Groups(NamedTuple):
    before: str
    url: str
    protocol: str
    domain: str
    port: str
    path: str
    query: str
    start: int
    end: int


def url_matches(text: str) -> list[Groups]:
    """``finditer`` of the whole reference pattern over the whole text, as twitter-text does it."""
    found = []
    for match in extract_url().finditer(text):
        before, url, protocol, domain, port, path, query = (match.group(i) or "" for i in range(1, 8))
        found.append(Groups(before, url, protocol, domain, port, path, query, *match.span(2)))
    return found


def _idna_labels_ok(domain: str) -> bool:
    if domain[:4].lower() == "xn--" and not valid_ascii_domain().search(domain):
        return False
    for label in domain.split("."):
        try:
            encoded = label if label.isascii() else "xn--" + label.encode("punycode").decode("ascii")
        except UnicodeError:
            return False
        if not 1 <= len(encoded) <= MAX_DOMAIN_LABEL_LENGTH:
            return False
    return True


def extract_urls_with_indices(text: str, *, without_protocol: bool = True) -> list[UrlEntity]:
    """The package's earlier ``extract_urls_with_indices`` (searched run by run of non-space characters)."""
    if not text or ("." not in text if without_protocol else ":" not in text):
        return []
    needle = "." if without_protocol else "://"
    dot_tld = regex.compile(f"\\.{rx._tld_source()}", _FLAGS)
    matches: list[Any] = []
    for run in regex.finditer(f"[^{rx.SPACES}]+", text):
        if needle in run.group(0) and dot_tld.search(text, run.start(), run.end()):
            matches.extend(extract_url().finditer(text, max(run.start() - 1, 0), run.end()))
    urls: list[UrlEntity] = []
    for match in matches:
        before, url, protocol, domain, path = (match.group(i) or "" for i in (1, 2, 3, 4, 6))
        start, end = match.span(2)
        if not (_idna_labels_ok(domain) and len(protocol or DEFAULT_PROTOCOL) + len(url) <= MAX_URL_LENGTH):
            continue
        if not protocol:
            if not without_protocol or rx.INVALID_URL_WITHOUT_PROTOCOL_PRECEDING.search(before):
                continue
            last: UrlEntity | None = None
            for ascii_match in valid_ascii_domain().finditer(domain):
                last = UrlEntity(ascii_match.group(0), start + ascii_match.start(), start + ascii_match.end())
                urls.append(last)
            if last is None:
                continue
            if path:
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


def extract_hashtags_with_indices(text: str) -> list[HashtagEntity]:
    if not text or ("#" not in text and "＃" not in text):
        return []
    end_hashtag = regex.compile(r"^(?:[#＃]|://)")
    tags = [
        HashtagEntity(match.group(3), match.start(2), match.end(3))
        for match in rx.VALID_HASHTAG.finditer(text)
        if not end_hashtag.match(text[match.end() :])
    ]
    if tags:
        urls = extract_urls_with_indices(text)
        tags = [t for t in tags if not any(u.start < t.end and t.start < u.end for u in urls)]
    return tags


def bluesky_facet_ranges(text: str) -> list[Facet]:
    """The earlier version: ``\\p{P}+$`` removed by ``sub``, each offset as ``utf8_length(text[:i])``."""
    facets: list[tuple[int, int, FacetKind, str]] = []
    for match in bluesky._LINK.finditer(text):
        facets.append((match.start(1), match.end(1), "link", match.group(1)))
    for match in bluesky._MENTION.finditer(text):
        facets.append((match.start(1), match.end(1), "mention", match.group(1)[1:]))
    for match in bluesky._TAG.finditer(text):
        tag = regex.sub(r"\p{P}+$", "", match.group(2).strip())
        if not tag or len(tag) > bluesky.MAX_TAG_LENGTH:
            continue
        start = match.start(1)
        facets.append((start, start + 1 + len(tag), "tag", tag))
    facets.sort(key=lambda facet: (facet[0], -facet[1]))
    result: list[Facet] = []
    last_end = -1
    for start, end, kind, value in facets:
        if start < last_end:
            continue
        result.append(Facet(kind, utf8_length(text[:start]), utf8_length(text[:end]), value))
        last_end = end
    return result


_VALIDATE_URL_UNENCODED = regex.compile(
    r"^(?:([^:/?#]+)://)?([^/?#]*)([^?#]*)(?:\?([^#]*))?(?:#(.*))?$", _FLAGS
)


def _is_valid_match(value: str | None, pattern: Any, *, optional: bool = False) -> bool:
    if value is None:
        return optional
    if optional and value == "":
        return True
    match = pattern.search(value)
    return bool(match) and match.group(0) == value


def is_valid_url(url: str, *, unicode_domains: bool = True, require_protocol: bool = True) -> bool:
    if not url:
        return False
    parts = _VALIDATE_URL_UNENCODED.match(url)
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

"""Regular expressions of twitter-text v3 (X), ported from the reference JavaScript implementation.

Source: twitter/twitter-text, ``js/src/regexp/*.js`` and ``rb/lib/twitter-text/regex.rb`` (Apache License
2.0). The patterns keep the reference's names and structure so that a change upstream is easy to follow.
The reference runs them on UTF-16 code units and this module on code points: no pattern here depends on
the difference (no class contains a lone surrogate).

The reference's whole URL pattern (``extract_url_source``) costs the square of the length of a run without
spaces that holds many dots, and its TLD alternation takes about 0.1 s to compile. So URLs are found by
``portevoix.textcount._urls`` in linear time with the small pieces below, the TLD pattern is compiled on
first use, and the whole patterns are kept as sources only, for the tests that compare both.
"""

from __future__ import annotations

import functools
from typing import Any

import regex

from portevoix.textcount._tlds import COUNTRY_TLDS, GENERIC_TLDS

_FLAGS = regex.IGNORECASE | regex.VERSION0

DIRECTIONAL_MARKERS = "\u202a-\u202e\u061c\u200e\u200f\u2066\u2067\u2068\u2069"
INVALID_CHARS = "\ufffe\ufeff\uffff"
SPACES = "\x09-\x0d\x20\x85\xa0\u1680\u180e\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
# twitter-text's `punct` (note: no double quote and no backtick, as in the reference).
PUNCT = r"!'#%&'()*+,\\\-./:;<=>?@\[\]^_{|}~$"
LATIN_ACCENTS = (
    "\xc0-\xd6\xd8-\xf6\xf8-\xff\u0100-\u024f\u0253\u0254\u0256\u0257\u0259\u025b\u0263\u0268"
    "\u026f\u0272\u0289\u028b\u02bb\u0300-\u036f\u1e00-\u1eff"
)
CYRILLIC = "\u0400-\u04ff"

INVALID_CHARS_RE = regex.compile(f"[{INVALID_CHARS}]")


def _tld_alternation(tlds: tuple[str, ...]) -> str:
    """The TLDs as one regex, factored as a trie (a flat alternation of ~1,300 names is ~25 times slower).

    At each node the longer names are tried first, as a longest-first alternation would; the lookahead
    after the group rejects a partial name.
    """
    trie: dict[str, Any] = {}
    for tld in tlds:
        node = trie
        for char in tld.lower():
            node = node.setdefault(char, {})
        node[""] = {}

    def build(node: dict[str, Any]) -> str:
        branches = [regex.escape(char) + build(child) for char, child in sorted(node.items()) if char]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if "" in node else body

    return build(trie)


_DOMAIN_CHAR = f"[^{PUNCT}{SPACES}{INVALID_CHARS}{DIRECTIONAL_MARKERS}]"
_SUBDOMAIN = f"(?:(?:{_DOMAIN_CHAR}(?:[_-]|{_DOMAIN_CHAR})*)?{_DOMAIN_CHAR}\\.)"
_DOMAIN_NAME = f"(?:(?:{_DOMAIN_CHAR}(?:-|{_DOMAIN_CHAR})*)?{_DOMAIN_CHAR}\\.)"
_TLD_END = "(?=[^0-9a-z@+-]|$)"
_PUNYCODE = r"(?:xn--[\-0-9a-z]+)"
_ASCII_LABEL_CHAR = f"[\\-a-z0-9{LATIN_ACCENTS}]"


@functools.cache
def _tld_source() -> str:
    """``(?:GTLD|CCTLD|PUNYCODE)``: the last label of every domain twitter-text extracts."""
    gtld = f"(?:(?:{_tld_alternation(GENERIC_TLDS)}){_TLD_END})"
    cctld = f"(?:(?:{_tld_alternation(COUNTRY_TLDS)}){_TLD_END})"
    return f"(?:{gtld}|{cctld}|{_PUNYCODE})"


@functools.cache
def tld_pattern() -> regex.Pattern[str]:
    """The TLD alternation alone, matched at the position after a dot. Compiled on first use (~0.1 s of
    CPU, once per process) rather than at import."""
    return regex.compile(_tld_source(), _FLAGS)


_URL_PRECEDING_CHAR = f"[^A-Za-z0-9@＠$#＃{INVALID_CHARS}]"
_URL_PRECEDING = f"(?:{_URL_PRECEDING_CHAR}|[{DIRECTIONAL_MARKERS}]|^)"
_PATH_CHAR = f"[a-z{CYRILLIC}0-9!*';:=+,.$/%#\\[\\]\\-\u2013_~@|&{LATIN_ACCENTS}]"
_BALANCED_PARENS = f"\\((?:{_PATH_CHAR}+|(?:{_PATH_CHAR}*\\({_PATH_CHAR}+\\){_PATH_CHAR}*))\\)"
_PATH_ENDING = f"(?:[+\\-a-z{CYRILLIC}0-9=_#/{LATIN_ACCENTS}]|(?:{_BALANCED_PARENS}))"
_PATH = f"(?:(?:{_PATH_CHAR}*(?:{_BALANCED_PARENS}{_PATH_CHAR}*)*{_PATH_ENDING})|(?:@{_PATH_CHAR}+/))"
_QUERY_CHAR = r"[a-z0-9!?*'@();:&=+$/%#\[\]\-_.,~|]"
_QUERY_ENDING = r"[a-z0-9\-_&=#/]"
_URL_TAIL = f"(?::([0-9]+))?(/{_PATH}*)?(\\?{_QUERY_CHAR}*{_QUERY_ENDING})?"


def extract_url_source() -> str:
    """The reference's URL pattern (twitter-text ``extractUrl``), as a source: the tests' slow reference.

    Groups: 1 preceding text, 2 URL, 3 protocol, 4 domain, 5 port, 6 path, 7 query.
    """
    domain = f"(?:{_SUBDOMAIN}*{_DOMAIN_NAME}{_tld_source()})"
    return f"({_URL_PRECEDING})((https?://)?({domain}){_URL_TAIL})"


def valid_ascii_domain_source() -> str:
    """The reference's ``validAsciiDomain`` pattern, as a source (see ``extract_url_source``)."""
    return f"(?:{_ASCII_LABEL_CHAR}+\\.)+{_tld_source()}"


# The pieces the linear URL scanner (portevoix.textcount._urls) uses in place of the whole pattern:
# runs of the characters a domain label is made of, the protocol, and what follows the domain (port, path,
# query; groups 1, 2, 3), which the scanner matches once per URL from the end of its domain.
LABEL_RUN = regex.compile(f"(?:[_-]|{_DOMAIN_CHAR})+", _FLAGS)
DOMAIN_CHAR = regex.compile(_DOMAIN_CHAR, _FLAGS)
URL_PRECEDING_CHAR = regex.compile(_URL_PRECEDING_CHAR, _FLAGS)
PROTOCOL = regex.compile("https?://", _FLAGS)
URL_TAIL = regex.compile(_URL_TAIL, _FLAGS)
ASCII_LABEL_RUN = regex.compile(f"{_ASCII_LABEL_CHAR}+", _FLAGS)

VALID_TCO_URL = regex.compile(f"^https?://t\\.co/([a-z0-9]+)(?:\\?{_QUERY_CHAR}*{_QUERY_ENDING})?", _FLAGS)
INVALID_URL_WITHOUT_PROTOCOL_PRECEDING = regex.compile(r"[-_./]$", _FLAGS)

# Mentions and lists.
AT_SIGNS = "@＠"
VALID_MENTION_OR_LIST = regex.compile(
    f"(^|[^a-z0-9_!#$%&*{AT_SIGNS}]|(?:^|[^a-z0-9_+~.-])(?:rt):?)"  # 1: preceding text
    f"([{AT_SIGNS}])"  # 2: at sign
    "([a-z0-9_]{1,20})"  # 3: screen name
    "(/[a-z][a-z0-9_\\-]{0,24})?",  # 4: list slug (optional)
    _FLAGS,
)
END_MENTION_MATCH = regex.compile(f"(?:[{AT_SIGNS}]|[{LATIN_ACCENTS}]|://)", _FLAGS)

# Hashtags. twitter-text generates its letter classes from Unicode data; \p{L}\p{M} is the same set on the
# Unicode version of the `regex` module.
_HASHTAG_SPECIAL = (
    "_\u200c\u200d\ua67e\u05be\u05f3\u05f4\uff5e\u301c\u309b\u309c\u30a0\u30fb\u3003\u0f0b\u0f0c\u00b7"
)
_HASHTAG_ALPHA = r"[\p{L}\p{M}]"
_HASHTAG_ALPHANUMERIC = f"[\\p{{L}}\\p{{M}}\\p{{Nd}}{_HASHTAG_SPECIAL}]"
VALID_HASHTAG = regex.compile(
    f"(^|\ufe0e|\ufe0f|[^&\\p{{L}}\\p{{M}}\\p{{Nd}}{_HASHTAG_SPECIAL}])"  # 1: boundary
    "([#＃])"  # 2: hash sign
    "(?!\ufe0f|\u20e3)"
    f"({_HASHTAG_ALPHANUMERIC}*{_HASHTAG_ALPHA}{_HASHTAG_ALPHANUMERIC}*)",  # 3: hashtag text
    _FLAGS,
)
# Matched at the end of a hashtag (the reference tests the rest of the text against ``^(?:[#＃]|://)``).
END_HASHTAG_MATCH = regex.compile(r"[#＃]|://")

# URL validation (RFC 3986 based), used by is_valid_url.
_V_UNRESERVED = f"[a-z{CYRILLIC}0-9\\-._~]"
_V_PCT_ENCODED = "(?:%[0-9a-f]{2})"
_V_SUB_DELIMS = "[!$&'()*+,;=]"
_V_PCHAR = f"(?:{_V_UNRESERVED}|{_V_PCT_ENCODED}|{_V_SUB_DELIMS}|[:|@])"
_V_USERINFO = f"(?:{_V_UNRESERVED}|{_V_PCT_ENCODED}|{_V_SUB_DELIMS}|:)*"
_V_DEC_OCTET = "(?:[0-9]|(?:[1-9][0-9])|(?:1[0-9]{2})|(?:2[0-4][0-9])|(?:25[0-5]))"
_V_IPV4 = f"(?:{_V_DEC_OCTET}(?:\\.{_V_DEC_OCTET}){{3}})"
_V_IPV6 = r"(?:\[[a-f0-9:\.]+\])"
_V_IP = f"(?:{_V_IPV4}|{_V_IPV6})"
_V_SUBDOMAIN_SEGMENT = r"(?:[a-z0-9](?:[a-z0-9_\-]*[a-z0-9])?)"
_V_DOMAIN_SEGMENT = r"(?:[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?)"
_V_DOMAIN_TLD = r"(?:[a-z](?:[a-z0-9\-]*[a-z0-9])?)"
_V_DOMAIN = f"(?:(?:{_V_SUBDOMAIN_SEGMENT}\\.)*(?:{_V_DOMAIN_SEGMENT}\\.){_V_DOMAIN_TLD})"
_V_HOST = f"(?:{_V_IP}|{_V_DOMAIN})"
_NON_ASCII = r"[^\x00-\x7f]"
_V_U_SUBDOMAIN_SEGMENT = (
    f"(?:(?:[a-z0-9]|{_NON_ASCII})(?:(?:[a-z0-9_\\-]|{_NON_ASCII})*(?:[a-z0-9]|{_NON_ASCII}))?)"
)
_V_U_DOMAIN_SEGMENT = (
    f"(?:(?:[a-z0-9]|{_NON_ASCII})(?:(?:[a-z0-9\\-]|{_NON_ASCII})*(?:[a-z0-9]|{_NON_ASCII}))?)"
)
_V_U_DOMAIN_TLD = f"(?:(?:[a-z]|{_NON_ASCII})(?:(?:[a-z0-9\\-]|{_NON_ASCII})*(?:[a-z0-9]|{_NON_ASCII}))?)"
_V_U_DOMAIN = f"(?:(?:{_V_U_SUBDOMAIN_SEGMENT}\\.)*(?:{_V_U_DOMAIN_SEGMENT}\\.){_V_U_DOMAIN_TLD})"
_V_U_HOST = f"(?:{_V_IP}|{_V_U_DOMAIN})"
_V_PORT = "[0-9]{1,5}"

# The reference's pattern with possessive quantifiers: each part ends at the first character of the next,
# so giving characters back never helps and a URL with a line break after its "#" is refused in linear
# time rather than after trying every split of the authority and the path.
VALIDATE_URL_UNENCODED = regex.compile(
    r"^(?:([^:/?#]++)://)?([^/?#]*+)([^?#]*+)(?:\?([^#]*+))?(?:#(.*+))?$", _FLAGS
)
VALIDATE_URL_SCHEME = regex.compile("(?:[a-z][a-z0-9+\\-.]*)", _FLAGS)
VALIDATE_URL_PATH = regex.compile(f"(/{_V_PCHAR}*)*", _FLAGS)
VALIDATE_URL_QUERY = regex.compile(f"({_V_PCHAR}|/|\\?)*", _FLAGS)
VALIDATE_URL_FRAGMENT = regex.compile(f"({_V_PCHAR}|/|\\?)*", _FLAGS)
VALIDATE_URL_UNICODE_AUTHORITY = regex.compile(f"(?:({_V_USERINFO})@)?({_V_U_HOST})(?::({_V_PORT}))?", _FLAGS)
VALIDATE_URL_AUTHORITY = regex.compile(f"(?:({_V_USERINFO})@)?({_V_HOST})(?::({_V_PORT}))?", _FLAGS)

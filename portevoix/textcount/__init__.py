"""Count post text the way each social network counts it.

A plain Python package (no Django): the composer's live validation and the connectors read it.

    >>> from portevoix.textcount import Unit, count, twitter_parse, check_text
    >>> count("👨‍👩‍👧‍👦", Unit.GRAPHEMES), count("👨‍👩‍👧‍👦", Unit.UTF16)
    (1, 11)
    >>> twitter_parse("Hi http://test.co").weighted_length
    26

See docs/text-length.md for how each network counts and where the numbers come from. Every search is
linear in the length of the text, and a text longer than ``MAX_TEXT_LENGTH`` (100,000 code points) raises
``TextTooLongError`` instead of being measured.
"""

from __future__ import annotations

from portevoix.textcount.bluesky import Facet, bluesky_facet_ranges, bluesky_lengths
from portevoix.textcount.emoji import count_emoji, emoji_spans
from portevoix.textcount.errors import MAX_TEXT_LENGTH, TextTooLongError
from portevoix.textcount.mastodon import mastodon_countable_text, mastodon_length
from portevoix.textcount.networks import (
    TEXT_RULES,
    Count,
    Limit,
    TextCheck,
    TextRule,
    check_text,
    get_rule,
)
from portevoix.textcount.tags import count_hashtags, count_mentions, find_hashtags, find_mentions
from portevoix.textcount.threads import threads_length
from portevoix.textcount.twitter import (
    CONFIG_V1,
    CONFIG_V2,
    CONFIG_V3,
    TwitterConfig,
    TwitterParseResult,
    extract_hashtags,
    extract_mentions,
    extract_urls_with_indices,
    is_valid_hashtag,
    is_valid_list,
    is_valid_url,
    is_valid_username,
    twitter_parse,
    twitter_weighted_length,
)
from portevoix.textcount.units import Unit, count, grapheme_count, graphemes, utf8_length, utf16_length

__all__ = [
    "CONFIG_V1",
    "CONFIG_V2",
    "CONFIG_V3",
    "MAX_TEXT_LENGTH",
    "TEXT_RULES",
    "Count",
    "Facet",
    "Limit",
    "TextCheck",
    "TextRule",
    "TextTooLongError",
    "TwitterConfig",
    "TwitterParseResult",
    "Unit",
    "bluesky_facet_ranges",
    "bluesky_lengths",
    "check_text",
    "count",
    "count_emoji",
    "count_hashtags",
    "count_mentions",
    "emoji_spans",
    "extract_hashtags",
    "extract_mentions",
    "extract_urls_with_indices",
    "find_hashtags",
    "find_mentions",
    "get_rule",
    "grapheme_count",
    "graphemes",
    "is_valid_hashtag",
    "is_valid_list",
    "is_valid_url",
    "is_valid_username",
    "mastodon_countable_text",
    "mastodon_length",
    "threads_length",
    "twitter_parse",
    "twitter_weighted_length",
    "utf8_length",
    "utf16_length",
]

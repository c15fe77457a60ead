"""twitter-text's own conformance cases (validate.yml), read from the shared folder beside the repository.

Every section of the file is handled here or the suite fails (test_every_section_is_handled):
* ``tweets``: the legacy 140 check (``isValidTweetText``): run with CONFIG_V1 (140, every code point 1,
  URLs 23), as twitter-text's own v1 config;
* ``WeightedTweetsCounterTest``: the v2 rules (weighted, no emoji parsing): CONFIG_V2;
* ``WeightedTweetsWithDiscountedEmojiCounterTest`` and ``UnicodeDirectionalMarkerCounterTest``: v3, what X
  counts today: CONFIG_V3;
* ``usernames``, ``lists``, ``hashtags``, ``urls``, ``urls_without_protocol``: the is_valid_* functions.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from portevoix.textcount import (
    CONFIG_V1,
    CONFIG_V2,
    CONFIG_V3,
    TwitterConfig,
    is_valid_hashtag,
    is_valid_list,
    is_valid_url,
    is_valid_username,
    twitter_parse,
)

REPO_ROOT = Path(__file__).resolve().parents[3]
CONFORMANCE_DIR = REPO_ROOT.parent / "shared" / "conformance" / "twitter-text"
VALIDATE_YML = CONFORMANCE_DIR / "validate.yml"
MISSING = f"twitter-text conformance files not found at {CONFORMANCE_DIR} (../shared beside the repository)"

PARSE_SECTIONS: dict[str, TwitterConfig] = {
    "WeightedTweetsCounterTest": CONFIG_V2,
    "WeightedTweetsWithDiscountedEmojiCounterTest": CONFIG_V3,
    "UnicodeDirectionalMarkerCounterTest": CONFIG_V3,
}
VALIDITY_SECTIONS: dict[str, Callable[[str], bool]] = {
    "tweets": lambda text: twitter_parse(text, CONFIG_V1).valid,
    "usernames": is_valid_username,
    "lists": is_valid_list,
    "hashtags": is_valid_hashtag,
    "urls": is_valid_url,
    "urls_without_protocol": lambda text: is_valid_url(text, require_protocol=False),
}
FIELDS = {
    "weightedLength": "weighted_length",
    "valid": "valid",
    "permillage": "permillage",
    "displayRangeStart": "display_range_start",
    "displayRangeEnd": "display_range_end",
    "validRangeStart": "valid_range_start",
    "validRangeEnd": "valid_range_end",
}


def _load() -> dict[str, list[dict[str, Any]]]:
    if not VALIDATE_YML.exists():
        return {}
    with VALIDATE_YML.open(encoding="utf-8") as handle:
        tests: dict[str, list[dict[str, Any]]] = yaml.safe_load(handle)["tests"]
    return tests


TESTS = _load()


def _cases(sections: list[str]) -> list[Any]:
    if not TESTS:
        return [pytest.param(None, None, marks=pytest.mark.skip(reason=MISSING), id="conformance-missing")]
    return [
        pytest.param(section, case, id=f"{section}: {case['description']}")
        for section in sections
        for case in TESTS[section]
    ]


@pytest.mark.parametrize(("section", "case"), _cases(list(PARSE_SECTIONS)))
def test_parse_tweet(section: str, case: dict[str, Any]) -> None:
    result = twitter_parse(case["text"], PARSE_SECTIONS[section])
    got = {key: getattr(result, attribute) for key, attribute in FIELDS.items()}
    assert got == case["expected"]


@pytest.mark.parametrize(("section", "case"), _cases(list(VALIDITY_SECTIONS)))
def test_validity(section: str, case: dict[str, Any]) -> None:
    assert VALIDITY_SECTIONS[section](case["text"]) is case["expected"]


def test_every_section_is_handled() -> None:
    if not TESTS:
        pytest.skip(MISSING)
    assert set(TESTS) == set(PARSE_SECTIONS) | set(VALIDITY_SECTIONS)


def test_v3_config_matches_the_reference_file() -> None:
    config_file = CONFORMANCE_DIR / "config-v3.json"
    if not config_file.exists():
        pytest.skip(MISSING)
    assert TwitterConfig.from_json_file(config_file) == CONFIG_V3

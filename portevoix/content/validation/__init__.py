"""Does a post fit a network? Text length in the network's own unit, media count, formats, sizes, aspect
ratios, video length, hashtags and mentions, and what the network can take at all.

Pure reads, no database writes and no network calls: the composer calls it on every keystroke. The rules
come from the connectors' declarations (``limits`` and ``capabilities``, connectors/registry.py) and from
``textcount.TEXT_RULES``; a network named by the product without a connector yet (X, Instagram...) is
checked for its text only. docs/composer.md explains how each network counts.

    rules = rules_for_network("bluesky")             # the validate endpoint: a network key
    rules = rules_for_channel(channel)               # a channel: a Mastodon instance's own limits
    result = validate(text="Hello", media=[], rules=rules, link=None)
    result.valid, result.length, result.limit, result.unit, [p.code for p in result.problems]

Problem codes are stable (the API returns them); messages are translated plain sentences.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from portevoix.connectors import registry
from portevoix.content.validation.media import MediaInfo, Problem, media_problems
from portevoix.content.validation.rules import (
    INSTANCE_LIMITS_OPTION,
    LINK_APART,
    NetworkRules,
    instance_limits_from_options,
    instance_limits_option,
    known_networks,
    network_label,
    rules_for_channel,
    rules_for_network,
    unit_label,
)
from portevoix.core.errors import ValidationFailed
from portevoix.textcount import (
    MAX_TEXT_LENGTH,
    TEXT_RULES,
    Count,
    TextTooLongError,
    Unit,
    check_text,
    count,
    count_hashtags,
    count_mentions,
)

if TYPE_CHECKING:
    from portevoix.channels.models import Channel

__all__ = [
    "INSTANCE_LIMITS_OPTION",
    "LINK_APART",
    "MediaInfo",
    "NetworkRules",
    "Problem",
    "Result",
    "TextTooLong",
    "instance_limits_from_options",
    "instance_limits_option",
    "known_networks",
    "media_problems",
    "network_label",
    "rules_for_channel",
    "rules_for_network",
    "text_with_link",
    "unit_label",
    "validate",
    "validate_networks",
]


class TextTooLong(ValidationFailed):
    """The text is longer than textcount measures (``MAX_TEXT_LENGTH`` code points): a 422, never a 500."""

    code = "text_too_long"

    def __init__(self, length: int) -> None:
        params = {"length": length, "max": MAX_TEXT_LENGTH}
        message = _("The text is %(length)s characters long; Portevoix measures at most %(max)s.") % params
        super().__init__(message, fields={"text": [message]})


@dataclass(frozen=True)
class Result:
    network: str
    label: str
    field: str  # the text rule's field: post, message, caption...
    counts: tuple[Count, ...]
    hashtags: int
    mentions: int
    problems: tuple[Problem, ...]
    measured_text: str  # the text as the network receives it (with the link, where it is appended)
    url_length: int = 23
    channel_id: int | None = None
    channel_name: str = ""

    @property
    def valid(self) -> bool:
        return not self.problems

    @property
    def primary(self) -> Count:
        return self.counts[0]

    @property
    def length(self) -> int:
        return self.primary.length

    @property
    def limit(self) -> int | None:
        return self.primary.limit

    @property
    def unit(self) -> str:
        return str(self.primary.unit)

    @property
    def unit_label(self) -> str:
        return unit_label(self.primary.unit, url_length=self.url_length)

    @property
    def over(self) -> bool:
        return any(not each.valid for each in self.counts)


# --- Validation -----------------------------------------------------------------------------------


def text_with_link(text: str, link: str | None, *, link_in_text: bool = True) -> str:
    """The text as the network receives it: the link on a line of its own when the text lacks it."""
    if not link or not link_in_text or link in text:
        return text
    return f"{text.rstrip()}\n\n{link}" if text.strip() else link


def _text_field(rule_key: str, has_media: bool) -> str:
    fields = TEXT_RULES[rule_key]
    if has_media and "caption" in fields and len(fields) > 1:
        return "caption"
    for name in ("post", "message", "caption", "description"):
        if name in fields:
            return name
    return next(iter(fields))


def validate(
    *,
    text: str,
    media: Sequence[MediaInfo] = (),
    rules: NetworkRules,
    link: str | None = None,
    channel: Channel | None = None,
) -> Result:
    """Check one text (and its media and link) against one network's or channel's rules.

    Raises ``TextTooLong`` (422) for a text longer than textcount measures; every other finding is a
    ``Problem`` in the result."""
    measured = text_with_link(text, link, link_in_text=rules.link_in_text)
    problems: list[Problem] = []
    try:
        counts, hashtags, mentions, field_name, codes = _measure(measured, rules, has_media=bool(media))
    except TextTooLongError as error:
        raise TextTooLong(error.length) from None
    if not text.strip() and not media and not link:
        problems.append(Problem("empty", _("The post is empty: write a text, or add media or a link.")))
    for each in counts:
        if not each.valid and each.limit is not None:
            problems.append(_too_long(each, rules, field_name))
    if "invalid_characters" in codes:
        problems.append(
            Problem(
                "invalid_characters",
                _("The text contains characters %(network)s does not accept.") % {"network": rules.label},
            )
        )
    hashtag_cap = _cap(rules, field_name, "hashtags", rules.limits.hashtags if rules.limits else None)
    if hashtag_cap is not None and hashtags > hashtag_cap:
        problems.append(
            Problem(
                "too_many_hashtags",
                ngettext(
                    "%(count)s hashtags: %(network)s takes at most %(max)s hashtag.",
                    "%(count)s hashtags: %(network)s takes at most %(max)s hashtags.",
                    hashtag_cap,
                )
                % {"count": hashtags, "network": rules.label, "max": hashtag_cap},
            )
        )
    mention_cap = _cap(rules, field_name, "mentions", rules.limits.mentions if rules.limits else None)
    if mention_cap is not None and mentions > mention_cap:
        problems.append(
            Problem(
                "too_many_mentions",
                ngettext(
                    "%(count)s mentions: %(network)s takes at most %(max)s mention.",
                    "%(count)s mentions: %(network)s takes at most %(max)s mentions.",
                    mention_cap,
                )
                % {"count": mentions, "network": rules.label, "max": mention_cap},
            )
        )
    problems.extend(media_problems(media, rules))
    return Result(
        network=rules.network,
        label=rules.label,
        field=field_name,
        counts=counts,
        hashtags=hashtags,
        mentions=mentions,
        problems=tuple(problems),
        measured_text=measured,
        url_length=rules.url_length,
        channel_id=channel.pk if channel is not None else None,
        channel_name=channel.name if channel is not None else "",
    )


def _measure(
    text: str, rules: NetworkRules, *, has_media: bool
) -> tuple[tuple[Count, ...], int, int, str, tuple[str, ...]]:
    if rules.text_rule is not None:
        field_name = _text_field(rules.text_rule, has_media)
        check = check_text(
            text,
            rules.text_rule,
            field_name,
            limit=rules.text_limit if TEXT_RULES[rules.text_rule][field_name].known else None,
            url_length=rules.url_length,
        )
        return check.counts, check.hashtags, check.mentions, field_name, check.problems
    # No text rule: the connector's declared limit, if any, in its declared unit.
    limits = rules.limits
    unit = limits.text_unit if limits is not None else Unit.CHARS
    maximum = rules.text_limit or (limits.text if limits is not None else None)
    if has_media and limits is not None and limits.caption is not None:
        maximum = limits.caption
    length = count(text, unit, url_length=rules.url_length)
    valid = maximum is None or length <= maximum
    counts = (Count(length=length, limit=maximum, unit=unit, valid=valid),)
    return counts, count_hashtags(text), count_mentions(text), "post", ()


def _cap(rules: NetworkRules, field_name: str, attribute: str, declared: int | None) -> int | None:
    """The stricter of the text rule's cap and the connector's declared one."""
    caps = [value for value in (declared,) if value is not None]
    if rules.text_rule is not None:
        rule = TEXT_RULES[rules.text_rule][field_name]
        from_rule = rule.max_hashtags if attribute == "hashtags" else rule.max_mentions
        if from_rule is not None:
            caps.append(from_rule)
    return min(caps) if caps else None


def _too_long(each: Count, rules: NetworkRules, field_name: str) -> Problem:
    params = {
        "network": rules.label,
        "length": each.length,
        "limit": each.limit,
        "unit": unit_label(each.unit, url_length=rules.url_length),
        "over": each.length - (each.limit or 0),
    }
    if field_name == "caption":
        message = (
            _(
                "With media attached the text is a caption: %(length)s %(unit)s, %(network)s takes at most "
                "%(limit)s (%(over)s too many)."
            )
            % params
        )
        return Problem("caption_too_long", message)
    message = _(
        "The text is %(length)s %(unit)s; %(network)s takes at most %(limit)s (%(over)s too many)."
    ) % (params)
    return Problem("too_many_bytes" if each.unit is Unit.UTF8_BYTES else "too_long", message)


# --- Many networks at once ------------------------------------------------------------------------


def validate_networks(
    *,
    text: str,
    media: Sequence[MediaInfo] = (),
    networks: Iterable[str],
    link: str | None = None,
    variants: Mapping[str, str] | None = None,
) -> dict[str, Result]:
    """``validate`` for each network key (the variant's text where one is given). ``ValidationFailed``
    (422) names unknown networks."""
    keys = list(dict.fromkeys(networks))
    unknown = [key for key in keys if key not in registry.CONNECTORS and key not in TEXT_RULES]
    if unknown:
        raise ValidationFailed(
            _("Unknown network: %(names)s.") % {"names": ", ".join(k[:32] for k in unknown[:10])},
            fields={"networks": [_("Choose from: %(known)s.") % {"known": ", ".join(known_networks())}]},
        )
    variants = variants or {}
    return {
        key: validate(text=variants.get(key) or text, media=media, rules=rules_for_network(key), link=link)
        for key in keys
    }

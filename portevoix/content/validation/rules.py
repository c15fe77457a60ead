"""The rules ``validate`` applies: a network's (its connector's declaration and textcount's text rule), or a
channel's (a Mastodon instance's own limits, kept in ``Channel.options["instance_limits"]``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _

from portevoix.connectors import registry
from portevoix.connectors.mastodon.instance import InstanceLimits
from portevoix.connectors.types import Capability, Limits
from portevoix.textcount import TEXT_RULES, Unit

if TYPE_CHECKING:
    from portevoix.channels.models import Channel

# Networks the product names that have text rules but no connector yet (proper names: not translated).
LABELS = {
    "x": "X",
    "facebook": "Facebook",
    "instagram": "Instagram",
    "threads": "Threads",
    "linkedin": "LinkedIn",
    "tiktok": "TikTok",
    "youtube": "YouTube",
    "pinterest": "Pinterest",
    "odnoklassniki": "Odnoklassniki",
    "moimir": "My World",
    "soundcloud": "SoundCloud",
    "qzone": "QZone",
}

# Where the post's link goes: appended to the text on a line of its own (so it counts), unless the network
# sends it apart from the text (Bluesky: an external embed card; VK: a wall attachment). Mirrors the
# connectors (telegram.text_with_link, mastodon.status_text, discord._payload, bluesky/vk publish).
LINK_APART = frozenset({"bluesky", "vk"})

# Key in Channel.options where a Mastodon channel's instance limits are kept (InstanceLimits as a dict).
INSTANCE_LIMITS_OPTION = "instance_limits"


@dataclass(frozen=True)
class NetworkRules:
    """Everything ``validate`` applies for one network, or one channel of it."""

    network: str
    label: str
    text_rule: str | None  # key in TEXT_RULES; None: the network has no text rule (connector limits only)
    limits: Limits | None  # media rules; None: no connector, media are not judged
    capabilities: frozenset[Capability] | None
    text_limit: int | None = None  # replaces the rule's first limit (a Mastodon instance's own)
    url_length: int = 23
    link_in_text: bool = True


def known_networks() -> list[str]:
    """Network keys validation knows: every registered connector and every network with text rules."""
    return sorted(set(registry.CONNECTORS) | set(TEXT_RULES))


def network_label(key: str) -> str:
    connector = registry.CONNECTORS.get(key)
    if connector is not None:
        return connector.label
    return LABELS.get(key, key)


def rules_for_network(key: str) -> NetworkRules:
    """The rules of a network key (its connector's declared defaults). ``KeyError`` if unknown."""
    connector = registry.CONNECTORS.get(key)
    if connector is None:
        if key not in TEXT_RULES:
            raise KeyError(key)
        return NetworkRules(
            network=key,
            label=network_label(key),
            text_rule=key,
            limits=None,
            capabilities=None,
            link_in_text=key not in LINK_APART,
        )
    text_rule = connector.limits.text_rule or connector.key
    return NetworkRules(
        network=key,
        label=connector.label,
        text_rule=text_rule if text_rule in TEXT_RULES else None,
        limits=connector.limits,
        capabilities=frozenset(connector.capabilities),
        link_in_text=key not in LINK_APART,
    )


def rules_for_channel(channel: Channel) -> NetworkRules:
    """The rules for one channel: its network's, with a Mastodon instance's own limits when the channel
    keeps them in ``options["instance_limits"]`` (else Mastodon's defaults)."""
    try:
        rules = rules_for_network(channel.network)
    except KeyError:
        # The connector was removed: nothing to check against, the text is only measured.
        return NetworkRules(
            network=channel.network, label=channel.network, text_rule=None, limits=None, capabilities=None
        )
    if channel.network == "mastodon" and rules.limits is not None:
        instance = instance_limits_from_options(channel.options)
        if instance is not None:
            rules = NetworkRules(
                network=rules.network,
                label=rules.label,
                text_rule=rules.text_rule,
                limits=instance.to_limits(rules.limits),
                capabilities=rules.capabilities,
                text_limit=instance.max_characters,
                url_length=instance.characters_reserved_per_url,
                link_in_text=rules.link_in_text,
            )
    return rules


def instance_limits_option(limits: InstanceLimits) -> dict[str, Any]:
    """The value to keep in ``Channel.options["instance_limits"]`` for a Mastodon channel (JSON)."""
    value = asdict(limits)
    value["supported_mime_types"] = list(limits.supported_mime_types)
    return value


def instance_limits_from_options(options: object) -> InstanceLimits | None:
    """Read what ``instance_limits_option`` wrote; anything malformed is ignored (defaults apply)."""
    if not isinstance(options, Mapping):
        return None
    raw = options.get(INSTANCE_LIMITS_OPTION)
    if not isinstance(raw, Mapping):
        return None
    defaults = InstanceLimits()

    def positive(name: str) -> int | None:
        value = raw.get(name)
        if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 2**31:
            return None
        return value

    mime_types = raw.get("supported_mime_types")
    return InstanceLimits(
        max_characters=positive("max_characters") or defaults.max_characters,
        characters_reserved_per_url=positive("characters_reserved_per_url")
        or defaults.characters_reserved_per_url,
        max_media_attachments=positive("max_media_attachments") or defaults.max_media_attachments,
        supported_mime_types=tuple(m for m in mime_types if isinstance(m, str))
        if isinstance(mime_types, list)
        else (),
        image_size_limit=positive("image_size_limit"),
        video_size_limit=positive("video_size_limit"),
        image_matrix_limit=positive("image_matrix_limit"),
    )


# --- Units ----------------------------------------------------------------------------------------


def unit_label(unit: Unit | str, *, url_length: int = 23) -> str:
    labels = {
        Unit.CHARS: _("characters"),
        Unit.UTF16: _("characters (UTF-16 units)"),
        Unit.GRAPHEMES: _("characters (graphemes)"),
        Unit.UTF8_BYTES: _("bytes (UTF-8)"),
        Unit.TWITTER_WEIGHTED: _("weighted characters"),
        Unit.CHARS_URL_23: _("characters, a link counts %(n)s") % {"n": url_length},
        Unit.GRAPHEMES_URL_23: _("characters, a link counts %(n)s") % {"n": url_length},
        Unit.CHARS_EMOJI_UTF8: _("characters, an emoji counts its bytes"),
    }
    try:
        return str(labels[Unit(unit)])
    except ValueError:
        return str(unit)

"""A saved post checked for its channels: the text each channel receives (its network's variant, or the base
text), the post's media and link. ``post_check`` is the hook the publishing engine calls before a post is
scheduled or published (registered in ContentConfig.ready)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from portevoix.channels.models import Channel
from portevoix.content.models import Post
from portevoix.content.validation import MediaInfo, Result, rules_for_channel, validate


def post_media_infos(post: Post) -> list[MediaInfo]:
    attachments = post.attachments.select_related("asset").order_by("position", "pk")
    return [MediaInfo.from_asset(attachment.asset) for attachment in attachments]


def text_for(network: str, text: str, variants: Mapping[str, str]) -> str:
    """What a network receives: its variant when it has a non-blank one, else the base text (as the
    publishing engine does)."""
    variant = variants.get(network, "")
    return variant if variant.strip() else text


def channel_results(
    *,
    text: str,
    variants: Mapping[str, str],
    media: Sequence[MediaInfo],
    link: str | None,
    channels: Sequence[Channel],
) -> list[Result]:
    return [
        validate(
            text=text_for(channel.network, text, variants),
            media=media,
            rules=rules_for_channel(channel),
            link=link or None,
            channel=channel,
        )
        for channel in channels
    ]


def post_results(post: Post, channels: Sequence[Channel]) -> list[Result]:
    variants = {variant.network: variant.text for variant in post.variants.all()}
    return channel_results(
        text=post.text, variants=variants, media=post_media_infos(post), link=post.link, channels=channels
    )


def post_check(post: Post, channels: Sequence[Channel]) -> dict[str, list[str]]:
    """Problems per channel, as ``{"channels": ["<channel>: <problem>", ...]}``; empty when it may go."""
    messages = [
        f"{result.channel_name or result.label}: {problem.message}"
        for result in post_results(post, channels)
        for problem in result.problems
    ]
    return {"channels": messages} if messages else {}

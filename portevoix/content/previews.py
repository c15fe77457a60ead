"""A plain, server-rendered approximation of how a post looks on each network: the text as the network
receives it (with the link where it is appended), links, hashtags and mentions highlighted, the media as
thumbnails, a link card where the network shows one instead of the link, and a marker where the network's
limit cuts the text. Not a pixel copy of any network: a check that what goes out reads right."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

from django.utils.safestring import SafeString, mark_safe

from portevoix.content.validation import Result, rules_for_network
from portevoix.media.models import MediaAsset
from portevoix.textcount import Unit, count

# An approximation for display only (counting uses textcount's own rules).
_TOKENS = re.compile(
    r"(?P<url>https?://[^\s<>\"']+[^\s<>\"'.,;:!?)\]])"
    r"|(?P<tag>(?<![\w&#])#\w+)"
    r"|(?P<mention>(?<![\w@])@[A-Za-z0-9_](?:[A-Za-z0-9_.]*[A-Za-z0-9_])?(?:@[A-Za-z0-9.-]+\.[A-Za-z]{2,})?)"
)


@dataclass
class Preview:
    network: str
    label: str
    channel_name: str
    body: SafeString  # escaped text with highlights and, when over the limit, the cut part marked
    over: bool
    media: list[MediaAsset] = field(default_factory=list)
    link_card: str = ""  # the link shown as a card apart from the text (Bluesky, VK)


def highlight(text: str) -> str:
    """``text`` escaped, with links, hashtags and mentions wrapped in ``<span class="pv-hl">``."""
    out: list[str] = []
    position = 0
    for match in _TOKENS.finditer(text):
        out.append(html.escape(text[position : match.start()]))
        kind = match.lastgroup or "url"
        out.append(f'<span class="pv-hl pv-hl-{kind}">{html.escape(match.group(0))}</span>')
        position = match.end()
    out.append(html.escape(text[position:]))
    return "".join(out).replace("\n", "<br>")


def cut_index(text: str, limit: int, unit: Unit, *, url_length: int = 23) -> int:
    """The longest prefix of ``text`` (in code points) that fits ``limit`` counted in ``unit`` (a binary
    search: counts grow with the prefix)."""
    low, high = 0, len(text)
    while low < high:
        middle = (low + high + 1) // 2
        if count(text[:middle], unit, url_length=url_length) <= limit:
            low = middle
        else:
            high = middle - 1
    return low


def preview(result: Result, media: list[MediaAsset], *, link: str | None) -> Preview:
    text = result.measured_text
    body = highlight(text)
    over = False
    first_over = next((each for each in result.counts if not each.valid and each.limit is not None), None)
    if first_over is not None and first_over.limit is not None:
        over = True
        at = cut_index(text, first_over.limit, first_over.unit, url_length=result.url_length)
        body = (
            highlight(text[:at])
            + '<span class="pv-cut" aria-hidden="true">✂</span>'
            + f'<del class="pv-over">{highlight(text[at:])}</del>'
        )
    try:
        link_in_text = rules_for_network(result.network).link_in_text
    except KeyError:
        link_in_text = True
    card = link if link and not link_in_text and not media else ""
    return Preview(
        network=result.network,
        label=result.label,
        channel_name=result.channel_name,
        body=mark_safe(body),  # noqa: S308  every piece of user text went through html.escape above
        over=over,
        media=list(media),
        link_card=card,
    )

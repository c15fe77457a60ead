"""AT Protocol identifiers and the ``app.bsky.feed.post`` record: record keys, AT-URIs, facets, embeds.

Sources: atproto.com/specs/record-key and /specs/tid (a TID is 13 base32-sortable characters encoding a
64-bit integer: top bit 0, 53 bits of microseconds since the UNIX epoch, 10 bits of clock id), the
lexicons ``app.bsky.feed.post``, ``app.bsky.richtext.facet``, ``app.bsky.embed.images`` and
``app.bsky.embed.external``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from portevoix.textcount import bluesky_facet_ranges

POST_COLLECTION = "app.bsky.feed.post"

TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"
TID_PATTERN = re.compile(r"[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}")
# Deterministic record keys put their timestamp between 2015-01-01 and 2015 + 2**48 microseconds
# (late 2023): in the past, so no service can take them for clock-skewed future writes, and shaped like the
# TIDs every client makes (they start with "3").
_TID_EPOCH_MICROS = 1_420_070_400_000_000
_TID_SPAN_BITS = 48
_AT_URI = re.compile(
    r"at://(?P<repo>[^/?#\s]+)/(?P<collection>[a-zA-Z0-9.-]+)/(?P<rkey>[A-Za-z0-9._:~-]{1,512})"
)


def tid_encode(value: int) -> str:
    if not 0 <= value < 1 << 63:
        raise ValueError("a TID is a 63-bit unsigned integer")
    chars = []
    for _ in range(13):
        chars.append(TID_ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def rkey_for(idempotency_key: str) -> str:
    """The record key of the post sent with ``idempotency_key``: a valid TID derived from the key alone.

    ``createRecord`` with an explicit ``rkey`` refuses to write a second record under the same key, so a
    post sent again after a timeout cannot appear twice, and ``getRecord`` finds it again. The 58 bits taken
    from SHA-256 make two different keys of one account collide with odds of about n²/2⁵⁹.
    """
    digest = hashlib.sha256(f"portevoix/bluesky/rkey/{idempotency_key}".encode()).digest()
    bits = int.from_bytes(digest[:8], "big")
    micros = _TID_EPOCH_MICROS + (bits >> 16) % (1 << _TID_SPAN_BITS)
    clock_id = bits & 0x3FF
    return tid_encode((micros << 10) | clock_id)


@dataclass(frozen=True)
class AtUri:
    repo: str
    collection: str
    rkey: str

    def __str__(self) -> str:
        return f"at://{self.repo}/{self.collection}/{self.rkey}"


def parse_at_uri(value: str) -> AtUri | None:
    match = _AT_URI.fullmatch(value.strip())
    if match is None:
        return None
    return AtUri(match["repo"], match["collection"], match["rkey"])


# --- Rich text -------------------------------------------------------------------------------------


def facets_for(text: str, resolve_handle: Callable[[str], str | None]) -> list[dict[str, Any]]:
    """``app.bsky.richtext.facet`` entries for the links, mentions and hashtags of ``text``.

    Offsets are UTF-8 bytes (``portevoix.textcount``). A mention needs its handle's DID:
    ``resolve_handle`` returns it, or None when the handle does not resolve (that mention stays plain
    text). Each handle is resolved once.
    """
    resolved: dict[str, str | None] = {}
    facets: list[dict[str, Any]] = []
    for facet in bluesky_facet_ranges(text):
        feature: dict[str, str]
        if facet.kind == "link":
            feature = {"$type": "app.bsky.richtext.facet#link", "uri": facet.value}
        elif facet.kind == "tag":
            feature = {"$type": "app.bsky.richtext.facet#tag", "tag": facet.value}
        else:
            handle = facet.value.lower()
            if handle not in resolved:
                resolved[handle] = resolve_handle(handle)
            did = resolved[handle]
            if did is None:
                continue
            feature = {"$type": "app.bsky.richtext.facet#mention", "did": did}
        facets.append(
            {
                "index": {"byteStart": facet.byte_start, "byteEnd": facet.byte_end},
                "features": [feature],
            }
        )
    return facets


# --- Embeds ----------------------------------------------------------------------------------------


def image(blob: Any, *, alt: str, width: int | None, height: int | None) -> dict[str, Any]:
    entry: dict[str, Any] = {"image": blob, "alt": alt}
    if width and height and width > 0 and height > 0:
        entry["aspectRatio"] = {"width": width, "height": height}
    return entry


def images_embed(images: list[dict[str, Any]]) -> dict[str, Any]:
    return {"$type": "app.bsky.embed.images", "images": images}


def external_embed(uri: str, *, title: str, description: str) -> dict[str, Any]:
    """A link card. The lexicon requires ``title`` and ``description`` (they may be empty); no thumbnail:
    fetching the page to make one is not a connector's job."""
    return {
        "$type": "app.bsky.embed.external",
        "external": {"uri": uri, "title": title, "description": description},
    }


def post_record(
    *,
    text: str,
    created_at: str,
    facets: list[dict[str, Any]],
    langs: list[str],
    embed: dict[str, Any] | None,
) -> dict[str, Any]:
    record: dict[str, Any] = {"$type": POST_COLLECTION, "text": text, "createdAt": created_at}
    if facets:
        record["facets"] = facets
    if langs:
        record["langs"] = langs
    if embed is not None:
        record["embed"] = embed
    return record

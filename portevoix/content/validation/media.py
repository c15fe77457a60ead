"""Media checks from a connector's declared limits and capabilities: count, kinds, formats, sizes, pixels,
aspect ratios and video length. A network without a connector has no declared media rules: nothing is
judged there."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from portevoix.connectors.types import Capability
from portevoix.content.validation.rules import NetworkRules

if TYPE_CHECKING:
    from portevoix.media.models import MediaAsset

MEDIA_KINDS = ("image", "video")


@dataclass(frozen=True)
class MediaInfo:
    """What validation needs to know about one image or video (an upload, or a description sent to the
    validate endpoint). Unknown dimensions or duration are not judged."""

    kind: str  # "image" or "video"
    content_type: str
    size: int
    width: int | None = None
    height: int | None = None
    duration_seconds: float | None = None
    name: str = ""

    @classmethod
    def from_asset(cls, asset: MediaAsset) -> MediaInfo:
        return cls(
            kind=asset.kind,
            content_type=asset.content_type,
            size=asset.size,
            width=asset.width,
            height=asset.height,
            duration_seconds=asset.duration_seconds,
            name=asset.original_name,
        )


@dataclass(frozen=True)
class Problem:
    code: str
    message: str


def media_problems(media: Sequence[MediaInfo], rules: NetworkRules) -> list[Problem]:
    """Media checks from the connector's declaration; nothing is judged for a network without one."""
    limits, capabilities = rules.limits, rules.capabilities
    if not media or limits is None:
        return []
    found: list[Problem] = []
    network = rules.label
    caps = capabilities if capabilities is not None else frozenset()
    kinds = {item.kind for item in media}
    if limits.media == 0 or not ({Capability.IMAGES, Capability.VIDEO} & caps):
        return [
            Problem("media_not_supported", _("%(network)s posts cannot carry media.") % {"network": network})
        ]
    if "image" in kinds and Capability.IMAGES not in caps:
        found.append(
            Problem("images_not_supported", _("%(network)s cannot take images.") % {"network": network})
        )
    if "video" in kinds and Capability.VIDEO not in caps:
        found.append(
            Problem("video_not_supported", _("%(network)s cannot take videos.") % {"network": network})
        )
    maximum = limits.media if Capability.ALBUMS in caps else min(limits.media, 1)
    if len(media) > maximum:
        found.append(
            Problem(
                "too_many_media",
                ngettext(
                    "%(count)s media attached: %(network)s takes at most %(max)s per post.",
                    "%(count)s media attached: %(network)s takes at most %(max)s per post.",
                    maximum,
                )
                % {"count": len(media), "network": network, "max": maximum},
            )
        )
    if len(kinds) > 1 and not limits.mix_images_and_video:
        found.append(
            Problem(
                "mixed_media",
                _("%(network)s does not take images and videos in the same post.") % {"network": network},
            )
        )
    for index, item in enumerate(media, start=1):
        found.extend(_item_problems(index, item, rules))
    return found


def _item_problems(index: int, item: MediaInfo, rules: NetworkRules) -> list[Problem]:
    limits = rules.limits
    assert limits is not None
    network = rules.label
    label = _("Media %(n)s") % {"n": index}
    if item.name:
        label = f"{label} ({item.name})"
    found: list[Problem] = []
    if item.kind not in MEDIA_KINDS:
        return [
            Problem("media_kind", _("%(media)s: only images and videos can be attached.") % {"media": label})
        ]
    image = item.kind == "image"
    formats = limits.image_formats if image else limits.video_formats
    if formats and item.content_type not in formats:
        found.append(
            Problem(
                "format_not_accepted",
                _("%(media)s: %(network)s does not accept %(type)s; it takes %(formats)s.")
                % {
                    "media": label,
                    "network": network,
                    "type": item.content_type or _("this format"),
                    "formats": ", ".join(formats),
                },
            )
        )
    max_bytes = limits.image_max_bytes if image else limits.video_max_bytes
    if max_bytes is not None and item.size > max_bytes:
        found.append(
            Problem(
                "file_too_large",
                _("%(media)s: the file is %(size)s; %(network)s takes at most %(max)s.")
                % {"media": label, "network": network, "size": _bytes(item.size), "max": _bytes(max_bytes)},
            )
        )
    pixels = (item.width or 0) * (item.height or 0)
    if image and limits.image_max_pixels and pixels > limits.image_max_pixels:
        found.append(
            Problem(
                "too_many_pixels",
                _("%(media)s: %(width)s×%(height)s pixels; %(network)s takes at most %(max)s pixels.")
                % {
                    "media": label,
                    "network": network,
                    "width": item.width,
                    "height": item.height,
                    "max": f"{limits.image_max_pixels:,}",
                },
            )
        )
    if item.width and item.height and item.width > 0 and item.height > 0:
        ratio = item.width / item.height
        low, high = limits.aspect_ratio_min, limits.aspect_ratio_max
        if (low is not None and ratio < low) or (high is not None and ratio > high):
            found.append(
                Problem(
                    "aspect_ratio",
                    _(
                        "%(media)s: the aspect ratio %(ratio)s (width / height) is outside what %(network)s "
                        "takes (%(low)s to %(high)s)."
                    )
                    % {
                        "media": label,
                        "network": network,
                        "ratio": _ratio(ratio),
                        "low": _ratio(low) if low is not None else "0",
                        "high": _ratio(high) if high is not None else "∞",
                    },
                )
            )
    duration, longest = item.duration_seconds, limits.video_max_seconds
    if not image and longest is not None and duration is not None and duration > longest:
        found.append(
            Problem(
                "video_too_long",
                _("%(media)s: the video lasts %(length)s s; %(network)s takes at most %(max)s s.")
                % {"media": label, "network": network, "length": f"{duration:g}", "max": f"{longest:g}"},
            )
        )
    return found


def _bytes(size: int) -> str:
    """A size in decimal units; a limit that is a round number of MiB is shown as MiB, as networks do."""
    if size >= 2**20 and size % 2**20 == 0:
        return f"{size // 2**20} MiB"
    for unit, factor in (("GB", 10**9), ("MB", 10**6), ("KB", 10**3)):
        if size >= factor:
            return f"{size / factor:.1f}".removesuffix(".0") + f" {unit}"
    return f"{size} B"


def _ratio(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")

"""Changes other apps make to a post's text as it leaves for a network (registered at start-up).

The tracked-links app registers one: when a workspace asks for it, every address in the text becomes a
short link tagged for the post and the channel. A transform runs when the engine loads a target's content,
just before its attempt row is written; it must be idempotent (a retry must give the same text) and must
not fail the send: a transform that raises is logged and skipped, and the text goes as it is.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from portevoix.publishing.models import Target

logger = logging.getLogger(__name__)

TextTransform = Callable[[Target, str], str]
_transforms: list[TextTransform] = []


def register_text_transform(transform: TextTransform) -> None:
    if transform not in _transforms:
        _transforms.append(transform)


def outgoing_text(target: Target, text: str) -> str:
    for transform in _transforms:
        try:
            text = transform(target, text)
        except Exception:
            logger.exception("Target %s: a text transform failed; the text goes unchanged", target.pk)
    return text

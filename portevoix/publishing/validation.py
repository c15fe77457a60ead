"""The hook through which the composer checks a post before it is scheduled or published.

The composer registers its check once (in its AppConfig.ready())::

    from portevoix.publishing.validation import register_post_validator

    @register_post_validator
    def check(post, channels): return {"text": ["Too long for Bluesky (312 of 300 graphemes)."]}

A validator receives the post and the channels it is about to go to, and returns problems as a mapping of
field (or channel key) to messages; an empty mapping means it may go. ``post_schedule`` and
``post_publish_now`` refuse with ``ValidationFailed`` when any validator reports a problem.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from portevoix.channels.models import Channel
from portevoix.content.models import Post

PostValidator = Callable[[Post, Sequence[Channel]], Mapping[str, Sequence[str]]]

_validators: list[PostValidator] = []


def register_post_validator(validator: PostValidator) -> PostValidator:
    if validator not in _validators:
        _validators.append(validator)
    return validator


def unregister_post_validator(validator: PostValidator) -> None:
    if validator in _validators:
        _validators.remove(validator)


def check_post(post: Post, channels: Sequence[Channel]) -> dict[str, list[str]]:
    problems: dict[str, list[str]] = {}
    for validator in _validators:
        for key, messages in validator(post, channels).items():
            if messages:
                problems.setdefault(str(key), []).extend(str(message) for message in messages)
    return problems

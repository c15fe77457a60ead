"""Retry delays: exponential backoff with full jitter, and the network's own Retry-After when it gives one.

Full jitter (a delay drawn uniformly between 0 and the exponential ceiling) spreads the retries of many
targets that failed together, so a network that just recovered is not hit by all of them at once.

The first retry is quick: a transient error (a 503, a dropped connection) is most often a blip, and a post
retried within a couple of seconds is still on time; it is drawn between half of ``first_retry`` and
``first_retry`` (2 s). From the second failure on, the ceiling grows from ``base`` (30 s) and doubles
(docs/decisions/0007-scheduler-lateness.md).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from django.conf import settings

_random = random.SystemRandom()


@dataclass(frozen=True)
class Policy:
    base: float = 30.0  # seconds: the ceiling of the second retry, doubled for each later one
    cap: float = 3600.0  # seconds: no retry waits longer than this
    max_attempts: int = 8  # publish attempts before giving up (a person may retry again)
    first_retry: float = 2.0  # seconds: the ceiling of the first retry (drawn in its upper half)

    @classmethod
    def from_settings(cls) -> Policy:
        return cls(
            base=float(getattr(settings, "PORTEVOIX_PUBLISH_BACKOFF_BASE", cls.base)),
            cap=float(getattr(settings, "PORTEVOIX_PUBLISH_BACKOFF_CAP", cls.cap)),
            max_attempts=int(getattr(settings, "PORTEVOIX_PUBLISH_MAX_ATTEMPTS", cls.max_attempts)),
            first_retry=float(getattr(settings, "PORTEVOIX_PUBLISH_FIRST_RETRY", cls.first_retry)),
        )


def ceiling(failures: int, policy: Policy) -> float:
    """The longest wait after ``failures`` failed attempts: ``first_retry`` after the first, then
    base * 2^(n-2), capped."""
    if failures <= 1:
        return min(policy.cap, policy.first_retry)
    exponent = failures - 2
    if exponent >= 64:  # 2**64 * base is beyond any cap; avoid float overflow on absurd counts
        return policy.cap
    return min(policy.cap, policy.base * 2.0**exponent)


def delay(
    failures: int,
    policy: Policy,
    *,
    retry_after: float | None = None,
    rng: random.Random | None = None,
) -> float:
    """Seconds to wait before the next attempt.

    With ``retry_after`` (the network said when), that wait plus up to one second of jitter, never less;
    after the first failure a uniform draw in [ceiling / 2, ceiling]; otherwise in [0, ceiling(failures)].
    """
    rng = rng or _random
    if retry_after is not None and retry_after >= 0:
        return float(retry_after) + rng.uniform(0.0, 1.0)
    top = ceiling(failures, policy)
    return rng.uniform(top / 2 if failures <= 1 else 0.0, top)

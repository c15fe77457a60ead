"""Retry delays: exponential backoff with full jitter, and the network's own Retry-After when it gives one.

Full jitter (a delay drawn uniformly between 0 and the exponential ceiling) spreads the retries of many
targets that failed together, so a network that just recovered is not hit by all of them at once.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from django.conf import settings

_random = random.SystemRandom()


@dataclass(frozen=True)
class Policy:
    base: float = 30.0  # seconds: the ceiling of the first retry
    cap: float = 3600.0  # seconds: no retry waits longer than this
    max_attempts: int = 8  # publish attempts before giving up (a person may retry again)

    @classmethod
    def from_settings(cls) -> Policy:
        return cls(
            base=float(getattr(settings, "PORTEVOIX_PUBLISH_BACKOFF_BASE", cls.base)),
            cap=float(getattr(settings, "PORTEVOIX_PUBLISH_BACKOFF_CAP", cls.cap)),
            max_attempts=int(getattr(settings, "PORTEVOIX_PUBLISH_MAX_ATTEMPTS", cls.max_attempts)),
        )


def ceiling(failures: int, policy: Policy) -> float:
    """The longest wait after ``failures`` failed attempts (1 for the first): base * 2^(n-1), capped."""
    exponent = max(0, failures - 1)
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
    otherwise a uniform draw in [0, ceiling(failures)].
    """
    rng = rng or _random
    if retry_after is not None and retry_after >= 0:
        return float(retry_after) + rng.uniform(0.0, 1.0)
    return rng.uniform(0.0, ceiling(failures, policy))

"""Channel health in the background: renew expiring tokens, re-test channels once a day."""

from __future__ import annotations

import logging
from datetime import timedelta

from django_tasks import task

from portevoix.channels import services
from portevoix.core.context import origin
from portevoix.core.scheduling import register_periodic

logger = logging.getLogger(__name__)


@task()
def refresh_channel_tokens() -> None:
    """Renew the tokens that expire within 24 hours (networks that can renew them)."""
    with origin("task"):
        summary = services.channels_refresh_due()
    if summary.seen:
        logger.info("Channel tokens: %s due, %s renewed, %s failed", summary.seen, summary.ok, summary.failed)


@task()
def check_channels() -> None:
    """Re-test every active channel (and those whose last check failed) once a day."""
    with origin("task"):
        summary = services.channels_check_all()
    if summary.seen:
        logger.info("Channel checks: %s tested, %s ok, %s failed", summary.seen, summary.ok, summary.failed)


# Tokens that live an hour (VK ID) are renewed by this job too: it runs often, and each run only renews
# what expires within 24 hours.
register_periodic("channels.refresh_tokens", every=timedelta(minutes=15), task=refresh_channel_tokens)
register_periodic("channels.check", every=timedelta(days=1), task=check_channels)

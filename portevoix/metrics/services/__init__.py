"""Writes for network metrics: readings and roll-ups (record), the collection job (collect), manual entry
(manual), the CSV import (imports) and the followers' month rows (months)."""

from __future__ import annotations

from portevoix.metrics.services.collect import RunStats, claim, collect_due, polls_sync
from portevoix.metrics.services.imports import (
    MAX_BYTES,
    MAX_ROWS,
    ImportReport,
    import_confirm,
    import_stash,
    metrics_import,
)
from portevoix.metrics.services.manual import followers_enter, post_metrics_enter
from portevoix.metrics.services.months import follower_months_fill
from portevoix.metrics.services.record import (
    Reading,
    Values,
    followers_daily_rebuild,
    followers_write,
    snapshots_write,
)

__all__ = [
    "MAX_BYTES",
    "MAX_ROWS",
    "ImportReport",
    "Reading",
    "RunStats",
    "Values",
    "claim",
    "collect_due",
    "follower_months_fill",
    "followers_daily_rebuild",
    "followers_enter",
    "followers_write",
    "import_confirm",
    "import_stash",
    "metrics_import",
    "polls_sync",
    "post_metrics_enter",
    "snapshots_write",
]

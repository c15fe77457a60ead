"""Access-matrix entries for planning_series_feeds (see tests/matrix/__init__.py)."""

from __future__ import annotations

"""Pages of planning_series_feeds rendered in every language (see tests/pages/__init__.py)."""

from __future__ import annotations

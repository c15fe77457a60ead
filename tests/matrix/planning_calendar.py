"""Access-matrix entries for planning_calendar (see tests/matrix/__init__.py)."""

from __future__ import annotations

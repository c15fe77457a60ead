"""Access-matrix entries for planning_rubrics_queues (see tests/matrix/__init__.py)."""

from __future__ import annotations

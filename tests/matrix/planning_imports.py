"""Access-matrix entries for planning_imports (see tests/matrix/__init__.py)."""

from __future__ import annotations

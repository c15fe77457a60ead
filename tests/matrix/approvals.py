"""Access-matrix entries for approvals (see tests/matrix/__init__.py)."""

from __future__ import annotations

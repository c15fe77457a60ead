"""Access-matrix entries for teamtasks (see tests/matrix/__init__.py)."""

from __future__ import annotations

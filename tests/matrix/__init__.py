"""Entries of the access matrix (tests/test_access_matrix.py) kept beside each domain, one module per
area, so that adding an app does not mean editing one long table.

Each module may define any of these dicts, merged into the test's tables (a key defined twice fails):
``API_EXPECTED``, ``API_IDS``, ``API_BODIES``, ``HTML_EXPECTED``, ``HTML_IDS``, ``HTML_POST_DATA``,
``HTML_NETWORKS``, and ``URLCONFS`` ({namespace: urls module} whose workspace pages are enumerated).
Resolvers receive the test's ``World`` (``world.team``, ``world.other``, ``world.own_post()``,
``world.own_channel()``, ``world._cache`` for objects to reuse) and the role.
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType


def extensions() -> list[ModuleType]:
    return [
        importlib.import_module(f"{__name__}.{info.name}")
        for info in sorted(pkgutil.iter_modules(__path__), key=lambda info: info.name)
    ]

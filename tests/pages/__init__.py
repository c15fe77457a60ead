"""Pages of tests/test_pages_render.py kept beside each domain, one module per area. Each module
registers its pages with ``@page("namespace:name")`` imported from tests.test_pages_render (which imports
every module here at its end), and may add to ``SKIPPED`` there with a reason."""

from __future__ import annotations

import importlib
import pkgutil


def load_all() -> None:
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda info: info.name):
        importlib.import_module(f"{__name__}.{info.name}")

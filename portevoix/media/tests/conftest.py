from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Stored files go to a folder of the test's own, never to the data directory."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def stored_files(media_root):
    """The names of the files under MEDIA_ROOT, relative to it."""

    def names() -> set[str]:
        if not media_root.exists():
            return set()
        return {str(path.relative_to(media_root)) for path in media_root.rglob("*") if path.is_file()}

    return names

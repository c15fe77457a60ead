"""Helpers for the browser tests: signing in, and where screenshots go."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS_DIR = REPO_ROOT / "tests" / "e2e" / "artifacts"
SCREENSHOTS_DIR = REPO_ROOT / "docs" / "screenshots"


def save_screenshot(page, name: str, *, for_docs: bool = False, full_page: bool = True) -> Path:
    """Save a screenshot (of the whole page, or of the viewport) into tests/e2e/artifacts/ (gitignored).

    With ``for_docs`` it is copied to docs/screenshots/ for the user guide too: when the file is not there
    yet, or always with PORTEVOIX_UPDATE_SCREENSHOTS=1 (so a plain test run leaves committed images alone;
    dates on the pages would otherwise change them on every run).
    """
    ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS_DIR / name
    page.screenshot(path=str(path), full_page=full_page)
    if for_docs:
        target = SCREENSHOTS_DIR / name
        if not target.exists() or os.environ.get("PORTEVOIX_UPDATE_SCREENSHOTS", "") not in {"", "0"}:
            SCREENSHOTS_DIR.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
    return path


def sign_in(page, base_url: str, email: str, password: str) -> None:
    """Sign in through the login form and wait until the app (a workspace page) is shown."""
    page.goto(f"{base_url}/accounts/login/")
    page.locator('main form [name="username"]').fill(email)
    page.locator('main form [name="password"]').fill(password)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/w/"))

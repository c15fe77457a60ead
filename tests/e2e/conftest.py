"""Browser fixtures: Playwright's sync API driving Debian's chromium against pytest-django's live_server.

Playwright never downloads a browser here: it launches the system ``chromium`` (apt package ``chromium``).
Without it the browser tests skip, unless PORTEVOIX_REQUIRE_BROWSER is set (CI sets it): then they fail.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import pytest

from tests.e2e.support import save_screenshot

# Playwright's sync API runs an event loop in the test's thread; Django would then refuse ORM calls
# from fixtures and test code ("You cannot call this from an async context").
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Playwright's default is 30 s per action; a page of this app answers in well under a second.
ACTION_TIMEOUT_MS = 10_000


def _browser_required() -> bool:
    return os.environ.get("PORTEVOIX_REQUIRE_BROWSER", "").strip().lower() not in {"", "0", "false", "no"}


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = shutil.which("chromium")
    if path is None:
        message = "Debian's chromium is not installed (apt-get install chromium); browser tests need it."
        if _browser_required():
            pytest.fail(f"{message} PORTEVOIX_REQUIRE_BROWSER is set, so this is an error.", pytrace=False)
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def browser(chromium_path: str) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def new_page(browser, request: pytest.FixtureRequest):
    """Open a page in a fresh browser context (own cookies); every page is screenshotted on failure."""
    from playwright.sync_api import Page

    contexts = []

    def make(locale: str = "en-US") -> Page:
        context = browser.new_context(locale=locale, viewport={"width": 1280, "height": 800})
        context.set_default_timeout(ACTION_TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield make

    report = getattr(request.node, "rep_call", None)
    failed = report is not None and report.failed
    for number, context in enumerate(contexts, start=1):
        if failed:
            for page in context.pages:
                save_screenshot(page, f"{request.node.name}-failure-{number}.png")
        context.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report

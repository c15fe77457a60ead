"""The dashboards page in a real browser (Debian's chromium driven by Playwright): the vendored Chart.js
loads and draws every chart from the embedded figures, and the screenshots of docs/dashboards.md are
taken (docs/screenshots/dashboards-*.png). Skipped without chromium, unless PORTEVOIX_REQUIRE_BROWSER."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path

import pytest

from portevoix.dashboards import services
from portevoix.dashboards.tests import factory
from portevoix.workspaces.roles import Role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
PASSWORD = "Tableaux-de-bord-3141"
SCREENSHOTS = Path(__file__).resolve().parents[3] / "docs" / "screenshots"


def test_dashboards_draw_their_charts_in_a_browser(live_server, make_team):
    chromium = shutil.which("chromium")
    if chromium is None:
        if os.environ.get("PORTEVOIX_REQUIRE_BROWSER", "").strip().lower() not in {"", "0", "false", "no"}:
            pytest.fail("Debian's chromium is not installed.")
        pytest.skip("Debian's chromium is not installed.")
    from playwright.sync_api import expect, sync_playwright

    team = make_team("Maison Lumière")
    team.workspace.timezone = "Europe/Paris"
    team.workspace.save(update_fields=["timezone"])
    owner = team.member(Role.OWNER)
    owner.user.set_password(PASSWORD)
    owner.user.language = "en"
    owner.user.save()
    factory.month_of_figures(team.workspace)
    services.rollups_refresh(settle=dt.timedelta(0))

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, headless=True, args=["--no-sandbox"])
        try:
            page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
            page.goto(f"{live_server.url}/accounts/login/")
            page.locator('main form [name="username"]').fill(owner.user.email)
            page.locator('main form [name="password"]').fill(PASSWORD)
            page.locator("main form button[type=submit]").click()
            page.wait_for_load_state()
            page.goto(f"{live_server.url}/w/{team.workspace.slug}/dashboards/?preset=30d&compare=on")
            expect(page.get_by_test_id("funnel")).to_be_visible()
            page.wait_for_function("() => window.Chart !== undefined")
            for chart in (
                "chart-followers",
                "chart-clicks",
                "chart-visits",
                "chart-funnel",
                "chart-networks",
            ):
                drawn = page.evaluate(
                    f"() => window.Chart.getChart(document.getElementById('{chart}')) !== undefined"
                )
                assert drawn, chart
            page.screenshot(path=str(SCREENSHOTS / "dashboards-overview.png"))
            page.locator("#clicks").scroll_into_view_if_needed()
            page.screenshot(path=str(SCREENSHOTS / "dashboards-clicks-site.png"))
            page.locator("#funnel").scroll_into_view_if_needed()
            page.screenshot(path=str(SCREENSHOTS / "dashboards-funnel.png"))
        finally:
            browser.close()

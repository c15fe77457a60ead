"""The dashboards page in a real browser (Debian's chromium driven by Playwright): the vendored Chart.js
loads and draws every chart from the embedded figures, and the screenshots of docs/dashboards.md are
taken (docs/screenshots/dashboards-*.png)."""

from __future__ import annotations

import datetime as dt

import pytest

from portevoix.dashboards import services
from portevoix.dashboards.tests import factory
from portevoix.workspaces.roles import Role
from tests.e2e.support import save_screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Tableaux-de-bord-3141"
CHARTS = ("chart-followers", "chart-clicks", "chart-visits", "chart-funnel", "chart-networks")


def test_dashboards_draw_their_charts_in_a_browser(live_server, make_team, new_page):
    from playwright.sync_api import expect

    team = make_team("Maison Lumière")
    team.workspace.timezone = "Europe/Paris"
    team.workspace.save(update_fields=["timezone"])
    owner = team.member(Role.OWNER)
    owner.user.set_password(PASSWORD)
    owner.user.language = "en"
    owner.user.save()
    factory.month_of_figures(team.workspace)
    services.rollups_refresh(settle=dt.timedelta(0))

    page = new_page()
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, live_server.url, owner.user.email, PASSWORD)
    page.goto(f"{live_server.url}/w/{team.workspace.slug}/dashboards/?preset=30d&compare=on")
    expect(page.get_by_test_id("funnel")).to_be_visible()
    page.wait_for_function("() => window.Chart !== undefined")
    for chart in CHARTS:
        drawn = page.evaluate(
            f"() => window.Chart.getChart(document.getElementById('{chart}')) !== undefined"
        )
        assert drawn, chart
    save_screenshot(page, "dashboards-overview.png", for_docs=True, full_page=False)
    page.locator("#clicks").scroll_into_view_if_needed()
    save_screenshot(page, "dashboards-clicks-site.png", for_docs=True, full_page=False)
    page.locator("#funnel").scroll_into_view_if_needed()
    save_screenshot(page, "dashboards-funnel.png", for_docs=True, full_page=False)

"""The content plan's calendar in a real browser (Debian's chromium driven by Playwright).

An owner opens next month, clicks an empty day, writes the post in the composer (the date and time come
prefilled), schedules it, finds it in the month, drags it to another day, and undoes the move.

The second test fills a month with posts of three rubrics and takes the screenshots of the user guide
(docs/screenshots/planning-calendar-<view>.png): written when missing, or always with
PORTEVOIX_UPDATE_SCREENSHOTS=1 (tests/e2e/support.py).
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from portevoix.accounts.models import User
from portevoix.content.models import Post
from portevoix.planning.tests.calendar_factory import make_channel, make_posts, make_rubric
from portevoix.workspaces import services
from tests.e2e.support import save_screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PARIS = ZoneInfo("Europe/Paris")
EMAIL = "plan@example.com"
PASSWORD = "Calendrier-Solide-4242"


def next_month() -> date:
    today = timezone.now().astimezone(PARIS).date()
    return (today.replace(day=1) + timedelta(days=32)).replace(day=1)


def owner_workspace():
    user = User.objects.create_user(EMAIL, PASSWORD, full_name="Paula Planner")
    workspace = services.workspace_create(
        user=user, name="Atelier", timezone_name="Europe/Paris", language="en"
    )
    return user, workspace


def day_cell(page, day: date):
    return page.locator(f'td[data-drop="day"][data-date="{day.isoformat()}"]')


def test_create_from_an_empty_day_schedule_drag_to_another_day_and_undo(live_server, new_page):
    from playwright.sync_api import expect

    _user, workspace = owner_workspace()
    channel = make_channel(workspace, "telegram", "Atelier on Telegram")
    month = next_month()
    first_day, other_day = month.replace(day=10), month.replace(day=17)
    page = new_page()
    page.set_viewport_size({"width": 1280, "height": 1400})
    sign_in(page, live_server.url, EMAIL, PASSWORD)
    calendar_url = f"{live_server.url}/w/{workspace.slug}/plan/?view=month&date={month.isoformat()}"
    page.goto(calendar_url)
    expect(page.get_by_test_id("calendar-month")).to_be_visible()

    # An empty day: a click on the cell opens the composer with the day at 09:00.
    day_cell(page, first_day).click(position={"x": 60, "y": 70})
    page.wait_for_url(re.compile(r"/posts/new/\?at="))
    expect(page.locator('[name="schedule_at"]')).to_have_value(f"{first_day.isoformat()}T09:00")
    page.locator('main form [name="text"]').fill("Spring workshop: sign up now!")
    page.locator(f'input[name="channels"][value="{channel.pk}"]').check()
    page.get_by_test_id("schedule").click()
    page.wait_for_url(re.compile(r"/posts/\d+/$"))
    post = Post.objects.get(workspace=workspace)
    assert post.scheduled_at == datetime(first_day.year, first_day.month, first_day.day, 9, tzinfo=PARIS)

    # In the month view, on its day.
    page.goto(calendar_url)
    chip = day_cell(page, first_day).locator(f'[data-post="{post.pk}"]')
    expect(chip).to_be_visible()
    expect(chip).to_contain_text("09:00")
    save_screenshot(page, "calendar-before-drag.png")

    # Drag it to another day: same time of day, and the page offers to undo. (Both days in the viewport:
    # Playwright's drag does not survive scrolling to the drop target.)
    chip.drag_to(day_cell(page, other_day))
    expect(day_cell(page, other_day).locator(f'[data-post="{post.pk}"]')).to_be_visible()
    expect(day_cell(page, first_day).locator(f'[data-post="{post.pk}"]')).to_have_count(0)
    expect(page.get_by_test_id("calendar-notice")).to_contain_text("Moved to")
    post.refresh_from_db()
    assert post.scheduled_at == datetime(other_day.year, other_day.month, other_day.day, 9, tzinfo=PARIS)

    # Undo puts it back.
    page.get_by_test_id("calendar-undo").click()
    expect(page.get_by_test_id("calendar-notice")).to_contain_text("undone")
    expect(day_cell(page, first_day).locator(f'[data-post="{post.pk}"]')).to_be_visible()
    post.refresh_from_db()
    assert post.scheduled_at == datetime(first_day.year, first_day.month, first_day.day, 9, tzinfo=PARIS)

    # In the day view, drag it to another hour: the row's hour, the post's minutes.
    page.goto(f"{live_server.url}/w/{workspace.slug}/plan/?view=day&date={first_day.isoformat()}")
    slot = page.locator(f'td[data-drop="slot"][data-date="{first_day.isoformat()}"][data-hour="13"]')
    page.locator(f'[data-post="{post.pk}"]').drag_to(slot)
    expect(slot.locator(f'[data-post="{post.pk}"]')).to_be_visible()
    post.refresh_from_db()
    assert post.scheduled_at == datetime(first_day.year, first_day.month, first_day.day, 13, tzinfo=PARIS)


def test_screenshots_of_each_view(live_server, new_page):
    from playwright.sync_api import expect

    user, workspace = owner_workspace()
    channels = [
        make_channel(workspace, "telegram", "Atelier TG"),
        make_channel(workspace, "bluesky", "Atelier BS"),
    ]
    rubrics = [
        make_rubric(workspace, "Workshops", "#e8590c", 40),
        make_rubric(workspace, "Behind the scenes", "#2b8a3e", 30),
        make_rubric(workspace, "Tips", "#1971c2", 30),
        None,
    ]
    month = next_month()
    first = datetime(month.year, month.month, 1, 8, 30, tzinfo=PARIS)
    make_posts(
        workspace,
        count=70,
        first=first,
        step=timedelta(hours=9, minutes=45),
        channels=channels[:1],
        rubrics=rubrics,
        author=user,
    )
    make_posts(
        workspace,
        count=20,
        first=first + timedelta(days=2, hours=3),
        step=timedelta(days=1, hours=5),
        channels=channels,
        rubrics=rubrics[1:],
        author=user,
    )
    later = datetime(month.year, 1, 3, 10, tzinfo=PARIS)  # the rest of the year, for the year's heat map
    make_posts(
        workspace, count=160, first=later, step=timedelta(hours=50), channels=channels[1:], rubrics=rubrics
    )
    page = new_page()
    sign_in(page, live_server.url, EMAIL, PASSWORD)
    day = month.replace(day=12)
    for view in ("day", "week", "month", "year"):
        page.goto(f"{live_server.url}/w/{workspace.slug}/plan/?view={view}&date={day.isoformat()}")
        expect(page.get_by_test_id("calendar")).to_have_attribute("data-view", view)
        save_screenshot(page, f"planning-calendar-{view}.png", for_docs=True)

"""Issue 4's whole flow in a real browser (Debian's chromium driven by Playwright): in a workspace whose posts
need the client's approval, the SMM manager creates a post from an empty day of the month view, schedules
it, submits it for approval and drags it to another day; the client approves through the e-mailed link
with no account; the calendar then shows the post scheduled on its new day.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from portevoix.approvals import services as approvals
from portevoix.approvals.tests.helpers import wait_for_review_url
from portevoix.content.models import ApprovalState, Post
from portevoix.planning.tests.calendar_factory import make_channel
from portevoix.publishing.models import Target, TargetState
from portevoix.workspaces.roles import Role
from tests.e2e.support import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PARIS = ZoneInfo("Europe/Paris")
PASSWORD = "Plan-et-validation-1618"
CLIENT_EMAIL = "clara@client.example"


def next_month() -> date:
    today = timezone.now().astimezone(PARIS).date()
    return (today.replace(day=1) + timedelta(days=32)).replace(day=1)


def test_create_in_month_view_drag_then_client_approves_and_the_status_changes(
    live_server, settings, mailoutbox, make_team, new_page
):
    from playwright.sync_api import expect

    settings.PORTEVOIX_BASE_URL = live_server.url
    team = make_team("Atelier")  # Europe/Paris
    manager = team.user(Role.MANAGER)
    manager.set_password(PASSWORD)
    manager.save()
    approvals.policy_set(
        by=team.member(Role.OWNER),
        mode="required",
        steps=[approvals.StepIn(name="Client", by_client=True, client_email=CLIENT_EMAIL)],
        remind_after_hours=24,
        client_link_days=7,
    )
    channel = make_channel(team.workspace, "telegram", "Atelier on Telegram")
    slug = team.workspace.slug
    month = next_month()
    first_day, other_day = month.replace(day=10), month.replace(day=17)
    calendar_url = f"{live_server.url}/w/{slug}/plan/?view=month&date={month.isoformat()}"

    page = new_page()
    page.set_viewport_size({"width": 1280, "height": 1400})  # both days on screen for the drag
    sign_in(page, live_server.url, manager.email, PASSWORD)
    page.goto(calendar_url)
    expect(page.get_by_test_id("calendar-month")).to_be_visible()

    # Create from an empty day; schedule it: it waits for the client's approval.
    page.locator(f'td[data-drop="day"][data-date="{first_day.isoformat()}"]').click(
        position={"x": 60, "y": 70}
    )
    page.wait_for_url(re.compile(r"/posts/new/\?at="))
    page.locator('main form [name="text"]').fill("Open studio on Saturday: come and see!")
    page.locator(f'input[name="channels"][value="{channel.pk}"]').check()
    page.get_by_test_id("schedule").click()
    page.wait_for_url(re.compile(r"/posts/\d+/$"))
    post = Post.objects.get(workspace=team.workspace)
    assert Target.objects.get(post=post).state == TargetState.AWAITING_APPROVAL

    # Submit it: the client's link is e-mailed at once.
    sent = len(mailoutbox)
    page.get_by_test_id("submit-approval").click()
    expect(page.get_by_test_id("awaiting-client")).to_be_visible()
    review_url = wait_for_review_url(mailoutbox, after=sent)
    assert mailoutbox[-1].to == [CLIENT_EMAIL]

    # In the month view it shows as awaiting approval; drag it to another day.
    page.goto(calendar_url)
    chip = page.locator(f'td[data-date="{first_day.isoformat()}"] [data-post="{post.pk}"]')
    expect(chip).to_have_attribute("data-status", "awaiting_approval")
    chip.drag_to(page.locator(f'td[data-drop="day"][data-date="{other_day.isoformat()}"]'))
    moved = page.locator(f'td[data-date="{other_day.isoformat()}"] [data-post="{post.pk}"]')
    expect(moved).to_be_visible()
    post.refresh_from_db()
    assert post.scheduled_at == datetime(other_day.year, other_day.month, other_day.day, 9, tzinfo=PARIS)
    assert Target.objects.get(post=post).state == TargetState.AWAITING_APPROVAL

    # The client approves through the link, with no account.
    client = new_page()
    client.goto(review_url)
    expect(client.get_by_test_id("review-preview")).to_contain_text("Open studio on Saturday")
    decision = client.get_by_test_id("review-decision")
    decision.locator('[name="name"]').fill("Clara Client")
    decision.get_by_test_id("client-approve").click()
    expect(client.get_by_test_id("review-done")).to_be_visible()

    # The team's calendar now shows it scheduled, on the day it was moved to.
    page.goto(calendar_url)
    moved = page.locator(f'td[data-date="{other_day.isoformat()}"] [data-post="{post.pk}"]')
    expect(moved).to_have_attribute("data-status", "scheduled")
    post.refresh_from_db()
    assert post.approval_state == ApprovalState.APPROVED
    target = Target.objects.get(post=post)
    assert target.state == TargetState.SCHEDULED
    assert target.due_at == post.scheduled_at

"""The rubrics page and a channel's queue in a real browser (Debian's chromium driven by Playwright): they
render with their data, and their screenshots go to docs/screenshots/ (planning-rubrics.png,
planning-queues.png)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from portevoix.content import services as content_services
from portevoix.content.models import Post
from portevoix.planning.services import queues as queue_services
from portevoix.planning.services import rubrics as rubric_services
from portevoix.planning.tests.queue_helpers import telegram
from portevoix.workspaces.roles import Role
from tests.e2e.support import save_screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Rubriques-et-files-2718"


def test_rubrics_and_queue_pages_in_a_browser(live_server, make_team, new_page):
    from playwright.sync_api import expect

    team = make_team("Atelier Lumière")
    owner = team.member(Role.OWNER)
    owner.user.set_password(PASSWORD)
    owner.user.save()
    slug = team.workspace.slug
    channel = telegram(team.workspace, name="Atelier news")
    rubrics = [
        rubric_services.rubric_create(by=owner, name=name, colour=colour, target_share=target)
        for name, colour, target in (
            ("Tips", "#2f9e44", 40),
            ("Behind the scenes", "#f08c00", 30),
            ("Offers", "#e03131", 20),
        )
    ]
    soon = timezone.now() + timedelta(hours=2)
    for n, rubric in enumerate([0, 0, 0, 1, 2, 2, None]):
        post = content_services.post_create(
            by=owner,
            title=f"Idea {n + 1}",
            text=f"Post {n + 1}",
            channel_ids=[channel.pk],
            rubric_id=rubrics[rubric].pk if rubric is not None else None,
        )
        Post.objects.filter(pk=post.pk).update(scheduled_at=soon)
    queue_services.queue_slots_set(
        by=owner,
        channel=channel,
        slots=[(0, "09:30"), (2, "09:30"), (2, "18:00"), (4, "12:00"), (6, "02:30")],
    )
    for title in ("Spring collection teaser", "Workshop tour", "Five care tips"):
        post = content_services.post_create(by=owner, title=title, text=title, channel_ids=[channel.pk])
        queue_services.queue_entry_add(by=owner, channel=channel, post=post)

    page = new_page()
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, live_server.url, owner.user.email, PASSWORD)
    page.goto(f"{live_server.url}/w/{slug}/plan/rubrics/")
    expect(page.get_by_test_id("rubric-share")).to_have_count(4)
    expect(page.get_by_test_id("rubric-mix")).to_contain_text("Behind the scenes")
    rubrics_shot = save_screenshot(page, "planning-rubrics.png", for_docs=True)
    page.goto(f"{live_server.url}/w/{slug}/plan/queues/{channel.pk}/")
    expect(page.get_by_test_id("queue-entry")).to_have_count(3)
    expect(page.get_by_test_id("queue-slot")).to_have_count(5)
    save_screenshot(page, "planning-queues.png", for_docs=True)
    assert rubrics_shot.stat().st_size > 10_000

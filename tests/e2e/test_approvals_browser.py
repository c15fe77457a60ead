"""Approvals in a real browser (Debian's chromium driven by Playwright): a two-step policy (the SMM manager,
then the client); the manager approves on the post's page, the client gets a link by e-mail, opens it with
no account, sees the preview and approves; the post's targets are then scheduled. Screenshots of the
settings, the post's panel and the client's page go to docs/screenshots/approvals-*.png.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from portevoix.approvals import services
from portevoix.approvals.tests.helpers import make_post, wait_for_review_url
from portevoix.content import services as content_services
from portevoix.content.models import ApprovalState
from portevoix.publishing.models import Target, TargetState
from portevoix.workspaces.roles import Role
from tests.e2e.support import save_screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Validation-client-2718"


def test_manager_then_client_approve_and_the_post_is_scheduled(
    live_server, settings, mailoutbox, make_team, new_page
):
    from playwright.sync_api import expect

    settings.PORTEVOIX_BASE_URL = live_server.url
    team = make_team("Atelier Lumière")
    names = {Role.OWNER: "Odile Owner", Role.MANAGER: "Maël Manager", Role.COPYWRITER: "Camille Copy"}
    for role, name in names.items():
        user = team.user(role)
        user.set_password(PASSWORD)
        user.full_name = name
        user.save()
    slug = team.workspace.slug
    services.policy_set(
        by=team.member(Role.OWNER),
        mode="multi_step",
        steps=[
            services.StepIn(name="Copy editor", role="manager"),
            services.StepIn(name="Client", by_client=True, client_email="clara@client.example"),
        ],
        remind_after_hours=24,
        client_link_days=7,
    )
    post = make_post(team, text="Our spring collection is here! #spring https://example.com/spring")
    post.title = "Spring collection"
    post.save(update_fields=["title"])
    at = (timezone.now() + timedelta(days=5)).strftime("%Y-%m-%dT10:00")
    content_services.post_schedule(by=team.member(Role.MANAGER), post=post, at=at)
    assert Target.objects.get(post=post).state == TargetState.AWAITING_APPROVAL
    services.comment_add(
        by=team.member(Role.COPYWRITER), post=post, body=f"@{team.user(Role.MANAGER).email} ready for review."
    )
    services.post_submit(by=team.member(Role.COPYWRITER), post=post)

    # The owner's settings page: two steps in order.
    owner = new_page()
    sign_in(owner, live_server.url, team.user(Role.OWNER).email, PASSWORD)
    owner.goto(f"{live_server.url}/w/{slug}/approvals/settings/")
    expect(owner.get_by_test_id("step-row")).to_have_count(2)
    save_screenshot(owner, "approvals-settings.png", for_docs=True)

    # The manager finds the post awaiting them and approves the first step on its page.
    manager = new_page()
    sign_in(manager, live_server.url, team.user(Role.MANAGER).email, PASSWORD)
    manager.goto(f"{live_server.url}/w/{slug}/approvals/")
    expect(manager.get_by_test_id("awaiting-row")).to_have_count(1)
    manager.get_by_test_id("awaiting-row").get_by_role("link").click()
    expect(manager.get_by_test_id("approval-state")).to_have_text("Awaiting approval")
    save_screenshot(manager, "approvals-post-panel.png", for_docs=True)
    sent = len(mailoutbox)
    manager.get_by_test_id("approve").click()
    expect(manager.get_by_test_id("awaiting-client")).to_be_visible()

    # The client opens the e-mailed link with no account, reads the preview, and approves.
    url = wait_for_review_url(mailoutbox, after=sent)
    assert mailoutbox[-1].to == ["clara@client.example"]
    client = new_page()
    client.goto(url)
    expect(client.get_by_test_id("review-preview")).to_contain_text("Our spring collection is here!")
    expect(client.locator("a[href*='/w/']")).to_have_count(0)  # nothing leads into the internal app
    decision = client.get_by_test_id("review-decision")
    decision.locator('[name="name"]').fill("Clara Client")
    save_screenshot(client, "approvals-client-review.png", for_docs=True)
    decision.get_by_test_id("client-approve").click()
    expect(client.get_by_test_id("review-done")).to_be_visible()
    save_screenshot(client, "approvals-client-done.png", for_docs=True)

    post.refresh_from_db()
    assert post.approval_state == ApprovalState.APPROVED
    assert Target.objects.get(post=post).state == TargetState.SCHEDULED

    # Opening the link again says it was used; the team sees the post approved.
    client.goto(url)
    expect(client.get_by_test_id("review-invalid")).to_have_attribute("data-reason", "decided")
    manager.reload()
    expect(manager.get_by_test_id("approval-state")).to_have_text("Approved")
    client.goto(f"{live_server.url}/review/not-a-real-token/")
    expect(client.get_by_test_id("review-invalid")).to_have_attribute("data-reason", "invalid")
    save_screenshot(client, "approvals-link-invalid.png", for_docs=True)

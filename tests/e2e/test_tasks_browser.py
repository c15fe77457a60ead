"""Team tasks in a real browser (Debian's chromium driven by Playwright): a manager adds a task on a post's
page (choosing "Design visuals" suggests the designer), the designer finds it on "My tasks" with an overdue
one highlighted, marks it done, and reads the notice. The "My tasks" screenshot goes to docs/screenshots/.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from portevoix.content.models import Post
from portevoix.teamtasks import services
from portevoix.teamtasks.models import PostTask, TaskKind
from portevoix.workspaces.roles import Role
from tests.e2e.support import save_screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Tâches-en-équipe-1618"


def test_a_task_is_added_on_a_post_found_on_my_tasks_and_done(live_server, settings, make_team, new_page):
    from playwright.sync_api import expect

    settings.PORTEVOIX_BASE_URL = live_server.url
    team = make_team("Atelier Lumière")
    for role in (Role.MANAGER, Role.DESIGNER):
        user = team.user(role)
        user.set_password(PASSWORD)
        user.full_name = {Role.MANAGER: "Maël Manager", Role.DESIGNER: "Dana Designer"}[role]
        user.save()
    slug = team.workspace.slug
    launch = Post.objects.create(workspace=team.workspace, title="Spring launch", text="Our new collection")
    teaser = Post.objects.create(workspace=team.workspace, title="Teaser video", text="Coming soon")
    services.task_create(
        by=team.member(Role.MANAGER),
        post=teaser,
        kind=TaskKind.DESIGN,
        title="Storyboard for the teaser",
        assignee_id=team.user(Role.DESIGNER).pk,
        due_at=timezone.now() - timedelta(hours=5),
    )
    services.overdue_remind()

    # The manager adds a task on the post's page: "Design visuals" suggests the designer.
    manager = new_page()
    sign_in(manager, live_server.url, team.user(Role.MANAGER).email, PASSWORD)
    manager.goto(f"{live_server.url}/w/{slug}/posts/{launch.pk}/")
    form = manager.get_by_test_id("task-form")
    form.locator('[name="kind"]').select_option("design")
    expect(form.locator('[name="assignee_id"]')).to_have_value(str(team.user(Role.DESIGNER).pk))
    form.locator('[name="title"]').fill("Cover image, 3 formats")
    due = (timezone.localtime(timezone.now() + timedelta(days=2), team.workspace.tzinfo)).strftime(
        "%Y-%m-%dT10:00"
    )
    form.locator('[name="due_at"]').fill(due)
    form.get_by_test_id("task-add").click()
    expect(manager.get_by_test_id("tasks-panel").get_by_test_id("task")).to_have_count(1)
    task = PostTask.objects.get(post=launch)
    assert task.assignee == team.user(Role.DESIGNER)
    assert task.kind == TaskKind.DESIGN

    # The designer's "My tasks": the overdue one first and highlighted, the notices below.
    designer = new_page()
    sign_in(designer, live_server.url, team.user(Role.DESIGNER).email, PASSWORD)
    designer.goto(f"{live_server.url}/w/{slug}/tasks/")
    rows = designer.locator('[data-testid="open-tasks"] [data-testid="task"]')
    expect(rows).to_have_count(2)
    expect(rows.first).to_have_attribute("data-overdue", "yes")
    expect(designer.get_by_test_id("overdue-count")).to_be_visible()
    expect(designer.locator('[data-testid="notice"][data-read="no"]')).to_have_count(
        3
    )  # two given, one overdue
    save_screenshot(designer, "tasks-my-tasks.png", for_docs=True)

    # Done, and the notices read.
    rows.nth(1).get_by_test_id("task-done").click()
    expect(designer.locator('[data-testid="open-tasks"] [data-testid="task"]')).to_have_count(1)
    designer.get_by_test_id("notices-read-all").click()
    expect(designer.locator('[data-testid="notice"][data-read="no"]')).to_have_count(0)
    task.refresh_from_db()
    assert task.done_at is not None

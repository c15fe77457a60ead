"""The CSV import in a real browser (Debian's chromium driven by Playwright): an owner uploads a file with
one bad row, reads the dry run's problems, uploads the corrected file, confirms, and finds the posts.

Takes docs/screenshots/planning-import.png (the dry-run results) when missing, or always with
PORTEVOIX_UPDATE_SCREENSHOTS=1 (tests/e2e/support.py). Tasks run at once (django-tasks' ImmediateBackend).
"""

from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from portevoix.accounts.models import User
from portevoix.channels.models import Channel
from portevoix.content.models import Post
from portevoix.workspaces import services
from tests.e2e.support import save_screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EMAIL = "importer@example.com"
PASSWORD = "Importer-Solide-4242"
HEADER = "date,time,timezone,channels,text,title,link,rubric,text_x\n"


@pytest.fixture(autouse=True)
def _immediate_tasks(settings, tmp_path):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.MEDIA_ROOT = tmp_path / "media"


def test_upload_dry_run_fix_and_confirm(live_server, new_page, tmp_path):
    user = User.objects.create_user(EMAIL, PASSWORD, full_name="Ines Importer")
    workspace = services.workspace_create(
        user=user, name="Atelier", timezone_name="Europe/Paris", language="en"
    )
    for name, network in (("Atelier news", "telegram"), ("Atelier on Mastodon", "mastodon")):
        Channel.objects.create(
            workspace=workspace, network=network, name=name, external_id=name, base_url="https://example.com"
        )
    day = (timezone.now() + timedelta(days=9)).astimezone(ZoneInfo("Europe/Paris")).date()
    good = (
        f"{day},09:30,,Atelier news,Our spring collection is out!,Spring launch,https://example.com/spring,,\n"
        f'{day},18:00,,Atelier news;Atelier on Mastodon,"Behind the scenes:\nthe workshop",Workshop,,,\n'
    )
    bad = good + f"{day},25:00,,Atelier news,Oops,,,,\n{day},11:00,,Atelier blog,Where?,,,,\n"
    bad_file, good_file = tmp_path / "plan.csv", tmp_path / "plan-fixed.csv"
    bad_file.write_text(HEADER + bad + f"{day},10:00,,Atelier on Mastodon," + "x" * 520 + ",,,,\n")
    good_file.write_text(HEADER + good)

    page = new_page()
    sign_in(page, live_server.url, EMAIL, PASSWORD)

    page.goto(f"{live_server.url}/w/{workspace.slug}/plan/import/")
    page.set_input_files('input[type="file"]', str(bad_file))
    page.get_by_test_id("import-submit").click()
    page.wait_for_url(re.compile(r"/plan/import/\d+/$"))
    problems = page.get_by_test_id("import-problem")
    assert problems.count() == 3
    text = page.get_by_test_id("import-problems").inner_text()
    assert "HH:MM" in text  # row 4: 25:00
    assert "Atelier blog" in text  # row 5: no such channel
    assert "Atelier on Mastodon" in text  # row 6: too long for Mastodon
    assert page.get_by_test_id("import-confirm").count() == 0
    save_screenshot(page, "planning-import.png", for_docs=True)
    assert Post.objects.count() == 0

    page.goto(f"{live_server.url}/w/{workspace.slug}/plan/import/")
    page.set_input_files('input[type="file"]', str(good_file))
    page.get_by_test_id("import-submit").click()
    page.wait_for_url(re.compile(r"/plan/import/\d+/$"))
    page.get_by_test_id("import-confirm").click()
    page.wait_for_url(re.compile(r"/plan/import/\d+/$"))
    assert "2 posts were created" in page.get_by_test_id("import-counts").inner_text()
    assert Post.objects.filter(workspace=workspace).count() == 2

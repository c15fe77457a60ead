"""CSV import (dry run, confirm, all-or-nothing import, discard) and CSV export, through the services, the
pages and the API, with the tasks run synchronously (django-tasks' ImmediateBackend)."""

from __future__ import annotations

import io
import itertools
import os
import time as clock
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from portevoix.channels.models import Channel, ChannelStatus
from portevoix.content.models import Post, PostVariant
from portevoix.core.errors import PermissionDenied
from portevoix.planning import csvformat
from portevoix.planning.models import ImportJob, ImportStatus, Rubric
from portevoix.planning.services import imports as services
from portevoix.planning.views import imports as views
from portevoix.publishing import validation as publishing_validation
from portevoix.publishing.models import Target, TargetState
from portevoix.workspaces.models import AuditEvent
from portevoix.workspaces.roles import Role

pytestmark = pytest.mark.django_db

_numbers = itertools.count(1)
HEADER = "date,time,timezone,channels,text,title,link,rubric,text_x\n"


@pytest.fixture(autouse=True)
def _immediate_tasks_and_media(settings, tmp_path):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def owner(team):
    return team.member(Role.OWNER)


@pytest.fixture
def channel(team):
    return make_channel(team.workspace, "telegram", "Acme news")


def make_channel(workspace, network: str, name: str, **extra) -> Channel:
    number = next(_numbers)
    return Channel.objects.create(
        workspace=workspace,
        network=network,
        name=name,
        external_id=f"acct-{number}",
        base_url="https://api.telegram.org" if network == "telegram" else "https://mastodon.example",
        **extra,
    )


def future_day(days: int = 10) -> str:
    return (timezone.now() + timedelta(days=days)).astimezone(ZoneInfo("Europe/Paris")).date().isoformat()


def upload(by, text: str, name: str = "plan.csv", encoding: str = "utf-8") -> ImportJob:
    file = SimpleUploadedFile(name, text.encode(encoding), content_type="text/csv")
    return services.import_upload(by=by, file=file)


def checked(by, text: str, capture) -> ImportJob:
    with capture(execute=True):
        job = upload(by, text)
    job.refresh_from_db()
    return job


def confirmed(by, job, capture) -> ImportJob:
    with capture(execute=True):
        services.import_confirm(by=by, job=job)
    job.refresh_from_db()
    return job


def rows(count: int, channel_name: str = "Acme news", day: str | None = None) -> str:
    day = day or future_day()
    return "".join(
        f"{day},{9 + n // 60 % 12:02d}:{n % 60:02d},,{channel_name},Post number {n},Title {n},,,\n"
        for n in range(count)
    )


# --- Dry run --------------------------------------------------------------------------------------


def test_dry_run_checks_every_row_and_writes_no_post(owner, channel, django_capture_on_commit_callbacks):
    posts_before, targets_before = Post.objects.count(), Target.objects.count()
    job = checked(owner, HEADER + rows(3), django_capture_on_commit_callbacks)
    assert job.status == ImportStatus.CHECKED
    assert (job.total_rows, job.processed_rows, job.error_rows) == (3, 3, 0)
    assert job.problems == []
    assert Post.objects.count() == posts_before
    assert Target.objects.count() == targets_before
    assert job.file
    assert job.file.storage.exists(job.file.name)


def test_dry_run_lists_problems_per_row(owner, team, channel, other_team, django_capture_on_commit_callbacks):
    Rubric.objects.create(workspace=team.workspace, name="Tips")
    Rubric.objects.create(workspace=team.workspace, name="Old", archived=True)
    foreign = make_channel(other_team.workspace, "telegram", "Their channel")
    make_channel(team.workspace, "telegram", "Gone", status=ChannelStatus.DISCONNECTED)
    mastodon = make_channel(team.workspace, "mastodon", "Toots")
    day = future_day()
    past = (timezone.now() - timedelta(days=3)).date().isoformat()
    spring = next_spring_forward()
    text = HEADER + "\n".join(
        [
            f"{day},10:00,,Acme news,Fine,,,Tips,",  # row 2: fine
            f"{past},10:00,,Acme news,Too late,,,,",  # 3: past
            f"{spring},02:30,Europe/Paris,Acme news,In the gap,,,,",  # 4: non-existent local time
            f"{day},10:00,Mars/Olympus,Acme news,Zone,,,,",  # 5: unknown zone
            f"{day},10:00,,{foreign.pk};Nope,Channels,,,,",  # 6: foreign id, unknown name
            f"{day},10:00,,Gone,Disconnected,,,,",  # 7: disconnected channel
            f"{day},10:00,,Acme news,Rubrics,,,Nope,",  # 8: unknown rubric
            f"{day},10:00,,Acme news,Archived,,,Old,",  # 9: archived rubric
            f"{day},10:00,,Toots," + "y" * 501 + ",,,,",  # 10: too long for Mastodon (500)
            f"{day},10:00,,Acme news;Toots,Short,,,,",  # 11: fine
            f"{day},10:00,,Acme news;Toots,Short,,,,",  # 12: repeats row 11
            f"{day},10:00,,{mastodon.pk},,,,,",  # 13: empty post
        ]
    )
    job = checked(owner, text + "\n", django_capture_on_commit_callbacks)
    assert job.status == ImportStatus.CHECKED
    found = {(problem["row"], problem["column"]) for problem in job.problems}
    assert (3, "date") in found
    assert (4, "time") in found
    assert (5, "timezone") in found
    assert (6, "channels") in found
    assert (7, "channels") in found
    assert (8, "rubric") in found
    assert (9, "rubric") in found
    assert (10, "text") in found
    assert (12, "") in found
    assert (13, "text") in found
    assert not any(problem["row"] in (2, 11) for problem in job.problems)
    assert job.error_rows == 10
    messages: dict[int, str] = {}
    for problem in job.problems:
        messages[problem["row"]] = messages.get(problem["row"], "") + " " + problem["message"]
    assert "does not exist" in messages[4]
    assert "03:30" in messages[4]
    assert "Toots" in messages[10]
    assert "row 11" in messages[12]
    assert str(foreign.pk) in messages[6]
    assert Post.objects.count() == 0


def next_spring_forward() -> str:
    zone = ZoneInfo("Europe/Paris")
    day = timezone.now().astimezone(zone).date() + timedelta(days=1)
    while True:
        if day.month == 3 and day.weekday() == 6 and (day + timedelta(days=7)).month == 4:
            return day.isoformat()
        day += timedelta(days=1)


def test_refused_file_fails_the_job_with_the_reason(owner, channel, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job = upload(owner, HEADER + "2030-01-02,10:00,,Acme news,café,,,,\n", encoding="latin-1")
    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED
    assert "Line 2" in job.message
    with pytest.raises(services.Conflict):
        services.import_confirm(by=owner, job=job)


def test_problem_list_is_capped_but_counted(owner, channel, django_capture_on_commit_callbacks):
    text = HEADER + "".join(f"2020-01-01,10:{n % 60:02d},,Acme news,x{n},,,,\n" for n in range(300))
    job = checked(owner, text, django_capture_on_commit_callbacks)
    assert job.error_rows == 300
    assert len(job.problems) == services.MAX_PROBLEMS


def test_upload_over_the_size_cap_is_refused(owner, settings):
    settings.PORTEVOIX_IMPORT_MAX_BYTES = 1000
    with pytest.raises(services.FileTooLarge):
        upload(owner, HEADER + "x" * 2000)
    assert ImportJob.objects.count() == 0


def test_only_plan_import_may_upload(team):
    with pytest.raises(PermissionDenied):
        upload(team.member(Role.COPYWRITER), HEADER)


# --- Import ---------------------------------------------------------------------------------------


def test_confirm_imports_exactly_the_rows(owner, team, channel, django_capture_on_commit_callbacks):
    tips = Rubric.objects.create(workspace=team.workspace, name="Tips")
    x_channel = make_channel(team.workspace, "x", "Acme on X")
    day = future_day()
    text = HEADER + (
        f'{day},09:30,,Acme news,"Long text\non two lines",Launch,https://example.com,tips,\n'
        f"{day},18:00,America/New_York,Acme news|Acme on X,Base text,,,,Short for X\n"
    )
    job = checked(owner, text, django_capture_on_commit_callbacks)
    assert job.status == ImportStatus.CHECKED
    assert not job.error_rows
    audit_before = AuditEvent.objects.count()
    job = confirmed(owner, job, django_capture_on_commit_callbacks)
    assert job.status == ImportStatus.DONE, job.message
    assert job.created_posts == 2
    assert job.processed_rows == 2
    posts = list(Post.objects.filter(workspace=team.workspace).order_by("scheduled_at"))
    assert len(posts) == 2
    first, second = posts
    assert first.text == "Long text\non two lines"
    assert (first.title, first.link, first.rubric, first.timezone) == (
        "Launch",
        "https://example.com",
        tips,
        "Europe/Paris",
    )
    assert (
        first.scheduled_at.astimezone(ZoneInfo("Europe/Paris")).strftime("%Y-%m-%d %H:%M") == f"{day} 09:30"
    )
    assert second.timezone == "America/New_York"
    assert second.scheduled_at.astimezone(ZoneInfo("America/New_York")).strftime("%H:%M") == "18:00"
    assert first.author == owner.user
    assert list(PostVariant.objects.filter(post=second).values_list("network", "text")) == [
        ("x", "Short for X")
    ]
    targets = list(Target.objects.filter(post__in=posts))
    assert len(targets) == 3
    assert {target.state for target in targets} == {TargetState.SCHEDULED}
    assert all(target.due_at == target.post.scheduled_at == target.next_attempt_at for target in targets)
    assert len({target.idempotency_key for target in targets}) == 3
    assert {target.channel_id for target in targets if target.post_id == second.pk} == {
        channel.pk,
        x_channel.pk,
    }
    actions = list(AuditEvent.objects.filter(pk__gt=0).order_by("pk").values_list("action", flat=True))
    assert actions[audit_before:].count("import.done") == 1
    assert not job.file  # the file is deleted once imported


def test_cannot_confirm_a_job_with_problems(owner, channel, django_capture_on_commit_callbacks):
    job = checked(owner, HEADER + "2020-01-01,10:00,,Acme news,x,,,,\n", django_capture_on_commit_callbacks)
    with pytest.raises(services.Conflict):
        services.import_confirm(by=owner, job=job)
    assert Post.objects.count() == 0


def test_confirm_twice_imports_once(owner, channel, django_capture_on_commit_callbacks):
    job = checked(owner, HEADER + rows(2), django_capture_on_commit_callbacks)
    confirmed(owner, job, django_capture_on_commit_callbacks)
    with pytest.raises(services.Conflict):
        services.import_confirm(by=owner, job=ImportJob.objects.get(pk=job.pk))
    assert Post.objects.count() == 2


def test_channel_disconnected_after_the_dry_run_rolls_everything_back(
    owner, channel, django_capture_on_commit_callbacks
):
    job = checked(owner, HEADER + rows(5), django_capture_on_commit_callbacks)
    Channel.objects.filter(pk=channel.pk).update(status=ChannelStatus.DISCONNECTED)
    job = confirmed(owner, job, django_capture_on_commit_callbacks)
    assert job.status == ImportStatus.FAILED
    assert "Nothing was imported" in job.message
    assert job.error_rows == 5
    assert all("not active" in problem["message"] for problem in job.problems)
    assert Post.objects.count() == 0
    assert Target.objects.count() == 0


def test_failure_while_writing_leaves_no_post_behind(
    owner, channel, monkeypatch, django_capture_on_commit_callbacks
):
    """A row refused by a publishing validator after earlier batches were inserted: the whole import rolls
    back (one transaction)."""
    monkeypatch.setattr(services, "BATCH", 2)
    job = checked(owner, HEADER + rows(7), django_capture_on_commit_callbacks)

    def refuse_number_five(post, channels):
        return {"text": ["Refused by a test validator."]} if post.text == "Post number 5" else {}

    publishing_validation.register_post_validator(refuse_number_five)
    try:
        job = confirmed(owner, job, django_capture_on_commit_callbacks)
    finally:
        publishing_validation.unregister_post_validator(refuse_number_five)
    assert job.status == ImportStatus.FAILED
    assert "Row 7" in job.message
    assert "Refused by a test validator." in job.message
    assert Post.objects.count() == 0
    assert Target.objects.count() == 0
    assert PostVariant.objects.count() == 0
    assert not AuditEvent.objects.filter(action="import.done").exists()


def test_reimporting_the_same_file_is_refused_as_duplicates(
    owner, channel, django_capture_on_commit_callbacks
):
    text = HEADER + rows(3)
    confirmed(
        owner, checked(owner, text, django_capture_on_commit_callbacks), django_capture_on_commit_callbacks
    )
    again = checked(owner, text, django_capture_on_commit_callbacks)
    assert again.error_rows == 3
    assert all("already planned" in problem["message"] for problem in again.problems)
    assert Post.objects.count() == 3


def test_progress_is_reported_while_rows_are_checked(owner, team, channel, monkeypatch):
    monkeypatch.setattr(services, "PROGRESS_EVERY", 2)
    seen: list[int] = []
    result = services.check_file(
        workspace=team.workspace, data=(HEADER + rows(7)).encode(), progress=seen.append
    )
    assert seen == [2, 4, 6, 7]
    assert len(result.planned) == 7
    job = ImportJob.objects.create(workspace=team.workspace, filename="x.csv", total_rows=7)
    services._progress(job.pk)(4)
    job.refresh_from_db()
    assert job.processed_rows == 4
    from portevoix.planning.selectors.imports import import_percent

    assert import_percent(job) == 57


def test_approval_required_workspace_imports_posts_not_yet_approved(
    owner, team, channel, django_capture_on_commit_callbacks
):
    from portevoix.approvals.models import ApprovalMode, ApprovalPolicy
    from portevoix.content.models import ApprovalState

    ApprovalPolicy.objects.create(workspace=team.workspace, mode=ApprovalMode.REQUIRED)
    job = checked(owner, HEADER + rows(1), django_capture_on_commit_callbacks)
    confirmed(owner, job, django_capture_on_commit_callbacks)
    post = Post.objects.get()
    assert post.approval_state == ApprovalState.DRAFT
    # Like a post scheduled by hand, it waits for its approval: the engine claims nothing.
    assert set(Target.objects.filter(post=post).values_list("state", flat=True)) == {
        TargetState.AWAITING_APPROVAL
    }
    from portevoix.publishing.claims import claim_due

    assert claim_due("test", 10, post.scheduled_at + timedelta(seconds=1)) == []


def test_discard_deletes_the_file(owner, channel, django_capture_on_commit_callbacks):
    job = checked(owner, HEADER + rows(1), django_capture_on_commit_callbacks)
    storage, name = job.file.storage, job.file.name
    assert storage.exists(name)
    with django_capture_on_commit_callbacks(execute=True):
        services.import_discard(by=owner, job=job)
    job.refresh_from_db()
    assert job.status == ImportStatus.DISCARDED
    assert not storage.exists(name)
    assert not job.file
    with pytest.raises(services.Conflict):
        services.import_confirm(by=owner, job=job)


def test_done_job_cannot_be_discarded(owner, channel, django_capture_on_commit_callbacks):
    job = confirmed(
        owner,
        checked(owner, HEADER + rows(1), django_capture_on_commit_callbacks),
        django_capture_on_commit_callbacks,
    )
    with pytest.raises(services.Conflict):
        services.import_discard(by=owner, job=job)


def test_many_rows_import_in_reasonable_time(owner, channel, django_capture_on_commit_callbacks):
    """1,000 rows here; PORTEVOIX_IMPORT_BENCH=1 runs the cap, 10,000 rows (measured numbers in
    docs/planning/import-export.md)."""
    count = 10_000 if os.environ.get("PORTEVOIX_IMPORT_BENCH") else 1_000
    day = future_day(20)
    lines = "".join(f"{day},{n // 60 % 24:02d}:{n % 60:02d},,Acme news,Post {n},,,,\n" for n in range(count))
    started = clock.perf_counter()
    job = checked(owner, HEADER + lines, django_capture_on_commit_callbacks)
    dry_run = clock.perf_counter() - started
    assert job.error_rows == 0, job.problems[:3]
    started = clock.perf_counter()
    job = confirmed(owner, job, django_capture_on_commit_callbacks)
    imported = clock.perf_counter() - started
    assert job.status == ImportStatus.DONE, job.message
    assert Post.objects.count() == count
    assert Target.objects.count() == count
    print(f"{count} rows: dry run {dry_run:.1f} s, import {imported:.1f} s")
    assert dry_run + imported < 60


# --- Pages ----------------------------------------------------------------------------------------


def slugged(name: str, team, *args) -> str:
    return reverse(f"planning:{name}", args=[team.workspace.slug, *args])


def test_upload_page_flow(team, channel, client_for, django_capture_on_commit_callbacks):
    client = client_for(team.user(Role.OWNER))
    page = client.get(slugged("imports", team))
    assert page.status_code == 200
    assert b'data-testid="import-form"' in page.content
    file = SimpleUploadedFile("plan.csv", (HEADER + rows(2)).encode(), content_type="text/csv")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(slugged("imports", team), {"file": file})
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == slugged("import_detail", team, job.pk)
    detail = client.get(response["Location"])
    assert b'data-testid="import-confirm"' in detail.content
    assert Post.objects.count() == 0
    with django_capture_on_commit_callbacks(execute=True):
        client.post(slugged("import_confirm", team, job.pk))
    assert Post.objects.count() == 2
    done = client.get(slugged("import_detail", team, job.pk))
    assert b"2 posts were created" in done.content
    progress = client.get(slugged("import_progress", team, job.pk), HTTP_HX_REQUEST="true")
    assert progress["HX-Refresh"] == "true"


def test_upload_page_shows_problems_and_no_confirm(
    team, channel, client_for, django_capture_on_commit_callbacks
):
    client = client_for(team.user(Role.OWNER))
    file = SimpleUploadedFile("bad.csv", (HEADER + "2030-13-01,10:00,,Acme news,x,,,,\n").encode())
    with django_capture_on_commit_callbacks(execute=True):
        client.post(slugged("imports", team), {"file": file})
    job = ImportJob.objects.get()
    page = client.get(slugged("import_detail", team, job.pk))
    assert b'data-testid="import-problem"' in page.content
    assert b'data-testid="import-confirm"' not in page.content
    assert b"YYYY-MM-DD" in page.content


def test_page_upload_refuses_a_huge_declared_body_without_reading_it(team, monkeypatch):
    """100 MB declared: refused from Content-Length, the body is never read (RequestFactory: no middleware
    parses the body before the view)."""
    request = RequestFactory().post(
        slugged("imports", team),
        data=b"x" * 10,
        content_type="multipart/form-data; boundary=BOUNDARY",
        CONTENT_LENGTH=str(100 * 2**20),
    )
    request.user = team.user(Role.OWNER)
    request.session = {}
    request._dont_enforce_csrf_checks = True

    class Untouchable(io.BytesIO):
        def read(self, *args):  # pragma: no cover - the point is that it is not called
            raise AssertionError("the body was read")

    request._stream = Untouchable()
    monkeypatch.setattr(views.messages, "get_messages", lambda request: [], raising=False)
    response = views.imports(request, slug=team.workspace.slug)
    assert response.status_code == 413
    assert "larger than 10 MB" in response.content.decode()
    assert ImportJob.objects.count() == 0


def test_page_upload_stops_reading_past_the_cap(team, client_for, settings):
    settings.PORTEVOIX_IMPORT_MAX_BYTES = 2000
    client = client_for(team.user(Role.OWNER))
    file = SimpleUploadedFile("big.csv", (HEADER + "x" * 5000).encode(), content_type="text/csv")
    response = client.post(slugged("imports", team), {"file": file})
    assert response.status_code == 413
    assert ImportJob.objects.count() == 0


def test_template_download(team, client_for):
    response = client_for(team.user(Role.OWNER)).get(slugged("import_template", team))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    body = b"".join(response.streaming_content)
    assert body.startswith(b"\xef\xbb\xbf")
    parsed = csvformat.read(body, networks=("x",))
    assert parsed.total_rows == 2
    assert parsed.problems == []


# --- Export ---------------------------------------------------------------------------------------


def test_export_streams_the_range_safely_and_reimports(
    owner, team, channel, client_for, django_capture_on_commit_callbacks
):
    day = future_day()
    text = HEADER + (
        f'{day},09:30,,Acme news,=HYPERLINK("http://evil"),-draft,,,@short\n'
        f'{day},10:30,,Acme news,"two\nlines",,https://example.com,,\n'
    )
    confirmed(
        owner, checked(owner, text, django_capture_on_commit_callbacks), django_capture_on_commit_callbacks
    )
    client = client_for(team.user(Role.ANALYST))  # post.view is enough
    response = client.get(slugged("export", team), {"start": day, "end": day})
    assert response.status_code == 200
    assert response.streaming
    body = b"".join(response.streaming_content)
    assert body.startswith(b"\xef\xbb\xbf")
    decoded = body.decode("utf-8-sig")
    assert "'=HYPERLINK" in decoded
    assert "'-draft" in decoded
    assert "'@short" in decoded
    assert decoded.splitlines()[0] == "date,time,timezone,channels,text,title,link,rubric,text_x"
    # The export re-imports into another workspace with a channel of the same name (after a day shift).
    Post.objects.all().delete()
    again = checked(owner, body.decode("utf-8-sig"), django_capture_on_commit_callbacks)
    assert again.error_rows == 0, again.problems
    confirmed(owner, again, django_capture_on_commit_callbacks)
    post = Post.objects.get(text='=HYPERLINK("http://evil")')
    assert post.title == "-draft"
    assert post.variants.get().text == "@short"


def test_export_filters_and_range_cap(owner, team, channel, client_for, django_capture_on_commit_callbacks):
    other = make_channel(team.workspace, "telegram", "Other")
    day = future_day()
    text = HEADER + f"{day},09:30,,Acme news,One,,,,\n{day},10:30,,Other,Two,,,,\n"
    confirmed(
        owner, checked(owner, text, django_capture_on_commit_callbacks), django_capture_on_commit_callbacks
    )
    client = client_for(team.user(Role.OWNER))
    body = b"".join(
        client.get(slugged("export", team), {"start": day, "end": day, "channel": other.pk}).streaming_content
    )
    assert "Two" in body.decode()
    assert "One" not in body.decode()
    too_long = client.get(slugged("export", team), {"start": "2030-01-01", "end": "2031-03-01"})
    assert too_long.status_code == 422
    assert b"400 days" in too_long.content
    garbage = client.get(slugged("export", team), {"start": "soon", "end": "\x00"})
    assert garbage.status_code == 400


def test_export_memory_is_bounded_by_iteration(owner, team, channel, django_capture_on_commit_callbacks):
    """The export reads posts in chunks: the generator yields before the whole range is read."""
    from portevoix.planning.selectors import imports as selectors

    day = future_day()
    confirmed(
        owner,
        checked(owner, HEADER + rows(5, day=day), django_capture_on_commit_callbacks),
        django_capture_on_commit_callbacks,
    )
    zone = ZoneInfo("Europe/Paris")
    start = datetime.fromisoformat(day).date()
    result = selectors.export_posts(by=owner, period=selectors.export_range(start, start, zone))
    lines = result.lines()
    assert next(lines).startswith("\ufeffdate,")
    assert sum(1 for _ in lines) == 5


# --- API ------------------------------------------------------------------------------------------


def test_api_flow(team, channel, api_client_for, django_capture_on_commit_callbacks):
    client = api_client_for(team.member(Role.OWNER))
    file = SimpleUploadedFile("plan.csv", (HEADER + rows(2)).encode(), content_type="text/csv")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/api/v1/imports", {"file": file})
    assert response.status_code == 202, response.content
    job_id = response.json()["id"]
    body = client.get(f"/api/v1/imports/{job_id}").json()
    assert body["status"] == "checked"
    assert body["can_confirm"]
    assert body["problems"] == []
    assert Post.objects.count() == 0
    with django_capture_on_commit_callbacks(execute=True):
        confirm = client.post(f"/api/v1/imports/{job_id}/confirm")
    assert confirm.status_code == 202
    body = client.get(f"/api/v1/imports/{job_id}").json()
    assert body["status"] == "done"
    assert body["created_posts"] == 2
    assert body["percent"] == 100
    assert Post.objects.count() == 2
    again = client.post(f"/api/v1/imports/{job_id}/confirm")
    assert again.status_code == 409
    assert client.post(f"/api/v1/imports/{job_id}/discard").status_code == 409
    listing = client.get("/api/v1/imports").json()
    assert [item["id"] for item in listing["items"]] == [job_id]


def test_api_upload_errors(team, api_client_for):
    client = api_client_for(team.member(Role.OWNER))
    missing = client.post("/api/v1/imports", {"other": "x"})
    assert missing.status_code == 422
    assert missing.json()["error"]["fields"]["file"]


def test_api_refuses_a_100_mb_body_before_reading_it(team, api_client_for):
    """The declared length is enough: the test client holds only a few bytes, and reading more than it has
    would fail the test."""
    client = api_client_for(team.member(Role.OWNER))
    response = client.generic(
        "POST",
        "/api/v1/imports",
        b"--B\r\n",
        content_type="multipart/form-data; boundary=B",
        CONTENT_LENGTH=str(100 * 2**20),
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"
    assert ImportJob.objects.count() == 0


def test_api_stops_reading_past_the_cap(team, api_client_for, settings):
    settings.PORTEVOIX_IMPORT_MAX_BYTES = 2000
    client = api_client_for(team.member(Role.OWNER))
    file = SimpleUploadedFile("big.csv", (HEADER + "x" * 5000).encode(), content_type="text/csv")
    response = client.post("/api/v1/imports", {"file": file})
    assert response.status_code == 413
    assert ImportJob.objects.count() == 0


def test_api_template_and_export(owner, team, channel, api_client_for, django_capture_on_commit_callbacks):
    client = api_client_for(team.member(Role.CLIENT))
    assert client.get("/api/v1/imports/template").status_code == 403
    owner_client = api_client_for(owner)
    template = owner_client.get("/api/v1/imports/template")
    assert template.status_code == 200
    assert template["Content-Type"].startswith("text/csv")
    day = future_day()
    confirmed(
        owner,
        checked(owner, HEADER + rows(2, day=day), django_capture_on_commit_callbacks),
        django_capture_on_commit_callbacks,
    )
    export = client.get("/api/v1/posts/export", {"start": day, "end": day})
    assert export.status_code == 200
    assert export["Content-Type"].startswith("text/csv")
    text = b"".join(export.streaming_content).decode("utf-8-sig")
    assert text.count("Post number") == 2
    too_long = client.get("/api/v1/posts/export", {"start": "2030-01-01", "end": "2032-01-01"})
    assert too_long.status_code == 422
    bad = client.get("/api/v1/posts/export", {"start": "2030-01-01", "end": "2030-01-02", "rubric": "x;drop"})
    assert bad.status_code == 422


def test_api_foreign_import_is_not_found(
    team, other_team, api_client_for, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        theirs = upload(other_team.member(Role.OWNER), HEADER + rows(1))
    client = api_client_for(team.member(Role.OWNER))
    assert client.get(f"/api/v1/imports/{theirs.pk}").status_code == 404
    assert client.post(f"/api/v1/imports/{theirs.pk}/discard").status_code == 404
    theirs.refresh_from_db()
    assert theirs.status != ImportStatus.DISCARDED

"""Recurring series: occurrences are real posts planned through content's services, extended by an
idempotent job, removed when the series stops or its rule changes; the API and the pages."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from portevoix.channels.models import Channel
from portevoix.content import services as content_services
from portevoix.content.models import Post
from portevoix.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from portevoix.planning import tasks
from portevoix.planning.models import RecurringSeries
from portevoix.planning.services import series as services
from portevoix.publishing.models import Target, TargetState
from portevoix.workspaces.models import AuditEvent, Membership
from portevoix.workspaces.roles import Role

pytestmark = pytest.mark.django_db


def _channel(workspace, name="Acme news") -> Channel:
    return Channel.objects.create(
        workspace=workspace,
        network="telegram",
        external_id=f"@{name.replace(' ', '')}",
        name=name,
        base_url="https://api.telegram.org",
    )


@pytest.fixture
def template(team) -> Post:
    channel = _channel(team.workspace)
    return content_services.post_create(
        by=team.member(Role.OWNER),
        title="Weekly tip",
        text="Tip of the week #tips",
        link="https://portevoix.org",
        variants={"telegram": "Tip (Telegram)"},
        channel_ids=[channel.pk],
    )


def _start(days: int = 1, hour: int = 9) -> str:
    local = timezone.now().astimezone(ZoneInfo("Europe/Paris")) + timedelta(days=days)
    return local.strftime(f"%Y-%m-%dT{hour:02d}:00")


def _create(team, template, rule="FREQ=WEEKLY;COUNT=5", **kwargs) -> RecurringSeries:
    return services.series_create(
        by=team.member(Role.OWNER),
        template=template,
        rule=rule,
        start=kwargs.pop("start", _start()),
        timezone_name=kwargs.pop("timezone_name", "Europe/Paris"),
    )


# --- Services -------------------------------------------------------------------------------------


def test_create_plans_copies_of_the_template_up_to_the_horizon(team, template):
    series = _create(team, template, rule="FREQ=WEEKLY;INTERVAL=1")
    posts = list(Post.objects.filter(series=series).order_by("scheduled_at"))
    # Weekly from tomorrow: every week inside 60 days, no more.
    assert 8 <= len(posts) <= 9
    assert all(p.scheduled_at <= timezone.now() + services.HORIZON for p in posts)
    first = posts[0]
    assert (first.title, first.text, first.link, first.timezone) == (
        "Weekly tip",
        "Tip of the week #tips",
        "https://portevoix.org",
        "Europe/Paris",
    )
    assert {v.network: v.text for v in first.variants.all()} == {"telegram": "Tip (Telegram)"}
    assert first.pk != template.pk
    targets = list(Target.objects.filter(post__series=series))
    assert {t.state for t in targets} == {TargetState.SCHEDULED}
    assert len(targets) == len(posts)
    # Every occurrence at 09:00 Paris time, a week apart in local time.
    locals_ = [p.scheduled_at.astimezone(ZoneInfo("Europe/Paris")) for p in posts]
    assert {(t.hour, t.minute) for t in locals_} == {(9, 0)}
    assert all((b.date() - a.date()).days == 7 for a, b in itertools.pairwise(locals_))
    assert series.generated_until >= timezone.now() + services.HORIZON - timedelta(minutes=1)
    assert AuditEvent.objects.filter(action="series.create", object_id=str(series.pk)).exists()


def test_count_bounds_the_posts(team, template):
    series = _create(team, template, rule="FREQ=DAILY;COUNT=3")
    assert Post.objects.filter(series=series).count() == 3


def test_a_gap_occurrence_is_planned_after_the_jump(team, template, monkeypatch):
    """02:30 on the spring-forward day in Paris is planned at 03:30 CEST (01:30 UTC)."""
    fake_now = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)
    monkeypatch.setattr(timezone, "now", lambda: fake_now)
    series = _create(team, template, rule="FREQ=DAILY;COUNT=12", start="2026-03-25T02:30")
    instants = list(
        Post.objects.filter(series=series).order_by("scheduled_at").values_list("scheduled_at", flat=True)
    )
    assert len(instants) == 12
    assert datetime(2026, 3, 29, 1, 30, tzinfo=UTC) in instants
    assert datetime(2026, 3, 28, 1, 30, tzinfo=UTC) in instants  # 02:30 CET
    assert datetime(2026, 3, 30, 0, 30, tzinfo=UTC) in instants  # 02:30 CEST


def test_extend_is_idempotent_and_moves_the_horizon(team, template, monkeypatch):
    series = _create(team, template, rule="FREQ=DAILY")
    count = Post.objects.filter(series=series).count()
    assert services.series_extend(series_id=series.pk) == 0  # nothing new: no duplicates
    assert tasks.series_extend_task.call() == {"series": 0, "created": 0}  # the horizon is not due yet
    assert Post.objects.filter(series=series).count() == count
    later = timezone.now() + timedelta(days=10)
    created = services.series_extend(series_id=series.pk, now=later)
    assert 9 <= created <= 11
    assert services.series_extend(series_id=series.pk, now=later) == 0
    instants = list(Post.objects.filter(series=series).values_list("scheduled_at", flat=True))
    assert len(instants) == len(set(instants))


def test_the_periodic_job_extends_due_series_only(team, template):
    series = _create(team, template, rule="FREQ=DAILY")
    stats = services.series_extend_all(now=timezone.now() + timedelta(days=3))
    assert stats["series"] == 1
    assert 2 <= stats["created"] <= 4
    assert services.series_extend_all(now=timezone.now() + timedelta(days=3))["created"] == 0
    RecurringSeries.objects.filter(pk=series.pk).update(active=False)
    assert services.series_extend_all(now=timezone.now() + timedelta(days=9)) == {"series": 0, "created": 0}


def test_a_moved_occurrence_is_not_planned_again(team, template):
    series = _create(team, template, rule="FREQ=DAILY;COUNT=5")
    first = Post.objects.filter(series=series).order_by("scheduled_at").first()
    moved_to = (first.scheduled_at + timedelta(hours=5)).astimezone(ZoneInfo("Europe/Paris"))
    content_services.post_schedule(
        by=team.member(Role.OWNER), post=first, at=moved_to.strftime("%Y-%m-%dT%H:%M")
    )
    # The watermark is past the old instant: the job does not bring it back.
    assert services.series_extend(series_id=series.pk, now=timezone.now() + timedelta(days=1)) == 0
    assert Post.objects.filter(series=series).count() == 5


def test_stop_removes_future_unsent_occurrences_and_keeps_sent_ones(team, template):
    series = _create(team, template, rule="FREQ=DAILY;COUNT=4")
    posts = list(Post.objects.filter(series=series).order_by("scheduled_at"))
    Target.objects.filter(post=posts[0]).update(state=TargetState.PUBLISHED)
    removed = services.series_stop(by=team.member(Role.MANAGER), series=series)
    assert removed == 3
    assert list(Post.objects.filter(series=series)) == [posts[0]]
    series.refresh_from_db()
    assert series.active is False
    assert services.series_extend(series_id=series.pk) == 0
    with pytest.raises(Conflict):
        services.series_stop(by=team.member(Role.OWNER), series=series)


def test_changing_the_rule_replans_future_occurrences(team, template):
    series = _create(team, template, rule="FREQ=DAILY;COUNT=6")
    assert Post.objects.filter(series=series).count() == 6
    services.series_update(by=team.member(Role.OWNER), series=series, rule="FREQ=WEEKLY;COUNT=2")
    series.refresh_from_db()
    assert series.rule == "FREQ=WEEKLY;COUNT=2"
    posts = list(Post.objects.filter(series=series).order_by("scheduled_at"))
    assert len(posts) == 2
    assert posts[1].scheduled_at - posts[0].scheduled_at in {
        timedelta(days=7),
        timedelta(days=7, hours=1),
        timedelta(days=6, hours=23),
    }
    with pytest.raises(ValidationFailed) as caught:
        services.series_update(by=team.member(Role.OWNER), series=series, rule="FREQ=SECONDLY")
    assert "rule" in caught.value.fields
    assert Post.objects.filter(series=series).count() == 2  # nothing changed


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"rule": "FREQ=DAILY;COUNT=5000"}, "rule"),
        ({"rule": "FREQ=DAILY;UNTIL=20200101"}, "rule"),
        ({"start": "tomorrow"}, "start"),
        ({"timezone_name": "Mars/Olympus"}, "timezone"),
        ({"start": "2020-01-01T09:00", "rule": "FREQ=DAILY;COUNT=2"}, "rule"),  # all in the past
    ],
)
def test_bad_input_is_refused_and_nothing_is_written(team, template, kwargs, field):
    with pytest.raises(ValidationFailed) as caught:
        _create(team, template, **kwargs)
    assert field in caught.value.fields
    assert not RecurringSeries.objects.exists()
    assert Post.objects.count() == 1


def test_a_template_without_channels_or_from_elsewhere_is_refused(team, other_team):
    bare = content_services.post_create(by=team.member(Role.OWNER), text="No channel")
    with pytest.raises(ValidationFailed) as caught:
        _create(team, bare)
    assert "template_post_id" in caught.value.fields
    foreign = content_services.post_create(
        by=other_team.member(Role.OWNER), text="Theirs", channel_ids=[_channel(other_team.workspace).pk]
    )
    with pytest.raises(NotFound):
        _create(team, foreign)


@pytest.mark.parametrize(
    "role", [Role.COPYWRITER, Role.DESIGNER, Role.ANALYST, Role.CLIENT, Role.TARGETOLOGIST]
)
def test_only_leads_manage_series(team, template, role):
    with pytest.raises(PermissionDenied):
        services.series_create(by=team.member(role), template=template, rule="FREQ=DAILY", start=_start())


def test_a_series_whose_creator_left_plans_nothing(team, template):
    series = _create(team, template, rule="FREQ=DAILY")
    Membership.objects.filter(pk=team.member(Role.OWNER).pk).update(role=Role.ANALYST)
    assert services.series_extend(series_id=series.pk, now=timezone.now() + timedelta(days=5)) == 0


def test_an_occurrence_that_cannot_be_planned_leaves_the_watermark_before_it(team, template):
    series = _create(team, template, rule="FREQ=DAILY")
    before = RecurringSeries.objects.get(pk=series.pk).generated_until
    Channel.objects.filter(workspace=team.workspace).update(status="disconnected")
    assert services.series_extend(series_id=series.pk, now=timezone.now() + timedelta(days=5)) == 0
    assert RecurringSeries.objects.get(pk=series.pk).generated_until == before


# --- API ------------------------------------------------------------------------------------------


def _post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def test_api_preview_create_get_update_stop(team, template, api_client_for):
    client = api_client_for(team.member(Role.OWNER))
    answer = _post(
        client,
        "/api/v1/recurrence/preview",
        {"rule": "FREQ=DAILY;COUNT=3", "start": "2026-03-28T02:30", "timezone": "Europe/Paris"},
    )
    assert answer.status_code == 200, answer.content
    # All three are in the past relative to the real now only after 2026-03-30; preview is "from now".
    body = answer.json()
    assert body["rule"] == "FREQ=DAILY;COUNT=3"
    bad = _post(client, "/api/v1/recurrence/preview", {"rule": "FREQ=DAILY;INTERVAL=0", "start": _start()})
    assert bad.status_code == 422
    assert "INTERVAL" in bad.json()["error"]["fields"]["rule"][0]
    bad_zone = _post(
        client, "/api/v1/recurrence/preview", {"rule": "FREQ=DAILY", "start": _start(), "timezone": "X/Y"}
    )
    assert bad_zone.status_code == 422
    assert "timezone" in bad_zone.json()["error"]["fields"]

    created = _post(
        client,
        "/api/v1/series",
        {"template_post_id": template.pk, "rule": "FREQ=WEEKLY;BYDAY=MO,TH;COUNT=4", "start": _start()},
    )
    assert created.status_code == 201, created.content
    data = created.json()
    assert data["timezone"] == "Europe/Paris"  # the workspace's
    assert len(data["planned"]) == 4
    assert all(p["status"] == "scheduled" for p in data["planned"])
    series_id = data["id"]

    listed = client.get("/api/v1/series").json()
    assert listed["count"] == 1
    assert listed["items"][0]["id"] == series_id
    detail = client.get(f"/api/v1/series/{series_id}").json()
    assert len(detail["next_occurrences"]) == 4
    assert detail["next_occurrences"][0]["local"].endswith(("+01:00", "+02:00"))

    changed = client.patch(
        f"/api/v1/series/{series_id}",
        json.dumps({"rule": "FREQ=DAILY;COUNT=2"}),
        content_type="application/json",
    )
    assert changed.status_code == 200, changed.content
    assert len(changed.json()["planned"]) == 2

    stopped = client.post(f"/api/v1/series/{series_id}/stop")
    assert stopped.status_code == 200
    assert stopped.json() == {"removed": 2, "series": {**stopped.json()["series"], "active": False}}
    again = client.post(f"/api/v1/series/{series_id}/stop")
    assert again.status_code == 409


def test_api_preview_says_what_happens_in_a_gap(team, api_client_for, monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: datetime(2026, 3, 1, tzinfo=UTC))
    client = api_client_for(team.member(Role.CLIENT))
    answer = _post(
        client,
        "/api/v1/recurrence/preview",
        {"rule": "FREQ=DAILY;COUNT=3", "start": "2026-03-29T02:30", "timezone": "Europe/Paris"},
    )
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert "does not exist" in body["start_note"]
    first = body["occurrences"][0]
    assert first["kind"] == "gap"
    assert first["wall"] == "2026-03-29T02:30"
    assert first["local"].startswith("2026-03-29T03:30:00+02:00")
    assert first["utc"].startswith("2026-03-29T01:30:00")


@pytest.mark.parametrize(
    "body",
    [
        {"template_post_id": 0, "rule": "FREQ=DAILY", "start": "2026-01-01T09:00"},
        {"template_post_id": 1, "rule": "FREQ=DAILY", "start": "2026-01-01T09:00", "extra": 1},
        {"template_post_id": 1, "rule": "x" * 600, "start": "2026-01-01T09:00"},
        {"template_post_id": 1, "rule": "FREQ=DAILY", "start": "2026-01-01T09:00\x00"},
        {"template_post_id": 2**70, "rule": "FREQ=DAILY", "start": "2026-01-01T09:00"},
    ],
)
def test_api_malformed_bodies_answer_422(team, api_client_for, body):
    answer = _post(api_client_for(team.member(Role.OWNER)), "/api/v1/series", body)
    assert answer.status_code == 422, answer.content


def test_api_foreign_template_is_not_found(team, other_team, api_client_for):
    foreign = content_services.post_create(
        by=other_team.member(Role.OWNER), text="Theirs", channel_ids=[_channel(other_team.workspace).pk]
    )
    answer = _post(
        api_client_for(team.member(Role.OWNER)),
        "/api/v1/series",
        {"template_post_id": foreign.pk, "rule": "FREQ=DAILY", "start": _start()},
    )
    assert answer.status_code == 404


# --- Pages ----------------------------------------------------------------------------------------


def _url(name, team, *args):
    return reverse(f"planning:{name}", args=[team.workspace.slug, *args])


def test_form_previews_then_creates(team, template, client_for):
    client = client_for(team.user(Role.OWNER))
    page = client.get(_url("series_new", team) + f"?post={template.pk}")
    assert page.status_code == 200
    assert b"series-form" in page.content
    data = {
        "template": template.pk,
        "start": "2026-03-28T02:30",
        "timezone": "Europe/Paris",
        "interval": 1,
        "freq": "DAILY",
        "ends": "count",
        "count": 3,
        "action": "preview",
    }
    preview = client.post(_url("series_new", team), data)
    assert preview.status_code == 200
    assert b"series-preview-result" in preview.content
    assert not RecurringSeries.objects.exists()
    data.update(start=_start(), action="create", freq="WEEKLY", weekdays=["MO", "FR"], count=4)
    created = client.post(_url("series_new", team), data)
    series = RecurringSeries.objects.get()
    assert created.status_code == 302
    assert created["Location"] == _url("series_detail", team, series.pk)
    assert series.rule == "FREQ=WEEKLY;BYDAY=MO,FR;COUNT=4"
    detail = client.get(_url("series_detail", team, series.pk))
    assert detail.status_code == 200
    assert detail.content.count(b'data-testid="planned-row"') == 4


def test_form_shows_problems(team, template, client_for):
    client = client_for(team.user(Role.OWNER))
    data = {
        "template": template.pk,
        "start": "2026-03-28T02:30",
        "timezone": "Europe/Paris",
        "interval": 1,
        "freq": "DAILY",
        "ends": "count",
        "count": 3,
        "rule": "FREQ=DAILY;BYSETPOS=1",
        "action": "create",
    }
    answer = client.post(_url("series_new", team), data)
    assert answer.status_code == 422
    assert b"BYSETPOS is not supported" in answer.content
    data.update(rule="", ends="until", until="")
    answer = client.post(_url("series_new", team), data)
    assert answer.status_code == 422
    assert b"Choose the last day" in answer.content
    assert not RecurringSeries.objects.exists()


def test_edit_and_stop_pages(team, template, client_for):
    series = _create(team, template, rule="FREQ=DAILY;COUNT=3")
    client = client_for(team.user(Role.MANAGER))
    bad = client.post(
        _url("series_edit", team, series.pk),
        {"rule": "FREQ=DAILY;COUNT=0", "start": _start(), "timezone": "Europe/Paris"},
    )
    assert bad.status_code == 422
    assert b"COUNT must be between" in bad.content
    ok = client.post(
        _url("series_edit", team, series.pk),
        {"rule": "FREQ=DAILY;COUNT=2", "start": _start(), "timezone": "Europe/Paris"},
    )
    assert ok.status_code == 302
    assert Post.objects.filter(series=series).count() == 2
    stopped = client.post(_url("series_stop", team, series.pk), follow=True)
    assert stopped.status_code == 200
    assert b"The series is stopped" in stopped.content
    assert Post.objects.filter(series=series).count() == 0
    listed = client_for(team.user(Role.CLIENT)).get(_url("series_list", team))
    assert listed.status_code == 200
    assert b"series-row" in listed.content

"""Evergreen recycling: copies of published evergreen posts fill free queue slots, oldest-recycled first,
never within the minimum gap, never in a paused queue; the policy through its service and API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from portevoix.content.models import Post
from portevoix.core.errors import PermissionDenied, ValidationFailed
from portevoix.planning.models import EvergreenPolicy, QueueEntry
from portevoix.planning.services import evergreen
from portevoix.planning.services import queues as queue_services
from portevoix.planning.tests.queue_helpers import api, draft, frozen, telegram, token_client
from portevoix.publishing.models import Target, TargetState
from portevoix.workspaces.models import AuditEvent
from portevoix.workspaces.roles import Role

pytestmark = pytest.mark.django_db

MONDAY = datetime(2027, 1, 4, 8, 0, tzinfo=UTC)  # 09:00 in Paris


def _published(owner, channel, text: str, days_ago: int, **extra) -> Post:
    post = draft(owner, channel, text=text, evergreen=True, **extra)
    Target.objects.filter(post=post).update(
        state=TargetState.PUBLISHED,
        published_at=MONDAY - timedelta(days=days_ago),
        due_at=MONDAY - timedelta(days=days_ago),
    )
    Post.objects.filter(pk=post.pk).update(scheduled_at=MONDAY - timedelta(days=days_ago))
    return post


@pytest.fixture
def setup(team):
    owner = team.member(Role.OWNER)
    channel = telegram(team.workspace)
    with frozen(MONDAY):
        queue_services.queue_slots_set(
            by=owner, channel=channel, slots=[{"weekday": d, "time": "10:00"} for d in range(7)]
        )
        evergreen.evergreen_policy_update(by=owner, enabled=True, min_gap_days=10)
    return owner, channel


def _copies(original: Post) -> list[Post]:
    return list(Post.objects.filter(recycled_from=original).order_by("scheduled_at"))


def test_copies_fill_free_slots_oldest_recycled_first_within_the_gap(team, setup):
    owner, channel = setup
    recent = _published(owner, channel, "Recent", days_ago=20)
    oldest = _published(owner, channel, "Oldest", days_ago=40)
    too_fresh = _published(owner, channel, "Too fresh", days_ago=5)  # 5 < 10 days: not before day 5
    draft(owner, channel, text="Never published", evergreen=True)  # not recycled
    draft(owner, channel, text="Not evergreen")
    with frozen(MONDAY):
        stats = evergreen.evergreen_recycle()
    assert stats.problems == []
    (first,) = _copies(oldest)
    (second,) = _copies(recent)
    assert first.scheduled_at == datetime(2027, 1, 4, 9, 0, tzinfo=UTC)  # today 10:00 Paris
    assert second.scheduled_at == datetime(2027, 1, 5, 9, 0, tzinfo=UTC)
    # "Too fresh" fits from day 5 on, but the slot of day 2 (Wednesday) has no candidate: the turn ends there.
    assert _copies(too_fresh) == []
    assert len(stats.copies) == 2
    for copy, original in ((first, oldest), (second, recent)):
        assert (copy.text, copy.evergreen, copy.recycled_from_id) == (original.text, False, original.pk)
        assert Target.objects.get(post=copy).state == TargetState.SCHEDULED
        assert QueueEntry.objects.filter(post=copy, queue__channel=channel).exists()
    assert AuditEvent.objects.filter(action="evergreen.recycle", actor=None).count() == 2


def test_no_two_copies_within_the_gap_and_no_duplicates_on_a_second_run(team, setup):
    owner, channel = setup
    original = _published(owner, channel, "Only one", days_ago=30)
    with frozen(MONDAY):
        evergreen.evergreen_recycle()
        evergreen.evergreen_recycle()  # run twice: nothing more
    (first,) = _copies(original)
    Target.objects.filter(post=first).update(state=TargetState.PUBLISHED, published_at=first.scheduled_at)
    # Eleven days later the copy is 11 days old: a second copy may come, 10+ days after the first.
    with frozen(MONDAY + timedelta(days=11)):
        evergreen.evergreen_recycle()
    copies = _copies(original)
    assert len(copies) == 2
    assert copies[1].scheduled_at - copies[0].scheduled_at >= timedelta(days=10)


def test_gap_counts_planned_copies_in_other_queues(team, setup):
    owner, channel = setup
    other = telegram(team.workspace)
    with frozen(MONDAY):
        queue_services.queue_slots_set(
            by=owner, channel=other, slots=[{"weekday": d, "time": "12:00"} for d in range(7)]
        )
    original = _published(owner, channel, "Both channels", days_ago=30)
    queue_services  # noqa: B018
    Target.objects.create(
        workspace=team.workspace, post=original, channel=other, state=TargetState.PUBLISHED,
        published_at=MONDAY - timedelta(days=30), idempotency_key="k-other",
    )  # fmt: skip
    with frozen(MONDAY):
        evergreen.evergreen_recycle()
    assert len(_copies(original)) == 1  # one copy, in one queue only


def test_paused_queues_and_disabled_policies_are_untouched(team, setup):
    owner, channel = setup
    original = _published(owner, channel, "Evergreen", days_ago=30)
    with frozen(MONDAY):
        queue_services.queue_pause(by=owner, channel=channel)
        evergreen.evergreen_recycle()
    assert _copies(original) == []
    with frozen(MONDAY):
        queue_services.queue_resume(by=owner, channel=channel)
        evergreen.evergreen_policy_update(by=owner, enabled=False)
        evergreen.evergreen_recycle()
    assert _copies(original) == []


def test_a_copy_that_breaks_the_channel_rules_is_reported_not_planned(team, setup):
    owner, channel = setup
    original = _published(owner, channel, "x" * 5000, days_ago=30)  # over Telegram's limit
    with frozen(MONDAY):
        stats = evergreen.evergreen_recycle()
    assert _copies(original) == []
    assert stats.copies == []
    assert stats.problems
    assert str(original.pk) in stats.problems[0]


def test_policy_service_and_api(team, other_team):
    owner = team.member(Role.OWNER)
    with pytest.raises(PermissionDenied):
        evergreen.evergreen_policy_update(by=team.member(Role.COPYWRITER), enabled=True)
    with pytest.raises(ValidationFailed):
        evergreen.evergreen_policy_update(by=owner, min_gap_days=0)
    client = token_client(owner)
    assert api(client, "GET", "/api/v1/evergreen").json() == {"enabled": False, "min_gap_days": 30}
    response = api(client, "PATCH", "/api/v1/evergreen", {"enabled": True, "min_gap_days": 14})
    assert response.json() == {"enabled": True, "min_gap_days": 14}
    assert api(client, "PATCH", "/api/v1/evergreen", {"min_gap_days": 0}).status_code == 422
    assert not EvergreenPolicy.objects.filter(workspace=other_team.workspace).exists()
    assert (
        api(
            token_client(team.member(Role.CLIENT)), "PATCH", "/api/v1/evergreen", {"enabled": False}
        ).status_code
        == 403
    )


def test_the_periodic_job_is_registered_and_runs(team, setup):
    from portevoix.core.scheduling import load_periodic_jobs
    from portevoix.planning.tasks import evergreen_recycle_task

    assert "planning.evergreen" in {job.name for job in load_periodic_jobs()}
    owner, channel = setup
    original = _published(owner, channel, "Evergreen", days_ago=30)
    with frozen(MONDAY):
        result = evergreen_recycle_task.call()
    assert result["copies"] == 1
    assert len(_copies(original)) == 1

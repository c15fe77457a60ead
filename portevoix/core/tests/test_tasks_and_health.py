"""The heartbeat task (run by a real worker loop), the pruning job, and /healthz."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from portevoix.core import health
from portevoix.core.models import Heartbeat
from portevoix.core.tasks import heartbeat, prune_task_results

pytestmark = pytest.mark.django_db


def test_heartbeat_task_writes_the_worker_heartbeat():
    before = timezone.now()
    heartbeat.call()
    beat = Heartbeat.objects.get(name="worker")
    assert beat.beat_at >= before
    assert set(beat.details) >= {"host", "pid"}


# The commands manage connections like the processes they are (closing them between ticks and at exit),
# which a test wrapped in a transaction cannot survive on PostgreSQL.
@pytest.mark.django_db(transaction=True)
def test_an_enqueued_heartbeat_is_run_by_portevoix_worker():
    result = heartbeat.enqueue()
    assert not Heartbeat.objects.filter(name="worker").exists()
    call_command("worker", "--batch", "--interval", "0", verbosity=0)
    assert DBTaskResult.objects.get(pk=result.id).status == TaskResultStatus.SUCCESSFUL
    assert Heartbeat.objects.filter(name="worker").exists()


# The commands manage connections like the processes they are (closing them between ticks and at exit),
# which a test wrapped in a transaction cannot survive on PostgreSQL.
@pytest.mark.django_db(transaction=True)
def test_a_scheduler_tick_beats_and_enqueues_the_heartbeat():
    call_command("scheduler", "--once", verbosity=0)
    assert Heartbeat.objects.filter(name="scheduler").exists()
    assert DBTaskResult.objects.filter(task_path=heartbeat.module_path).count() == 1
    call_command("scheduler", "--once", verbosity=0)  # not due again yet
    assert DBTaskResult.objects.filter(task_path=heartbeat.module_path).count() == 1


def finished(days_ago: float, *, task=prune_task_results) -> DBTaskResult:
    result = DBTaskResult.objects.get(pk=task.enqueue().id)
    result.status = TaskResultStatus.SUCCESSFUL
    result.finished_at = timezone.now() - timedelta(days=days_ago)
    result.save()
    return result


def test_prune_removes_finished_results_older_than_14_days_and_old_heartbeats():
    old = finished(15)
    recent = finished(13)
    old_beat = finished(0.1, task=heartbeat)  # 2.4 hours
    fresh_beat = finished(0.01, task=heartbeat)  # 15 minutes
    waiting = DBTaskResult.objects.get(pk=prune_task_results.enqueue().id)
    prune_task_results.call()
    remaining = set(DBTaskResult.objects.values_list("pk", flat=True))
    assert old.pk not in remaining
    assert old_beat.pk not in remaining
    assert {recent.pk, fresh_beat.pk, waiting.pk} <= remaining


def get_health(client):
    response = client.get("/healthz")
    assert response["Content-Type"] == "application/json"
    return response.status_code, response.json()


def test_healthz_is_200_when_worker_publishing_and_scheduler_are_fresh(client):
    health.beat("worker")
    health.beat("publishing")
    health.beat("scheduler")
    status, body = get_health(client)
    assert status == 200
    assert body["status"] == "ok"
    assert body["database"]["ok"] is True
    assert body["worker"]["ok"]
    assert body["publishing"]["ok"]
    assert body["scheduler"]["ok"]
    assert body["worker"]["age_seconds"] < 5
    assert set(body["worker"]) == {"ok", "last_heartbeat", "age_seconds", "stale_after_seconds"}  # no host


def test_healthz_is_503_when_a_heartbeat_is_missing(client):
    health.beat("scheduler")
    health.beat("publishing")
    status, body = get_health(client)
    assert status == 503
    assert body["status"] == "degraded"
    assert body["worker"] == {
        "ok": False,
        "last_heartbeat": None,
        "age_seconds": None,
        "stale_after_seconds": 120,
    }
    assert body["scheduler"]["ok"] is True


@pytest.mark.parametrize(
    ("role", "stale_setting"),
    [
        ("worker", "PORTEVOIX_WORKER_STALE_AFTER"),
        ("publishing", "PORTEVOIX_WORKER_STALE_AFTER"),
        ("scheduler", "PORTEVOIX_SCHEDULER_STALE_AFTER"),
    ],
)
def test_healthz_is_503_when_a_heartbeat_is_stale(client, settings, role, stale_setting):
    health.beat("worker")
    health.beat("publishing")
    health.beat("scheduler")
    limit = getattr(settings, stale_setting)
    Heartbeat.objects.filter(name=role).update(beat_at=timezone.now() - timedelta(seconds=limit + 1))
    status, body = get_health(client)
    assert status == 503
    assert body[role]["ok"] is False
    assert body[role]["age_seconds"] > limit


def test_healthz_is_503_when_the_database_is_down(client, monkeypatch):
    from django.db import OperationalError
    from django.db.backends.utils import CursorWrapper

    def down(self, sql, params=None):
        raise OperationalError("unable to open database file")

    monkeypatch.setattr(CursorWrapper, "execute", down)
    status, body = get_health(client)
    assert status == 503
    assert body["status"] == "error"
    assert body["database"]["ok"] is False
    assert body["database"]["error"] == "OperationalError"
    assert "unable to open" not in str(body)


def test_a_503_from_healthz_is_not_logged_as_an_error(client, caplog):
    status, _body = get_health(client)
    assert status == 503
    assert not [record for record in caplog.records if record.levelname == "ERROR"]


def test_healthz_needs_no_login_and_is_never_cached(client):
    response = client.get("/healthz")
    assert response.status_code in (200, 503)
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]

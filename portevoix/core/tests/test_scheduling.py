"""Periodic jobs: the claim that makes each run exactly-once, and the enqueueing of due jobs."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from portevoix.core import scheduling
from portevoix.core.models import PeriodicJobState
from portevoix.core.scheduling import PeriodicJob, PeriodicRegistry, claim, load_periodic_jobs, run_due
from portevoix.core.tasks import heartbeat, prune_task_results

pytestmark = pytest.mark.django_db

HOURLY = PeriodicJob(name="tests.hourly", every=timedelta(hours=1), task=heartbeat)


def enqueued(job: PeriodicJob) -> int:
    return DBTaskResult.objects.filter(task_path=job.task_path).count()


def test_first_claim_wins_and_an_immediate_second_claim_loses():
    now = timezone.now()
    assert claim(HOURLY, now=now) is True
    assert claim(HOURLY, now=now) is False
    assert PeriodicJobState.objects.get(name="tests.hourly").last_run_at == now


def test_a_job_is_due_again_only_after_its_period():
    start = timezone.now()
    assert claim(HOURLY, now=start)
    assert not claim(HOURLY, now=start + timedelta(minutes=59, seconds=59))
    assert claim(HOURLY, now=start + timedelta(hours=1))
    assert not claim(HOURLY, now=start + timedelta(hours=1))
    assert PeriodicJobState.objects.get(name="tests.hourly").last_run_at == start + timedelta(hours=1)


def test_a_claim_with_a_stale_view_of_the_row_loses():
    """Two schedulers read the row at the same time; the second UPDATE finds last_run_at moved."""
    start = timezone.now()
    PeriodicJobState.objects.create(name="tests.hourly", last_run_at=start - timedelta(hours=2))
    assert claim(HOURLY, now=start) is True
    assert claim(HOURLY, now=start + timedelta(seconds=1)) is False


def test_run_due_enqueues_each_due_run_once():
    now = timezone.now()
    assert run_due(now=now, jobs=[HOURLY]) == ["tests.hourly"]
    assert run_due(now=now, jobs=[HOURLY]) == []  # a second scheduler in the same tick
    assert run_due(now=now + timedelta(minutes=30), jobs=[HOURLY]) == []
    assert enqueued(HOURLY) == 1
    assert run_due(now=now + timedelta(hours=1), jobs=[HOURLY]) == ["tests.hourly"]
    assert enqueued(HOURLY) == 2


def test_a_failing_enqueue_releases_the_claim(monkeypatch):
    now = timezone.now()
    broken = PeriodicJob(name="tests.broken", every=timedelta(hours=1), task=heartbeat)

    def refuse(*args, **kwargs):
        raise RuntimeError("queue down")

    monkeypatch.setattr(type(heartbeat), "enqueue", refuse)
    assert run_due(now=now, jobs=[broken, HOURLY]) == []
    monkeypatch.undo()
    assert not PeriodicJobState.objects.filter(name="tests.broken").exists()
    assert run_due(now=now, jobs=[broken]) == ["tests.broken"]


def test_core_jobs_are_registered():
    jobs = {job.name: job for job in load_periodic_jobs()}
    assert jobs["core.heartbeat"].task is heartbeat
    assert jobs["core.heartbeat"].every == timedelta(seconds=30)
    assert jobs["core.prune_task_results"].task is prune_task_results
    assert jobs["core.prune_task_results"].every == timedelta(days=1)


def test_registry_rejects_bad_declarations():
    registry = PeriodicRegistry()
    registry.register("tests.job", every=timedelta(minutes=1), task=heartbeat)
    registry.register("tests.job", every=timedelta(minutes=2), task=heartbeat)  # same task: replaced
    assert registry.get("tests.job").every == timedelta(minutes=2)
    with pytest.raises(ValueError, match="already registered"):
        registry.register("tests.job", every=timedelta(minutes=1), task=prune_task_results)
    with pytest.raises(ValueError, match="positive"):
        registry.register("tests.other", every=timedelta(0), task=heartbeat)
    with pytest.raises(TypeError):
        registry.register("tests.other", every=timedelta(minutes=1), task=lambda: None)


def test_module_registry_is_the_one_register_periodic_fills():
    job = scheduling.register_periodic("tests.module", every=timedelta(minutes=5), task=heartbeat)
    try:
        assert scheduling.registry.get("tests.module") is job
    finally:
        scheduling.registry.unregister("tests.module")

"""Executing claimed targets: prepare, begin (attempt rows), call the network, finish (outcomes).

The four steps are separate so that one worker can run many targets at once (publishing/dispatch.py):
the database steps (``prepare``, ``begin``, ``finish``) run in the worker's coordinating thread, in one
transaction per batch, and only ``call`` (pure network, no database) runs in a thread pool.
``execute(target_id, fence, worker_id)`` runs one target through them in the calling thread.

Guarantees, step by step:
- every write to a target is ``UPDATE ... WHERE id = %s AND fence = %s AND state = %s``: a worker whose
  lease was taken over writes nothing to it (its attempt row still records what it saw, for history and
  so that the new owner can adopt a remote id instead of sending again);
- ``begin`` commits the attempt row (outcome "started") before the network call;
- a claimed target that has a "started" attempt from an earlier fence was interrupted: the attempt is
  marked abandoned and the target is looked up on the network (``find_published``) before anything is
  sent again; a lookup that cannot tell makes it ``unconfirmed`` (a person decides), never a resend;
- a timeout or any ambiguous answer (``OutcomeUnknown``, an unexpected exception) is reconciled the same
  way, after ``reconcile_delay`` so that the network has finished with the request.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portevoix.channels.models import Channel, ChannelStatus
from portevoix.connectors.base import Connector
from portevoix.connectors.errors import (
    AuthExpired,
    ConnectorError,
    ContentRejected,
    NotSupported,
    OutcomeUnknown,
    RateLimited,
    ReauthRequired,
    Transient,
)
from portevoix.connectors.types import Capability, OutgoingPost, Published
from portevoix.content.models import Post, PostMedia, PostVariant
from portevoix.publishing import backoff, buckets, runtime, states
from portevoix.publishing.claims import Claim
from portevoix.publishing.conf import Config
from portevoix.publishing.messages import Code, code_for, describe
from portevoix.publishing.models import Attempt, AttemptOutcome, NotificationKind, Target, TargetState
from portevoix.publishing.notifications import Alerts
from portevoix.publishing.outgoing import outgoing_text
from portevoix.publishing.states import Event

logger = logging.getLogger(__name__)

REFRESH_WAIT = timedelta(seconds=5)  # another worker is renewing the channel's access: try again soon


class Mode(StrEnum):
    PUBLISH = "publish"
    LOOKUP = "lookup"  # reconciliation: did an earlier attempt reach the network?
    CHECK = "check"  # a post the network is still processing
    REFRESH = "refresh"  # renew the channel's access, then resume
    MANUAL = "manual"  # no publishing API: hand over to a person at the post's time


@dataclass(eq=False)
class Job:
    """One claimed target on its way through the steps (mutable; owned by one worker)."""

    target: Target
    fence: int
    mode: Mode
    due: datetime  # when the network call may start
    state: str  # the state we hold it in (publishing or pending_remote)
    connector: Connector | None = None
    buckets: list[buckets.Bucket] = field(default_factory=list)
    attempt_count: int = 0
    attempt_id: int | None = None
    outgoing: OutgoingPost | None = None
    resume: Mode | None = None  # after a refresh
    since: datetime | None = None  # for lookups and checks: the first attempt's start

    @property
    def target_id(self) -> int:
        return self.target.pk


@dataclass(eq=False)
class Result:
    job: Job
    value: Any = None  # Published | None for publish/lookup/check; bool for refresh
    error: BaseException | None = None


Now = Callable[[], datetime]


class Engine:
    def __init__(self, worker_id: str, *, config: Config | None = None, now: Now = timezone.now) -> None:
        self.worker_id = worker_id[:100]
        self.config = config or Config.load()
        self.policy = backoff.Policy.from_settings()
        self.now = now
        self._connectors: dict[int, Connector] = {}

    def close(self) -> None:
        for connector in self._connectors.values():
            runtime.close(connector)
        self._connectors.clear()

    # --- Writes guarded by the fence ----------------------------------------------------------------

    def _write(self, job: Job, event: Event, **fields: Any) -> bool:
        """Move the target through ``event`` if we still hold it. False (and a log line) when our fence
        is stale: another worker owns the target now and this write is dropped."""
        new_state = states.apply(job.state, event)
        fields.setdefault("updated_at", self.now())
        if new_state != TargetState.PUBLISHING:
            fields.setdefault("lease_owner", "")
            fields.setdefault("lease_expires_at", None)
        updated = Target.objects.filter(pk=job.target_id, fence=job.fence, state=job.state).update(
            state=new_state, **fields
        )
        if not updated:
            logger.warning(
                "Target %s: fence %s is stale (taken over by another worker); result not written.",
                job.target_id,
                job.fence,
            )
            return False
        job.state = new_state
        for name, value in fields.items():
            setattr(job.target, name, value)
        job.target.state = new_state
        return True

    def _touch(self, job: Job, **fields: Any) -> bool:
        """Change fields of a target we hold without changing its state."""
        updated = Target.objects.filter(pk=job.target_id, fence=job.fence, state=job.state).update(**fields)
        for name, value in fields.items():
            setattr(job.target, name, value)
        return bool(updated)

    def _finish_attempt(
        self,
        job: Job,
        outcome: str,
        *,
        error_code: str = "",
        message: str = "",
        detail: str = "",
        published: Published | None = None,
    ) -> None:
        if job.attempt_id is None:
            return
        Attempt.objects.filter(
            pk=job.attempt_id, outcome__in=[AttemptOutcome.STARTED, AttemptOutcome.ABANDONED]
        ).update(
            outcome=outcome,
            finished_at=self.now(),
            error_code=error_code,
            message=runtime.scrub(message, job.connector)[:2000],
            detail=runtime.scrub(detail, job.connector)[:2000],
            remote_id=(published.remote_id if published else "")[:200],
            remote_url=((published.url or "") if published else "")[:500],
        )
        job.attempt_id = None

    # --- Prepare: what to do with each claimed target -----------------------------------------------

    def prepare(self, claims: Sequence[Claim]) -> list[Job]:
        """Load the claimed targets and decide, for each, what comes next. Targets that cannot be sent
        (too late, channel unusable) are finished here; the others come back as jobs."""
        if not claims:
            return []
        now = self.now()
        fences = dict(claims)
        targets = list(
            Target.objects.filter(pk__in=list(fences))
            .select_related("channel", "workspace", "post")
            .order_by("pk")
        )
        # The history that matters (publish and lookup attempts): empty for a first attempt, so cheap.
        history: dict[int, list[Attempt]] = {}
        for attempt in Attempt.objects.filter(
            target_id__in=list(fences), kind__in=[Mode.PUBLISH, Mode.LOOKUP, Mode.CHECK]
        ).order_by("number"):
            history.setdefault(attempt.target_id, []).append(attempt)
        jobs: list[Job] = []
        alerts = Alerts()
        with transaction.atomic():
            for target in targets:
                if target.fence != fences[target.pk]:
                    continue  # claimed again since (another worker, a newer fence)
                job = Job(
                    target=target,
                    fence=target.fence,
                    mode=Mode.PUBLISH,
                    due=target.next_attempt_at or now,
                    state=target.state,
                    attempt_count=target.attempt_count,
                )
                if self._prepare_one(job, history.get(target.pk, []), now, alerts):
                    jobs.append(job)
            alerts.flush(now=now)
        return jobs

    def _prepare_one(self, job: Job, history: list[Attempt], now: datetime, alerts: Alerts) -> bool:
        target = job.target
        history = [attempt for attempt in history if attempt.number > target.retry_base]
        interrupted = [attempt for attempt in history if attempt.outcome == AttemptOutcome.STARTED]
        if interrupted:
            self._abandon(interrupted, now)
            logger.info("Target %s: took over an interrupted attempt.", job.target_id)
        if job.state == TargetState.PENDING_REMOTE:
            job.mode = Mode.CHECK
            job.due = now
            job.since = _first_publish(history) or target.created_at
            return self._connect(job, alerts)
        adopted = _recorded_publication(history)
        if adopted is not None:  # a worker that lost its lease got the network's answer: it is there
            self._published(job, adopted, outcome=None)
            return False
        since = target.reconcile_since or _unresolved_since(history)
        if since is not None:
            if target.reconcile_since is None:
                self._touch(job, reconcile_since=since)
            job.mode = Mode.LOOKUP
            job.due = now
            job.since = since
        cls = runtime.connector_class(target.channel.network)
        if job.mode is Mode.PUBLISH and cls is not None and Capability.PUBLISH not in cls.capabilities:
            job.mode = Mode.MANUAL
            return True
        if job.mode is Mode.PUBLISH and self._too_late(job, now):
            self._late(job, alerts)
            return False
        if not self._connect(job, alerts):
            return False
        if job.mode is Mode.PUBLISH and cls is not None:
            job.buckets = buckets.buckets_for(target.channel, cls)
        return True

    def _connect(self, job: Job, alerts: Alerts) -> bool:
        """Give the job its connector; finish the target when its channel cannot be used."""
        target = job.target
        problem = self._channel_problem(target.channel)
        connector = None
        if problem is None:
            try:
                connector = self._connector(target.channel)
            except ConnectorError as error:
                problem = error.message
        if problem is not None:
            self._unusable(job, problem, alerts)
            return False
        job.connector = connector
        return True

    def _abandon(self, interrupted: list[Attempt], now: datetime) -> None:
        """Attempts left "started" by a worker that lost its lease are marked interrupted (a publish
        among them is then unresolved: the target is looked up before anything is sent again)."""
        Attempt.objects.filter(pk__in=[a.pk for a in interrupted], outcome=AttemptOutcome.STARTED).update(
            outcome=AttemptOutcome.ABANDONED,
            finished_at=now,
            message=_("Interrupted: the worker stopped before the outcome was recorded."),
        )
        for attempt in interrupted:
            attempt.outcome = AttemptOutcome.ABANDONED

    def _first_attempt_at(self, target: Target) -> datetime | None:
        return (
            Attempt.objects.filter(target_id=target.pk, kind=Mode.PUBLISH, number__gt=target.retry_base)
            .order_by("number")
            .values_list("started_at", flat=True)
            .first()
        )

    def _too_late(self, job: Job, now: datetime) -> bool:
        due_at = job.target.due_at
        return due_at is not None and now > due_at + self.config.lateness_cutoff

    def _channel_problem(self, channel: Channel) -> str | None:
        if channel.status == ChannelStatus.DISCONNECTED:
            return _("The channel %(name)s is disconnected.") % {"name": channel.name}
        if channel.status == ChannelStatus.NEEDS_REAUTH:
            return _("The channel %(name)s needs reconnecting.") % {"name": channel.name}
        return None

    def _connector(self, channel: Channel) -> Connector:
        connector = self._connectors.get(channel.pk)
        if connector is None:
            connector = self._connectors[channel.pk] = runtime.connector_for(channel)
        return connector

    @staticmethod
    def _persist_sessions(results: Sequence[Result]) -> None:
        """A session a connector opened or renewed during its calls goes to the vault (never fails)."""
        seen: set[int] = set()
        for result in results:
            connector = result.job.connector
            if connector is not None and id(connector) not in seen:
                seen.add(id(connector))
                runtime.persist_session(result.job.target.channel, connector)

    def _forget_connector(self, channel_id: int) -> None:
        connector = self._connectors.pop(channel_id, None)
        if connector is not None:
            runtime.close(connector)

    # --- Begin: attempt rows, committed before the network is called ---------------------------------

    def begin(self, jobs: Sequence[Job]) -> tuple[list[Job], list[Job]]:
        """Start the jobs that are due (or due within ``start_ahead``): rate tokens, lateness, then one
        attempt row each, committed in one transaction before any of their calls. Returns (started, held):
        held jobs wait in memory for a rate-limit token (``job.due`` moved). A started job is called at
        ``job.due`` (its attempt's ``started_at``), never before."""
        if not jobs:
            return [], []
        now = self.now()
        held: list[Job] = []
        alerts = Alerts()
        with transaction.atomic():
            publish = [job for job in jobs if job.mode is Mode.PUBLISH and not self._too_late(job, now)]
            waits = dict(zip(publish, buckets.take([job.buckets for job in publish], now), strict=True))
            needs_content = [job for job in jobs if job.mode in (Mode.PUBLISH, Mode.LOOKUP, Mode.CHECK)]
            self._load_content(needs_content)
            going: list[Job] = []
            for job in jobs:
                if job.mode is Mode.MANUAL:
                    self._hand_over(job, alerts)
                    continue
                if job.outgoing is None:
                    continue  # the post is gone
                if job.mode is Mode.PUBLISH:
                    if job not in waits:
                        self._late(job, alerts)
                        continue
                    wait = waits[job]
                    if wait > 0:
                        if wait <= self.config.hold_for_rate:
                            job.due = now + timedelta(seconds=wait)
                            held.append(job)
                        else:
                            self.release(job, at=now + timedelta(seconds=wait))
                        continue
                going.append(job)
            started = self._count_attempts(going, now)
            attempts = [
                Attempt(
                    target_id=job.target_id,
                    number=job.attempt_count,
                    kind=str(job.mode),
                    fence=job.fence,
                    worker=self.worker_id,
                    started_at=max(now, job.due),
                )
                for job in started
            ]
            Attempt.objects.bulk_create(attempts)
            for job, attempt in zip(started, attempts, strict=True):
                job.attempt_id = attempt.pk
            alerts.flush(now=now)
        return started, held

    def _count_attempts(self, jobs: Sequence[Job], now: datetime) -> list[Job]:
        """Number the next attempt of each job's target (``attempt_count + 1``), guarded by the fence;
        returns the jobs whose target we still hold. One statement per row, sent as one batch."""
        if not jobs:
            return []
        table = connection.ops.quote_name(Target._meta.db_table)
        sql = (
            f"UPDATE {table} SET attempt_count = %s, updated_at = %s"  # noqa: S608 (our table name)
            " WHERE id = %s AND fence = %s AND state = %s AND attempt_count = %s"
        )
        stamp = connection.ops.adapt_datetimefield_value(now)
        rows = [
            (job.attempt_count + 1, stamp, job.target_id, job.fence, job.state, job.attempt_count)
            for job in jobs
        ]
        with connection.cursor() as cursor:
            cursor.executemany(sql, rows)
            moved = cursor.rowcount
        if moved == len(jobs):
            held = list(jobs)
        else:  # some were taken over since the claim: keep those still ours under our fence
            current = {
                pk: (fence, count)
                for pk, fence, count in Target.objects.filter(
                    pk__in=[job.target_id for job in jobs]
                ).values_list("pk", "fence", "attempt_count")
            }
            held = [job for job in jobs if current.get(job.target_id) == (job.fence, job.attempt_count + 1)]
        kept = {id(job) for job in held}
        for job in jobs:
            if id(job) not in kept:
                logger.warning("Target %s: fence %s is stale; not starting.", job.target_id, job.fence)
        for job in held:
            job.attempt_count += 1
            job.target.attempt_count = job.attempt_count
            job.target.updated_at = now
        return held

    def _load_content(self, jobs: Sequence[Job]) -> None:
        """The text, link and media as they are now (an edit up to the last moment is sent). Three flat
        queries for the whole batch (posts, the variants of the batch's networks, attachments)."""
        if not jobs:
            return
        post_ids = {job.target.post_id for job in jobs}
        networks = {job.target.channel.network for job in jobs}
        posts = {
            pk: (text, link)
            for pk, text, link in Post.objects.filter(pk__in=post_ids).values_list("pk", "text", "link")
        }
        variants = {
            (post_id, network): text
            for post_id, network, text in PostVariant.objects.filter(
                post_id__in=post_ids, network__in=networks
            ).values_list("post_id", "network", "text")
            if text.strip()
        }
        attachments: dict[int, list[PostMedia]] = {}
        for attachment in PostMedia.objects.filter(post_id__in=post_ids).select_related("asset"):
            attachments.setdefault(attachment.post_id, []).append(attachment)
        for job in jobs:
            found = posts.get(job.target.post_id)
            if found is None:
                continue  # deleted since the claim (its target with it): nothing to send
            text, link = found
            job.outgoing = OutgoingPost(
                text=outgoing_text(
                    job.target, variants.get((job.target.post_id, job.target.channel.network), text)
                ),
                idempotency_key=job.target.idempotency_key,
                media=runtime.media_items(attachments.get(job.target.post_id, [])),
                link=link or None,
            )

    # --- Call: the network, nothing else (runs in a pool thread) -------------------------------------

    @staticmethod
    def call(job: Job) -> Result:
        try:
            if job.mode is Mode.REFRESH:
                return Result(job, runtime.refresh(job.target.channel))
            assert job.connector is not None
            assert job.outgoing is not None
            if job.mode is Mode.PUBLISH:
                return Result(job, job.connector.publish(job.outgoing))
            assert job.since is not None
            return Result(job, job.connector.find_published(job.outgoing, since=job.since))
        except Exception as error:
            return Result(job, error=error)

    # --- Finish: outcomes ----------------------------------------------------------------------------

    def finish(self, results: Sequence[Result]) -> list[Job]:
        """Record what the network answered; return the jobs that continue at once (a lookup that found
        nothing goes on to publish, an expired access goes to refresh, a refresh resumes)."""
        if not results:
            return []
        follow: list[Job] = []
        alerts = Alerts()
        self._persist_sessions(results)
        plain = [result for result in results if _plain_success(result)]
        others = [result for result in results if not _plain_success(result)]
        with transaction.atomic():
            self._published_batch(plain)
            for result in others:
                job = result.job
                if (
                    job.mode is not Mode.REFRESH
                    and result.error is None
                    and not isinstance(result.value, Published)
                    and (result.value is not None or job.mode is Mode.PUBLISH)
                ):
                    # A connector bug; the request may have been sent, so it is ambiguous.
                    result.error = OutcomeUnknown(
                        _("The connector gave an answer Portevoix does not understand.")
                    )
                if result.error is not None and not isinstance(result.error, ConnectorError):
                    logger.error(
                        "Target %s: unexpected error from the %s connector",
                        job.target_id,
                        job.target.channel.network,
                        exc_info=result.error,
                    )
                handler = {
                    Mode.PUBLISH: self._after_publish,
                    Mode.LOOKUP: self._after_lookup,
                    Mode.CHECK: self._after_check,
                    Mode.REFRESH: self._after_refresh,
                }[job.mode]
                try:
                    with transaction.atomic():  # one bad outcome must not undo the others
                        handler(result, alerts, follow)
                except Exception:
                    # The target keeps its lease: when it lapses, the next owner reconciles.
                    logger.exception("Target %s: recording the outcome failed", job.target_id)
            alerts.flush()
        return follow

    def _published_batch(self, results: Sequence[Result]) -> None:
        """The common outcome, recorded for many targets at once: a publish the network confirmed. The
        same writes as ``_published`` (the attempt, then the target under its fence), one batch each."""
        if not results:
            return
        now = self.now()
        stamp = connection.ops.adapt_datetimefield_value(now)
        new_state = states.apply(TargetState.PUBLISHING, Event.SUCCEED)
        attempts = connection.ops.quote_name(Attempt._meta.db_table)
        targets = connection.ops.quote_name(Target._meta.db_table)
        attempt_rows = []
        target_rows = []
        for result in results:
            job, published = result.job, result.value
            remote_id = (published.remote_id or job.target.remote_id)[:200]
            remote_url = (published.url or job.target.remote_url or "")[:500]
            published_at = published.published_at or now
            attempt_rows.append(
                (stamp, published.remote_id[:200], (published.url or "")[:500], job.attempt_id)
            )
            target_rows.append(
                (
                    new_state,
                    remote_id,
                    remote_url,
                    connection.ops.adapt_datetimefield_value(published_at),
                    stamp,
                    job.target_id,
                    job.fence,
                    job.state,
                )
            )
            job.target.remote_id, job.target.remote_url, job.target.published_at = (
                remote_id,
                remote_url,
                published_at,
            )
        finished = (AttemptOutcome.STARTED.value, AttemptOutcome.ABANDONED.value)
        with connection.cursor() as cursor:
            cursor.executemany(
                f"UPDATE {attempts} SET outcome = '{AttemptOutcome.PUBLISHED.value}', finished_at = %s,"  # noqa: S608
                " error_code = '', message = '', detail = '', remote_id = %s, remote_url = %s"
                f" WHERE id = %s AND outcome IN ('{finished[0]}', '{finished[1]}')",
                attempt_rows,
            )
            cursor.executemany(
                f"UPDATE {targets} SET state = %s, remote_id = %s, remote_url = %s, published_at = %s,"  # noqa: S608
                " error_code = '', error_message = '', reconcile_since = NULL, next_attempt_at = NULL,"
                " lease_owner = '', lease_expires_at = NULL, updated_at = %s"
                " WHERE id = %s AND fence = %s AND state = %s",
                target_rows,
            )
            written = cursor.rowcount
        ours = [result.job for result in results]
        if written != len(ours):  # some were taken over since: find which writes were dropped
            current = {
                pk: (fence, state)
                for pk, fence, state in Target.objects.filter(
                    pk__in=[job.target_id for job in ours]
                ).values_list("pk", "fence", "state")
            }
            ours = [job for job in ours if current.get(job.target_id) == (job.fence, new_state)]
            for job in {result.job for result in results} - set(ours):
                logger.warning(
                    "Target %s: fence %s is stale (taken over by another worker); result not written.",
                    job.target_id,
                    job.fence,
                )
        for job in ours:
            job.state = job.target.state = new_state
            job.target.lease_owner, job.target.lease_expires_at = "", None
        for result in results:
            result.job.attempt_id = None

    def _after_publish(self, result: Result, alerts: Alerts, follow: list[Job]) -> None:
        job, error = result.job, result.error
        if error is None:
            self._published(job, result.value, outcome=AttemptOutcome.PUBLISHED)
            return
        message, detail = describe(error)
        code = code_for(error)
        if isinstance(error, RateLimited):
            self._finish_attempt(
                job, AttemptOutcome.RATE_LIMITED, error_code=code, message=message, detail=detail
            )
            if error.retry_after:
                until = self.now() + timedelta(seconds=error.retry_after)
                buckets.block(buckets.account_key(job.target.channel_id), until=until, now=self.now())
            self._retry(job, code, message, alerts, retry_after=error.retry_after)
        elif isinstance(error, Transient):
            self._finish_attempt(
                job, AttemptOutcome.RETRYABLE, error_code=code, message=message, detail=detail
            )
            self._retry(job, code, message, alerts)
        elif isinstance(error, AuthExpired):
            self._finish_attempt(job, AttemptOutcome.AUTH, error_code=code, message=message, detail=detail)
            self._auth_expired(job, error, alerts, follow)
        elif isinstance(error, ReauthRequired):
            self._finish_attempt(job, AttemptOutcome.AUTH, error_code=code, message=message, detail=detail)
            runtime.report_channel_error(job.target.channel, error)
            self._fail(job, code, message, alerts, kind=NotificationKind.NEEDS_REAUTH)
        elif isinstance(error, ContentRejected | NotSupported):
            self._finish_attempt(
                job, AttemptOutcome.REJECTED, error_code=code, message=message, detail=detail
            )
            self._fail(job, code, message, alerts, kind=NotificationKind.FAILED)
        else:  # OutcomeUnknown, or anything unexpected: the request may have reached the network
            self._finish_attempt(job, AttemptOutcome.UNKNOWN, error_code=code, message=message, detail=detail)
            since = job.target.reconcile_since or self._first_attempt_at(job.target) or self.now()
            self._write(
                job,
                Event.DEFER,
                reconcile_since=since,
                next_attempt_at=self.now() + self.config.reconcile_delay,
                error_code=code,
                error_message=message,
            )

    def _after_lookup(self, result: Result, alerts: Alerts, follow: list[Job]) -> None:
        job, error = result.job, result.error
        if error is None and isinstance(result.value, Published):
            self._published(job, result.value, outcome=AttemptOutcome.RECONCILED)
            return
        if error is None:  # certainly not on the network: safe to send
            self._finish_attempt(job, AttemptOutcome.NOT_FOUND)
            sent = Attempt.objects.filter(
                target_id=job.target_id, kind=Mode.PUBLISH, number__gt=job.target.retry_base
            ).count()
            if sent >= self.policy.max_attempts:
                last = job.target.error_message or _("The network never confirmed the post.")
                message = _("Gave up after %(count)d attempts. Last error: %(message)s") % {
                    "count": sent,
                    "message": last,
                }
                self._write(
                    job,
                    Event.FAIL,
                    reconcile_since=None,
                    error_code=Code.GAVE_UP,
                    error_message=message[:2000],
                    next_attempt_at=None,
                )
                alerts.add(job.target, NotificationKind.FAILED, message)
                return
            if self._touch(job, reconcile_since=None, updated_at=self.now()):
                job.mode = Mode.PUBLISH
                job.due = self.now()
                cls = runtime.connector_class(job.target.channel.network)
                job.buckets = buckets.buckets_for(job.target.channel, cls) if cls is not None else []
                follow.append(job)
            return
        message, detail = describe(error)
        code = code_for(error)
        if isinstance(error, Transient | RateLimited):
            self._finish_attempt(
                job, AttemptOutcome.RETRYABLE, error_code=code, message=message, detail=detail
            )
            lookups = Attempt.objects.filter(
                target_id=job.target_id, kind=Mode.LOOKUP, number__gt=job.target.retry_base
            ).count()
            if lookups < self.policy.max_attempts:
                retry_after = error.retry_after if isinstance(error, RateLimited) else None
                delay = backoff.delay(lookups, self.policy, retry_after=retry_after)
                self._write(
                    job,
                    Event.DEFER,
                    next_attempt_at=self.now() + timedelta(seconds=delay),
                    error_code=Code.OUTCOME_UNKNOWN,
                    error_message=message,
                )
                return
        elif isinstance(error, AuthExpired):
            self._finish_attempt(job, AttemptOutcome.AUTH, error_code=code, message=message, detail=detail)
            self._auth_expired(job, error, alerts, follow)
            return
        else:
            outcome = AttemptOutcome.AUTH if isinstance(error, ReauthRequired) else AttemptOutcome.UNKNOWN
            self._finish_attempt(job, outcome, error_code=code, message=message, detail=detail)
            if isinstance(error, ReauthRequired):
                runtime.report_channel_error(job.target.channel, error)
        self._unconfirmed(job, Code.OUTCOME_UNKNOWN, message, alerts)

    def _after_check(self, result: Result, alerts: Alerts, follow: list[Job]) -> None:
        job, error = result.job, result.error
        now = self.now()
        value = result.value
        if error is None and isinstance(value, Published) and not value.pending:
            self._published(job, value, outcome=AttemptOutcome.PUBLISHED)
            return
        if error is None and value is None:
            self._finish_attempt(job, AttemptOutcome.NOT_FOUND)
            message = _("The network accepted the post but it does not show it.")
            self._unconfirmed(job, Code.NOT_FOUND_AFTER_ACCEPT, message, alerts)
            return
        if error is not None:
            message, detail = describe(error)
            self._finish_attempt(
                job, AttemptOutcome.RETRYABLE, error_code=code_for(error), message=message, detail=detail
            )
            if isinstance(error, ReauthRequired):  # (an AuthExpired is renewed by the next publish)
                runtime.report_channel_error(job.target.channel, error)
        else:
            self._finish_attempt(job, AttemptOutcome.PENDING_REMOTE, published=value)
        since = job.since or now
        if now - since > self.config.pending_max_age:
            message = _("The network was still processing the post after %(hours)d hours.") % {
                "hours": self.config.pending_max_age.total_seconds() // 3600
            }
            self._unconfirmed(job, Code.PENDING_TOO_LONG, message, alerts)
            return
        checks = Attempt.objects.filter(target_id=job.target_id, kind=Mode.CHECK).count()
        wait = min(self.config.pending_check * (2 ** min(checks, 10)), timedelta(hours=1))
        self._write(job, Event.CHECK, next_attempt_at=now + wait)

    def _after_refresh(self, result: Result, alerts: Alerts, follow: list[Job]) -> None:
        job = result.job
        channel = Channel.objects.filter(pk=job.target.channel_id).first()
        resume = job.resume or Mode.PUBLISH
        if result.error is None and result.value is True and channel is not None:
            self._finish_attempt(job, AttemptOutcome.REFRESHED)
            self._forget_connector(channel.pk)
            job.target.channel = channel
            try:
                job.connector = self._connector(channel)
            except ConnectorError as error:
                self._unusable(job, error.message, alerts)
                return
            job.mode, job.resume, job.due = resume, None, self.now()
            follow.append(job)
            return
        if result.error is not None:
            message, detail = describe(result.error)
        else:
            message, detail = _("The channel's access could not be renewed."), ""
        self._finish_attempt(
            job, AttemptOutcome.AUTH, error_code=Code.AUTH_EXPIRED, message=message, detail=detail
        )
        if channel is None or channel.status in (ChannelStatus.NEEDS_REAUTH, ChannelStatus.DISCONNECTED):
            message = (channel.last_error if channel is not None else "") or message
            self._unusable(job, message, alerts, code=Code.REAUTH_REQUIRED)
            return
        held_elsewhere = getattr(channel, "refresh_claimed_until", None)
        if held_elsewhere is not None and held_elsewhere > self.now():
            self._defer(job, self.now() + REFRESH_WAIT, Code.AUTH_EXPIRED, message)
            return
        if resume is Mode.PUBLISH:
            self._retry(job, Code.AUTH_EXPIRED, message, alerts)
        else:
            self._defer(job, self.now() + self.config.reconcile_delay, Code.AUTH_EXPIRED, message)

    # --- Outcome helpers -----------------------------------------------------------------------------

    def _published(self, job: Job, published: Published, *, outcome: str | None) -> None:
        if outcome is not None:
            self._finish_attempt(
                job, outcome if not published.pending else AttemptOutcome.PENDING_REMOTE, published=published
            )
        now = self.now()
        fields: dict[str, Any] = {
            "remote_id": (published.remote_id or job.target.remote_id)[:200],
            "remote_url": (published.url or job.target.remote_url or "")[:500],
            "error_code": "",
            "error_message": "",
            "reconcile_since": None,
        }
        if published.pending and job.state == TargetState.PUBLISHING:
            self._write(job, Event.ACCEPT_PENDING, next_attempt_at=now + self.config.pending_check, **fields)
        elif published.pending:
            self._write(job, Event.CHECK, next_attempt_at=now + self.config.pending_check, **fields)
        else:
            self._write(
                job, Event.SUCCEED, published_at=published.published_at or now, next_attempt_at=None, **fields
            )

    def _retry(
        self, job: Job, code: str, message: str, alerts: Alerts, *, retry_after: float | None = None
    ) -> None:
        failures = Attempt.objects.filter(
            target_id=job.target_id, kind=Mode.PUBLISH, number__gt=job.target.retry_base
        ).count()
        if failures >= self.policy.max_attempts:
            gave_up = _("Gave up after %(count)d attempts. Last error: %(message)s") % {
                "count": failures,
                "message": message,
            }
            self._fail(job, Code.GAVE_UP, gave_up, alerts, kind=NotificationKind.FAILED)
            return
        at = self.now() + timedelta(seconds=backoff.delay(failures, self.policy, retry_after=retry_after))
        due_at = job.target.due_at
        if due_at is not None and at > due_at + self.config.lateness_cutoff:
            self._late(job, alerts, last_error=message)
            return
        self._defer(job, at, code, message)

    def _defer(self, job: Job, at: datetime, code: str, message: str) -> None:
        self._write(job, Event.DEFER, next_attempt_at=at, error_code=code, error_message=message[:2000])

    def release(self, job: Job, *, at: datetime | None = None) -> bool:
        """Give a claimed target back without an attempt (rate limit, shutdown): scheduled again."""
        at = at or job.due
        if job.state == TargetState.PENDING_REMOTE:
            return self._touch(job, lease_owner="", lease_expires_at=None, next_attempt_at=at)
        if job.target.attempt_count > job.target.retry_base:
            return self._write(job, Event.DEFER, next_attempt_at=at)
        return self._write(job, Event.RELEASE, next_attempt_at=at)

    def _fail(self, job: Job, code: str, message: str, alerts: Alerts, *, kind: str) -> None:
        if self._write(job, Event.FAIL, error_code=code, error_message=message[:2000], next_attempt_at=None):
            alerts.add(job.target, kind, message)

    def _unconfirmed(self, job: Job, code: str, message: str, alerts: Alerts) -> None:
        if self._write(
            job, Event.LOSE_TRACK, error_code=code, error_message=message[:2000], next_attempt_at=None
        ):
            alerts.add(job.target, NotificationKind.UNCONFIRMED, message)

    def _late(self, job: Job, alerts: Alerts, *, last_error: str = "") -> None:
        local = (
            timezone.localtime(job.target.due_at, job.target.workspace.tzinfo) if job.target.due_at else None
        )
        message = _("Not sent: it was due at %(time)s and could not be sent within %(minutes)d minutes.") % {
            "time": local.strftime("%Y-%m-%d %H:%M %Z") if local else "?",
            "minutes": self.config.lateness_cutoff.total_seconds() // 60,
        }
        if last_error:
            message = f"{message} {last_error}"
        if self._write(
            job, Event.FAIL, error_code=Code.TOO_LATE, error_message=message[:2000], next_attempt_at=None
        ):
            alerts.add(job.target, NotificationKind.LATE, message)

    def _unusable(
        self, job: Job, message: str, alerts: Alerts, *, code: str = Code.CHANNEL_UNAVAILABLE
    ) -> None:
        """The channel cannot be used: a publish fails, a lookup cannot tell (unconfirmed), a check waits."""
        if job.state == TargetState.PENDING_REMOTE:
            self._write(job, Event.CHECK, next_attempt_at=self.now() + self.config.pending_check)
        elif job.target.reconcile_since is not None:
            self._unconfirmed(job, code, message, alerts)
        else:
            self._fail(job, code, message, alerts, kind=NotificationKind.NEEDS_REAUTH)

    def _hand_over(self, job: Job, alerts: Alerts) -> None:
        message = _("This network has no publishing API: publish the post by hand.")
        if self._write(
            job, Event.HAND_OVER, error_code=Code.MANUAL, error_message=message, next_attempt_at=None
        ):
            alerts.add(job.target, NotificationKind.MANUAL, message)

    def _auth_expired(self, job: Job, error: AuthExpired, alerts: Alerts, follow: list[Job]) -> None:
        channel = job.target.channel
        refreshed_just_before = Attempt.objects.filter(
            target_id=job.target_id,
            number=job.attempt_count - 1,
            kind=Mode.REFRESH,
            outcome=AttemptOutcome.REFRESHED,
        ).exists()
        if refreshed_just_before or not runtime.can_refresh(channel):
            reason = ReauthRequired(
                _("The access to %(name)s expired and could not be renewed: reconnect the channel.")
                % {"name": channel.name},
                detail=error.detail,
            )
            runtime.report_channel_error(channel, reason)
            self._unusable(job, reason.message, alerts, code=Code.REAUTH_REQUIRED)
            return
        job.resume = job.mode
        job.mode = Mode.REFRESH
        job.due = self.now()
        follow.append(job)


# --- Reading a target's history -------------------------------------------------------------------------

AMBIGUOUS = frozenset({AttemptOutcome.STARTED, AttemptOutcome.ABANDONED, AttemptOutcome.UNKNOWN})
CONCLUSIVE_LOOKUPS = frozenset({AttemptOutcome.NOT_FOUND, AttemptOutcome.RECONCILED})


def _plain_success(result: Result) -> bool:
    """A publish the network confirmed outright (no error, a final ``Published``): the batch path."""
    value = result.value
    return (
        result.job.mode is Mode.PUBLISH
        and result.error is None
        and isinstance(value, Published)
        and not value.pending
        and result.job.state == TargetState.PUBLISHING
        and result.job.attempt_id is not None
    )


def _first_publish(history: list[Attempt]) -> datetime | None:
    return next((a.started_at for a in history if a.kind == Mode.PUBLISH), None)


def _recorded_publication(history: list[Attempt]) -> Published | None:
    """A network answer an attempt recorded (even one written after its worker lost the lease)."""
    for attempt in history:
        if (
            attempt.kind in (Mode.PUBLISH, Mode.LOOKUP, Mode.CHECK)
            and attempt.outcome
            in (AttemptOutcome.PUBLISHED, AttemptOutcome.RECONCILED, AttemptOutcome.PENDING_REMOTE)
            and attempt.remote_id
        ):
            return Published(
                remote_id=attempt.remote_id,
                url=attempt.remote_url or None,
                pending=attempt.outcome == AttemptOutcome.PENDING_REMOTE,
            )
    return None


def _unresolved_since(history: list[Attempt]) -> datetime | None:
    """The first publish attempt's start when a publish attempt may have reached the network and no
    lookup has settled it since (the target must be looked up before it is sent again), else None."""
    settled = max(
        (a.number for a in history if a.kind == Mode.LOOKUP and a.outcome in CONCLUSIVE_LOOKUPS), default=0
    )
    if any(a.kind == Mode.PUBLISH and a.outcome in AMBIGUOUS and a.number > settled for a in history):
        return _first_publish(history)
    return None


# --- One target, in the calling thread ---------------------------------------------------------------


def execute(
    target_id: int,
    fence: int,
    worker_id: str,
    *,
    engine: Engine | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> str | None:
    """Run one claimed target to its next resting state; return that state.

    A target claimed ahead of its time (prefetch) is sent at its time: this sleeps until then, at most the
    prefetch window.
    """
    own = engine is None
    engine = engine or Engine(worker_id)
    try:
        jobs = engine.prepare([(target_id, fence)])
        while jobs:
            job = jobs[0]
            wait = (job.due - engine.now()).total_seconds()
            if wait > 0:  # claimed ahead of its time: at most the prefetch window (or a rate-limit hold)
                sleep(wait)
            started, held = engine.begin([job])
            if held:
                jobs = held
                continue
            jobs = engine.finish([Engine.call(started_job) for started_job in started])
    finally:
        if own:
            engine.close()
    return Target.objects.filter(pk=target_id).values_list("state", flat=True).first()

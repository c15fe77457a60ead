"""CSV import of posts: upload, dry run, confirm, import, discard (docs/planning/import-export.md).

1. ``import_upload`` stores the file (Django's storage, under ``imports/``) in an ImportJob and enqueues the
   dry run (``planning.tasks.import_check``).
2. ``import_check`` (the dry run) reads every row and checks it as the import would: columns, date and time,
   local times that do not exist (content.localtime, the rule of one-off scheduling), past times, channels
   and rubrics of the workspace, the text against each chosen channel's network rules (the composer's
   ``channel_results``), duplicate rows in the file and posts already planned with the same text at the
   same time. It writes nothing but the job: problems per row (capped list) and counts.
3. ``import_confirm`` (only a job whose dry run found no problem) enqueues ``import_run``, which checks
   every row again against the workspace as it is now (a channel may have been disconnected meanwhile),
   counting progress in ``processed_rows``, then writes every post in ONE transaction: the import is all or
   nothing, and a crash or an error at any row leaves no post behind. The job says why it failed.
4. ``import_discard`` forgets a job that was not imported, and deletes its file.

Posts are written by a batched path equivalent to ``content.services.post_create`` + ``post_schedule``
(measured: 10,000 rows would take minutes through them, see the docs): the same checks (above), the same
target rows (scheduled, due at the post's instant, a fresh idempotency key each), the other registered
publishing validators (``publishing.validation``) on every saved post, and one audit entry for the import.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from portevoix.channels.models import Channel, ChannelStatus
from portevoix.content import localtime
from portevoix.content.models import ApprovalState, Post, PostVariant
from portevoix.content.validation import TextTooLong, known_networks
from portevoix.content.validation.posts import channel_results, post_check
from portevoix.core.errors import Conflict, NotFound, PortevoixError, ValidationFailed
from portevoix.planning import csvformat
from portevoix.planning.models import ImportJob, ImportStatus, Rubric
from portevoix.publishing import validation as publishing_validation
from portevoix.publishing.models import Target, TargetState
from portevoix.publishing.services import MAX_AHEAD, PAST_GRACE, new_idempotency_key
from portevoix.workspaces import audit, permissions
from portevoix.workspaces.models import Membership, Workspace

logger = logging.getLogger(__name__)

MAX_PROBLEMS = 200  # problems kept on the job (the total count is kept too)
BATCH = 500  # rows per bulk insert
PROGRESS_EVERY = 250  # rows between two progress updates


def max_bytes() -> int:
    return int(getattr(settings, "PORTEVOIX_IMPORT_MAX_BYTES", 10 * 2**20))


def max_rows() -> int:
    return int(getattr(settings, "PORTEVOIX_IMPORT_MAX_ROWS", csvformat.MAX_ROWS))


class FileTooLarge(ValidationFailed):
    code = "too_large"
    status = 413


def too_large() -> FileTooLarge:
    message = _("The file is larger than %(max)s MB: split it into several files.") % {
        "max": max_bytes() // 2**20
    }
    return FileTooLarge(message, fields={"file": [message]})


# --- Upload ---------------------------------------------------------------------------------------


def _clean_filename(name: str) -> str:
    cleaned = "".join(ch for ch in (name or "") if ch.isprintable()).strip()
    return cleaned.rsplit("/", 1)[-1].rsplit("\\", 1)[-1][:255] or "import.csv"


def import_upload(*, by: Membership, file: UploadedFile) -> ImportJob:
    """Store the file and start its dry run. Refuses a file over the size cap (413) before reading it."""
    permissions.require(by, "plan.import")
    if file is None:
        raise ValidationFailed(_("Choose a CSV file."), fields={"file": [_("Choose a CSV file.")]})
    if file.size is None or file.size > max_bytes():
        raise too_large()
    if file.size == 0:
        raise ValidationFailed(_("The file is empty."), fields={"file": [_("The file is empty.")]})
    data = file.read(max_bytes() + 1)
    if len(data) > max_bytes():
        raise too_large()
    with transaction.atomic():
        job = ImportJob(
            workspace=by.workspace,
            created_by=by.user,
            filename=_clean_filename(file.name or ""),
            status=ImportStatus.CHECKING,
        )
        job.file.save(f"{uuid.uuid4().hex}.csv", ContentFile(data), save=False)
        job.save()
        audit.record(
            actor=by.user, action="import.upload", workspace=by.workspace, obj=job, name=job.filename
        )
        job_id = job.pk
        transaction.on_commit(lambda: _enqueue_check(job_id))
    return job


def _enqueue_check(job_id: int) -> None:
    from portevoix.planning.tasks import import_check_task

    import_check_task.enqueue(job_id)


def _enqueue_run(job_id: int, membership_id: int) -> None:
    from portevoix.planning.tasks import import_run_task

    import_run_task.enqueue(job_id, membership_id)


# --- Checking rows --------------------------------------------------------------------------------


@dataclass
class Planned:
    """A row ready to become a post."""

    number: int
    instant: datetime
    zone: str
    channels: list[Channel]
    text: str
    title: str
    link: str
    rubric: Rubric | None
    variants: dict[str, str]


@dataclass
class Checked:
    planned: list[Planned] = field(default_factory=list)
    problems: list[csvformat.Problem] = field(default_factory=list)
    total_rows: int = 0
    refused: str = ""  # the whole file was refused: why

    @property
    def error_rows(self) -> int:
        return len({problem.row for problem in self.problems})


class _Lookup:
    """The workspace's channels and rubrics, loaded once per check (by id and by lower-cased name)."""

    def __init__(self, workspace: Workspace) -> None:
        self.channels = list(Channel.objects.filter(workspace=workspace))
        self.by_id = {channel.pk: channel for channel in self.channels}
        self.by_name: dict[str, list[Channel]] = {}
        for channel in self.channels:
            self.by_name.setdefault(channel.name.strip().lower(), []).append(channel)
        self.rubrics = {
            rubric.name.strip().lower(): rubric for rubric in Rubric.objects.filter(workspace=workspace)
        }

    def channel(self, token: str) -> tuple[Channel | None, str]:
        named = self.by_name.get(token.lower(), [])
        if len(named) == 1:
            return named[0], ""
        if len(named) > 1:
            return None, _("Several channels are named “%(name)s”: use their ids (%(ids)s).") % {
                "name": token[:80],
                "ids": ", ".join(str(channel.pk) for channel in named),
            }
        if token.isdigit() and len(token) < 19 and int(token) in self.by_id:
            return self.by_id[int(token)], ""
        return None, _("No channel “%(name)s” in this workspace.") % {"name": token[:80]}


def _check_row(
    row: csvformat.Row, lookup: _Lookup, workspace: Workspace, now: datetime
) -> tuple[Planned | None, list[csvformat.Problem]]:
    problems: list[csvformat.Problem] = []

    def problem(column: str, message: str) -> None:
        problems.append(csvformat.Problem(row.number, column, message))

    instant: datetime | None = None
    zone_name = workspace.timezone
    try:
        zone = localtime.parse_zone(row.timezone, workspace.timezone)
        zone_name = zone.key
    except ValidationFailed:
        problem("timezone", _("Unknown time zone: use an IANA name, such as Europe/Paris."))
        zone = None
    if zone is not None and row.date is not None and row.time is not None:
        try:
            when = localtime.resolve(datetime.combine(row.date, row.time), zone)
        except ValidationFailed as error:
            problem("time", error.message)
        else:
            instant = when.instant
            if instant < now - PAST_GRACE:
                problem("date", _("This time has passed: choose a time in the future."))
            elif instant > now + MAX_AHEAD:
                problem("date", _("Choose a time within the next five years."))
    channels: list[Channel] = []
    for token in row.channels:
        channel, message = lookup.channel(token)
        if channel is None:
            problem("channels", message)
        elif channel.status != ChannelStatus.ACTIVE:
            problem(
                "channels",
                _("The channel “%(name)s” is not active; reconnect it first.") % {"name": channel.name},
            )
        elif channel not in channels:
            channels.append(channel)
    rubric: Rubric | None = None
    if row.rubric:
        rubric = lookup.rubrics.get(row.rubric.lower())
        if rubric is None:
            problem("rubric", _("No rubric “%(name)s” in this workspace.") % {"name": row.rubric[:80]})
        elif rubric.archived:
            problem("rubric", _("The rubric “%(name)s” is archived.") % {"name": rubric.name})
    if channels and not problems:
        try:
            results = channel_results(
                text=row.text, variants=row.variants, media=[], link=row.link or None, channels=channels
            )
        except TextTooLong as error:
            problem("text", error.message)
        else:
            for result in results:
                column = f"text_{result.network}" if row.variants.get(result.network, "").strip() else "text"
                for each in result.problems:
                    problem(column, f"{result.channel_name}: {each.message}")
    if problems or instant is None:
        return None, problems
    return (
        Planned(
            number=row.number,
            instant=instant,
            zone=zone_name,
            channels=channels,
            text=row.text,
            title=row.title,
            link=row.link,
            rubric=rubric,
            variants=row.variants,
        ),
        [],
    )


def _duplicates(workspace: Workspace, planned: list[Planned]) -> list[csvformat.Problem]:
    """Rows that repeat an earlier row, and rows that repeat a post already planned (same text, same
    instant): importing the same file twice would plan everything twice."""
    problems: list[csvformat.Problem] = []
    seen: dict[tuple[Any, ...], int] = {}
    for item in planned:
        key = (
            item.instant,
            tuple(sorted(channel.pk for channel in item.channels)),
            item.text,
            item.title,
            item.link,
            tuple(sorted(item.variants.items())),
        )
        if key in seen:
            problems.append(
                csvformat.Problem(item.number, "", _("This row repeats row %(row)s.") % {"row": seen[key]})
            )
        else:
            seen[key] = item.number
    if planned:
        instants = [item.instant for item in planned]
        existing = {
            (when, text): pk
            for when, text, pk in Post.objects.filter(
                workspace=workspace, scheduled_at__gte=min(instants), scheduled_at__lte=max(instants)
            ).values_list("scheduled_at", "text", "pk")
        }
        for item in planned:
            pk = existing.get((item.instant, item.text))
            if pk is not None:
                problems.append(
                    csvformat.Problem(
                        item.number,
                        "",
                        _("A post with this text is already planned at this time (post %(id)s).")
                        % {"id": pk},
                    )
                )
    return problems


def check_file(
    *, workspace: Workspace, data: bytes, progress: Callable[[int], None] | None = None
) -> Checked:
    """Every check of the import, writing nothing. ``progress(n)`` is called as rows are checked."""
    checked = Checked()
    try:
        parsed = csvformat.read(data, networks=known_networks(), max_rows=max_rows())
    except csvformat.FileRefused as error:
        checked.refused = error.message
        return checked
    checked.total_rows = parsed.total_rows
    checked.problems.extend(parsed.problems)
    lookup = _Lookup(workspace)
    now = timezone.now()
    for index, row in enumerate(parsed.rows, start=1):
        planned, problems = _check_row(row, lookup, workspace, now)
        if planned is not None:
            checked.planned.append(planned)
        checked.problems.extend(problems)
        if progress is not None and index % PROGRESS_EVERY == 0:
            progress(index)
    checked.problems.extend(_duplicates(workspace, checked.planned))
    checked.problems.sort(key=lambda problem: problem.row)
    if progress is not None:
        progress(checked.total_rows)
    return checked


def _read(job: ImportJob) -> bytes:
    if not job.file:
        raise Conflict(_("The file of this import is no longer stored; upload it again."))
    with job.file.open("rb") as handle:
        return bytes(handle.read(max_bytes() + 1))


def _progress(job_id: int) -> Callable[[int], None]:
    def report(count: int) -> None:
        ImportJob.objects.filter(pk=job_id).update(processed_rows=count, updated_at=timezone.now())

    return report


def _problems(checked: Checked) -> list[dict[str, object]]:
    return [problem.as_dict() for problem in checked.problems[:MAX_PROBLEMS]]


# --- The dry run ----------------------------------------------------------------------------------


def import_check(*, job_id: int) -> ImportJob | None:
    """The dry run of a job waiting for it (a task). Writes the job only."""
    job = (
        ImportJob.objects.filter(pk=job_id, status=ImportStatus.CHECKING)
        .select_related("workspace", "created_by")
        .first()
    )
    if job is None:
        return None
    # The problems are stored as text: in the language of the person who uploaded the file (the reader).
    with translation.override(_job_language(job)):
        return _check(job)


def _job_language(job: ImportJob) -> str:
    user = job.created_by
    return (getattr(user, "language", "") if user is not None else "") or job.workspace.language


def _check(job: ImportJob) -> ImportJob:
    job_id = job.pk
    try:
        checked = check_file(workspace=job.workspace, data=_read(job), progress=_progress(job.pk))
    except PortevoixError as error:
        checked = Checked(refused=error.message)
    except Exception:
        logger.exception("Import %s: the dry run failed", job_id)
        checked = Checked(refused=_("The file could not be checked because of an error on our side."))
    fields: dict[str, Any] = {
        "total_rows": checked.total_rows,
        "processed_rows": checked.total_rows,
        "error_rows": checked.error_rows,
        "problems": _problems(checked),
        "message": checked.refused,
        "status": ImportStatus.FAILED if checked.refused else ImportStatus.CHECKED,
        "updated_at": timezone.now(),
    }
    ImportJob.objects.filter(pk=job.pk, status=ImportStatus.CHECKING).update(**fields)
    job.refresh_from_db()
    return job


# --- Confirm, import, discard ---------------------------------------------------------------------


def _own(by: Membership, job: ImportJob) -> None:
    if job.workspace_id != by.workspace_id:
        raise NotFound(_("No such import."))


def import_confirm(*, by: Membership, job: ImportJob) -> ImportJob:
    """Import a checked job whose dry run found no problem (in the background)."""
    permissions.require(by, "plan.import")
    _own(by, job)
    permissions.require(by, "post.edit")
    permissions.require(by, "post.publish")
    if job.status != ImportStatus.CHECKED:
        raise Conflict(
            _("Only a checked import can be confirmed (this one is %(status)s).")
            % {"status": ImportStatus(job.status).label.lower()}
        )
    if job.error_rows or not job.total_rows:
        raise Conflict(
            _("The dry run found problems: correct the file and upload it again. Nothing was imported.")
        )
    with transaction.atomic():
        updated = ImportJob.objects.filter(pk=job.pk, status=ImportStatus.CHECKED).update(
            status=ImportStatus.IMPORTING, processed_rows=0, message="", updated_at=timezone.now()
        )
        if not updated:
            raise Conflict(_("This import changed meanwhile; reload the page."))
        audit.record(
            actor=by.user, action="import.confirm", workspace=by.workspace, obj=job, rows=job.total_rows
        )
        job_id, membership_id = job.pk, by.pk
        transaction.on_commit(lambda: _enqueue_run(job_id, membership_id))
    job.refresh_from_db()
    return job


def _fail(job: ImportJob, message: str, checked: Checked | None = None) -> None:
    fields: dict[str, Any] = {"status": ImportStatus.FAILED, "message": message, "updated_at": timezone.now()}
    if checked is not None:
        fields.update(error_rows=checked.error_rows, problems=_problems(checked))
    ImportJob.objects.filter(pk=job.pk, status=ImportStatus.IMPORTING).update(**fields)


def import_run(*, job_id: int, membership_id: int) -> ImportJob | None:
    """The import of a confirmed job (a task): check every row again, then write all posts in one
    transaction. On any problem nothing is written and the job fails with the reason."""
    job = (
        ImportJob.objects.filter(pk=job_id, status=ImportStatus.IMPORTING)
        .select_related("workspace", "created_by")
        .first()
    )
    if job is None:
        return None
    with translation.override(_job_language(job)):
        return _run(job, membership_id)


def _run(job: ImportJob, membership_id: int) -> ImportJob:
    job_id = job.pk
    membership = (
        Membership.objects.filter(pk=membership_id, workspace_id=job.workspace_id)
        .select_related("user", "workspace")
        .first()
    )
    try:
        if membership is None:
            raise NotFound(_("The person who confirmed this import is no longer a member."))
        for permission in ("plan.import", "post.edit", "post.publish"):
            permissions.require(membership, permission)
        checked = check_file(workspace=job.workspace, data=_read(job), progress=_progress(job.pk))
        if checked.refused or checked.problems:
            _fail(
                job,
                checked.refused
                or _(
                    "Nothing was imported: %(count)s rows no longer pass the checks (a channel or a rubric "
                    "may have changed since the dry run, or the time has passed). See the problems below."
                )
                % {"count": checked.error_rows},
                checked,
            )
        else:
            created = _write(job=job, by=membership, planned=checked.planned)
            ImportJob.objects.filter(pk=job.pk).update(
                status=ImportStatus.DONE,
                created_posts=created,
                processed_rows=checked.total_rows,
                updated_at=timezone.now(),
            )
            _delete_file(job)
    except PortevoixError as error:
        details = [message for messages in error.fields.values() for message in messages]
        _fail(job, " ".join([_("Nothing was imported."), error.message, *details[:5]]))
    except Exception:
        logger.exception("Import %s failed", job_id)
        _fail(job, _("Nothing was imported: an error on our side stopped the import. Try again later."))
    job.refresh_from_db()
    return job


def _approval_state(workspace: Workspace) -> str:
    """Imported posts need the workspace's approvals like any other: not submitted yet when its policy
    requires approval."""
    from portevoix.approvals.models import ApprovalMode, ApprovalPolicy

    mode = ApprovalPolicy.objects.filter(workspace=workspace).values_list("mode", flat=True).first()
    if mode in (ApprovalMode.REQUIRED, ApprovalMode.MULTI_STEP):
        return ApprovalState.DRAFT
    return ApprovalState.NOT_REQUIRED


def _write(*, job: ImportJob, by: Membership, planned: list[Planned]) -> int:
    """Every post of the job in one transaction (raises, and so writes nothing, on any problem)."""
    approval_state = _approval_state(job.workspace)
    # Posts that need approval wait for it, like a post scheduled by hand (publishing.services._schedule).
    target_state = (
        TargetState.AWAITING_APPROVAL if approval_state == ApprovalState.DRAFT else TargetState.SCHEDULED
    )
    validators = _validators()
    now = timezone.now()
    with transaction.atomic():
        for start in range(0, len(planned), BATCH):
            chunk = planned[start : start + BATCH]
            posts = Post.objects.bulk_create(
                [
                    Post(
                        workspace=job.workspace,
                        author=by.user,
                        title=item.title,
                        text=item.text,
                        link=item.link,
                        scheduled_at=item.instant,
                        timezone=item.zone,
                        rubric=item.rubric,
                        approval_state=approval_state,
                        created_at=now,
                        updated_at=now,
                    )
                    for item in chunk
                ]
            )
            PostVariant.objects.bulk_create(
                [
                    PostVariant(post=post, network=network, text=text)
                    for post, item in zip(posts, chunk, strict=True)
                    for network, text in item.variants.items()
                    if text.strip()
                ]
            )
            Target.objects.bulk_create(
                [
                    Target(
                        workspace=job.workspace,
                        post=post,
                        channel=channel,
                        state=target_state,
                        due_at=item.instant,
                        next_attempt_at=item.instant,
                        idempotency_key=new_idempotency_key(),
                        created_at=now,
                        updated_at=now,
                    )
                    for post, item in zip(posts, chunk, strict=True)
                    for channel in item.channels
                ]
            )
            for post, item in zip(posts, chunk, strict=True):
                problems = _other_validators(post, item.channels, validators)
                if problems:
                    messages = [message for messages in problems.values() for message in messages]
                    raise ValidationFailed(
                        _("Row %(row)s cannot be published as it is.") % {"row": item.number},
                        fields={"row": messages},
                    )
        audit.record(
            actor=by.user,
            action="import.done",
            workspace=job.workspace,
            obj=job,
            posts=len(planned),
            name=job.filename,
        )
    return len(planned)


def _validators() -> list[publishing_validation.PostValidator]:
    """The validators the publishing engine runs before scheduling (``publishing.validation``), except
    the composer's own ``post_check``: each row already passed exactly that check in memory
    (``channel_results`` with the same text, variants, link and channels, and no media), and running it
    again per saved post costs two queries a post (30 s for 10,000 rows)."""
    registered = getattr(publishing_validation, "_validators", [])
    return [validator for validator in registered if validator is not post_check]


def _other_validators(
    post: Post, channels: list[Channel], validators: list[publishing_validation.PostValidator]
) -> dict[str, list[str]]:
    problems: dict[str, list[str]] = {}
    for validator in validators:
        for key, messages in validator(post, channels).items():
            if messages:
                problems.setdefault(str(key), []).extend(str(message) for message in messages)
    return problems


def _delete_file(job: ImportJob) -> None:
    if job.file and job.file.name:
        name = job.file.name
        storage = job.file.storage
        ImportJob.objects.filter(pk=job.pk).update(file="")
        try:
            storage.delete(name)
        except OSError:  # pragma: no cover - the row no longer points at it either way
            logger.warning("Import %s: could not delete %s", job.pk, name)


def import_discard(*, by: Membership, job: ImportJob) -> ImportJob:
    """Forget an import that was not imported (checking, checked or failed) and delete its file."""
    permissions.require(by, "plan.import")
    _own(by, job)
    allowed = (ImportStatus.CHECKING, ImportStatus.CHECKED, ImportStatus.FAILED)
    with transaction.atomic():
        updated = ImportJob.objects.filter(pk=job.pk, status__in=allowed).update(
            status=ImportStatus.DISCARDED, updated_at=timezone.now()
        )
        if not updated:
            raise Conflict(
                _("This import can no longer be discarded (it is %(status)s).")
                % {"status": ImportStatus(ImportJob.objects.get(pk=job.pk).status).label.lower()}
            )
        audit.record(actor=by.user, action="import.discard", workspace=by.workspace, obj=job)
        transaction.on_commit(lambda: _delete_file(job))
    job.refresh_from_db()
    return job

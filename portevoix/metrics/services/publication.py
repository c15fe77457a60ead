"""What the dashboards need of each published post beside its figures, kept on its latest-values row
(PostMetricLatest) so that they group and rate posts from that one table:

- ``followers``: the channel's followers at publication, the last daily count on or before the local day
  of publication, at most FOLLOWERS_LOOKBACK old (the rule of metrics.selectors.post_metrics); None when
  no count is known. Recomputed when a daily count changes (followers_write: the week after its day),
  when a row is created, and for the whole workspace when its time zone changes.
- ``rubric``: the post's rubric, copied when the row is created and when the post's rubric changes
  (content.services.post_update, planning.services.series; deleting a rubric empties it, SET_NULL).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

from django.db.models import OuterRef, Subquery
from django.utils import timezone

from portevoix.content.models import Post
from portevoix.metrics.models import FollowerDaily, PostMetricLatest
from portevoix.metrics.selectors import FOLLOWERS_LOOKBACK
from portevoix.workspaces.models import Workspace

BATCH = 1000


def _midnight(day: dt.date, tz: dt.tzinfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=tz)


def publication_followers_refresh(
    *,
    workspace: Workspace,
    channel_id: int | None = None,
    first: dt.date | None = None,
    last: dt.date | None = None,
    target_ids: Iterable[int] | None = None,
) -> int:
    """Recompute ``followers`` of the workspace's rows (of one channel, published on the local days
    ``first``..``last``, or the given targets). Returns how many changed. Channel by channel, so that a
    workspace of any size is done in bounded memory."""
    tz = workspace.tzinfo
    rows = PostMetricLatest.objects.filter(workspace=workspace, published_at__isnull=False)
    if channel_id is not None:
        rows = rows.filter(channel_id=channel_id)
    if first is not None:
        rows = rows.filter(published_at__gte=_midnight(first, tz))
    if last is not None:
        rows = rows.filter(published_at__lt=_midnight(last + dt.timedelta(days=1), tz))
    if target_ids is not None:
        rows = rows.filter(pk__in=list(target_ids))
    changed = 0
    for channel in sorted(set(rows.values_list("channel_id", flat=True))):
        found = list(rows.filter(channel_id=channel).only("pk", "published_at", "followers"))
        days = {row.pk: timezone.localtime(row.published_at, tz).date() for row in found}
        counts = dict(
            FollowerDaily.objects.filter(
                channel_id=channel,
                day__gte=min(days.values()) - FOLLOWERS_LOOKBACK,
                day__lte=max(days.values()),
            ).values_list("day", "followers")
        )
        stale = []
        for row in found:
            value = followers_on(counts, days[row.pk])
            if row.followers != value:
                row.followers = value
                stale.append(row)
        PostMetricLatest.objects.bulk_update(stale, ["followers"], batch_size=BATCH)
        changed += len(stale)
    return changed


def followers_on(counts: dict[dt.date, int], day: dt.date) -> int | None:
    """The last daily count on or before ``day``, at most FOLLOWERS_LOOKBACK old."""
    for back in range(FOLLOWERS_LOOKBACK.days + 1):
        count = counts.get(day - dt.timedelta(days=back))
        if count is not None:
            return count
    return None


def followers_changed(*, workspace: Workspace, channel_id: int, day: dt.date) -> int:
    """A daily count of ``day`` changed: the posts published that day and in the lookback after it."""
    return publication_followers_refresh(
        workspace=workspace, channel_id=channel_id, first=day, last=day + FOLLOWERS_LOOKBACK
    )


def rows_created(*, target_ids: Iterable[int]) -> None:
    """New latest-values rows: their post's rubric and their followers at publication."""
    wanted = list(target_ids)
    if not wanted:
        return
    PostMetricLatest.objects.filter(pk__in=wanted).update(
        rubric_id=Subquery(Post.objects.filter(pk=OuterRef("post_id")).values("rubric_id")[:1])
    )
    by_workspace: dict[int, list[int]] = defaultdict(list)
    for pk, workspace_id in PostMetricLatest.objects.filter(pk__in=wanted).values_list("pk", "workspace_id"):
        by_workspace[workspace_id].append(pk)
    for workspace in Workspace.objects.filter(pk__in=list(by_workspace)):
        publication_followers_refresh(workspace=workspace, target_ids=by_workspace[workspace.pk])


def rubric_changed(*, post_id: int, rubric_id: int | None) -> None:
    PostMetricLatest.objects.filter(post_id=post_id).update(rubric_id=rubric_id)


def workspace_refresh(*, workspace: Workspace) -> int:
    """Every row of the workspace (its time zone changed, or the data was written in bulk): both fields."""
    PostMetricLatest.objects.filter(workspace=workspace).update(
        rubric_id=Subquery(Post.objects.filter(pk=OuterRef("post_id")).values("rubric_id")[:1])
    )
    return publication_followers_refresh(workspace=workspace)

"""Rubrics and the plan's rubric mix: the share of a period's posts each rubric holds against its target."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Q
from django.utils.translation import gettext as _

from portevoix.content.models import Post
from portevoix.core.errors import NotFound
from portevoix.planning.models import Rubric
from portevoix.workspaces.models import Workspace

NO_RUBRIC_COLOUR = "#868e96"


@dataclass(frozen=True)
class RubricShare:
    rubric_id: int | None  # None: posts without a rubric
    name: str
    colour: str
    target_share: int | None  # percent, None when the rubric has no target
    count: int
    actual_share: float  # percent of the period's planned posts, 0 when there are none

    @property
    def gap(self) -> float | None:
        """Actual minus target, in percentage points (None without a target)."""
        return None if self.target_share is None else round(self.actual_share - self.target_share, 1)


def rubric_list(*, workspace: Workspace, include_archived: bool = False) -> list[Rubric]:
    rubrics = Rubric.objects.filter(workspace=workspace)
    if not include_archived:
        rubrics = rubrics.filter(archived=False)
    return list(rubrics.order_by("position", "name"))


def rubric_get(*, workspace: Workspace, rubric_id: int) -> Rubric:
    """A rubric of the workspace (archived or not); 404 for any other id."""
    rubric = Rubric.objects.filter(workspace=workspace, pk=rubric_id).first()
    if rubric is None:
        raise NotFound(_("No such rubric."))
    return rubric


def rubric_choices(*, workspace: Workspace, keep_id: int | None = None) -> list[Rubric]:
    """The rubrics a post may be given: the active ones, plus ``keep_id`` (a post's archived rubric)."""
    rubrics = Rubric.objects.filter(workspace=workspace)
    rubrics = (
        rubrics.filter(archived=False)
        if keep_id is None
        else rubrics.filter(Q(archived=False) | Q(pk=keep_id))
    )
    return list(rubrics.order_by("position", "name"))


def rubric_mix(*, workspace: Workspace, start: datetime, end: datetime) -> list[RubricShare]:
    """Posts planned in [start, end) by rubric (one grouped query, plus the rubric list). Every active
    rubric is listed, even with no post; archived ones only when they hold posts of the period."""
    counts: dict[int | None, int] = dict(
        Post.objects.filter(workspace=workspace, scheduled_at__gte=start, scheduled_at__lt=end)
        .values_list("rubric_id")
        .annotate(n=Count("pk"))
        .values_list("rubric_id", "n")
    )
    total = sum(counts.values())
    shares: list[RubricShare] = []
    for rubric in Rubric.objects.filter(workspace=workspace).order_by("position", "name"):
        count = counts.get(rubric.pk, 0)
        if rubric.archived and not count:
            continue
        shares.append(
            RubricShare(
                rubric_id=rubric.pk,
                name=rubric.name,
                colour=rubric.colour,
                target_share=rubric.target_share,
                count=count,
                actual_share=round(100 * count / total, 1) if total else 0.0,
            )
        )
    if counts.get(None):
        count = counts[None]
        shares.append(
            RubricShare(
                rubric_id=None,
                name=_("No rubric"),
                colour=NO_RUBRIC_COLOUR,
                target_share=None,
                count=count,
                actual_share=round(100 * count / total, 1),
            )
        )
    return shares

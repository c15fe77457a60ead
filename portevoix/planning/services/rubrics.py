"""Writes of rubrics (content pillars): create, change, reorder, archive and unarchive, delete an unused one.

Every function checks ``rubric.manage`` and the workspace. A rubric's target share is a percent (0 to
100, or none); the targets of the active rubrics of a workspace add up to 100 at most. Archiving keeps the
rubric on its posts (and in the mix of the periods where it has posts) but takes it out of the composer's
choices and of the sum of targets.
"""

from __future__ import annotations

import re
from typing import Any

from django.db import transaction
from django.db.models import Max, Sum
from django.utils.translation import gettext as _

from portevoix.core.errors import Conflict, NotFound, ValidationFailed
from portevoix.planning.models import Rubric
from portevoix.workspaces import audit, permissions
from portevoix.workspaces.models import Membership

MAX_NAME = 80
MAX_DESCRIPTION = 2000
COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
DEFAULT_COLOUR = "#4c6ef5"
_UNSET: Any = object()


def _invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, fields={field: [message]})


def clean_name(value: object) -> str:
    name = value.strip() if isinstance(value, str) else ""
    if not name or "\x00" in name:
        raise _invalid("name", _("Give the rubric a name."))
    if len(name) > MAX_NAME:
        raise _invalid("name", _("Use at most %(max)s characters.") % {"max": MAX_NAME})
    return name


def clean_description(value: object) -> str:
    text = value if isinstance(value, str) else ("" if value is None else None)
    if text is None or "\x00" in text:
        raise _invalid("description", _("Enter a text value."))
    if len(text) > MAX_DESCRIPTION:
        raise _invalid("description", _("Use at most %(max)s characters.") % {"max": MAX_DESCRIPTION})
    return text.strip().replace("\r\n", "\n")


def clean_colour(value: object) -> str:
    colour = value.strip() if isinstance(value, str) else ""
    if not COLOUR.match(colour):
        raise _invalid("colour", _("Give a colour as #rrggbb, for example #4c6ef5."))
    return colour.lower()


def clean_target(value: object) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100:
        raise _invalid("target_share", _("Give a target share from 0 to 100 percent, or none."))
    return value


def _check_targets(by: Membership, target: int | None, *, exclude: int | None = None) -> None:
    """The active rubrics' targets, with this one's, add up to 100 at most."""
    if not target:
        return
    others = Rubric.objects.filter(workspace=by.workspace, archived=False, target_share__isnull=False)
    if exclude is not None:
        others = others.exclude(pk=exclude)
    taken = others.aggregate(total=Sum("target_share"))["total"] or 0
    if taken + target > 100:
        message = _(
            "The target shares of the active rubrics would add up to %(total)s%%; they may add up to "
            "100%% at most. The others already take %(taken)s%%, so this one can aim for %(left)s%% at most."
        ) % {"total": taken + target, "taken": taken, "left": max(0, 100 - taken)}
        raise _invalid("target_share", message)


def _unique(by: Membership, name: str, *, exclude: int | None = None) -> None:
    same = Rubric.objects.filter(workspace=by.workspace, name__iexact=name)
    if exclude is not None:
        same = same.exclude(pk=exclude)
    if same.exists():
        raise _invalid("name", _("A rubric with this name already exists."))


def _own(by: Membership, rubric: Rubric) -> None:
    if rubric.workspace_id != by.workspace_id:
        raise NotFound(_("No such rubric."))


def rubric_create(
    *,
    by: Membership,
    name: str,
    description: str = "",
    colour: str = DEFAULT_COLOUR,
    target_share: int | None = None,
) -> Rubric:
    permissions.require(by, "rubric.manage")
    cleaned: dict[str, Any] = {
        "name": clean_name(name),
        "description": clean_description(description),
        "colour": clean_colour(colour),
        "target_share": clean_target(target_share),
    }
    with transaction.atomic():
        _unique(by, cleaned["name"])
        _check_targets(by, cleaned["target_share"])
        last = Rubric.objects.filter(workspace=by.workspace).aggregate(last=Max("position"))["last"]
        rubric = Rubric.objects.create(
            workspace=by.workspace, position=0 if last is None else last + 1, **cleaned
        )
        audit.record(actor=by.user, action="rubric.create", workspace=by.workspace, obj=rubric, **cleaned)
    return rubric


def rubric_update(
    *,
    by: Membership,
    rubric: Rubric,
    name: str = _UNSET,
    description: str = _UNSET,
    colour: str = _UNSET,
    target_share: int | None = _UNSET,
    archived: bool = _UNSET,
    position: int = _UNSET,
) -> Rubric:
    """Change what is given. Unarchiving (or a new target) checks the sum of targets again."""
    permissions.require(by, "rubric.manage")
    _own(by, rubric)
    changes: dict[str, Any] = {}
    if name is not _UNSET:
        changes["name"] = clean_name(name)
    if description is not _UNSET:
        changes["description"] = clean_description(description)
    if colour is not _UNSET:
        changes["colour"] = clean_colour(colour)
    if target_share is not _UNSET:
        changes["target_share"] = clean_target(target_share)
    if archived is not _UNSET:
        if not isinstance(archived, bool):
            raise _invalid("archived", _("Send true or false."))
        changes["archived"] = archived
    with transaction.atomic():
        if "name" in changes:
            _unique(by, changes["name"], exclude=rubric.pk)
        if not changes.get("archived", rubric.archived):
            _check_targets(by, changes.get("target_share", rubric.target_share), exclude=rubric.pk)
        for key, value in changes.items():
            setattr(rubric, key, value)
        if changes:
            rubric.save()
            audit.record(actor=by.user, action="rubric.update", workspace=by.workspace, obj=rubric, **changes)
        if position is not _UNSET:
            rubric_move(by=by, rubric=rubric, position=position)
    rubric.refresh_from_db()
    return rubric


def rubric_move(*, by: Membership, rubric: Rubric, position: int) -> Rubric:
    """Put the rubric at ``position`` (0 is the first; past the end means last) in the workspace's order."""
    permissions.require(by, "rubric.manage")
    _own(by, rubric)
    if isinstance(position, bool) or not isinstance(position, int) or position < 0:
        raise _invalid("position", _("Give a position of 0 (the first) or more."))
    with transaction.atomic():
        others = [
            r
            for r in Rubric.objects.select_for_update()
            .filter(workspace=by.workspace)
            .order_by("position", "name", "pk")
            if r.pk != rubric.pk
        ]
        others.insert(min(position, len(others)), rubric)
        for index, item in enumerate(others):
            if item.position != index:
                Rubric.objects.filter(pk=item.pk).update(position=index)
        audit.record(
            actor=by.user,
            action="rubric.move",
            workspace=by.workspace,
            obj=rubric,
            position=min(position, len(others) - 1),
        )
    rubric.refresh_from_db()
    return rubric


def rubric_delete(*, by: Membership, rubric: Rubric) -> None:
    """Delete a rubric no post carries (one with posts is archived instead, so the posts keep it)."""
    permissions.require(by, "rubric.manage")
    _own(by, rubric)
    if rubric.posts.exists():
        raise Conflict(_("Posts carry this rubric: archive it instead, so they keep it."))
    with transaction.atomic():
        audit.record(
            actor=by.user, action="rubric.delete", workspace=by.workspace, obj=rubric, name=rubric.name
        )
        rubric.delete()

"""Rubrics (content pillars): list, create, read, change (including archive and position), delete an unused
one. The mix of a period (actual vs target share) is /api/v1/calendar/mix. Thin: services check the role."""

from __future__ import annotations

from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Field, Path, Query, Router, Schema, Status
from pydantic import AfterValidator, StringConstraints

from portevoix.core.api import MAX_ID, InputSchema, error_responses, no_nul
from portevoix.planning.selectors import rubrics as selectors
from portevoix.planning.services import rubrics as services
from portevoix.workspaces import permissions
from portevoix.workspaces.api_auth import API_AUTH, member

router = Router(auth=API_AUTH, tags=["plan"])

ID = Path(..., ge=1, le=MAX_ID, description="The rubric's id.")
Name = Annotated[str, StringConstraints(max_length=services.MAX_NAME), AfterValidator(no_nul)]
Description = Annotated[str, StringConstraints(max_length=services.MAX_DESCRIPTION), AfterValidator(no_nul)]
Colour = Annotated[str, StringConstraints(max_length=7), AfterValidator(no_nul)]
Share = Annotated[int, Field(ge=0, le=100)]


class RubricOut(Schema):
    id: int
    name: str
    description: str
    colour: str = Field(description="#rrggbb, used for the rubric's posts in the calendar.")
    target_share: int | None = Field(description="Percent of a period's posts it should hold (null: none).")
    position: int
    archived: bool


class RubricList(Schema):
    items: list[RubricOut]


class RubricListParams(Schema):
    archived: bool = Field(False, description="Include archived rubrics.")


class RubricCreateIn(InputSchema):
    name: Name
    description: Description = ""
    colour: Colour = Field(services.DEFAULT_COLOUR, description="#rrggbb.")
    target_share: Share | None = Field(
        None, description="Percent (0-100); the active rubrics' targets add up to 100 at most."
    )


class RubricUpdateIn(InputSchema):
    """Only the fields given change."""

    name: Name | None = None
    description: Description | None = None
    colour: Colour | None = None
    target_share: Share | None = Field(None, description="null removes the target.")
    archived: bool | None = Field(None, description="Archived rubrics keep their posts.")
    position: Annotated[int, Field(ge=0, le=10_000)] | None = Field(
        None, description="New place in the order (0 is the first)."
    )


@router.get(
    "/rubrics",
    response={200: RubricList, **error_responses(403, 404)},
    summary="The workspace's rubrics, in order",
)
def rubric_list(request: HttpRequest, params: Query[RubricListParams]) -> dict[str, Any]:
    membership = member(request)
    permissions.require(membership, "post.view")
    return {"items": selectors.rubric_list(workspace=membership.workspace, include_archived=params.archived)}


@router.post(
    "/rubrics",
    response={201: RubricOut, **error_responses(403, 404)},
    summary="Create a rubric",
    description="422 when the name is taken, the colour is not #rrggbb, or the active rubrics' target shares "
    "would add up to more than 100.",
)
def rubric_create(request: HttpRequest, payload: RubricCreateIn) -> Status[Any]:
    rubric = services.rubric_create(by=member(request), **payload.model_dump())
    return Status(201, rubric)


@router.get("/rubrics/{id}", response={200: RubricOut, **error_responses(403, 404)}, summary="One rubric")
def rubric_get(request: HttpRequest, id: int = ID) -> Any:
    membership = member(request)
    rubric = selectors.rubric_get(workspace=membership.workspace, rubric_id=id)
    permissions.require(membership, "post.view")
    return rubric


@router.patch(
    "/rubrics/{id}",
    response={200: RubricOut, **error_responses(403, 404)},
    summary="Change, reorder, archive or unarchive a rubric",
    description="Unarchiving, or a new target share, checks that the active rubrics' targets add up to "
    "100 at most (422 otherwise).",
)
def rubric_update(request: HttpRequest, payload: RubricUpdateIn, id: int = ID) -> Any:
    membership = member(request)
    rubric = selectors.rubric_get(workspace=membership.workspace, rubric_id=id)
    changes = payload.model_dump(exclude_unset=True)
    for key in ("name", "description", "colour", "archived", "position"):
        if key in changes and changes[key] is None:
            changes.pop(key)  # null only means something for target_share
    return services.rubric_update(by=membership, rubric=rubric, **changes)


@router.delete(
    "/rubrics/{id}",
    response={204: None, **error_responses(403, 404, 409)},
    summary="Delete a rubric no post carries",
    description="409 when posts carry it: archive it instead.",
)
def rubric_delete(request: HttpRequest, id: int = ID) -> Status[None]:
    membership = member(request)
    rubric = selectors.rubric_get(workspace=membership.workspace, rubric_id=id)
    services.rubric_delete(by=membership, rubric=rubric)
    return Status(204, None)

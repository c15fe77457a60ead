"""The audit log's only writer. Services call ``record`` inside their transaction."""

from __future__ import annotations

from typing import Any

from django.db import models

from portevoix.core.context import current_origin
from portevoix.workspaces.models import AuditEvent, Workspace


def record(
    *,
    actor: Any,
    action: str,
    workspace: Workspace | None,
    obj: models.Model | None = None,
    **data: Any,
) -> AuditEvent:
    origin = current_origin()
    is_person = actor is not None and getattr(actor, "pk", None) is not None
    return AuditEvent.objects.create(
        workspace=workspace,
        actor=actor if is_person else None,
        actor_label=(actor.email if is_person else "system"),
        action=action,
        object_type=(obj._meta.model_name or "") if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        object_repr=str(obj)[:200] if obj is not None else "",
        data={key: _jsonable(value) for key, value in data.items()},
        via=origin.via,
        ip_address=origin.ip_address,
    )


def _jsonable(value: Any) -> Any:
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _jsonable(item) for key, item in value.items()}
    return str(value)

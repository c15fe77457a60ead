"""Reads for the media library, always scoped to the caller's workspace, and the bridge to connectors:
``as_media_item`` describes a stored asset as the ``MediaItem`` that publishing hands to a connector."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from portevoix.connectors.types import MediaItem
from portevoix.core.errors import NotFound, ValidationFailed
from portevoix.media.models import MediaAsset, MediaKind
from portevoix.workspaces import permissions
from portevoix.workspaces.models import Membership

MAX_SEARCH = 200


def media_list(*, by: Membership, kind: str | None = None, search: str | None = None) -> QuerySet[MediaAsset]:
    """The workspace's assets, newest first, each with ``used_in`` (how many posts use it).

    ``kind``: "image" or "video"; ``search``: words found in the uploaded name or the alt text.
    """
    permissions.require(by, "media.view")
    assets = MediaAsset.objects.filter(workspace=by.workspace)
    if kind:
        if kind not in MediaKind.values:
            message = _("Choose one of: %(choices)s.") % {"choices": ", ".join(MediaKind.values)}
            raise ValidationFailed(message, fields={"kind": [message]})
        assets = assets.filter(kind=kind)
    for word in (search or "").replace("\x00", "")[:MAX_SEARCH].split():
        assets = assets.filter(Q(original_name__icontains=word) | Q(alt_text__icontains=word))
    return assets.annotate(used_in=Count("attachments__post", distinct=True)).order_by("-created_at", "-pk")


def media_get(*, by: Membership, asset_id: int) -> MediaAsset:
    """One asset of the caller's workspace: NotFound for another workspace's (not disclosed), then the
    ``media.view`` check."""
    asset = (
        MediaAsset.objects.filter(workspace=by.workspace, pk=asset_id)
        .annotate(used_in=Count("attachments__post", distinct=True))
        .first()
    )
    if asset is None:
        raise NotFound(_("No such file."))
    permissions.require(by, "media.view")
    return asset


def as_media_item(asset: MediaAsset) -> MediaItem:
    """The asset as connectors take it: a file on local disk and what is known about it."""
    return MediaItem(
        kind=asset.kind,
        path=local_path(asset),
        content_type=asset.content_type,
        size=asset.size,
        filename=asset.download_name,
        width=asset.width,
        height=asset.height,
        duration_seconds=asset.duration_seconds,
        alt_text=asset.alt_text,
    )


def local_path(asset: MediaAsset) -> Path:
    """``storage.path()`` of the file; with a remote storage (S3), a copy kept in the data directory."""
    storage, name = asset.file.storage, asset.file.name or ""
    try:
        return Path(storage.path(name))
    except NotImplementedError:
        pass
    cache = Path(settings.DATA_DIR) / "cache" / "media"
    cache.mkdir(parents=True, exist_ok=True)
    path = cache / f"{asset.sha256}.{asset.extension}"
    if not path.exists():
        with (
            tempfile.NamedTemporaryFile(dir=cache, delete=False) as out,
            storage.open(name) as source,
        ):
            shutil.copyfileobj(source, out)
        Path(out.name).replace(path)
    return path

"""Writes for the media library: upload, alt text, delete.

An upload is judged by its content only (formats.py): the name and the Content-Type the client sent are
never trusted. Accepted files are checked (Pillow for images, ffmpeg for videos), their metadata are
removed (docs/media.md: privacy), and they are stored through Django's storage API under a name made of
the content's SHA-256. The same bytes uploaded twice in a workspace give back the asset already there.

Files are written before the database row and removed again if the row cannot be saved; deleted assets'
files are removed after the transaction commits.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import ProtectedError, Q
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from portevoix.core.errors import Conflict, NotFound, ValidationFailed
from portevoix.media import conf, formats, images, video
from portevoix.media.formats import Format
from portevoix.media.models import MediaAsset, MediaKind
from portevoix.workspaces import audit, permissions
from portevoix.workspaces.models import Membership, Workspace

logger = logging.getLogger(__name__)

MAX_ALT_TEXT = 1500  # Mastodon's limit, the longest of the networks'
MAX_NAME = 255
_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class Processed:
    """What will be stored for one upload."""

    sha256: str
    size: int
    width: int | None
    height: int | None
    duration_seconds: float | None = None
    codec: str = ""
    thumbnail: bytes | None = None
    poster: bytes | None = None
    data: bytes | None = None  # the cleaned image, in memory
    path: Path | None = None  # or the cleaned video, on disk

    def open(self) -> File:  # type: ignore[type-arg]
        if self.path is not None:
            return File(self.path.open("rb"), name=self.path.name)
        return ContentFile(self.data or b"")


# --- Input --------------------------------------------------------------------------------------


def clean_alt_text(value: str | None) -> str:
    text = (value or "").strip()
    if "\x00" in text:
        raise ValidationFailed(
            _("Text cannot contain NUL characters."),
            fields={"alt_text": [_("Text cannot contain NUL characters.")]},
        )
    if len(text) > MAX_ALT_TEXT:
        message = _("Use at most %(max)s characters.") % {"max": MAX_ALT_TEXT}
        raise ValidationFailed(message, fields={"alt_text": [message]})
    return text


def clean_name(value: str | None) -> str:
    """The uploaded file's name, for display only: no folders, no control characters, bounded."""
    name = (value or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(char for char in name if unicodedata.category(char)[0] != "C").strip()
    if len(name) > MAX_NAME:
        stem, dot, extension = name.rpartition(".")
        name = (
            (stem[: MAX_NAME - len(extension) - 1] + dot + extension) if dot and len(extension) < 10 else ""
        )
        name = name or (value or "")[:MAX_NAME]
    return name[:MAX_NAME]


def _too_large(name: str, size: int, limit: int, kind: str) -> ValidationFailed:
    if kind == MediaKind.VIDEO:
        message = _("%(name)s is %(size)s; videos may be at most %(max)s.")
    elif kind == MediaKind.IMAGE:
        message = _("%(name)s is %(size)s; images may be at most %(max)s.")
    else:
        message = _("%(name)s is %(size)s; files may be at most %(max)s.")
    text = message % {
        "name": name or _("This file"),
        "size": filesizeformat(size),
        "max": filesizeformat(limit),
    }
    return formats.refuse(text)


def _read_head(file: UploadedFile) -> bytes:
    file.seek(0)
    head = file.read(formats.SNIFF_BYTES)
    file.seek(0)
    return bytes(head)


def _sha256_of(file: UploadedFile) -> str:
    digest = hashlib.sha256()
    file.seek(0)
    for chunk in file.chunks(_CHUNK):
        digest.update(chunk)
    file.seek(0)
    return digest.hexdigest()


def _duplicate(workspace: Workspace, digest: str) -> MediaAsset | None:
    return (
        MediaAsset.objects.filter(workspace=workspace)
        .filter(Q(sha256=digest) | Q(source_sha256=digest))
        .order_by("created_at")
        .first()
    )


# --- Upload -------------------------------------------------------------------------------------


def media_upload(*, by: Membership, file: UploadedFile, alt_text: str = "") -> MediaAsset:
    """Check, clean and store one uploaded image or video.

    Returns the new asset, or the workspace's existing asset when the same file is already in the library
    (its ``is_duplicate`` is then True and nothing is stored). ValidationFailed (on the ``file`` field)
    explains every refusal in plain words.
    """
    permissions.require(by, "media.upload")
    alt_text = clean_alt_text(alt_text)
    name = clean_name(file.name)
    limits = conf.limits()
    size = int(file.size or 0)
    if size == 0:
        raise formats.refuse(_("The file is empty."))
    if size > max(limits.image_bytes, limits.video_bytes):
        raise _too_large(name, size, max(limits.image_bytes, limits.video_bytes), "")
    fmt = formats.sniff(_read_head(file))
    limit = limits.image_bytes if fmt.kind == MediaKind.IMAGE else limits.video_bytes
    if size > limit:
        raise _too_large(name, size, limit, fmt.kind)

    source_sha256 = _sha256_of(file)
    existing = _duplicate(by.workspace, source_sha256)
    if existing is not None:
        existing.is_duplicate = True
        return existing

    with tempfile.TemporaryDirectory(prefix="portevoix-media-", dir=_temp_dir()) as folder:
        if fmt.kind == MediaKind.IMAGE:
            processed = _process_image(file, fmt, limits)
        else:
            processed = _process_video(file, fmt, limits, Path(folder))
        existing = _duplicate(by.workspace, processed.sha256)
        if existing is not None:
            existing.is_duplicate = True
            return existing
        asset = MediaAsset(
            workspace=by.workspace,
            kind=fmt.kind,
            original_name=name,
            content_type=fmt.content_type,
            extension=fmt.extension,
            size=processed.size,
            sha256=processed.sha256,
            source_sha256=source_sha256,
            width=processed.width,
            height=processed.height,
            duration_seconds=processed.duration_seconds,
            codec=processed.codec,
            alt_text=alt_text,
            uploaded_by=by.user,
        )
        _store(asset, processed, fmt, by)
    return asset


def _temp_dir() -> str | None:
    configured = getattr(settings, "FILE_UPLOAD_TEMP_DIR", None)
    return str(configured) if configured else None


def _process_image(file: UploadedFile, fmt: Format, limits: conf.Limits) -> Processed:
    file.seek(0)
    data = file.read()
    clean = images.clean_image(data, fmt, max_pixels=limits.image_pixels)
    return Processed(
        data=clean.content,
        sha256=hashlib.sha256(clean.content).hexdigest(),
        size=len(clean.content),
        width=clean.width,
        height=clean.height,
        thumbnail=clean.thumbnail,
    )


def _local_copy(file: UploadedFile, folder: Path, fmt: Format) -> Path:
    """A path ffmpeg can read: the upload's own temporary file, or a copy of an in-memory upload."""
    temporary = getattr(file, "temporary_file_path", None)
    if callable(temporary):
        return Path(temporary())
    path = folder / f"source.{fmt.extension}"
    file.seek(0)
    with path.open("wb") as out:
        for chunk in file.chunks(_CHUNK):
            out.write(chunk)
    return path


def _process_video(file: UploadedFile, fmt: Format, limits: conf.Limits, folder: Path) -> Processed:
    try:
        source = _local_copy(file, folder, fmt)
        timeout = limits.ffmpeg_timeout
        info = video.probe(source, fmt, timeout=timeout)
        if info.width * info.height > limits.image_pixels:
            raise formats.refuse(
                _(
                    "This video is %(width)s x %(height)s pixels; "
                    "at most %(megapixels)s megapixels are accepted."
                )
                % {
                    "width": info.width,
                    "height": info.height,
                    "megapixels": f"{limits.image_pixels / 1_000_000:.0f}",
                }
            )
        cleaned = folder / f"clean.{fmt.extension}"
        video.clean(source, cleaned, fmt, info, timeout=timeout)
        info = video.probe(cleaned, fmt, timeout=timeout)  # what is stored is what is described
        poster_path = folder / "poster.jpg"
        poster = thumbnail = None
        if video.poster(cleaned, poster_path, fmt, info, timeout=timeout):
            poster = poster_path.read_bytes()
            try:
                thumbnail = images.thumbnail_of(poster)
            except OSError:
                logger.warning("The poster frame of a %s video could not be read", fmt.label)
                poster = None
    except video.FfmpegMissing:
        logger.error("ffmpeg is not available: install imageio-ffmpeg or set IMAGEIO_FFMPEG_EXE")
        raise formats.refuse(_("This server cannot read videos: ffmpeg is missing.")) from None
    digest = hashlib.sha256()
    with cleaned.open("rb") as stream:
        shutil.copyfileobj(stream, _Hasher(digest), _CHUNK)
    return Processed(
        path=cleaned,
        sha256=digest.hexdigest(),
        size=cleaned.stat().st_size,
        width=info.width,
        height=info.height,
        duration_seconds=info.duration_seconds,
        codec=info.codec,
        thumbnail=thumbnail,
        poster=poster,
    )


class _Hasher:
    """A file-like sink that feeds a hash (for shutil.copyfileobj)."""

    def __init__(self, digest: hashlib._Hash) -> None:
        self.digest = digest

    def write(self, data: bytes) -> int:
        self.digest.update(data)
        return len(data)


def _store(asset: MediaAsset, processed: Processed, fmt: Format, by: Membership) -> None:
    stored: list[str] = []
    try:
        with processed.open() as content:
            asset.file.save(f"upload.{fmt.extension}", content, save=False)
        stored.append(asset.file.name or "")
        if processed.thumbnail:
            asset.thumbnail.save("thumb.jpg", ContentFile(processed.thumbnail), save=False)
            stored.append(asset.thumbnail.name or "")
        if processed.poster:
            asset.poster.save("poster.jpg", ContentFile(processed.poster), save=False)
            stored.append(asset.poster.name or "")
        with transaction.atomic():
            asset.save()
            audit.record(
                actor=by.user,
                action="media.upload",
                workspace=by.workspace,
                obj=asset,
                kind=asset.kind,
                content_type=asset.content_type,
                size=asset.size,
                sha256=asset.sha256,
            )
    except BaseException:
        _delete_files(stored)
        raise


# --- Alt text and deletion ----------------------------------------------------------------------


def media_update_alt_text(*, by: Membership, asset: MediaAsset, alt_text: str) -> MediaAsset:
    permissions.require(by, "media.upload")
    _same_workspace(by, asset)
    text = clean_alt_text(alt_text)
    if text == asset.alt_text:
        return asset
    with transaction.atomic():
        asset.alt_text = text
        asset.save(update_fields=["alt_text", "updated_at"])
        audit.record(actor=by.user, action="media.update", workspace=by.workspace, obj=asset, alt_text=text)
    return asset


def media_delete(*, by: Membership, asset: MediaAsset) -> None:
    """Delete an asset that no post uses; Conflict (409) while posts use it."""
    permissions.require(by, "media.upload")
    _same_workspace(by, asset)
    used = asset.attachments.values("post").distinct().count()
    if used:
        raise Conflict(_in_use_message(used))
    names = [name for name in (asset.file.name, asset.thumbnail.name, asset.poster.name) if name]
    try:
        with transaction.atomic():
            audit.record(
                actor=by.user,
                action="media.delete",
                workspace=by.workspace,
                obj=asset,
                sha256=asset.sha256,
                size=asset.size,
            )
            asset.delete()
    except ProtectedError:  # a post took it between the check and the delete
        raise Conflict(_in_use_message(asset.attachments.values("post").distinct().count() or 1)) from None
    transaction.on_commit(lambda: _delete_unreferenced(names))


def _in_use_message(posts: int) -> str:
    return ngettext(
        "This file is used by %(count)s post: remove it from the post first.",
        "This file is used by %(count)s posts: remove it from those posts first.",
        posts,
    ) % {"count": posts}


def _same_workspace(by: Membership, asset: MediaAsset) -> None:
    if asset.workspace_id != by.workspace.pk:
        raise NotFound(_("No such file."))


def _delete_unreferenced(names: list[str]) -> None:
    """Delete stored files that no remaining asset points to (two racing uploads may share a name)."""
    still_used = set(
        MediaAsset.objects.filter(
            Q(file__in=names) | Q(thumbnail__in=names) | Q(poster__in=names)
        ).values_list("file", "thumbnail", "poster")
    )
    used = {name for row in still_used for name in row}
    _delete_files([name for name in names if name not in used])


def _delete_files(names: list[str]) -> None:
    storage = MediaAsset._meta.get_field("file").storage  # type: ignore[union-attr]
    for name in names:
        try:
            storage.delete(name)
        except Exception:  # a file left behind must not turn a done deletion into an error
            logger.warning("Could not delete the stored media file %s", name, exc_info=True)

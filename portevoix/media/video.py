"""Reading, cleaning and taking a poster frame of an uploaded video with ffmpeg.

ffmpeg comes inside the imageio-ffmpeg wheel (``IMAGEIO_FFMPEG_EXE`` points to another binary). It is
always run without a shell, on local files only (``-protocol_whitelist file``: a crafted file cannot make
it open URLs or other files), with the demuxer forced to the container the file's first bytes announced,
and with a time limit.

- ``probe``: the container's streams from ``ffmpeg -i`` (no ffprobe in the wheel): codec, size (turned
  upright when the video carries a rotation), duration.
- ``clean``: a copy of the video and first audio track into the same container, without re-encoding,
  with every metadata block dropped (GPS position, device, dates) and, for MP4 and MOV, the index moved
  to the front so that networks and browsers can start reading at once.
- ``poster``: the frame at 1 s (the first frame of a shorter video) as a JPEG.
"""

from __future__ import annotations

import functools
import logging
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from django.utils.translation import gettext as _

from portevoix.media import formats
from portevoix.media.formats import Format

logger = logging.getLogger(__name__)

POSTER_AT_SECONDS = 1.0

_INPUT = re.compile(r"^Input #0, (?P<names>[^\n]*?), from ", re.MULTILINE)
_DURATION = re.compile(r"Duration: (?P<h>\d+):(?P<m>\d{2}):(?P<s>\d{2}(?:\.\d+)?)")
_STREAM = re.compile(
    r"^\s*Stream #0:(?P<index>\d+)\S*: (?P<type>Video|Audio|Subtitle|Data|Attachment): (?P<rest>.*)$"
)
_CODEC = re.compile(r"^(?P<codec>[\w-]+)")
_SIZE = re.compile(r"(?<![\w/])(?P<w>[1-9]\d{0,5})x(?P<h>[1-9]\d{0,5})(?!\w)")
_ROTATION = re.compile(r"display ?matrix: rotation of (?P<deg>-?\d+(?:\.\d+)?) degrees", re.IGNORECASE)


class FfmpegMissing(RuntimeError):
    pass


@dataclass(frozen=True)
class VideoInfo:
    codec: str
    width: int  # as shown, after the rotation
    height: int
    duration_seconds: float | None
    rotation: int
    video_stream: int
    audio_stream: int | None


@functools.cache
def ffmpeg_exe() -> str:
    try:
        import imageio_ffmpeg

        return str(imageio_ffmpeg.get_ffmpeg_exe())
    except (ImportError, RuntimeError) as error:
        raise FfmpegMissing(str(error)) from error


def _demuxer(fmt: Format) -> str:
    return "matroska" if fmt.ffmpeg == "webm" else "mov"


def _run(arguments: list[str], *, timeout: float) -> subprocess.CompletedProcess[bytes]:
    command = [ffmpeg_exe(), "-hide_banner", "-nostdin", *arguments]
    try:
        return subprocess.run(command, capture_output=True, timeout=timeout, check=False)  # noqa: S603
    except subprocess.TimeoutExpired:
        raise formats.refuse(_("Reading this video took too long; try a shorter or smaller file.")) from None


def damaged() -> Exception:
    return formats.refuse(_("This video is damaged or incomplete; Portevoix could not read it."))


def probe(path: Path, fmt: Format, *, timeout: float) -> VideoInfo:
    """What the container holds; ValidationFailed when it is not a video we accept."""
    result = _run(["-protocol_whitelist", "file", "-f", _demuxer(fmt), "-i", f"file:{path}"], timeout=timeout)
    return parse_probe(result.stderr.decode("utf-8", "replace"), fmt)


def parse_probe(text: str, fmt: Format) -> VideoInfo:
    if _INPUT.search(text) is None:
        raise damaged()
    lines = text.splitlines()
    video: tuple[int, str, int] | None = None  # (stream index, details, line number)
    audio: int | None = None
    for number, line in enumerate(lines):
        match = _STREAM.match(line)
        if match is None:
            continue
        kind, rest = match["type"], match["rest"]
        if kind == "Video" and video is None and "(attached pic)" not in rest:
            video = (int(match["index"]), rest, number)
        elif kind == "Audio" and audio is None:
            audio = int(match["index"])
    if video is None:
        raise formats.refuse(_("This file has no video track."))
    index, rest, number = video
    codec_match = _CODEC.match(rest)
    codec = codec_match["codec"] if codec_match else ""
    accepted = formats.VIDEO_CODECS[fmt.content_type]
    if codec not in accepted:
        raise formats.refuse(
            _(
                "This %(container)s video is encoded with %(codec)s; accepted: %(accepted)s. "
                "Convert it to H.264."
            )
            % {
                "container": fmt.label,
                "codec": codec or _("an unknown codec"),
                "accepted": ", ".join(sorted(_codec_label(name) for name in accepted)),
            }
        )
    size = _SIZE.search(rest)
    if size is None:
        raise damaged()
    width, height = int(size["w"]), int(size["h"])
    rotation = 0
    for line in lines[number + 1 :]:
        if _STREAM.match(line):
            break
        found = _ROTATION.search(line)
        if found:
            rotation = round(float(found["deg"])) % 360
            break
    if rotation in (90, 270):
        width, height = height, width
    duration = _DURATION.search(text)
    seconds = int(duration["h"]) * 3600 + int(duration["m"]) * 60 + float(duration["s"]) if duration else None
    return VideoInfo(
        codec=codec,
        width=width,
        height=height,
        duration_seconds=seconds,
        rotation=rotation,
        video_stream=index,
        audio_stream=audio,
    )


def _codec_label(codec: str) -> str:
    return {"h264": "H.264", "hevc": "HEVC", "vp8": "VP8", "vp9": "VP9", "av1": "AV1"}.get(codec, codec)


def clean(source: Path, target: Path, fmt: Format, info: VideoInfo, *, timeout: float) -> None:
    """Copy the streams into a new file of the same container without any metadata."""
    streams = ["-map", f"0:{info.video_stream}"]
    if info.audio_stream is not None:
        streams += ["-map", f"0:{info.audio_stream}"]
    muxer = ["-movflags", "+faststart"] if fmt.ffmpeg in ("mp4", "mov") else []
    result = _run(
        [
            "-loglevel",
            "error",
            "-protocol_whitelist",
            "file",
            "-f",
            _demuxer(fmt),
            "-i",
            f"file:{source}",
            *streams,
            "-c",
            "copy",
            "-map_metadata",
            "-1",
            "-map_chapters",
            "-1",
            "-fflags",
            "+bitexact",
            "-flags:v",
            "+bitexact",
            "-flags:a",
            "+bitexact",
            *muxer,
            "-f",
            fmt.ffmpeg,
            "-y",
            f"file:{target}",
        ],
        timeout=timeout,
    )
    if result.returncode != 0 or not target.exists() or target.stat().st_size == 0:
        logger.info("ffmpeg could not rewrite a %s video: %s", fmt.label, result.stderr[-500:])
        raise damaged()


def poster(source: Path, target: Path, fmt: Format, info: VideoInfo, *, timeout: float) -> bool:
    """Write the poster frame as JPEG; False when no frame could be decoded (the video is still kept)."""
    offsets = [POSTER_AT_SECONDS, 0.0]
    if info.duration_seconds is not None and info.duration_seconds <= POSTER_AT_SECONDS:
        offsets = [0.0]
    for offset in offsets:
        _run(
            [
                "-loglevel",
                "error",
                "-protocol_whitelist",
                "file",
                "-ss",
                f"{offset:.3f}",
                "-f",
                _demuxer(fmt),
                "-i",
                f"file:{source}",
                "-map",
                f"0:{info.video_stream}",
                "-frames:v",
                "1",
                "-q:v",
                "3",
                "-update",
                "1",
                "-f",
                "image2",
                "-c:v",
                "mjpeg",
                "-y",
                f"file:{target}",
            ],
            timeout=timeout,
        )
        if target.exists() and target.stat().st_size > 0:
            return True
    return False

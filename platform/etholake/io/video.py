"""Video metadata and per-frame timestamps, read with PyAV by demuxing packets (no frame is decoded).

:func:`probe_video` reports what the container claims (codec, size, pixel
format, frame rate, header frame count, duration) next to what the stream
holds (the number of video packets, one per frame for the codecs pose tools
use), so a truncated or variable-frame-rate video is caught at ingest.
:func:`frame_timestamps` gives the presentation time of every frame, the
video clock that pose ``time`` coordinates and neural alignment refer to.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np

from etholake.errors import InputFileError
from etholake.io._files import file_sha256, require_readable_file

__all__ = ["frame_timestamps", "probe_video"]

_TEXT_DEMUXER = "tty"  # FFmpeg shows any text file as ANSI art "video"


def _open(path: Path) -> av.container.InputContainer:
    try:
        container = av.open(str(path), mode="r")
    except (av.FFmpegError, UnicodeDecodeError, ValueError) as error:
        raise InputFileError(path, f"not a readable video (truncated or corrupted?): {error}") from error
    if container.format.name == _TEXT_DEMUXER or not container.streams.video:
        container.close()
        raise InputFileError(path, "holds no video stream")
    return container


def _packet_times(path: Path, container: av.container.InputContainer) -> np.ndarray:
    """Presentation timestamps (in stream time-base units) of every video packet, in demux order."""
    stream = container.streams.video[0]
    try:
        stamps = [
            packet.pts if packet.pts is not None else packet.dts
            for packet in container.demux(stream)
            if packet.size > 0
        ]
    except av.FFmpegError as error:
        raise InputFileError(path, f"video stream cannot be demuxed (truncated or corrupted?): {error}") from error
    if any(stamp is None for stamp in stamps):
        raise InputFileError(path, "some video packets carry no timestamp")
    return np.asarray(stamps, dtype=np.int64)


def _check_complete(path: Path, header_frames: int, packet_count: int) -> None:
    if header_frames > 0 and packet_count < header_frames:
        raise InputFileError(
            path,
            f"the header announces {header_frames} frames but only {packet_count} can be read (truncated file?)",
        )


def _rational(value: Fraction | None) -> str | None:
    return None if value is None else f"{value.numerator}/{value.denominator}"


def probe_video(path: str | Path, *, sha256: bool = True) -> dict[str, Any]:
    """Describe a video file without decoding its frames.

    Parameters
    ----------
    path
        A video file PyAV/FFmpeg can open.
    sha256
        Whether to hash the file's bytes. Without the hash a probe reads only
        the container's packet headers, so checking many large videos is quick.

    Returns
    -------
    dict
        ``path``, ``sha256`` (when asked for), ``size_bytes``, ``container`` (format name),
        ``codec``, ``width``, ``height``, ``pixel_format``, ``frame_rate``
        (average rate as a rational string, e.g. ``"30000/1001"``), ``fps``
        (the same as a float), ``time_base`` (rational string), ``start_time_s``,
        ``duration_s``, ``header_frame_count`` (what the container claims,
        0 if unknown), ``packet_count`` (video packets found by demuxing) and
        ``variable_frame_rate`` (whether frame intervals differ by more than
        one time-base tick).

    Raises
    ------
    InputFileError
        If the file cannot be opened or demuxed, has no video stream, or holds
        fewer packets than its header announces.

    Examples
    --------
    >>> info = probe_video("m3v1mp4.mp4")  # doctest: +SKIP
    >>> info["packet_count"], info["frame_rate"]  # doctest: +SKIP
    (2330, '1000000/33333')
    """
    path = require_readable_file(path)
    with _open(path) as container:
        stream = container.streams.video[0]
        codec = stream.codec_context
        rate = stream.average_rate or stream.guessed_rate or stream.base_rate
        time_base = stream.time_base
        start = stream.start_time if stream.start_time is not None else 0
        if stream.duration is not None:
            duration = float(stream.duration * time_base)
        else:
            duration = container.duration / av.time_base if container.duration is not None else None
        header_frames = int(stream.frames or 0)
        stamps = np.sort(_packet_times(path, container))
        info = {
            "path": str(path),
            "size_bytes": path.stat().st_size,
            "container": container.format.name,
            "codec": codec.name,
            "width": codec.width,
            "height": codec.height,
            "pixel_format": codec.format.name if codec.format is not None else None,
            "frame_rate": _rational(rate),
            "fps": float(rate) if rate else None,
            "time_base": _rational(time_base),
            "start_time_s": float(start * time_base),
            "duration_s": duration,
            "header_frame_count": header_frames,
            "packet_count": int(stamps.size),
            "variable_frame_rate": bool(stamps.size > 2 and np.ptp(np.diff(stamps)) > 1),
        }
    _check_complete(path, header_frames, info["packet_count"])
    if sha256:
        info["sha256"] = file_sha256(path)
    return info


def frame_timestamps(path: str | Path) -> np.ndarray:
    """Presentation time of every video frame, in seconds, in display order.

    Taken from the demuxed packets' presentation timestamps (sorted, since
    packets come in decode order), times the stream time base. Times are on
    the container clock: the first is the stream start time (usually 0).

    Parameters
    ----------
    path
        A video file PyAV/FFmpeg can open.

    Returns
    -------
    numpy.ndarray
        float64, one entry per frame.

    Raises
    ------
    InputFileError
        If the file cannot be opened or demuxed, or is truncated.
    """
    path = require_readable_file(path)
    with _open(path) as container:
        stream = container.streams.video[0]
        time_base = stream.time_base
        header_frames = int(stream.frames or 0)
        stamps = np.sort(_packet_times(path, container))
    _check_complete(path, header_frames, stamps.size)
    return stamps.astype(np.float64) * time_base.numerator / time_base.denominator

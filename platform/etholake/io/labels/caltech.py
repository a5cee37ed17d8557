"""Caltech Behavior Annotator ``.txt`` files (format name ``caltech``).

Layout, as the annotator writes it (CRLF line ends, ``<TAB>`` a tab)::

    Caltech Behavior Annotator - Annotation File

    Configuration file:
    base<TAB>z
    aggression<TAB>a
    ...

    S1:<TAB>start<TAB>end<TAB>type
    -----------------------------
       <TAB>1<TAB>236<TAB>base
       <TAB>237<TAB>273<TAB>nonsocial
    ...

The configuration lists every behavior and its key. Each stream (``S1``,
``S2``, ...) is a separate, mutually exclusive coding of the video: one
behavior per frame, as 1-based inclusive frame ranges. Annotation frame ``k``
is video frame ``k - 1`` (pose row ``k - 1``).

Mapping onto the labels model, per stream:

- the background label (``base``, or ``other`` in older files) means "scored,
  none of this stream's behaviors": every behavior is 0 on those frames and
  the background gets no column of its own;
- the behaviors are those the stream uses (in configuration order), or the
  ``behaviors=`` given, which may add behaviors the stream never uses (0 on
  every scored frame);
- frames no range covers are -1 (not scored), and so are frames after the
  last range up to ``n_frames``;
- one stream is one label set: ``label_set`` is the stream name.

Some labs code only a window of the video and mark the rest with the
background label. The rat-dyad files do: in every one of the 16 files, stream
S1 (aggression / social / nonsocial) covers exactly 12,000 consecutive frames
flanked by ``base``, and S2's behaviors all fall inside that window. Pass
``window_stream="S1"`` to make frames outside the first-to-last
non-background range of S1 not scored (-1) in the stream read, or
``background="not_scored"`` to make every background frame -1.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import xarray as xr

from etholake.errors import InputFileError
from etholake.io._files import require_readable_file, warn_fixup
from etholake.io.labels._frames import (
    build_labels,
    clip_intervals,
    label_values,
    paint_intervals,
    paint_scored,
    resolve_behaviors,
    session_length,
)

FORMAT = "caltech"
HEADER = "Caltech Behavior Annotator - Annotation File"
BACKGROUND_LABELS = ("base", "other")
BACKGROUND_MEANINGS = ("absent", "not_scored")

_STREAM_LINE = re.compile(r"^(S\d+):\s+start\s+end\s+type\s*$")
_RANGE_LINE = re.compile(r"^\s*(-?\d+)\s+(-?\d+)\s+(\S+)\s*$")
_CONFIG_LINE = re.compile(r"^(\S+)\t(\S*)\s*$")


@dataclass(frozen=True)
class CaltechStream:
    """One stream of a Caltech file: 0-based ``[start, stop)`` frame ranges and their behavior names."""

    name: str
    starts: np.ndarray
    stops: np.ndarray
    behaviors: list[str]
    first_line: list[int]


def parse_caltech(path: str | Path) -> tuple[list[str], dict[str, CaltechStream]]:
    """Parse a Caltech Behavior Annotator file.

    Returns
    -------
    configuration
        Behavior names of the configuration section, in file order.
    streams
        Stream name -> its ranges, in file order.

    Raises
    ------
    InputFileError
        If the header is missing, a line cannot be parsed (the last one cut
        short, say), or a range is empty or starts before frame 1.
    """
    path = require_readable_file(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        raise InputFileError(path, f"not a Caltech Behavior Annotator file (not UTF-8 text: {error})") from error
    lines = text.splitlines()
    if not lines or lines[0].strip() != HEADER:
        first = lines[0][:60] if lines else ""
        raise InputFileError(
            path, f"not a Caltech Behavior Annotator file (first line is {first!r}, expected {HEADER!r})"
        )

    configuration: list[str] = []
    raw: dict[str, list[tuple[int, int, str, int]]] = {}
    section = None
    for number, line in enumerate(lines[1:], start=2):
        stripped = line.strip()
        if not stripped or set(stripped) == {"-"}:
            if not stripped and section == "configuration":
                section = None
            continue
        if stripped == "Configuration file:":
            section = "configuration"
            continue
        stream = _STREAM_LINE.match(stripped)
        if stream:
            section = stream.group(1)
            if section in raw:
                raise InputFileError(path, f"line {number}: stream {section} appears twice")
            raw[section] = []
            continue
        if section == "configuration" and (config := _CONFIG_LINE.match(line.rstrip("\r\n"))):
            configuration.append(config.group(1))
            continue
        ranged = _RANGE_LINE.match(line)
        if section in raw and ranged:
            start, end, behavior = int(ranged.group(1)), int(ranged.group(2)), ranged.group(3)
            if start < 1 or end < start:
                raise InputFileError(path, f"line {number}: invalid range {start}-{end} (1-based, start <= end)")
            raw[section].append((start - 1, end, behavior, number))
            continue
        raise InputFileError(path, f"line {number}: cannot parse {line.strip()[:60]!r}")
    if not raw:
        raise InputFileError(path, "no annotation stream (a line like 'S1:\\tstart\\tend\\ttype') found")
    _check_complete(path, text, raw)

    streams = {}
    for name, rows in raw.items():
        unknown = sorted({b for _, _, b, _ in rows} - set(configuration) - set(BACKGROUND_LABELS))
        if configuration and unknown:
            raise InputFileError(path, f"stream {name}: behavior(s) {unknown} are not in the configuration section")
        streams[name] = CaltechStream(
            name=name,
            starts=np.array([r[0] for r in rows], dtype=np.int64),
            stops=np.array([r[1] for r in rows], dtype=np.int64),
            behaviors=[r[2] for r in rows],
            first_line=[r[3] for r in rows],
        )
    return configuration, streams


def _check_complete(path: Path, text: str, raw: dict[str, list[tuple[int, int, str, int]]]) -> None:
    """Refuse a file whose last line was cut inside a range; warn when its streams look cut short.

    The annotator writes every stream over the whole video, so all its
    streams end on the same frame; other writers may code sparse bouts, so
    a stream without ranges, or one ending before another, is a warning.
    """
    last_line = text.rsplit("\n", 1)[-1]
    if "\t" in last_line and not last_line.strip():
        raise InputFileError(path, "the last line stops before its range: the file looks cut short")
    ends = {name: max((stop for _, stop, _, _ in rows), default=0) for name, rows in raw.items()}
    last = max(ends.values())
    short = [
        f"{name} lists no ranges" if not end else f"{name} ends at frame {end}, before frame {last}"
        for name, end in ends.items()
        if end < last or not end
    ]
    if short:
        warnings.warn(
            f"{path}: stream {'; stream '.join(short)}; the annotator codes every stream to the end of the video, "
            "so the file may be cut short: frames after a stream's last range are not scored",
            UserWarning,
            stacklevel=4,
        )


def _check_overlaps(path: Path, stream: CaltechStream) -> None:
    """Raise on overlapping ranges of different behaviors; warn on overlapping ranges of the same one."""
    order = np.argsort(stream.starts, kind="stable")
    starts, stops = stream.starts[order], stream.stops[order]
    names = np.asarray(stream.behaviors, dtype=object)[order]
    running_stop = np.maximum.accumulate(stops)
    overlapping = np.flatnonzero(starts[1:] < running_stop[:-1]) + 1
    for index in overlapping:
        previous = int(np.flatnonzero(stops[:index] > starts[index])[-1])
        if names[previous] != names[index]:
            lines = (stream.first_line[order[previous]], stream.first_line[order[index]])
            raise InputFileError(
                path,
                f"stream {stream.name}: contradictory overlapping ranges {starts[previous] + 1}-{stops[previous]} "
                f"({names[previous]}, line {lines[0]}) and {starts[index] + 1}-{stops[index]} "
                f"({names[index]}, line {lines[1]})",
            )
    if overlapping.size:
        warn_fixup(path, f"stream {stream.name}: {overlapping.size} overlapping range(s) of the same behavior merged")


def _coded_window(path: Path, streams: dict[str, CaltechStream], window_stream: str | None) -> tuple[int, int] | None:
    """``[first, last)`` frames of the non-background ranges of ``window_stream`` (None: no window)."""
    if window_stream is None:
        return None
    if window_stream not in streams:
        raise InputFileError(path, f"has no stream {window_stream!r} to take the coded window from")
    stream = streams[window_stream]
    coded = ~np.isin(np.asarray(stream.behaviors, dtype=object), BACKGROUND_LABELS)
    if not coded.any():
        return (0, 0)
    return int(stream.starts[coded].min()), int(stream.stops[coded].max())


def _stream_dataset(
    path: Path,
    configuration: list[str],
    streams: dict[str, CaltechStream],
    name: str,
    *,
    fps: float | None,
    annotator: str | None,
    label_set: str | None,
    n_frames: int | None,
    behaviors: Sequence[str] | None,
    clip: bool,
    background: str,
    window_stream: str | None,
) -> xr.Dataset:
    if background not in BACKGROUND_MEANINGS:
        raise ValueError(f"background must be one of {BACKGROUND_MEANINGS}, got {background!r}")
    stream = streams[name]
    _check_overlaps(path, stream)
    window = _coded_window(path, streams, window_stream)
    needed = int(stream.stops.max()) if stream.stops.size else 0
    length = session_length(path, needed, n_frames, clip)
    names = np.asarray(stream.behaviors, dtype=object)
    starts, stops, names = clip_intervals(stream.starts, stream.stops, length, names)
    is_behavior = ~np.isin(names, BACKGROUND_LABELS)
    used = set(names[is_behavior].tolist())
    order = configuration + sorted(used - set(configuration))
    columns = resolve_behaviors(path, [b for b in order if b in used], behaviors)
    index = {behavior: i for i, behavior in enumerate(columns)}
    behavior_index = np.array([index[behavior] for behavior in names[is_behavior]], dtype=np.intp)
    present = paint_intervals(length, len(columns), behavior_index, starts[is_behavior], stops[is_behavior])
    scored_spans = is_behavior if background == "not_scored" else np.ones(len(names), dtype=bool)
    scored = paint_scored(length, starts[scored_spans], stops[scored_spans])
    if window is not None:
        frames = np.arange(length)
        scored &= (frames >= window[0]) & (frames < window[1])
    return build_labels(
        path,
        label_values(present, scored),
        behaviors=columns,
        source_format=FORMAT,
        annotator=annotator,
        label_set=label_set or name,
        fps=fps,
        extra_attrs={"stream": name, "background": background, "window_stream": window_stream or ""},
    )


def read_caltech_streams(
    path: str | Path,
    *,
    fps: float | None = None,
    annotator: str | None = None,
    n_frames: int | None = None,
    behaviors: Mapping[str, Sequence[str]] | None = None,
    clip: bool = False,
    background: str = "absent",
    window_stream: str | None = None,
) -> dict[str, xr.Dataset]:
    """Read every stream of a Caltech Behavior Annotator file.

    Parameters
    ----------
    path
        The ``.txt`` annotation file.
    fps
        Video frame rate, for the ``time`` coordinate.
    annotator
        Who scored the video (``"unknown"`` if not given).
    n_frames
        Session length in frames; frames after the last range are -1.
    behaviors
        Stream name -> the behaviors its dataset must have.
    clip
        Drop ranges beyond ``n_frames`` with a warning instead of raising.
    background
        What the background label (``base``/``other``) means: ``"absent"``
        (scored, no behavior: 0) or ``"not_scored"`` (-1).
    window_stream
        Stream whose first-to-last non-background range is the coded window;
        frames outside it are -1 in every stream.

    Returns
    -------
    dict of str to xarray.Dataset
        One labels dataset per stream, ``label_set`` = stream name.
    """
    path = Path(path)
    configuration, streams = parse_caltech(path)
    if behaviors is not None and not isinstance(behaviors, Mapping):
        raise InputFileError(
            path,
            f"behaviors must map each stream to its behaviors ({{{', '.join(f'{s}: [...]' for s in streams)}}}) "
            f"when every stream is read; to read one stream with a list of behaviors, give label_set: "
            f"{next(iter(streams))} (read_caltech(stream=...))",
        )
    return {
        name: _stream_dataset(
            path,
            configuration,
            streams,
            name,
            fps=fps,
            annotator=annotator,
            label_set=None,
            n_frames=n_frames,
            behaviors=(behaviors or {}).get(name),
            clip=clip,
            background=background,
            window_stream=window_stream,
        )
        for name in streams
    }


def read_caltech(
    path: str | Path,
    *,
    stream: str | None = None,
    fps: float | None = None,
    annotator: str | None = None,
    label_set: str | None = None,
    n_frames: int | None = None,
    behaviors: Sequence[str] | None = None,
    clip: bool = False,
    background: str = "absent",
    window_stream: str | None = None,
) -> xr.Dataset:
    """Read one stream of a Caltech Behavior Annotator file.

    Parameters
    ----------
    path
        The ``.txt`` annotation file.
    stream
        Stream to read (``"S1"``, ``"S2"``, ...); may be omitted when the file
        has a single stream.
    fps, annotator, n_frames, clip, background, window_stream
        As in :func:`read_caltech_streams`.
    label_set
        Name of the label set; defaults to the stream name.
    behaviors
        Behaviors the dataset must have (adds columns the stream never uses).

    Returns
    -------
    xarray.Dataset
        The stream as a canonical labels dataset.

    Examples
    --------
    >>> ds = read_caltech("24_annot.txt", stream="S2", fps=30, window_stream="S1")  # doctest: +SKIP
    >>> int(ds["label"].sel(behavior="clinch").max())  # doctest: +SKIP
    1
    """
    path = Path(path)
    configuration, streams = parse_caltech(path)
    if stream is None:
        if len(streams) > 1:
            raise InputFileError(
                path,
                f"holds streams {', '.join(streams)}: pass stream= to pick one, or use read_caltech_streams",
            )
        stream = next(iter(streams))
    if stream not in streams:
        raise InputFileError(path, f"has no stream {stream!r} (streams: {', '.join(streams)})")
    return _stream_dataset(
        path,
        configuration,
        streams,
        stream,
        fps=fps,
        annotator=annotator,
        label_set=label_set,
        n_frames=n_frames,
        behaviors=behaviors,
        clip=clip,
        background=background,
        window_stream=window_stream,
    )

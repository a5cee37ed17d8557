"""Write scored behavior in the label formats labs use.

- BORIS 8 "tabular events" CSV export: one START and one STOP row per state-event bout,
  written by Python's csv module (minimal quoting, CRLF rows) as BORIS does through
  tablib. ``Time`` and ``Image index`` of a START row are the bout's first frame; of
  a STOP row, the first frame after the bout, so a bout covers ``[START, STOP)``.
- Caltech Behavior Annotator ``.txt``: CRLF lines, a configuration block of behavior
  names and keys, then one stream (``S1``) of 1-based inclusive frame ranges covering
  every frame, the background named ``base``, as in the rat-dyad annotations.
- Per-frame CSV: a 0-based ``frame`` column then one 0/1 column per behavior.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import numpy as np

from etholake.sim.behavior import BEHAVIORS, NONE, STATES, bouts, one_hot

BORIS_COLUMNS = (
    "Observation id",
    "Observation date",
    "Description",
    "Observation type",
    "Source",
    "Time offset (s)",
    "Media duration (s)",
    "FPS",
    "Subject",
    "Behavior",
    "Behavioral category",
    "Behavior type",
    "Time",
    "Media file name",
    "Image index",
    "Image file path",
    "Comment",
)
BORIS_CATEGORIES = {"attack": "aggression", "chase": "aggression", "sniff": "investigation", "mount": "sexual"}
CALTECH_BACKGROUND = "base"
CALTECH_KEYS = {"base": "z", "attack": "a", "chase": "c", "sniff": "s", "mount": "m"}
CALTECH_RULE = "-----------------------------"


def write_boris_csv(
    path: str | Path,
    states: np.ndarray,
    *,
    fps: float,
    observation_id: str,
    observation_date: datetime,
    media_file: str,
    subject: str = "resident",
) -> Path:
    """Write a BORIS tabular-events CSV export of one observation.

    Parameters
    ----------
    path
        Output ``.csv``.
    states
        (frame,) scored states (indices into :data:`etholake.sim.behavior.STATES`).
    fps
        Video frame rate.
    observation_id
        BORIS observation id.
    observation_date
        Date of the observation.
    media_file
        The observed video, as BORIS recorded it.
    subject
        Focal subject.

    Returns
    -------
    pathlib.Path
    """
    path = Path(path)
    starts, stops, values = bouts(states)
    scored = values != NONE
    starts, stops, values = starts[scored], stops[scored], values[scored]
    frames = np.stack([starts, stops], axis=1).ravel()
    kinds = np.tile(["START", "STOP"], starts.size)
    behaviors = np.repeat([STATES[v] for v in values], 2)
    order = np.lexsort((kinds == "START", frames))
    constant = [
        observation_id,
        observation_date.strftime("%Y-%m-%d %H:%M:%S"),
        "",
        "Media file(s)",
        f"player #1:{media_file}",
        "0.0",
        f"{len(states) / fps:.3f}",
        f"{fps:.3f}",
        subject,
    ]
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(BORIS_COLUMNS)
    for index in order:
        behavior = str(behaviors[index])
        writer.writerow(
            [
                *constant,
                behavior,
                BORIS_CATEGORIES[behavior],
                str(kinds[index]),
                f"{frames[index] / fps:.3f}",
                media_file,
                int(frames[index]),
                "NA",
                "",
            ]
        )
    path.write_bytes(buffer.getvalue().encode())
    return path


def write_caltech_txt(path: str | Path, states: np.ndarray) -> Path:
    """Write a Caltech Behavior Annotator annotation file with one stream, ``S1``.

    Parameters
    ----------
    path
        Output ``.txt``.
    states
        (frame,) scored states.

    Returns
    -------
    pathlib.Path
    """
    path = Path(path)
    starts, stops, values = bouts(states)
    names = [CALTECH_BACKGROUND if v == NONE else STATES[v] for v in values]
    lines = ["Caltech Behavior Annotator - Annotation File", "", "Configuration file:"]
    lines += [f"{name}\t{key}" for name, key in CALTECH_KEYS.items()]
    lines += ["", "S1:\tstart\tend\ttype", CALTECH_RULE]
    lines += [f"   \t{start + 1}\t{stop}\t{name}" for start, stop, name in zip(starts, stops, names, strict=True)]
    lines += ["  ", ""]
    path.write_bytes("\r\n".join(lines).encode())
    return path


def write_frame_csv(path: str | Path, states: np.ndarray, behaviors: Sequence[str] = BEHAVIORS) -> Path:
    """Write a per-frame CSV: ``frame`` (0-based) then one 0/1 column per behavior.

    Parameters
    ----------
    path
        Output ``.csv``.
    states
        (frame,) scored states.
    behaviors
        Column order (names from :data:`etholake.sim.behavior.BEHAVIORS`).

    Returns
    -------
    pathlib.Path
    """
    path = Path(path)
    present = one_hot(states)[:, [BEHAVIORS.index(name) for name in behaviors]]
    table = np.column_stack([np.arange(len(states)), present])
    np.savetxt(path, table, fmt="%d", delimiter=",", header=",".join(["frame", *behaviors]), comments="")
    return path

"""The ground truth of a simulated session, kept apart from the lab's files.

``ground_truth/<lab>/<session>.npz`` holds arrays (read with ``allow_pickle=False``):

- ``states`` (frame,) int8: true state of every saved video frame (``STATES`` order);
- ``states_ticks`` (tick,) int8: true state of every camera tick, dropped ones included;
- ``saved_ticks`` (frame,) int64: camera tick of each saved frame (gaps = dropped frames);
- ``keypoints_px`` (frame, individual, keypoint, space) float32: true positions, pixels;
- ``centre_mm`` (frame, individual, space) float32: true body centres in arena mm;
- ``sniff_kind`` (frame,) int8: 1 anogenital, 2 face, 0 otherwise;
- ``swapped`` (frame,) bool: the tracks carry each other's animal;
- ``occluded`` / ``jumped`` (frame, individual, keypoint) bool: tracking errors;
- ``scored_<annotator>`` (frame,) int8: what each annotator scored;
- ``pulse_times_camera`` / ``pulse_times_daq``: sync pulse onsets on both clocks.

``ground_truth/<lab>/<session>.json`` holds the metadata: lab profile, clock map
(``t_daq = offset_s + (1 + drift_ppm * 1e-6) * t_camera``), unit and cell tunings (in
NWB unit order), dropped ticks, annotators and the session's files.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np


def write_ground_truth(folder: str | Path, session: str, arrays: dict[str, np.ndarray], metadata: dict) -> dict:
    """Write a session's ground-truth arrays and metadata; return their paths (as strings)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    arrays_path = folder / f"{session}.npz"
    metadata_path = folder / f"{session}.json"
    np.savez(arrays_path, **arrays)
    metadata_path.write_text(json.dumps(metadata, indent=1) + "\n")
    return {"arrays": str(arrays_path), "metadata": str(metadata_path)}


def load_ground_truth(path: str | Path) -> tuple[dict[str, np.ndarray], dict]:
    """Read a session's ground truth from its ``.npz`` or ``.json`` path.

    Returns
    -------
    arrays, metadata
    """
    path = Path(path)
    with np.load(path.with_suffix(".npz"), allow_pickle=False) as stored:
        arrays = {name: stored[name] for name in stored.files}
    return arrays, json.loads(path.with_suffix(".json").read_text())

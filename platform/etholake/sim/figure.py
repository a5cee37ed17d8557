"""A one-page picture of a simulated session: where the mice went, what they looked like, what they did.

Top left: both animals' body-centre trajectories over the first minute, the resident's
coloured by the true behavior. Top right: one snapshot of the two skeletons in the
middle of a bout of each behavior. Bottom: the ethogram of the true behavior above
what each annotator scored, and the distance between the animals.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from etholake.errors import NotFoundError
from etholake.output_files import output_path
from etholake.sim.behavior import BEHAVIORS, NONE, STATES, bouts
from etholake.sim.body import KEYPOINTS, SKELETON
from etholake.sim.ground_truth import load_ground_truth

STATE_COLOURS = {"none": "#d9d9d9", "attack": "#d62728", "chase": "#ff7f0e", "sniff": "#2ca02c", "mount": "#9467bd"}
ANIMAL_COLOURS = ("#222222", "#1f77b4")
TRAJECTORY_SECONDS = 60.0


def find_session(out_dir: str | Path, session: str) -> Path:
    """Path of a session's ground-truth ``.npz`` under a simulation's ``out_dir``.

    Raises
    ------
    NotFoundError
        ``out_dir`` holds no simulation, or not that session.
    """
    index_path = Path(out_dir) / "ground_truth" / "index.json"
    if not index_path.is_file():
        raise NotFoundError(f"{out_dir} holds no simulation (no {index_path.relative_to(out_dir)})")
    index = json.loads(index_path.read_text())
    for entry in index["sessions"]:
        if entry["session"] == session:
            return Path(out_dir) / entry["ground_truth"]["arrays"]
    known = ", ".join(entry["session"] for entry in index["sessions"][:10])
    raise NotFoundError(f"no session {session!r} in {out_dir}; sessions include {known}")


def _snapshot_frames(states: np.ndarray) -> dict[str, int]:
    starts, stops, values = bouts(states)
    frames = {}
    for state, name in enumerate(STATES):
        if state == NONE:
            continue
        mine = np.flatnonzero(values == state)
        if mine.size:
            longest = mine[np.argmax(stops[mine] - starts[mine])]
            frames[name] = int((starts[longest] + stops[longest]) // 2)
    return frames


def _draw_skeletons(ax, keypoints: np.ndarray) -> None:
    index = {name: i for i, name in enumerate(KEYPOINTS)}
    outline = [index[name] for name in ("nose", "left_ear", "left_flank", "tail_base", "right_flank", "right_ear")]
    for animal, colour in enumerate(ANIMAL_COLOURS):
        points = keypoints[animal]
        ax.fill(*points[outline].T, color=colour, alpha=0.35, lw=0)
        for source, target in SKELETON:
            ax.plot(*points[[index[source], index[target]]].T, color=colour, lw=1.5)
        ax.scatter(*points.T, s=12, color=colour, zorder=3)
        ax.scatter(*points[index["nose"]], s=30, color=colour, marker="^", zorder=4)


def _ethogram(ax, rows: dict[str, np.ndarray], fps: float) -> None:
    for row, states in enumerate(rows.values()):
        starts, stops, values = bouts(states)
        for state in range(1, len(STATES)):
            mine = values == state
            spans = np.column_stack([starts[mine] / fps, (stops[mine] - starts[mine]) / fps])
            ax.broken_barh(spans, (row - 0.4, 0.8), color=STATE_COLOURS[STATES[state]])
    ax.set_yticks(range(len(rows)), list(rows))
    ax.set_ylim(len(rows) - 0.5, -0.5)


def plot_session(ground_truth: str | Path, output: str | Path) -> Path:
    """Draw a session's trajectories, posture snapshots and ethogram to a PNG.

    Parameters
    ----------
    ground_truth
        The session's ground-truth ``.npz`` (or ``.json``), see :func:`find_session`.
    output
        The PNG to write.

    Returns
    -------
    pathlib.Path
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    arrays, metadata = load_ground_truth(ground_truth)
    fps = float(metadata["fps"])
    states = arrays["states"]
    keypoints = arrays["keypoints_px"]
    width, height = metadata["lab"]["frame_size"]
    bounds = metadata["files"]["arena"]["bounds_px"]

    figure = plt.figure(figsize=(13, 8.5), layout="constrained")
    grid = figure.add_gridspec(3, 4, height_ratios=[1.0, 1.0, 0.9])
    arena = figure.add_subplot(grid[:2, :2])
    shown = slice(0, min(len(states), int(TRAJECTORY_SECONDS * fps)))
    centres = keypoints[shown, :, [KEYPOINTS.index("left_flank"), KEYPOINTS.index("right_flank")]].mean(axis=2)
    arena.plot(*centres[:, 1].T, color=ANIMAL_COLOURS[1], lw=0.8, alpha=0.6, label="intruder")
    arena.plot(*centres[:, 0].T, color=ANIMAL_COLOURS[0], lw=0.5, alpha=0.4, label="resident")
    colours = [STATE_COLOURS[STATES[s]] for s in states[shown]]
    arena.scatter(*centres[:, 0].T, c=colours, s=4, zorder=3)
    arena.add_patch(plt.Rectangle(bounds[:2], bounds[2] - bounds[0], bounds[3] - bounds[1], fill=False, lw=1.5))
    arena.set_xlim(0, width)
    arena.set_ylim(height, 0)
    arena.set_aspect("equal")
    arena.set_title(f"{metadata['session']}: first {shown.stop / fps:.0f} s (dots: resident, coloured by behavior)")
    arena.legend(loc="upper right", fontsize=8)

    for position, (name, frame) in enumerate(_snapshot_frames(states).items()):
        ax = figure.add_subplot(grid[position // 2, 2 + position % 2])
        _draw_skeletons(ax, keypoints[frame])
        centre = keypoints[frame].reshape(-1, 2).mean(axis=0)
        span = max(np.ptp(keypoints[frame].reshape(-1, 2), axis=0).max() / 2 + 4, 15)
        ax.set_xlim(centre[0] - span, centre[0] + span)
        ax.set_ylim(centre[1] + span, centre[1] - span)
        ax.set_aspect("equal")
        ax.set_title(f"{name} (t = {frame / fps:.1f} s)", color=STATE_COLOURS[name])
        ax.tick_params(labelsize=7)

    ethogram = figure.add_subplot(grid[2, :3])
    rows = {"truth": states, **{name[len("scored_") :]: arrays[name] for name in arrays if name.startswith("scored_")}}
    _ethogram(ethogram, rows, fps)
    ethogram.set_xlabel("time (s)")
    ethogram.set_xlim(0, len(states) / fps)
    handles = [plt.Rectangle((0, 0), 1, 1, color=STATE_COLOURS[name]) for name in BEHAVIORS]
    ethogram.legend(handles, BEHAVIORS, ncols=4, loc="upper center", bbox_to_anchor=(0.5, 1.25), fontsize=8)

    distance = figure.add_subplot(grid[2, 3])
    centre_mm = arrays["centre_mm"]
    separation = np.linalg.norm(centre_mm[:, 0] - centre_mm[:, 1], axis=-1)
    for state, name in enumerate(STATES):
        if not np.any(states == state):
            continue
        distance.hist(
            separation[states == state],
            bins=30,
            range=(0, separation.max()),
            histtype="step",
            color=STATE_COLOURS[name] if state else "#888888",
            label=name,
            density=True,
        )
    distance.set_xlabel("centre distance (mm)")
    distance.legend(fontsize=7)

    output = output_path(output)
    figure.savefig(output, dpi=110)
    plt.close(figure)
    return output

"""Simulate multi-lab resident-intruder experiments, one Dask task per session.

A session is simulated and written entirely inside its task (pose, labels, video,
neural files and ground truth), and the task returns only its small manifest entry,
so memory does not grow with the number of sessions. Every session draws from its
own seed ``(seed, lab index, session index)``: the output does not depend on how
the tasks are scheduled.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from etholake.output_files import output_folder
from etholake.sim.annotators import annotate
from etholake.sim.behavior import BEHAVIORS, STATES, behavior_model, simulate_states
from etholake.sim.body import INDIVIDUALS, KEYPOINTS, SKELETON, simulate_pair
from etholake.sim.ground_truth import write_ground_truth
from etholake.sim.label_writers import write_boris_csv, write_caltech_txt, write_frame_csv
from etholake.sim.labs import LabProfile, make_lab_profiles
from etholake.sim.manifest import build_manifest, write_manifest
from etholake.sim.neural import camera_pulse_frames, drop_frames, simulate_neural
from etholake.sim.neural_writers import write_camera_pulses, write_frame_times, write_nwb
from etholake.sim.pose_writers import dlc_dataframe, write_dlc_csv, write_dlc_h5, write_sleap_analysis_h5
from etholake.sim.tracking import track
from etholake.sim.video import write_video

GROUND_TRUTH_FOLDER = "ground_truth"
FIRST_SESSION_DATE = datetime(2025, 1, 6, 9, 30, tzinfo=UTC)
SESSIONS_PER_SUBJECT = 2
UNITS_PER_SESSION = (8, 17)
CELLS_PER_SESSION = 24
LABEL_SETS = {"boris": "social", "caltech": "S1", "frame_csv": "social"}


@dataclass(frozen=True)
class SessionSpec:
    """What one task simulates."""

    lab: LabProfile
    lab_index: int
    session_index: int
    minutes: float
    seed: int
    out_dir: str
    video: bool = True
    neural: bool = True

    @property
    def name(self) -> str:
        """Session name, unique across labs."""
        return f"{self.lab.name}-s{self.session_index + 1:04d}"

    @property
    def subject(self) -> str:
        """Resident mouse of the session (each is tested in two sessions)."""
        return f"{self.lab.name}-m{self.session_index // SESSIONS_PER_SUBJECT + 1:03d}"


@dataclass
class SimulationResult:
    """Where :func:`simulate` wrote everything.

    Attributes
    ----------
    out_dir
        The output folder.
    manifests
        Lab name -> its ``manifest.json``.
    ground_truth
        ``ground_truth/index.json``, listing every session's ground-truth files.
    sessions
        Per session: lab, session, subject and the ground-truth paths.
    """

    out_dir: Path
    manifests: dict[str, Path]
    ground_truth: Path
    sessions: list[dict] = field(default_factory=list)


def _subject_entry(spec: SessionSpec) -> dict:
    return {
        "name": spec.subject,
        "species": "Mus musculus",
        "sex": "M",
        "age": f"P{84 + 7 * (spec.session_index // SESSIONS_PER_SUBJECT)}D",
        "genotype": spec.lab.genotype,
        "strain": spec.lab.strain,
        "description": "resident male, singly housed",
    }


def _write_pose(spec: SessionSpec, folder: Path, tracked, video_name: str) -> dict:
    lab = spec.lab
    if lab.pose_format == "sleap_h5":
        path = write_sleap_analysis_h5(
            folder / f"{spec.name}.predictions.analysis.h5",
            tracked.position,
            tracked.confidence,
            tracked.instance_score,
            tracked.tracking_score,
            track_names=INDIVIDUALS,
            node_names=KEYPOINTS,
            edges=SKELETON,
            video_path=video_name,
            labels_path=f"{spec.name}.predictions.slp",
            provenance={"sleap_version": "1.3.4", "predictor": "TopDownMultiClassPredictor", "data_path": video_name},
        )
    else:
        scorer = f"DLC_dlcrnetms5_{lab.name}SocialJan6shuffle1_50000"
        position = np.round(tracked.position, 3)
        table = dlc_dataframe(position, tracked.confidence, scorer=scorer, individuals=INDIVIDUALS, keypoints=KEYPOINTS)
        stem = folder / f"{spec.name}{scorer}_el"
        write = write_dlc_h5 if lab.pose_format == "dlc_h5" else write_dlc_csv
        path = write(stem.with_suffix(".h5" if lab.pose_format == "dlc_h5" else ".csv"), table)
    return {"path": f"{spec.name}/{path.name}", "format": lab.pose_format, "individuals": list(INDIVIDUALS)}


def _write_labels(spec: SessionSpec, folder: Path, scored: np.ndarray, annotator: str, video_name: str, start) -> dict:
    lab = spec.lab
    if lab.label_format == "boris":
        path = write_boris_csv(
            folder / f"{spec.name}_{annotator}_events.csv",
            scored,
            fps=lab.fps,
            observation_id=f"{spec.name}_{annotator}",
            observation_date=start,
            media_file=video_name,
        )
    elif lab.label_format == "caltech":
        path = write_caltech_txt(folder / f"{spec.name}_{annotator}_annot.txt", scored)
    else:
        path = write_frame_csv(folder / f"{spec.name}_{annotator}_labels.csv", scored)
    return {
        "path": f"{spec.name}/{path.name}",
        "format": lab.label_format,
        "annotator": annotator,
        "label_set": LABEL_SETS[lab.label_format],
    }


def _write_neural(spec: SessionSpec, folder: Path, neural, saved_ticks: np.ndarray, start: datetime) -> list[dict]:
    lab = spec.lab
    subject = _subject_entry(spec)
    nwb_subject = {
        "subject_id": subject["name"],
        "species": subject["species"],
        "sex": subject["sex"],
        "age": subject["age"],
        "genotype": subject["genotype"],
        "strain": subject["strain"],
        "description": subject["description"],
    }
    nwb = write_nwb(
        folder / f"{spec.name}.nwb",
        neural,
        session_id=spec.name,
        session_start=start,
        subject=nwb_subject,
        lab=lab.name,
        experimenter=lab.annotators[0].name,
    )
    frames, times = camera_pulse_frames(neural.pulse_times_camera, saved_ticks, lab.fps)
    pulses = write_camera_pulses(folder / f"{spec.name}_camera_pulses.csv", frames, times)
    frame_times = write_frame_times(folder / f"{spec.name}_frame_times.npy", saved_ticks / lab.fps)
    relative = f"{spec.name}/{nwb.name}"
    entries = [
        {"path": relative, "kind": "units", "format": "nwb", "clock": "daq"},
        {"path": relative, "kind": "pulses", "format": "nwb", "clock": "daq", "options": {"name": "sync_pulses"}},
        {"path": f"{spec.name}/{pulses.name}", "kind": "pulses", "format": "csv", "clock": "camera"},
        {"path": f"{spec.name}/{frame_times.name}", "kind": "frame_times", "format": "npy", "clock": "camera"},
    ]
    if neural.calcium is not None:
        calcium = {"name": "dff"}
        entries.insert(1, {"path": relative, "kind": "calcium", "format": "nwb", "clock": "daq", "options": calcium})
    return entries


def simulate_session(spec: SessionSpec) -> dict:
    """Simulate one session and write its files and ground truth.

    Parameters
    ----------
    spec
        Lab, indices, duration, seed, output folder and which optional files to write.

    Returns
    -------
    dict
        ``lab``, ``session``, ``subject`` (manifest subject entry), ``entry`` (manifest
        session entry) and ``ground_truth`` (paths of the session's ground-truth files).
    """
    lab = spec.lab
    rng = np.random.default_rng([spec.seed, spec.lab_index, spec.session_index])
    out_dir = Path(spec.out_dir)
    folder = out_dir / lab.name / spec.name
    folder.mkdir(parents=True, exist_ok=True)
    start = FIRST_SESSION_DATE + timedelta(days=spec.session_index, hours=spec.lab_index)

    n_ticks = max(round(spec.minutes * 60.0 * lab.fps), 10)
    states_ticks = simulate_states(n_ticks, lab.fps, rng, behavior_model(lab.aggression))
    kinematics = simulate_pair(states_ticks, lab.fps, lab.arena_mm, rng)
    saved_ticks = drop_frames(n_ticks, lab.drop_rate, rng)
    states = states_ticks[saved_ticks]
    keypoints_px = lab.mm_to_px(kinematics.keypoints_mm[saved_ticks])
    tool = "sleap" if lab.pose_format == "sleap_h5" else "dlc"
    tracked = track(
        keypoints_px,
        kinematics.centre_mm[saved_ticks],
        states,
        fps=lab.fps,
        px_per_mm=lab.px_per_mm,
        noise_mm=lab.noise_mm,
        tool=tool,
        swap_probability=lab.swap_probability,
        rng=rng,
    )
    video_name = f"{spec.name}.mp4"
    entry = {
        "name": spec.name,
        "subject": spec.subject,
        "start_time": start.isoformat(),
        "experimenter": lab.annotators[0].name,
        "protocol": "resident-intruder, 10 min habituation",
        "description": f"Resident {spec.subject} with intruder {lab.name}-i{spec.session_index + 1:04d}",
        "fps": lab.fps,
        "px_per_mm": round(lab.px_per_mm, 6),
        "arena": {"width_mm": lab.arena_mm[0], "height_mm": lab.arena_mm[1], "bounds_px": lab.arena_bounds_px()},
    }
    if spec.video:
        write_video(
            folder / video_name,
            keypoints_px,
            fps=lab.fps,
            frame_size=lab.frame_size,
            bounds_px=lab.arena_bounds_px(),
            px_per_mm=lab.px_per_mm,
        )
        entry["video"] = {"path": f"{spec.name}/{video_name}", "store": "copy"}
    entry["pose"] = _write_pose(spec, folder, tracked, video_name)

    n_annotators = 2 if rng.random() < lab.double_scored_fraction else 1
    scored = {annotator.name: annotate(states, lab.fps, annotator, rng) for annotator in lab.annotators[:n_annotators]}
    entry["labels"] = [_write_labels(spec, folder, labels, name, video_name, start) for name, labels in scored.items()]

    arrays = {
        "states": states,
        "states_ticks": states_ticks,
        "saved_ticks": saved_ticks,
        "keypoints_px": keypoints_px.astype(np.float32),
        "centre_mm": kinematics.centre_mm[saved_ticks].astype(np.float32),
        "sniff_kind": kinematics.sniff_kind[saved_ticks],
        "swapped": tracked.swapped,
        "occluded": tracked.occluded,
        "jumped": tracked.jumped,
        **{f"scored_{name}": labels for name, labels in scored.items()},
    }
    metadata = {
        "lab": lab.to_dict(),
        "session": spec.name,
        "subject": spec.subject,
        "seed": [spec.seed, spec.lab_index, spec.session_index],
        "states": list(STATES),
        "behaviors": list(BEHAVIORS),
        "individuals": list(INDIVIDUALS),
        "keypoints": list(KEYPOINTS),
        "fps": lab.fps,
        "n_ticks": n_ticks,
        "dropped_ticks": np.setdiff1d(np.arange(n_ticks), saved_ticks).tolist(),
        "annotators": list(scored),
        "files": entry,
    }
    if spec.neural:
        neural = simulate_neural(
            states_ticks,
            lab.fps,
            n_units=int(rng.integers(*UNITS_PER_SESSION)),
            n_cells=CELLS_PER_SESSION if lab.calcium else 0,
            rng=rng,
        )
        entry["neural"] = _write_neural(spec, folder, neural, saved_ticks, start)
        arrays["pulse_times_camera"] = neural.pulse_times_camera
        arrays["pulse_times_daq"] = neural.pulse_times_daq
        metadata["clock"] = {"offset_s": neural.clock.offset_s, "drift_ppm": neural.clock.drift_ppm}
        metadata["units"] = [vars(unit) for unit in neural.tuning]
        metadata["cells"] = [vars(cell) for cell in neural.calcium_tuning] if neural.calcium_tuning else []
    written = write_ground_truth(out_dir / GROUND_TRUTH_FOLDER / lab.name, spec.name, arrays, metadata)
    ground_truth = {kind: Path(path).relative_to(out_dir).as_posix() for kind, path in written.items()}
    return {
        "lab": lab.name,
        "session": spec.name,
        "subject": _subject_entry(spec),
        "entry": entry,
        "ground_truth": ground_truth,
    }


def session_specs(
    out_dir: str | Path, *, n_labs: int, sessions_per_lab: int, minutes: float, seed: int, video: bool, neural: bool
) -> list[SessionSpec]:
    """The task list of a simulation (see :func:`simulate`)."""
    labs = make_lab_profiles(n_labs, seed)
    return [
        SessionSpec(lab, lab_index, session_index, minutes, seed, str(out_dir), video, neural)
        for lab_index, lab in enumerate(labs)
        for session_index in range(sessions_per_lab)
    ]


def _run(specs: list[SessionSpec], client, progress: bool) -> list[dict]:
    from dask.base import tokenize
    from distributed import as_completed

    futures = client.map(simulate_session, specs, key=[f"simulate-{spec.name}-{tokenize(spec)}" for spec in specs])
    results = []
    for done, future in enumerate(as_completed(futures, loop=client.loop), start=1):
        results.append(future.result())
        future.release()
        if progress and (done == len(specs) or done % max(1, len(specs) // 10) == 0):
            print(f"simulated {done}/{len(specs)} sessions", file=sys.stderr, flush=True)
    return results


def simulate(
    out_dir: str | Path,
    *,
    n_labs: int = 3,
    sessions_per_lab: int = 4,
    minutes: float = 1.0,
    seed: int = 0,
    video: bool = True,
    neural: bool = True,
    client=None,
    progress: bool = True,
) -> SimulationResult:
    """Simulate a multi-lab resident-intruder experiment and write it as the labs would submit it.

    Each lab folder ``out_dir/<lab>/`` gets one folder per session (video, pose file,
    label files, neural files) and a ``manifest.json``; the ground truth goes to
    ``out_dir/ground_truth/``.

    Parameters
    ----------
    out_dir
        Output folder (created).
    n_labs
        Number of labs; three cover every pose and label format.
    sessions_per_lab
        Sessions per lab.
    minutes
        Length of each session.
    seed
        Seed: the same seed gives the same data.
    video
        Render an ``.mp4`` per session.
    neural
        Write NWB units, sync pulses and frame times per session.
    client
        A ``distributed.Client``; None uses :func:`etholake.compute.client` (the configured
        scheduler, or a LocalCluster for the run).
    progress
        Print progress to stderr.

    Returns
    -------
    SimulationResult

    Examples
    --------
    >>> result = simulate("sim-out", n_labs=3, sessions_per_lab=2, minutes=1.0)  # doctest: +SKIP
    >>> sorted(result.manifests)  # doctest: +SKIP
    ['ashby', 'bauer', 'chen']
    """
    out_dir = output_folder(Path(out_dir).resolve())
    specs = session_specs(
        out_dir,
        n_labs=n_labs,
        sessions_per_lab=sessions_per_lab,
        minutes=minutes,
        seed=seed,
        video=video,
        neural=neural,
    )
    return simulate_specs(specs, out_dir, client=client, progress=progress)


def simulate_specs(
    specs: list[SessionSpec], out_dir: str | Path, *, client=None, progress: bool = True
) -> SimulationResult:
    """Simulate the given sessions on Dask (one task each), then write the manifests and the ground-truth index.

    Parameters
    ----------
    specs
        Sessions to simulate, e.g. from :func:`session_specs` (possibly with edited lab profiles).
    out_dir
        The folder the specs write to.
    client
        A ``distributed.Client``; None uses :func:`etholake.compute.client`.
    progress
        Print progress to stderr.

    Returns
    -------
    SimulationResult
    """
    out_dir = Path(out_dir)
    if client is None:
        from etholake.compute import client as compute_client

        with compute_client() as own_client:
            results = _run(specs, own_client, progress)
    else:
        results = _run(specs, client, progress)
    return _write_index(out_dir, specs, results)


def _write_index(out_dir: Path, specs: list[SessionSpec], results: list[dict]) -> SimulationResult:
    labs = {spec.lab.name: spec.lab for spec in specs}
    manifests = {}
    for name, lab in labs.items():
        mine = [result for result in results if result["lab"] == name]
        manifest = build_manifest(lab, [r["entry"] for r in mine], [r["subject"] for r in mine])
        manifests[name] = write_manifest(out_dir / name / "manifest.json", manifest)
    sessions = sorted(
        (
            {key: result[key] for key in ("lab", "session", "ground_truth")} | {"subject": result["subject"]["name"]}
            for result in results
        ),
        key=lambda session: session["session"],
    )
    index = out_dir / GROUND_TRUTH_FOLDER / "index.json"
    index.parent.mkdir(parents=True, exist_ok=True)
    index.write_text(json.dumps({"sessions": sessions, "labs": {k: v.to_dict() for k, v in labs.items()}}, indent=1))
    return SimulationResult(out_dir=out_dir, manifests=manifests, ground_truth=index, sessions=sessions)

"""NWB export: DANDI-clean, readable by pynwb and pynapple with behavior names intact."""

from __future__ import annotations

import json
import warnings
from datetime import UTC, datetime

import numpy as np
import pytest

from etholake.errors import InvalidNameError, SchemaError
from etholake.neural import ClockMap, export_session_nwb, fit_clock
from etholake.neural.simulate_sync import simulate_session
from etholake.schema.labels import make_labels_dataset
from etholake.schema.pose import make_pose_dataset

BEHAVIORS = ("groom", "rear-up", "walk.fast")
SESSION = {
    "session_description": "simulated open-field session",
    "session_start_time": datetime(2026, 1, 2, 10, 0, tzinfo=UTC),
    "identifier": "sim-0001",
    "session_id": "ses-1",
    "experimenter": ["Doe, Jane"],
    "institution": "Etholake Institute",
    "lab": "ethology",
    "experiment_description": "pose, behavior and units aligned by etholake",
    "keywords": ["behavior", "pose"],
}
SUBJECT = {
    "subject_id": "mouse1",
    "species": "Mus musculus",
    "sex": "F",
    "age": "P90D",
    "genotype": "wild type",
    "strain": "C57BL/6J",
    "description": "simulated mouse",
}


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    session = simulate_session(duration=90.0, behaviors=BEHAVIORS, n_units=4, n_tuned=2, mean_gap=8.0, seed=4)
    clock_map = fit_clock(session.video_pulses, session.neural_pulses)
    n_frames = session.frame_times_video.size
    rng = np.random.default_rng(0)
    position = rng.normal(200, 20, (n_frames, 2, 3, 2))
    position[5, :, 0, 0] = np.nan
    pose = make_pose_dataset(
        position,
        keypoints=["nose", "left_ear", "tail_base"],
        individuals=["m1", "m2"],
        confidence=rng.uniform(0, 1, (n_frames, 3, 2)),
        fps=30.0,
        times=session.frame_times_video,
        source_software="DeepLabCut",
    )
    path = tmp_path_factory.mktemp("nwb") / "session.nwb"
    export_session_nwb(
        path,
        pose=pose,
        probabilities=session.probabilities,
        bouts=session.bouts,
        clock_map=clock_map,
        session_meta=SESSION,
        subject_meta=SUBJECT,
        units=session.units,
        label_sets=[human_labels(n_frames)],
    )
    return path, session, clock_map


def human_labels(n_frames: int):
    """Labels by ada: groom present on frames 10-19 and 40-41, not scored from frame 100 on; rear-up absent."""
    label = np.zeros((n_frames, 2), dtype=np.int8)
    label[10:20, 0] = 1
    label[40:42, 0] = 1
    label[100:, :] = -1
    return make_labels_dataset(label, behaviors=["groom", "rear-up"], annotator="ada", label_set="S1", fps=30.0)


def test_export_passes_nwbinspector_with_dandi_config(exported):
    path, _, _ = exported
    assert dandi_problems(path) == []


def test_export_reads_back_in_pynwb_on_the_neural_clock(exported):
    from pynwb import NWBHDF5IO

    path, session, clock_map = exported
    with NWBHDF5IO(str(path), "r") as io:
        nwbfile = io.read()
        behavior = nwbfile.processing["behavior"]
        assert {"PoseEstimation_m1", "PoseEstimation_m2", "Skeletons", "behavior_probabilities"} <= set(
            behavior.data_interfaces
        )
        probabilities = behavior["behavior_probabilities"]
        assert sorted(probabilities.time_series) == sorted(BEHAVIORS)
        series = probabilities["rear-up"]
        assert np.allclose(series.timestamps[:], clock_map(session.probabilities["time"].values))
        assert np.allclose(series.data[:], session.probabilities.sel(behavior="rear-up").values)
        nose = behavior["PoseEstimation_m1"].pose_estimation_series["nose"]
        assert np.isnan(nose.data[5]).all() and nose.data.shape[1] == 2
        table = nwbfile.intervals["bouts_walk.fast"].to_dataframe()
        chosen = session.bouts[session.bouts["behavior"] == "walk.fast"]
        assert len(table) == len(chosen) > 0
        assert np.allclose(table["start_time"], clock_map(chosen["start_time"].to_numpy()))
        assert {"score", "model_version", "annotator"} <= set(table.columns)
        assert set(table["model_version"]) == {"1"} and set(table["annotator"]) == {"model:simulated"}
        assert nwbfile.subject.species == "Mus musculus" and nwbfile.session_id == "ses-1"
        assert len(nwbfile.units) == 4 and nwbfile.units.resolution == pytest.approx(1 / 30000)
        stored = json.loads(nwbfile.notes.split(": ", 1)[1])
        assert ClockMap.from_dict(stored).slope == clock_map.slope


def test_export_loads_in_pynapple_with_behavior_names(exported):
    nap = pytest.importorskip("pynapple")
    path, session, _ = exported
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        data = nap.load_file(str(path))
        try:
            keys = set(data.keys())
            assert set(BEHAVIORS) <= keys
            assert {f"bouts_{b}" for b in BEHAVIORS} <= keys
            assert len(data["groom"]) == session.probabilities.sizes["time"]
            assert len(data["units"]) == 4
        finally:
            data.close()


def test_export_refuses_bad_names_and_naive_times(tmp_path, exported):
    _, session, clock_map = exported
    pose = make_pose_dataset(np.zeros((3, 2, 1, 1)), keypoints=["nose"], individuals=["m"], fps=None)
    with pytest.raises(InvalidNameError):
        export_session_nwb(
            tmp_path / "x.nwb",
            pose=pose,
            probabilities=session.probabilities.assign_coords(behavior=["a b", "c", "d"]),
            bouts=session.bouts,
            clock_map=clock_map,
            session_meta=SESSION,
            subject_meta=SUBJECT,
        )
    with pytest.raises(SchemaError, match="NaN"):
        export_session_nwb(
            tmp_path / "x.nwb",
            pose=pose,
            probabilities=session.probabilities,
            bouts=session.bouts,
            clock_map=clock_map,
            session_meta=SESSION,
            subject_meta=SUBJECT,
        )
    naive = dict(SESSION, session_start_time=datetime(2026, 1, 2, 10, 0))
    with pytest.raises(SchemaError, match="time zone"):
        export_session_nwb(
            tmp_path / "x.nwb",
            pose=pose,
            probabilities=session.probabilities,
            bouts=session.bouts,
            clock_map=clock_map,
            session_meta=naive,
            subject_meta=SUBJECT,
        )


def test_export_holds_each_human_label_set_as_runs_of_present_and_unscored_frames(exported):
    from pynwb import NWBHDF5IO

    path, session, clock_map = exported
    n_frames = session.frame_times_video.size
    with NWBHDF5IO(str(path), "r") as io:
        table = io.read().intervals["labels_ada_S1"].to_dataframe()
    rows = table[["behavior", "state", "start_frame", "stop_frame", "annotator"]].values.tolist()
    assert rows == [
        ["groom", "present", 10, 19, "ada"],
        ["groom", "present", 40, 41, "ada"],
        ["groom", "not scored", 100, n_frames - 1, "ada"],
        ["rear-up", "not scored", 100, n_frames - 1, "ada"],
    ]
    np.testing.assert_allclose(table["start_time"].iloc[0], clock_map(np.array([10 / 30.0]))[0])
    np.testing.assert_allclose(table["stop_time"].iloc[0], clock_map(np.array([20 / 30.0]))[0])


def dandi_problems(path) -> list[str]:
    """nwbinspector's critical and best-practice-violation messages for a file (DANDI configuration)."""
    from nwbinspector import Importance, inspect_nwbfile, load_config

    messages = inspect_nwbfile(nwbfile_path=str(path), config=load_config("dandi"))
    serious = (Importance.CRITICAL, Importance.BEST_PRACTICE_VIOLATION)
    return [f"{m.object_name}: {m.message}" for m in messages if m.importance in serious]


def test_a_session_on_a_regular_clock_is_written_with_a_rate_and_passes_nwbinspector(tmp_path):
    from pynwb import NWBHDF5IO

    n_frames = 300
    position = np.random.default_rng(1).normal(200, 20, (n_frames, 2, 2, 1))
    pose = make_pose_dataset(position, keypoints=["nose", "tail_base"], individuals=["m1"], fps=30.0)
    identity = ClockMap(1.0, 0.0, 0.0, 1.0, (0.0, (n_frames - 1) / 30.0), source_clock="video", target_clock="video")
    path = export_session_nwb(
        tmp_path / "regular.nwb",
        pose=pose,
        probabilities=None,
        bouts=None,
        clock_map=identity,
        session_meta=SESSION,
        subject_meta=SUBJECT,
        label_sets=[human_labels(n_frames)],
    )
    assert dandi_problems(path) == []
    with NWBHDF5IO(str(path), "r") as io:
        nose = io.read().processing["behavior"]["PoseEstimation"].pose_estimation_series["nose"]
        assert nose.timestamps is None and nose.rate == pytest.approx(30.0) and nose.starting_time == 0.0

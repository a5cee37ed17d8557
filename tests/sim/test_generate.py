"""The whole simulator: manifests, files read by etholake's readers, ground truth, determinism, figure."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import av
import jsonschema
import numpy as np
import pytest

from etholake.errors import NotFoundError
from etholake.io.labels import read_labels
from etholake.io.pose import read_pose
from etholake.sim import load_ground_truth, simulate
from etholake.sim.behavior import BEHAVIORS, one_hot
from etholake.sim.figure import find_session, plot_session

SCHEMA = Path(__file__).resolve().parents[2] / "schemas" / "manifest.v1.json"


def _manifests(experiment) -> dict[str, dict]:
    return {lab: json.loads(path.read_text()) for lab, path in experiment.manifests.items()}


def _sessions(experiment):
    for lab, manifest in _manifests(experiment).items():
        base = experiment.manifests[lab].parent
        for session in manifest["sessions"]:
            arrays, metadata = load_ground_truth(experiment.out_dir / "ground_truth" / lab / f"{session['name']}.npz")
            yield base, session, arrays, metadata


def test_one_valid_manifest_per_lab(experiment):
    schema = json.loads(SCHEMA.read_text())
    manifests = _manifests(experiment)
    assert sorted(manifests) == ["ashby", "bauer", "chen"]
    for lab, manifest in manifests.items():
        jsonschema.validate(manifest, schema)
        assert experiment.manifests[lab] == experiment.out_dir / lab / "manifest.json"
        assert manifest["lab"] == lab and len(manifest["sessions"]) == 2
        assert {s["subject"] for s in manifest["sessions"]} <= {s["name"] for s in manifest["subjects"]}
        for subject in manifest["subjects"]:
            assert {"species", "sex", "age", "genotype", "strain"} <= set(subject)


def test_every_format_is_used_and_every_file_exists(experiment):
    pose_formats, label_formats, neural_kinds = set(), set(), set()
    for base, session, _, _ in _sessions(experiment):
        files = [session["video"], session["pose"], *session["labels"], *session["neural"]]
        assert all((base / entry["path"]).is_file() for entry in files)
        assert "ground_truth" not in json.dumps(session)
        pose_formats.add(session["pose"]["format"])
        label_formats.update(entry["format"] for entry in session["labels"])
        neural_kinds.update((entry["kind"], entry["clock"]) for entry in session["neural"])
    assert pose_formats == {"dlc_h5", "dlc_csv", "sleap_h5"}
    assert label_formats == {"boris", "caltech", "frame_csv"}
    assert {("units", "daq"), ("pulses", "daq"), ("pulses", "camera"), ("frame_times", "camera")} <= neural_kinds
    assert ("calcium", "daq") in neural_kinds


def test_ground_truth_is_kept_apart(experiment):
    index = json.loads(experiment.ground_truth.read_text())
    assert experiment.ground_truth == experiment.out_dir / "ground_truth" / "index.json"
    assert len(index["sessions"]) == 6
    for lab in experiment.manifests:
        assert not list((experiment.out_dir / lab).rglob("*.npz"))


def test_pose_files_read_with_etholake_readers(experiment):
    for base, session, arrays, metadata in _sessions(experiment):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            pose = read_pose(base / session["pose"]["path"], session["pose"]["format"], fps=session["fps"])
        assert pose.sizes["time"] == arrays["states"].size
        assert list(pose.individual.values) == ["resident", "intruder"]
        assert list(pose.keypoint.values) == metadata["keypoints"]
        truth = arrays["keypoints_px"].transpose(0, 3, 2, 1)
        clean = ~(arrays["occluded"] | arrays["jumped"]).transpose(0, 2, 1) & ~arrays["swapped"][:, None, None]
        error = np.abs(pose.position.values - truth).max(axis=1)[clean]
        noise_px = metadata["lab"]["noise_mm"] * metadata["lab"]["px_per_mm"]
        assert np.nanmedian(error) < 2.0 * noise_px
        expected_kind = "score" if session["pose"]["format"] == "sleap_h5" else "probability"
        assert pose.attrs["confidence_kind"] == expected_kind


def test_label_files_read_with_etholake_readers(experiment):
    for base, session, arrays, _ in _sessions(experiment):
        for entry in session["labels"]:
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                labels = read_labels(
                    base / entry["path"],
                    entry["format"],
                    fps=session["fps"],
                    annotator=entry["annotator"],
                    label_set=entry["label_set"],
                    n_frames=arrays["states"].size,
                    behaviors=list(BEHAVIORS),
                )
            scored = one_hot(arrays[f"scored_{entry['annotator']}"])
            np.testing.assert_array_equal(labels.label.sel(behavior=list(BEHAVIORS)).values, scored)


def test_some_sessions_are_double_scored(experiment):
    counts = [len(session["labels"]) for _, session, _, _ in _sessions(experiment)]
    assert set(counts) <= {1, 2} and 2 in counts


def test_neural_files_read_with_etholake_readers(experiment):
    from etholake.neural.calcium import read_nwb_roi_response
    from etholake.neural.frame_times import read_frame_times
    from etholake.neural.nwb_units import read_nwb_units
    from etholake.neural.pulses import read_pulses

    for base, session, arrays, metadata in _sessions(experiment):
        by_kind = {(entry["kind"], entry["clock"]): entry for entry in session["neural"]}
        nwb = base / by_kind[("units", "daq")]["path"]
        units = read_nwb_units(nwb)
        assert units.spike_times_index.size == len(metadata["units"])
        assert set(units.metadata["location"]) == {"VMHvl", "VMHdm"}
        assert units.metadata["location"].iloc[0] == "VMHvl" and units.metadata["location"].iloc[-1] == "VMHdm"
        daq = read_pulses(nwb, by_kind[("pulses", "daq")]["options"]["name"])
        np.testing.assert_allclose(daq, arrays["pulse_times_daq"])
        camera = read_pulses(base / by_kind[("pulses", "camera")]["path"])
        frame_times = read_frame_times(base / by_kind[("frame_times", "camera")]["path"])
        assert frame_times.size == arrays["states"].size
        np.testing.assert_allclose(frame_times, arrays["saved_ticks"] / session["fps"])
        assert camera.size <= arrays["pulse_times_camera"].size
        clock = metadata["clock"]
        assert abs(clock["drift_ppm"]) <= 50
        predicted = clock["offset_s"] + (1 + clock["drift_ppm"] * 1e-6) * arrays["pulse_times_camera"]
        np.testing.assert_allclose(daq, predicted, atol=1e-4)
        if ("calcium", "daq") in by_kind:
            traces = read_nwb_roi_response(nwb, by_kind[("calcium", "daq")]["options"]["name"])
            assert traces.shape[1] == len(metadata["cells"])


def test_video_is_frame_accurate_with_the_pose(experiment):
    for base, session, arrays, _ in _sessions(experiment):
        with av.open(str(base / session["video"]["path"])) as container:
            stream = container.streams.video[0]
            frames = sum(1 for _ in container.decode(stream))
            assert float(stream.average_rate) == pytest.approx(session["fps"])
        assert frames == arrays["states"].size
        assert arrays["saved_ticks"].size < arrays["states_ticks"].size


def test_ingest_preflight_accepts_every_manifest(experiment):
    from etholake.ingest.manifest import load_manifest
    from etholake.ingest.preflight import plan_manifest

    for path in experiment.manifests.values():
        plans, problems = plan_manifest(load_manifest(path))
        assert problems == []
        assert all(plan.fps for plan in plans)


def test_same_seed_same_data_other_seed_other_data(experiment, tmp_path, dask_client):
    again = simulate(
        tmp_path / "again",
        n_labs=1,
        sessions_per_lab=1,
        minutes=0.5,
        seed=11,
        video=False,
        neural=False,
        client=dask_client,
        progress=False,
    )
    other = simulate(
        tmp_path / "other",
        n_labs=1,
        sessions_per_lab=1,
        minutes=0.5,
        seed=12,
        video=False,
        neural=False,
        client=dask_client,
        progress=False,
    )
    first, _ = load_ground_truth(experiment.out_dir / "ground_truth" / "ashby" / "ashby-s0001.npz")
    second, _ = load_ground_truth(again.out_dir / "ground_truth" / "ashby" / "ashby-s0001.npz")
    third, _ = load_ground_truth(other.out_dir / "ground_truth" / "ashby" / "ashby-s0001.npz")
    for name in ("states", "keypoints_px", "saved_ticks", "swapped"):
        np.testing.assert_array_equal(first[name], second[name])
    assert not np.array_equal(first["keypoints_px"], third["keypoints_px"])
    label = "ashby-s0001/ashby-s0001_ashby-a1_events.csv"
    assert (experiment.out_dir / "ashby" / label).read_bytes() == (again.out_dir / "ashby" / label).read_bytes()


def test_figure(experiment, tmp_path):
    png = plot_session(find_session(experiment.out_dir, "bauer-s0002"), tmp_path / "session.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(NotFoundError, match=r"no session 'nobody-s0001' in .*; sessions include ashby-s0001"):
        find_session(experiment.out_dir, "nobody-s0001")
    with pytest.raises(NotFoundError, match="holds no simulation"):
        find_session(tmp_path, "ashby-s0001")

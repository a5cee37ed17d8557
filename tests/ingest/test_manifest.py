import json
import re
import warnings
from pathlib import Path

import pytest

from etholake.ingest import ManifestError, load_manifest, plan_manifest


def write(path, document):
    path.write_text(json.dumps(document))
    return path


def test_yaml_manifest_with_relative_paths(tmp_path):
    (tmp_path / "pose").mkdir()
    (tmp_path / "manifest.yaml").write_text(
        "manifest_version: 1\nlab: labA\nlicense: CC-BY-4.0\nvisibility: shared\n"
        "subjects:\n  - {name: m1, species: Mus musculus, sex: M, age: P90D}\n"
        "sessions:\n  - name: s1\n    subject: m1\n    fps: 30\n    px_per_mm: 2.5\n"
        "    pose: {path: pose/s1.h5, format: dlc_h5}\n"
        "    labels: [{path: labels/s1.txt, annotator: alice, label_set: S1}]\n"
    )
    manifest = load_manifest(tmp_path / "manifest.yaml")
    session = manifest.sessions[0]
    assert (manifest.lab, manifest.visibility, manifest.license) == ("labA", "shared", "CC-BY-4.0")
    assert session.pose.path == str(tmp_path / "pose" / "s1.h5")
    assert session.labels[0].extra == {"annotator": "alice", "label_set": "S1"}
    assert session.metadata == {"fps": 30, "px_per_mm": 2.5}
    assert manifest.subjects["m1"]["age"] == "P90D"


def test_file_urls_are_local_paths_and_other_urls_stay_urls(tmp_path):
    folder = tmp_path / "a folder"
    session = {
        "name": "s1",
        "subject": "m1",
        "pose": {"path": f"file://{folder.as_posix().replace(' ', '%20')}/s1.h5"},
        "labels": [{"path": "s3://bucket/labels/s1.csv", "annotator": "alice"}],
    }
    document = {"manifest_version": 1, "lab": "labA", "subjects": [{"name": "m1"}], "sessions": [session]}
    (entry,) = load_manifest(write(tmp_path / "m.json", document)).sessions
    assert entry.pose.path == str(folder / "s1.h5") and not entry.pose.is_remote
    assert entry.labels[0].path == entry.labels[0].origin == "s3://bucket/labels/s1.csv"
    assert entry.labels[0].is_remote


def test_structural_problems_are_all_listed_at_once(tmp_path):
    manifest = write(
        tmp_path / "m.json",
        {
            "manifest_version": 1,
            "lab": "../evil",
            "subjects": [{"name": "m1"}],
            "sessions": [
                {"name": "s 1", "subject": "m1"},
                {"name": "s2", "subject": "m1", "fps": -3, "color": "blue"},
            ],
        },
    )
    with pytest.raises(ManifestError) as caught:
        load_manifest(manifest)
    problems = caught.value.problems
    text = "\n".join(problems)
    assert len(problems) == 4, text
    assert "lab: '../evil' does not match" in text
    assert "sessions[0].name: 's 1' does not match" in text
    assert "sessions[1].fps: -3 is less than or equal to the minimum of 0" in text
    assert "sessions[1]: Additional properties are not allowed ('color' was unexpected)" in text
    assert str(manifest) in str(caught.value)


def test_reference_problems_are_listed_at_once(tmp_path):
    manifest = write(
        tmp_path / "m.json",
        {
            "manifest_version": 1,
            "lab": "labA",
            "subjects": [{"name": "m1"}],
            "sessions": [
                {"name": "s1", "subject": "m2"},
                {"name": "s1", "subject": "m1"},
                {"name": "s1", "subject": "m1"},
            ],
        },
    )
    with pytest.raises(ManifestError) as caught:
        load_manifest(manifest)
    assert caught.value.problems == [
        "sessions[0] (s1): subject 'm2' is not listed under subjects",
        "sessions[2] (s1): session 's1' of subject 'm1' appears twice",
    ]


@pytest.mark.parametrize(("content", "message"), [("{", "not valid JSON"), ("[1, 2]", "is not of type 'object'")])
def test_unreadable_manifests(tmp_path, content, message):
    (tmp_path / "m.json").write_text(content)
    with pytest.raises(ManifestError, match=message):
        load_manifest(tmp_path / "m.json")


def test_file_level_problems_are_all_listed_before_anything_is_read(tmp_path, shared_data):
    real_pose = shared_data("rat_dyad/pose/24DLC_dlcrnetms5_DLC_ratJan24shuffle1_5000_el_filtered.csv")
    garbage = tmp_path / "garbage.h5"
    garbage.write_bytes(b"not a pose file at all")
    manifest = load_manifest(
        write(
            tmp_path / "m.json",
            {
                "manifest_version": 1,
                "lab": "labA",
                "subjects": [{"name": "m1"}],
                "sessions": [
                    {"name": "s1", "subject": "m1", "fps": 30, "pose": {"path": "missing.h5"}},
                    {"name": "s2", "subject": "m1", "fps": 30, "pose": {"path": str(real_pose), "format": "openpose"}},
                    {"name": "s3", "subject": "m1", "fps": 30, "pose": {"path": str(garbage)}},
                    {"name": "s4", "subject": "m1", "pose": {"path": str(real_pose)}},
                ],
            },
        )
    )
    plans, problems = plan_manifest(manifest)
    assert len(plans) == 4
    assert len(problems) == 4, problems
    assert problems[0] == f"session m1/s1: file not found: {tmp_path / 'missing.h5'}"
    assert "unknown pose format 'openpose'" in problems[1]
    assert problems[2].startswith(f"session m1/s3: cannot tell the pose format of {garbage}")
    assert "fps missing and not derivable" in problems[3]


@pytest.mark.parametrize(
    ("relative", "stated_fps"),
    [
        ("pose/ndxpose_0.3.0_poseestimation_two_cameras.nwb", 0.9),
        ("pose/sleap_nn_centered_pair_small.predictions.slp", 15.0),
        ("pose/dlc2nwb_openfield_m3v1mp4.nwb", None),
        ("pose/sleap_deepof_single.analysis.h5", None),
    ],
)
def test_fps_comes_from_a_pose_file_only_when_the_file_states_it(
    tmp_path, shared_data, monkeypatch, relative, stated_fps
):
    import etholake.io._files as files

    hashed = []
    monkeypatch.setattr(files, "_sha256_of", lambda file: hashed.append(file) or "0" * 64)
    pose = shared_data(relative)
    session = {"name": "s1", "subject": "m1", "pose": {"path": str(pose)}}
    document = {"manifest_version": 1, "lab": "labA", "subjects": [{"name": "m1"}], "sessions": [session]}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        (plan,), problems = plan_manifest(load_manifest(write(tmp_path / "m.json", document)))
    if stated_fps is None:
        assert len(problems) == 1 and problems[0].startswith("session m1/s1: fps missing and not derivable")
        assert plan.fps is None
    else:
        assert problems == []
        assert plan.fps == pytest.approx(stated_fps) and plan.fps_source == "pose file"
    assert hashed == [], "the check reads pose files without hashing them (the ingest does)"


@pytest.mark.parametrize(
    ("relative", "fps", "frames"),
    [
        ("pose/sleap_nn_centered_pair_small.predictions.slp", 15.0, 10),
        ("pose/ndxpose_0.3.0_poseestimation_two_cameras.nwb", pytest.approx(0.9), 10),
    ],
)
def test_a_pose_file_gives_its_frame_rate_and_frames_without_being_read(
    tmp_path, shared_data, monkeypatch, relative, fps, frames
):
    import etholake.io

    monkeypatch.setattr(etholake.io, "read_pose", lambda *args, **kwargs: pytest.fail("the pose file was read"))
    labels = tmp_path / "bouts.csv"
    labels.write_text("behavior,start_frame,stop_frame\nchase,2,5\n")
    pose = shared_data(relative)
    session = {
        "name": "s1",
        "subject": "m1",
        "pose": {"path": str(pose)},
        "labels": [{"path": str(labels), "annotator": "ada"}],
    }
    document = {"manifest_version": 1, "lab": "labA", "subjects": [{"name": "m1"}], "sessions": [session]}
    (plan,), problems = plan_manifest(load_manifest(write(tmp_path / "m.json", document)))
    assert problems == []
    assert (plan.fps, plan.fps_source, plan.pose_frames) == (fps, "pose file", frames)


@pytest.mark.parametrize(
    "relative", ["pose/sleap_deepof_single.predictions.slp", "pose/dlc_single_deepof.predictions.csv"]
)
def test_an_fps_in_the_pose_options_is_the_sessions_fps(tmp_path, shared_data, relative):
    labels = tmp_path / "bouts.csv"
    labels.write_text("behavior,start_frame,stop_frame\nchase,2,5\n")
    session = {
        "name": "s1",
        "subject": "m1",
        "pose": {"path": str(shared_data(relative)), "options": {"fps": 30}},
        "labels": [{"path": str(labels), "annotator": "ada"}],
    }
    document = {"manifest_version": 1, "lab": "labA", "subjects": [{"name": "m1"}], "sessions": [session]}
    (plan,), problems = plan_manifest(load_manifest(write(tmp_path / "m.json", document)))
    assert problems == []
    assert (plan.fps, plan.fps_source) == (30.0, "pose options")


def test_the_readme_manifest_example_is_a_valid_manifest(tmp_path):
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    example = re.search(r"```yaml\n(manifest_version: 1\n.*?)```", readme, re.S)
    assert example, "README.md has no manifest example"
    (tmp_path / "manifest.yaml").write_text(example.group(1))
    manifest = load_manifest(tmp_path / "manifest.yaml")
    assert [s.name for s in manifest.sessions] == ["s001", "s002"]
    assert manifest.sessions[1].calibration.path == str(tmp_path / "pose" / "s002_calibration.toml")


def test_labels_that_run_past_the_pose_are_listed_before_anything_is_read(tmp_path, shared_data):
    def session(number, options):
        pose = shared_data(f"rat_dyad/pose/{number}DLC_dlcrnetms5_DLC_ratJan24shuffle1_5000_el_filtered.csv")
        label = {"path": str(shared_data(f"rat_dyad/labels/{number}_annot.txt")), "annotator": "blossom", **options}
        return {"name": f"video{number}", "subject": "pair", "fps": 30, "pose": {"path": str(pose)}, "labels": [label]}

    def problems_of(sessions):
        document = {"manifest_version": 1, "lab": "ratlab", "subjects": [{"name": "pair"}], "sessions": sessions}
        return plan_manifest(load_manifest(write(tmp_path / "m.json", document)))[1]

    problems = problems_of(
        [session(13, {}), session(24, {}), session(25, {"options": {"clip": True}}), session(1, {"options": {"x": 1}})]
    )
    assert len(problems) == 2, problems
    assert problems[0].startswith(f"session pair/video13: {shared_data('rat_dyad/labels/13_annot.txt')}: labels run to")
    assert "pass clip=True (in a manifest: options: {clip: true})" in problems[0]
    assert problems[1].startswith(f"session pair/video1: {shared_data('rat_dyad/labels/1_annot.txt')}: ")
    assert "'x'" in problems[1]
    assert problems_of([session(13, {"options": {"clip": True}}), session(24, {})]) == []


def test_two_label_files_giving_one_label_set_name_are_a_listed_problem(tmp_path, shared_data):
    pose = shared_data("rat_dyad/pose/24DLC_dlcrnetms5_DLC_ratJan24shuffle1_5000_el_filtered.csv")
    boris = tmp_path / "boris.csv"
    boris.write_text(
        "Observation id,Media file name,Total length,FPS,Subject,Behavior,Behavioral category,Comment,Status,Time\n"
        "obs,v.mp4,446.133,30.000,rat1,attack,,,START,100.000\n"
        "obs,v.mp4,446.133,30.000,rat1,attack,,,STOP,101.000\n"
        "obs,v.mp4,446.133,30.000,rat2,attack,,,START,200.000\n"
        "obs,v.mp4,446.133,30.000,rat2,attack,,,STOP,202.000\n"
    )
    labels = [{"path": str(boris), "annotator": "ada", "options": {"subject": subject}} for subject in ("rat1", "rat2")]
    session = {"name": "v24", "subject": "pair", "fps": 30, "pose": {"path": str(pose)}, "labels": labels}
    document = {"manifest_version": 1, "lab": "ratlab", "subjects": [{"name": "pair"}], "sessions": [session]}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        problems = plan_manifest(load_manifest(write(tmp_path / "m.json", document)))[1]
    assert problems == [
        f"session pair/v24: {boris} and {boris} both give the label set ada:boris: "
        "give each labels entry its own label_set"
    ]
    labels[1]["label_set"] = "boris_rat2"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert plan_manifest(load_manifest(write(tmp_path / "m.json", document)))[1] == []


def test_caltech_behaviors_given_as_a_list_for_every_stream_is_a_listed_problem(tmp_path, shared_data):
    pose = shared_data("rat_dyad/pose/24DLC_dlcrnetms5_DLC_ratJan24shuffle1_5000_el_filtered.csv")
    annotations = shared_data("rat_dyad/labels/24_annot.txt")
    label = {"path": str(annotations), "annotator": "bob", "options": {"behaviors": ["aggression", "bite"]}}
    session = {"name": "v24", "subject": "pair", "fps": 30, "pose": {"path": str(pose)}, "labels": [label]}
    document = {"manifest_version": 1, "lab": "ratlab", "subjects": [{"name": "pair"}], "sessions": [session]}
    problems = plan_manifest(load_manifest(write(tmp_path / "m.json", document)))[1]
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"session pair/v24: {annotations}: behaviors must map each stream to its behaviors")
    assert "label_set: S1" in problems[0]


def test_a_label_set_name_longer_than_the_catalog_holds_is_a_listed_problem(tmp_path):
    labels = [{"path": "a.csv", "annotator": "ada", "label_set": "s" * 129}]
    session = {"name": "v1", "subject": "pair", "fps": 30, "pose": {"path": "p.h5"}, "labels": labels}
    document = {"manifest_version": 1, "lab": "ratlab", "subjects": [{"name": "pair"}], "sessions": [session]}
    with pytest.raises(ManifestError, match=r"label_set: 'sss.*' is too long"):
        load_manifest(write(tmp_path / "m.json", document))

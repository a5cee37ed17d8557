"""The canonical pose, labels and video models: their attribute JSON Schemas and what the validators say."""

import json

import jsonschema
import numpy as np
import pytest

from etholake.errors import SchemaError
from etholake.resources import json_schema
from etholake.schema import (
    make_labels_dataset,
    make_pose_dataset,
    make_video_dataset,
    validate_labels,
    validate_pose,
    validate_video,
)

SHA = "a" * 64


def pose():
    return make_pose_dataset(
        np.zeros((5, 2, 3, 1), dtype=np.float32),
        confidence=np.ones((5, 3, 1), dtype=np.float32),
        keypoints=["snout", "neck", "tail_base"],
        individuals=["m1"],
        fps=30.0,
        source_software="DeepLabCut",
        source_file="/data/m1DLC.h5",
        confidence_kind="probability",
        units="px",
    )


def labels():
    return make_labels_dataset(
        np.array([[1, 0], [0, -1], [0, 0]]),
        behaviors=["attack", "sniff"],
        annotator="ada",
        label_set="S1",
        fps=30.0,
        source_file="/data/a.txt",
        source_sha256=SHA,
    )


def video_info(**changes):
    info = {
        "path": "/data/v.mp4",
        "sha256": SHA,
        "size_bytes": 2_216_380,
        "container": "mov,mp4,m4a,3gp,3g2,mj2",
        "codec": "h264",
        "width": 640,
        "height": 480,
        "pixel_format": "yuv444p",
        "frame_rate": "30/1",
        "fps": 30.0,
        "time_base": "1/15360",
        "start_time_s": 0.0,
        "duration_s": 0.1,
        "header_frame_count": 3,
        "packet_count": 3,
        "variable_frame_rate": False,
    }
    return {**info, **changes}


@pytest.mark.parametrize("name", ["pose.v1.json", "labels.v1.json", "video.v1.json"])
def test_the_attribute_schemas_are_valid_json_schemas(name):
    jsonschema.Draft202012Validator.check_schema(json_schema(name))


def test_valid_datasets_pass_and_their_attributes_match_the_shipped_schemas():
    video = make_video_dataset([0.0, 1 / 30, 2 / 30], video_info(), source_file="/data/v.mp4")
    for ds, name in ((pose(), "pose.v1.json"), (labels(), "labels.v1.json"), (video, "video.v1.json")):
        jsonschema.validate(json.loads(json.dumps(ds.attrs)), json_schema(name))
    assert video.attrs["schema"] == "etholake.video/1" and "path" not in video.attrs
    assert video["frame"].values.tolist() == [0, 1, 2]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"units": "cm"}, "attribute 'units': 'cm' is not one of ['px', 'mm']"),
        ({"confidence_kind": "likelihood"}, "attribute 'confidence_kind': 'likelihood' is not one of"),
        ({"fps": -30.0}, "attribute 'fps': -30.0 is less than or equal to the minimum of 0"),
        ({"fps": np.float64("nan")}, "attribute 'fps': 'nan' is not of type 'number', 'null'"),
        ({"schema": "etholake.pose/2"}, "attribute 'schema' is 'etholake.pose/2', expected 'etholake.pose/1'"),
        ({"source_sha256": "not-a-hash"}, "attribute 'source_sha256': 'not-a-hash' does not match"),
        ({"arena_bounds_px": [0, 0, 100]}, "attribute 'arena_bounds_px': [0, 0, 100] is too short"),
    ],
)
def test_a_bad_pose_attribute_is_named_with_what_is_wrong(change, message):
    ds = pose()
    ds.attrs.update(change)
    with pytest.raises(SchemaError) as caught:
        validate_pose(ds)
    assert str(caught.value).startswith("pose dataset (/data/m1DLC.h5): ")
    assert message in str(caught.value)


def test_every_missing_pose_attribute_is_listed_at_once():
    ds = pose()
    del ds.attrs["units"], ds.attrs["fps"]
    with pytest.raises(SchemaError, match="missing attribute 'fps'; missing attribute 'units'"):
        validate_pose(ds)


def test_numpy_attribute_values_are_checked_as_the_plain_values_they_are_stored_as():
    ds = pose()
    ds.attrs["fps"] = np.float32(25.0)
    ds.attrs["arena_bounds_px"] = np.array([0.0, 0.0, 640.0, 480.0])
    validate_pose(ds)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"annotator": ""}, "attribute 'annotator': '' should be non-empty"),
        ({"schema": "etholake.pose/1"}, "attribute 'schema' is 'etholake.pose/1', expected 'etholake.labels/1'"),
    ],
)
def test_a_bad_labels_attribute_is_named(change, message):
    ds = labels()
    ds.attrs.update(change)
    with pytest.raises(SchemaError, match="labels dataset") as caught:
        validate_labels(ds)
    assert message in str(caught.value)


def test_labels_without_an_annotator_are_refused():
    ds = labels()
    del ds.attrs["annotator"]
    with pytest.raises(SchemaError, match="missing attribute 'annotator'"):
        validate_labels(ds)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"frame_rate": "29.97"}, "attribute 'frame_rate': '29.97' does not match"),
        ({"width": 0}, "attribute 'width': 0 is less than the minimum of 1"),
        ({"sha256": None}, "attribute 'sha256': None is not of type 'string'"),
        ({"variable_frame_rate": "no"}, "attribute 'variable_frame_rate': 'no' is not of type 'boolean'"),
        ({"packet_count": 4}, "3 frame times but packet_count is 4"),
    ],
)
def test_a_bad_video_attribute_is_named(change, message):
    with pytest.raises(SchemaError, match="video dataset") as caught:
        make_video_dataset([0.0, 1 / 30, 2 / 30], video_info(**change), source_file="/data/v.mp4")
    assert message in str(caught.value)


def test_video_frame_times_must_be_finite_and_in_display_order():
    with pytest.raises(SchemaError, match="'pts' must be finite and in display order"):
        make_video_dataset([0.0, 2 / 30, 1 / 30], video_info(), source_file="/data/v.mp4")
    ds = make_video_dataset([0.0, 1 / 30, 2 / 30], video_info(), source_file="/data/v.mp4")
    ds["pts"][1] = np.nan
    with pytest.raises(SchemaError, match="'pts' must be finite"):
        validate_video(ds)

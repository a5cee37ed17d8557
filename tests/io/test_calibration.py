"""Camera calibrations: the real sleap-anipose calibration.toml against tomllib, and broken files."""

import tomllib

import numpy as np
import pytest

from etholake.errors import InputFileError
from etholake.io.calibration import detect_calibration_format, read_calibration
from etholake.lake.formats import read_zarr, write_zarr

REAL = "pose/sleap_anipose_minimal_calibration.toml"

FISHEYE = """
[cam_0]
name = "left"
size = [640, 480]
matrix = [[500.0, 0.0, 319.5], [0.0, 500.0, 239.5], [0.0, 0.0, 1.0]]
distortions = [0.1, -0.02, 0.003, -0.0004]
rotation = [0.0, 0.0, 0.0]
translation = [0.0, 0.0, 0.0]
fisheye = true

[cam_1]
name = "right"
size = [640, 480]
matrix = [[510.0, 0.0, 320.0], [0.0, 510.0, 240.0], [0.0, 0.0, 1.0]]
distortions = [-0.3, 0.1, 0.0, 0.0, -0.01]
rotation = [0.0, 0.5, 0.0]
translation = [-100.0, 0.0, 5.0]

[metadata]
adjusted = true
error = 0.42
"""


def test_the_real_calibration_matches_what_the_toml_holds(shared_data):
    path = shared_data(REAL)
    document = tomllib.loads(path.read_text())
    keys = sorted(k for k in document if k != "metadata")
    ds = read_calibration(path)
    assert detect_calibration_format(path) == "anipose_toml"
    assert ds["camera"].values.tolist() == [document[k]["name"] for k in keys] == ["back", "mid", "side", "top"]
    assert ds.sizes == {"camera": 4, "image_axis": 2, "matrix_row": 3, "matrix_column": 3, "coefficient": 5, "axis": 3}
    for index, key in enumerate(keys):
        camera = document[key]
        np.testing.assert_array_equal(ds["intrinsic_matrix"].values[index], camera["matrix"])
        np.testing.assert_array_equal(ds["distortion"].values[index], camera["distortions"])
        np.testing.assert_array_equal(ds["rotation"].values[index], camera["rotation"])
        np.testing.assert_array_equal(ds["translation"].values[index], camera["translation"])
        assert ds["image_size"].values[index].tolist() == camera["size"] == [1280, 1024]
    assert ds["intrinsic_matrix"].sel(camera="back").values[0, 0] == pytest.approx(769.8864926727645)
    assert not ds["fisheye"].values.any()
    assert ds.attrs["metadata"] == {}
    assert ds.attrs["schema"] == "etholake.calibration/1" and len(ds.attrs["source_sha256"]) == 64


def test_fisheye_cameras_keep_four_coefficients_and_the_metadata_round_trips_through_zarr(tmp_path):
    path = tmp_path / "calibration.toml"
    path.write_text(FISHEYE)
    ds = read_calibration(path)
    assert ds["fisheye"].values.tolist() == [True, False]
    np.testing.assert_array_equal(ds["distortion"].values[0], [0.1, -0.02, 0.003, -0.0004, np.nan])
    assert ds.attrs["metadata"] == {"adjusted": True, "error": 0.42}
    write_zarr(ds, str(tmp_path / "c.zarr"), {})
    back = read_zarr(str(tmp_path / "c.zarr"), {}).load()
    np.testing.assert_array_equal(back["distortion"].values, ds["distortion"].values)
    assert back["camera"].values.tolist() == ["left", "right"]
    assert back.attrs["metadata"] == {"adjusted": True, "error": 0.42}


def _without(text: str, line_start: str) -> str:
    return "\n".join(line for line in text.splitlines() if not line.startswith(line_start))


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"", "file is empty"),
        (b"\xff\xfe\x00binary", "not text, so not an aniposelib calibration.toml"),
        (b"[cam_0\nname = 1", "not valid TOML"),
        (b"title = 'x'\n", "holds no camera tables"),
        (_without(FISHEYE, "rotation").encode(), "camera [cam_0] lacks rotation"),
        (FISHEYE.replace("[[500.0, 0.0, 319.5], ", "[").encode(), "camera [cam_0] matrix must be 3 x 3 numbers"),
        (FISHEYE.replace('"right"', '"left"').encode(), "camera name(s) left appear more than once"),
        (FISHEYE.replace("[0.0, 0.5, 0.0]", '["a", 0.5, 0.0]').encode(), "camera [cam_1] rotation is not numeric"),
        (FISHEYE.replace("[-0.3, 0.1, 0.0, 0.0, -0.01]", "[]").encode(), "distortions must be 1 to 14 finite"),
        (FISHEYE.replace("[-100.0, 0.0, 5.0]", "[nan, 0.0, 5.0]").encode(), "translation holds NaN"),
        (FISHEYE.replace("size = [640, 480]", "size = [640.5, 0]", 1).encode(), "size must be a positive whole"),
    ],
)
def test_a_broken_calibration_gives_one_error_naming_the_file_and_the_problem(tmp_path, content, problem):
    path = tmp_path / "calibration.toml"
    path.write_bytes(content)
    with pytest.raises(InputFileError) as caught:
        read_calibration(path)
    assert str(caught.value).startswith(f"{path}: ")
    assert problem in str(caught.value)


def test_an_unknown_calibration_format_is_refused(tmp_path):
    with pytest.raises(ValueError, match="unknown calibration format 'dannce_mat'; known formats: anipose_toml"):
        read_calibration(tmp_path / "x.mat", format="dannce_mat")

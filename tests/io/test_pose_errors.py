"""Bad pose files give one clear InputFileError naming the file and the problem."""

from __future__ import annotations

import hashlib
import io
import shutil
import warnings
from pathlib import Path

import h5py
import numpy as np
import pytest

from etholake.errors import InputFileError
from etholake.io import _files, count_pose_frames, detect_pose_format, read_pose
from etholake.io._pandas_hdf import UnsafePickleError, literal_from_pickle

DLC_H5 = "pose/dlc_single_openfield_m3v1mp4.predictions.h5"
DLC_CSV = "pose/dlc_single_deepof.predictions.csv"
SLEAP_H5 = "pose/sleap_deepof_single.analysis.h5"


def copy(shared_data, name: str, tmp_path: Path, new_name: str | None = None) -> Path:
    target = tmp_path / (new_name or Path(name).name)
    shutil.copyfile(shared_data(name), target)
    return target


def truncated_h5(shared_data, tmp_path):
    path = copy(shared_data, DLC_H5, tmp_path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 3])
    return path, {}, "HDF5"


def corrupted_h5(shared_data, tmp_path):
    path = copy(shared_data, DLC_H5, tmp_path)
    data = bytearray(path.read_bytes())
    data[2000:60000] = bytes(58000)
    path.write_bytes(bytes(data))
    return path, {}, "truncated or corrupted|cannot read"


def empty_file(shared_data, tmp_path):
    path = tmp_path / "empty.h5"
    path.touch()
    return path, {}, "empty"


def missing_file(shared_data, tmp_path):
    return tmp_path / "absent.csv", {}, "does not exist"


def directory(shared_data, tmp_path):
    return tmp_path, {}, "not a regular file"


def wrong_header_csv(shared_data, tmp_path):
    path = tmp_path / "wrong.csv"
    path.write_text("time,speed,heading\n0,1,2\n")
    return path, {}, "matches no supported pose CSV layout"


def wrong_header_as_dlc(shared_data, tmp_path):
    path = tmp_path / "wrong.csv"
    path.write_text("frame,nose,nose\nbodyparts,nose,nose\ncoords,x,y\n0,1,2\n")
    return path, {"format": "dlc_csv"}, "first header cell is 'frame'"


def header_only_csv(shared_data, tmp_path):
    path = tmp_path / "header_only.csv"
    path.write_text("scorer,s,s\nbodyparts,nose,nose\ncoords,x,y\n")
    return path, {}, "no data rows"


def truncated_csv(shared_data, tmp_path):
    path = copy(shared_data, DLC_CSV, tmp_path)
    text = path.read_text()
    path.write_text(text[: len(text) // 2])
    return path, {}, r"cannot parse the CSV values: .*Expected 43 columns, got .* is the file truncated\?\)$"


def truncated_csv_named_h5(shared_data, tmp_path):
    path, options, problem = truncated_csv(shared_data, tmp_path)
    return path.rename(path.with_suffix(".h5")), options, problem


def short_row_inside_csv(shared_data, tmp_path):
    path = tmp_path / "short_row.csv"
    path.write_text("scorer,s,s,s\nbodyparts,nose,nose,nose\ncoords,x,y,likelihood\n0,1,2,0.5\n1,1\n2,1,2,0.5\n")
    return path, {}, r"Expected 4 columns, got 2: 1,1$"


def text_in_values_csv(shared_data, tmp_path):
    path = tmp_path / "text.csv"
    path.write_text("scorer,s,s,s\nbodyparts,nose,nose,nose\ncoords,x,y,likelihood\n0,1,two,0.5\n")
    return path, {}, "cannot parse the CSV values"


def unknown_coordinate_csv(shared_data, tmp_path):
    path = tmp_path / "coords.csv"
    path.write_text("scorer,s,s,s\nbodyparts,nose,nose,nose\ncoords,x,y,w\n0,1,2,3\n")
    return path, {}, "unexpected coordinate name"


def csv_renamed_h5_as_dlc_h5(shared_data, tmp_path):
    path = copy(shared_data, DLC_CSV, tmp_path, "renamed.h5")
    return path, {"format": "dlc_h5"}, "not a readable HDF5 file.*looks like dlc_csv"


def sleap_as_dlc_h5(shared_data, tmp_path):
    path = copy(shared_data, SLEAP_H5, tmp_path)
    return path, {"format": "dlc_h5"}, "not a DeepLabCut .h5 file.*looks like sleap_h5"


def dlc_as_sleap_h5(shared_data, tmp_path):
    path = copy(shared_data, DLC_H5, tmp_path)
    return path, {"format": "sleap_h5"}, "not a SLEAP analysis file.*looks like dlc_h5"


def unrelated_hdf5(shared_data, tmp_path):
    path = tmp_path / "other.h5"
    with h5py.File(path, "w") as handle:
        handle["spikes"] = np.arange(10)
    return path, {}, "matches no supported pose format"


def binary_garbage(shared_data, tmp_path):
    path = tmp_path / "garbage.csv"
    path.write_bytes(bytes(range(256)) * 4)
    return path, {}, "binary content"


def malicious_pickle_attribute(shared_data, tmp_path):
    path = copy(shared_data, DLC_H5, tmp_path)
    with h5py.File(path, "r+") as handle:
        handle["df_with_missing"].attrs["non_index_axes"] = np.bytes_(b"cos\nsystem\n(S'echo owned'\ntR.")
    return path, {}, "refusing to read key 'df_with_missing'.*GLOBAL"


def missing_pandas_key(shared_data, tmp_path):
    path = copy(shared_data, DLC_H5, tmp_path)
    return path, {"key": "tracks"}, "has no pandas key 'tracks'"


def nwb_without_pose(shared_data, tmp_path):
    return shared_data("neural/dandi000006_sub-anm369963_ses-20170228.nwb"), {}, "no ndx-pose PoseEstimation"


def nwb_unknown_estimation(shared_data, tmp_path):
    path = shared_data("pose/ndxpose_0.3.0_poseestimation_two_cameras.nwb")
    return path, {"nwb_pose_estimation": "Nope"}, "has no PoseEstimation named"


def caltech_labels_as_dlc_csv(shared_data, tmp_path):
    path = copy(shared_data, "rat_dyad/labels/13_annot.txt", tmp_path)
    return path, {"format": "dlc_csv"}, "first header cell is 'Caltech Behavior Annotator"


def caltech_labels_as_pose(shared_data, tmp_path):
    path = copy(shared_data, "rat_dyad/labels/13_annot.txt", tmp_path)
    return path, {}, "matches no supported pose CSV layout"


def corrupted_frame_index_h5(shared_data, tmp_path):
    path = copy(shared_data, DLC_H5, tmp_path)
    with h5py.File(path, "r+") as handle:
        table = handle["df_with_missing/table"]
        rows = table[()]
        rows["index"][5] = 2**62
        table[...] = rows
    return path, {}, f"frame number {2**62}, which no video has: the file looks corrupted"


def edited_csv_row(shared_data, tmp_path, cells: dict[int, str]) -> Path:
    path = copy(shared_data, DLC_CSV, tmp_path)
    lines = path.read_text().split("\n")
    row = lines[5].split(",")
    for column, value in cells.items():
        row[column] = value
    lines[5] = ",".join(row)
    path.write_text("\n".join(lines))
    return path


def infinite_position_csv(shared_data, tmp_path):
    path = edited_csv_row(shared_data, tmp_path, {1: "inf"})
    return path, {}, r"position has 1 infinite value \(first at frame 2, keypoint 'Nose', individual '[^']+'\)"


def infinite_confidence_csv(shared_data, tmp_path):
    path = edited_csv_row(shared_data, tmp_path, {6: "-inf"})
    return path, {}, r"confidence has 1 infinite value \(first at frame 2, keypoint 'Left_ear', "


def value_beyond_float32_h5(shared_data, tmp_path):
    path = copy(shared_data, DLC_H5, tmp_path)
    with h5py.File(path, "r+") as handle:
        table = handle["df_with_missing/table"]
        rows = table[()]
        rows["values_block_0"][5, 0] = 1e300
        table[...] = rows
    return path, {}, "position has 1 infinite value.*beyond float32's range"


def csv_as_netcdf(shared_data, tmp_path):
    path = copy(shared_data, DLC_CSV, tmp_path)
    return path, {"format": "netcdf"}, "is not a netCDF file.*looks like dlc_csv"


def hdf5_pose_as_netcdf(shared_data, tmp_path):
    path = copy(shared_data, DLC_H5, tmp_path)
    return path, {"format": "netcdf"}, "holds no 'position' variable.*looks like dlc_h5"


def text_in_frame_index_csv(shared_data, tmp_path):
    path = edited_csv_row(shared_data, tmp_path, {0: "x7"})
    return path, {}, r"the row index holds frame numbers except in data row 3, which holds 'x7': the file looks damaged"


def h5_cut_to_one_byte(shared_data, tmp_path):
    path = copy(shared_data, DLC_H5, tmp_path)
    path.write_bytes(path.read_bytes()[:1])
    return path, {}, r"starts like an HDF5 file but is not a readable one \(1 byte\): it looks truncated"


def nwb_cut_inside_its_signature(shared_data, tmp_path):
    path = copy(shared_data, "pose/dlc2nwb_openfield_m3v1mp4.nwb", tmp_path)
    path.write_bytes(path.read_bytes()[:6])
    return path, {}, r"starts like an HDF5 file but is not a readable one \(6 bytes\)"


BAD_FILES = [
    truncated_h5,
    corrupted_h5,
    empty_file,
    missing_file,
    directory,
    wrong_header_csv,
    wrong_header_as_dlc,
    header_only_csv,
    truncated_csv,
    truncated_csv_named_h5,
    short_row_inside_csv,
    text_in_values_csv,
    unknown_coordinate_csv,
    csv_renamed_h5_as_dlc_h5,
    sleap_as_dlc_h5,
    dlc_as_sleap_h5,
    unrelated_hdf5,
    binary_garbage,
    malicious_pickle_attribute,
    missing_pandas_key,
    nwb_without_pose,
    nwb_unknown_estimation,
    caltech_labels_as_dlc_csv,
    caltech_labels_as_pose,
    corrupted_frame_index_h5,
    infinite_position_csv,
    infinite_confidence_csv,
    value_beyond_float32_h5,
    csv_as_netcdf,
    text_in_frame_index_csv,
    h5_cut_to_one_byte,
    nwb_cut_inside_its_signature,
    hdf5_pose_as_netcdf,
]


@pytest.mark.parametrize("make_bad_file", BAD_FILES, ids=[f.__name__ for f in BAD_FILES])
def test_bad_file_raises_one_input_file_error(shared_data, tmp_path, make_bad_file):
    path, options, problem = make_bad_file(shared_data, tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        with pytest.raises(InputFileError, match=problem) as raised:
            read_pose(path, **options)
    error = raised.value
    assert error.path == str(path)
    assert str(error).startswith(f"{path}: ")
    assert str(error).count(str(path)) == 1


def test_a_corrupted_frame_index_is_refused_by_the_cheap_count_too(shared_data, tmp_path):
    path, _, problem = corrupted_frame_index_h5(shared_data, tmp_path)
    with pytest.raises(InputFileError, match=problem):
        count_pose_frames(path, "dlc_h5")


def test_csv_renamed_h5_is_read_by_content_with_a_warning(shared_data, tmp_path):
    path = copy(shared_data, DLC_CSV, tmp_path, "renamed.h5")
    assert detect_pose_format(path) == "dlc_csv"
    with pytest.warns(UserWarning, match="content is dlc_csv but the extension is '.h5'"):
        ds = read_pose(path)
    assert ds.sizes["time"] == 97


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"format": "dlc_xlsx"}, ValueError, "unknown pose format"),
        ({"fps": -3}, ValueError, "fps must be a positive number"),
        ({"individuals": ["a", "b"]}, ValueError, "gives 2 name"),
        ({"individuals": [""]}, ValueError, "unique, non-empty"),
        ({"nwb_pose_estimation": "x"}, TypeError, "do not apply to format 'dlc_h5'"),
    ],
)
def test_bad_arguments(shared_data, options, error, message):
    with pytest.raises(error, match=message):
        read_pose(shared_data(DLC_H5), **options)


def test_url_is_refused():
    with pytest.raises(InputFileError, match="is a URL"):
        read_pose("s3://bucket/video1DLC.h5")


def test_literal_pickle_decodes_pandas_column_labels(shared_data):
    with h5py.File(shared_data(DLC_H5)) as handle:
        axes = literal_from_pickle(bytes(handle["df_with_missing"].attrs["non_index_axes"]))
    assert axes[0][0] == 1
    assert axes[0][1][0] == ("DLC_resnet50_openfieldAug20shuffle1_30000", "snout", "x")
    assert len(axes[0][1]) == 12


@pytest.mark.parametrize(
    "payload",
    [
        b"cos\nsystem\n(S'echo owned'\ntR.",
        b"\x80\x04\x95\x10\x00\x00\x00\x00\x00\x00\x00\x8c\x02os\x94\x8c\x06system\x94\x93\x94.",
        b"(lp0\nI1\na(c__builtin__\neval\np1\ntp2\na.",
    ],
)
def test_literal_pickle_refuses_code(payload):
    with pytest.raises(UnsafePickleError):
        literal_from_pickle(payload)


class FailingReads(io.RawIOBase):
    """A raw file whose reads fail after the first block."""

    def __init__(self, handle: io.RawIOBase) -> None:
        self.handle, self.reads = handle, 0

    def readinto(self, buffer: bytearray) -> int:
        self.reads += 1
        if self.reads > 1:
            raise OSError("Input/output error")
        return self.handle.readinto(buffer)

    def fileno(self) -> int:
        return self.handle.fileno()

    def close(self) -> None:
        self.handle.close()
        super().close()


def test_read_error_while_hashing_raises_input_file_error_and_is_not_remembered(shared_data, tmp_path, monkeypatch):
    path = copy(shared_data, DLC_H5, tmp_path)
    monkeypatch.setattr(_files, "_HASH_BLOCK", 4096)
    monkeypatch.setattr(_files, "open", lambda name, *_, **__: FailingReads(io.FileIO(name)), raising=False)
    with pytest.raises(InputFileError, match="cannot hash the file: OSError: Input/output error") as raised:
        read_pose(path)
    assert raised.value.path == str(path)
    monkeypatch.undo()
    assert read_pose(path).attrs["source_sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()


def test_likelihoods_outside_0_1_are_kept_as_scores_with_a_warning_naming_the_first(shared_data, tmp_path):
    path = edited_csv_row(shared_data, tmp_path, {3: "7.5", 6: "-0.5"})
    with pytest.warns(
        UserWarning, match=r"2 confidence values outside \[0, 1\] \(first 7.5 at frame 2, keypoint 'Nose'"
    ):
        ds = read_pose(path, fps=30.0)
    assert ds.attrs["confidence_kind"] == "score"
    assert ds["confidence"].sel(keypoint="Nose").values[2, 0] == 7.5


def test_likelihoods_within_0_1_stay_probabilities(shared_data):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ds = read_pose(shared_data(DLC_CSV), fps=30.0)
    assert ds.attrs["confidence_kind"] == "probability"

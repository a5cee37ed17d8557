"""Video probing and frame timestamps on the four real .mp4 files, and on truncated or corrupted copies."""

from __future__ import annotations

from fractions import Fraction

import av
import numpy as np
import pytest

from etholake.errors import InputFileError
from etholake.io.video import frame_timestamps, probe_video

# file -> (frames, width, height, pixel format, frame rate, sha256 from pose/MANIFEST.txt)
VIDEOS = {
    "video_openfield_m3v1mp4.mp4": (
        2330, 640, 480, "yuv444p", "1000000/33333",
        "e2394b4221821cdb7206910a6efcec9db338cb497d1f880bd5a0ef2fd087ce59",
    ),
    "video_sleap_anipose_minimal_top.mp4": (
        120, 1280, 1024, "yuv420p", "30/1",
        "4bc2efd6e312afb90933241ab8700a5434497a63a5945aa2970d627a1cc289a7",
    ),
    "video_lp_mirror_mouse_test_vid.mp4": (
        994, 396, 406, "yuv420p", "250/1",
        "734d193945cee52ade657e1afe1e2b0a1042729607f07ebf7b755783f42f65fc",
    ),
    "video_sleap_nn_centered_pair_small.mp4": (
        1100, 384, 384, "yuv420p", "15/1",
        "656b65ecf94008c1f0085676032122684d684049c8b0ea516a5297086553f04f",
    ),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(VIDEOS))
def test_probe_reports_the_real_stream(shared_data, name):
    frames, width, height, pixel_format, rate, sha256 = VIDEOS[name]
    info = probe_video(shared_data(f"pose/{name}"))
    assert info["codec"] == "h264"
    assert (info["width"], info["height"], info["pixel_format"]) == (width, height, pixel_format)
    assert info["frame_rate"] == rate
    assert info["fps"] == pytest.approx(float(Fraction(rate)))
    assert info["header_frame_count"] == frames
    assert info["packet_count"] == frames
    assert info["sha256"] == sha256
    assert info["variable_frame_rate"] is False
    assert info["duration_s"] == pytest.approx(frames / info["fps"], abs=1e-3)
    assert Fraction(info["time_base"]) > 0


@pytest.mark.parametrize("name", sorted(VIDEOS))
def test_frame_timestamps_are_one_per_frame_at_the_frame_rate(shared_data, name):
    frames, *_, rate, _ = VIDEOS[name]
    times = frame_timestamps(shared_data(f"pose/{name}"))
    assert times.dtype == np.float64
    assert times.shape == (frames,)
    assert times[0] == 0.0
    np.testing.assert_allclose(np.diff(times), 1 / float(Fraction(rate)), rtol=1e-4)


def test_openfield_timestamps_are_the_exact_container_ticks(shared_data):
    times = frame_timestamps(shared_data("pose/video_openfield_m3v1mp4.mp4"))
    np.testing.assert_array_equal(times[:3], [0.0, 0.033333, 0.066666])
    assert times[-1] == pytest.approx(77.632557)


def faststart_copy(source, target) -> None:
    """Remux ``source`` with its index (moov) first, so a truncated copy still opens."""
    with av.open(str(source)) as reader, av.open(str(target), "w", options={"movflags": "faststart"}) as writer:
        stream = writer.add_stream_from_template(reader.streams.video[0])
        for packet in reader.demux(reader.streams.video[0]):
            if packet.dts is not None:
                packet.stream = stream
                writer.mux(packet)


def test_truncated_file_whose_index_survives_is_reported(shared_data, tmp_path):
    complete = tmp_path / "faststart.mp4"
    faststart_copy(shared_data("pose/video_sleap_anipose_minimal_top.mp4"), complete)
    assert probe_video(complete)["packet_count"] == 120
    truncated = tmp_path / "truncated.mp4"
    truncated.write_bytes(complete.read_bytes()[: complete.stat().st_size // 2])
    with pytest.raises(InputFileError, match="header announces 120 frames but only"):
        probe_video(truncated)
    with pytest.raises(InputFileError, match="truncated"):
        frame_timestamps(truncated)


@pytest.mark.parametrize(
    ("cut", "problem"),
    [
        (lambda data: data[: len(data) // 2], "not a readable video"),
        (lambda data: b"\x00" * 64 + data[64:], "not a readable video"),
        (lambda data: b"", "empty"),
    ],
)
def test_truncated_or_corrupted_files_raise(shared_data, tmp_path, cut, problem):
    path = tmp_path / "broken.mp4"
    path.write_bytes(cut(shared_data("pose/video_openfield_m3v1mp4.mp4").read_bytes()))
    with pytest.raises(InputFileError, match=problem) as error:
        probe_video(path)
    assert str(path) in str(error.value)
    with pytest.raises(InputFileError, match=problem):
        frame_timestamps(path)


def test_a_text_file_is_not_a_video(shared_data):
    with pytest.raises(InputFileError, match="holds no video stream"):
        probe_video(shared_data("rat_dyad/labels/1_annot.txt"))

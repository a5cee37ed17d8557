"""Benchmark the lake's ``compact`` codec on real pose files, against the codec it replaced.

For every pose file under ``../shared/data/pose`` and ``../shared/data/rat_dyad/pose``
that ``read_pose`` reads, the canonical pose is written as a Zarr v3 store with
``compact`` (Blosc zstd level 1, byte shuffle) and with the baseline (Blosc zstd
level 3, bit shuffle, the lake's codec until 2026-12-07). Printed per file: raw
array bytes / stored bytes for each. Then the write speed on real data: the 16
rat-dyad sessions concatenated along time (about 228,000 frames of different
content; repeating one file would let the compressor find the repeats), best of
3 writes with each codec.

Run: ``.venv/bin/python bench/pose_codec.py``.
"""

from __future__ import annotations

import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import xarray as xr
from zarr.codecs import BloscCodec

from etholake.errors import EtholakeError
from etholake.io import read_pose
from etholake.lake import formats

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
BASELINE = BloscCodec(cname="zstd", clevel=3, shuffle="bitshuffle")
REPEATS = 3


def stored_bytes(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


def write_with(pose: xr.Dataset, compressor: BloscCodec, workdir: Path) -> tuple[float, int]:
    """Seconds of one Zarr write of ``pose`` with ``compressor``, and the bytes it stored."""
    formats.COMPRESSORS["bench"] = compressor
    with tempfile.TemporaryDirectory(dir=workdir) as folder:
        start = time.perf_counter()
        formats.write_zarr(pose, f"{folder}/pose.zarr", {}, codec="bench")
        seconds = time.perf_counter() - start
        return seconds, stored_bytes(Path(folder))


def raw_bytes(pose: xr.Dataset) -> int:
    return sum(variable.nbytes for variable in pose.variables.values())


def readable_poses() -> dict[str, xr.Dataset]:
    poses = {}
    for path in sorted([*(DATA / "pose").iterdir(), *(DATA / "rat_dyad" / "pose").iterdir()]):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                poses[path.name] = read_pose(path, fps=30.0)
        except EtholakeError:
            continue
    return poses


def rat_sessions_end_to_end(poses: dict[str, xr.Dataset]) -> xr.Dataset:
    rats = [pose for name, pose in poses.items() if "_el_filtered" in name]
    joined = xr.concat([pose[["position", "confidence"]].drop_vars("time") for pose in rats], dim="time")
    return joined.assign_coords(time=np.arange(joined.sizes["time"]) / 30.0)


def main() -> None:
    if not DATA.is_dir():
        sys.exit(f"{DATA} is missing: this benchmark reads the real pose files there")
    compact = formats.COMPRESSORS["compact"]
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        poses = readable_poses()
        totals = {"raw": 0, "compact": 0, "baseline": 0}
        for name, pose in poses.items():
            raw = raw_bytes(pose)
            _, compact_size = write_with(pose, compact, workdir)
            _, baseline_size = write_with(pose, BASELINE, workdir)
            totals["raw"] += raw
            totals["compact"] += compact_size
            totals["baseline"] += baseline_size
            print(
                f"{name}: {pose.sizes['time']:,} frames, raw {raw / 1e3:,.0f} kB; raw / stored: "
                f"compact {raw / compact_size:.2f}, baseline {raw / baseline_size:.2f}"
            )
        print(
            f"all {len(poses)} files: raw {totals['raw'] / 1e6:.1f} MB; raw / stored: compact "
            f"{totals['raw'] / totals['compact']:.2f}, baseline {totals['raw'] / totals['baseline']:.2f} "
            f"(compact stores {totals['compact'] / totals['baseline']:.2f} x the baseline's bytes)"
        )
        rats = rat_sessions_end_to_end(poses)
        compact_seconds = min(write_with(rats, compact, workdir)[0] for _ in range(REPEATS))
        baseline_seconds = min(write_with(rats, BASELINE, workdir)[0] for _ in range(REPEATS))
        print(
            f"write of the rat sessions end to end ({rats.sizes['time']:,} frames, {raw_bytes(rats) / 1e6:.0f} MB): "
            f"compact {compact_seconds:.3f} s, baseline {baseline_seconds:.3f} s "
            f"({baseline_seconds / compact_seconds:.2f} x faster)"
        )


if __name__ == "__main__":
    main()

"""Benchmark of the feature engine: one 1,000,000-frame session, 2 animals x 8 keypoints, ``simba`` set.

Prints frames/s in this process (dask's synchronous scheduler, no cluster), on one worker
process and on two (distributed LocalClusters of single-threaded worker processes: the
scaling figure compares like with like), the peak memory of the worker processes, and
the ratio to a baseline measured here: SimBA's per-frame recipe written with pandas
(pairwise distances, per-keypoint movement, pandas rolling mean/sum), the way SimBA's
user-defined extractor computes it, on the first 100,000 frames. SimBA 5.6.1's own
16-body-part extractor runs at about 2,700 frames/s on one core with 498 features
(measured by the project, not here).

The session is generated lazily, chunk by chunk, so memory depends on the chunk size and
not on the session's length. Each figure is the fastest of three runs, and frames per
CPU-second are reported next to wall-clock frames/s, because the machine is shared:
wall-clock figures drop when other processes run.

The workers run without distributed's default ``MALLOC_TRIM_THRESHOLD_=65536``: that
setting turns off glibc's adaptive mmap threshold, so every multi-MB temporary array is
freshly mmap'd and page-faulted, which made the feature kernel 3-4x slower in workers.

Run: ``.venv/bin/python bench/features.py [n_frames] [chunk_frames]``
"""

from __future__ import annotations

import argparse
import os
import threading
import time
import warnings
from collections.abc import Callable

import dask
import dask.array as da
import numpy as np
import pandas as pd
import psutil
import xarray as xr

from etholake.features import compute_features, load_spec, make_plan
from etholake.schema import make_pose_dataset

KEYPOINTS = ["nose", "left_ear", "right_ear", "centroid", "left_side", "right_side", "tail_base", "tail_end"]
LAYOUT = np.array([[20, 0], [12, -6], [12, 6], [0, 0], [-2, -9], [-2, 9], [-20, 0], [-45, 0]], dtype=np.float32)
FPS = 30.0
REPEATS = 3


def _pose_chunk(block_info=None) -> np.ndarray:
    """Positions (frames, space, keypoint, individual) of one chunk, from the absolute frame index."""
    start, stop = block_info[None]["array-location"][0]
    frames = np.arange(start, stop, dtype=np.float64)
    rng = np.random.default_rng(start)
    result = np.empty((stop - start, 2, len(KEYPOINTS), 2), dtype=np.float32)
    for animal in range(2):
        phase = frames / (97.0 + 31 * animal)
        cx, cy = 320 + 200 * np.sin(phase), 240 + 150 * np.cos(1.3 * phase + animal)
        angle = phase + np.pi * animal
        cos, sin = np.cos(angle)[:, None], np.sin(angle)[:, None]
        result[:, 0, :, animal] = cx[:, None] + LAYOUT[:, 0] * cos - LAYOUT[:, 1] * sin
        result[:, 1, :, animal] = cy[:, None] + LAYOUT[:, 0] * sin + LAYOUT[:, 1] * cos
    result += rng.random(size=result.shape, dtype=np.float32) - np.float32(0.5)
    result[rng.uniform(size=result.shape[0]) < 0.01, :, 7] = np.nan
    return result


def _confidence_chunk(block_info=None) -> np.ndarray:
    start, stop = block_info[None]["array-location"][0]
    return np.random.default_rng(start + 1).uniform(0, 1, size=(stop - start, len(KEYPOINTS), 2)).astype(np.float32)


def lazy_session(n_frames: int, chunk: int):
    """A dask-backed canonical pose dataset generated chunk by chunk."""
    chunks = (chunk,) * (n_frames // chunk) + ((n_frames % chunk,) if n_frames % chunk else ())
    n_keypoints = len(KEYPOINTS)
    position = da.map_blocks(
        _pose_chunk, dtype=np.float32, chunks=(chunks, (2,), (n_keypoints,), (2,)), meta=np.empty((0,) * 4, np.float32)
    )
    confidence = da.map_blocks(
        _confidence_chunk, dtype=np.float32, chunks=(chunks, (n_keypoints,), (2,)), meta=np.empty((0,) * 3, np.float32)
    )
    template = make_pose_dataset(
        np.zeros((1, 2, len(KEYPOINTS), 2), np.float32),
        keypoints=KEYPOINTS,
        individuals=["m1", "m2"],
        fps=FPS,
        confidence=np.zeros((1, len(KEYPOINTS), 2), np.float32),
    )
    coords = {name: template[name] for name in ("space", "keypoint", "individual")}
    coords |= {"time": np.arange(n_frames) / FPS, "frame": ("time", np.arange(n_frames, dtype=np.int64))}
    return xr.Dataset(
        {
            "position": (("time", "space", "keypoint", "individual"), position),
            "confidence": (("time", "keypoint", "individual"), confidence),
        },
        coords=coords,
        attrs=template.attrs,
    )


def consume(features) -> np.ndarray:
    """Touch every feature value (per-feature NaN-aware maximum), chunk by chunk."""
    return da.nanmax(features["features"].data, axis=0).compute()


class PeakMemory:
    """Peak resident memory of some processes, sampled every 0.1 s on a background thread."""

    def __init__(self, sample) -> None:
        self.sample, self.peak = sample, 0
        self._running = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        while self._running.is_set():
            self.peak = max(self.peak, self.sample())
            time.sleep(0.1)

    def __enter__(self) -> PeakMemory:
        self._running.set()
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._running.clear()
        self._thread.join()


def best_run(run: Callable[[], tuple[float, float]], repeats: int = REPEATS) -> tuple[float, float]:
    """(wall s, CPU s) of the fastest of ``repeats`` runs: the machine is shared, the fastest is the least disturbed."""
    return min((run() for _ in range(repeats)), key=lambda timing: timing[0])


def run_single(pose) -> tuple[float, float, int, float]:
    """Wall s, CPU s, feature count and peak RSS (bytes) on dask's synchronous scheduler."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        features = compute_features(pose, "simba")
        process = psutil.Process()

        def run() -> tuple[float, float]:
            wall, cpu = time.perf_counter(), time.process_time()
            consume(features)
            return time.perf_counter() - wall, time.process_time() - cpu

        with PeakMemory(lambda: process.memory_info().rss) as memory, dask.config.set(scheduler="synchronous"):
            wall, cpu = best_run(run)
        return wall, cpu, features.sizes["feature"], memory.peak


def run_workers(pose, n_workers: int) -> tuple[float, float, float]:
    """Wall s, summed worker CPU s and peak worker RSS (bytes) on a LocalCluster of single-threaded worker processes."""
    from distributed import Client, LocalCluster

    environment = dask.config.get("distributed.nanny.pre-spawn-environ")
    environment.pop("MALLOC_TRIM_THRESHOLD_", None)
    with (
        LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True, dashboard_address=None) as cluster,
        Client(cluster) as client,
        warnings.catch_warnings(),
    ):
        warnings.simplefilter("ignore")
        features = compute_features(pose, "simba")
        consume(features.isel(time=slice(0, 70_000)))

        workers = [psutil.Process(pid) for pid in client.run(os.getpid).values()]

        def worker_cpu() -> float:
            return sum(sum(worker.cpu_times()[:2]) for worker in workers)

        def run() -> tuple[float, float]:
            wall, cpu = time.perf_counter(), worker_cpu()
            consume(features)
            return time.perf_counter() - wall, worker_cpu() - cpu

        with PeakMemory(lambda: max(worker.memory_info().rss for worker in workers)) as memory:
            wall, cpu = best_run(run)
        return wall, cpu, memory.peak


def pandas_baseline(pose, n_frames: int) -> float:
    """SimBA's recipe in pandas on the first ``n_frames`` frames; returns frames/s."""
    position = pose["position"].isel(time=slice(0, n_frames)).values
    start = time.perf_counter()
    columns = {}
    for a, b in [(0, 1)]:
        for i, p in enumerate(KEYPOINTS):
            for j, q in enumerate(KEYPOINTS):
                dx = position[:, 0, i, a] - position[:, 0, j, b]
                dy = position[:, 1, i, a] - position[:, 1, j, b]
                columns[f"Euclidean_distance_{p}_1_{q}_2"] = np.sqrt(dx**2 + dy**2) / 2.0
    frame = pd.DataFrame(columns)
    for animal in range(2):
        shifted = np.roll(position[..., animal], 1, axis=0)
        for i, p in enumerate(KEYPOINTS):
            step = position[:, :, i, animal] - shifted[:, :, i]
            frame[f"Movement_{p}_{animal + 1}"] = np.sqrt((step**2).sum(axis=1)) / 2.0
    rolled = {}
    for window in (2, 5, 6, 7, 15):
        for column in frame.columns:
            rolling = frame[column].rolling(window, min_periods=1)
            rolled[f"Mean_{column}_{window}"] = rolling.mean()
            rolled[f"Sum_{column}_{window}"] = rolling.sum()
    pd.concat([frame, pd.DataFrame(rolled)], axis=1)
    return n_frames / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n_frames", nargs="?", type=int, default=1_000_000, help="frames of the simulated session")
    parser.add_argument("chunk", nargs="?", type=int, default=1 << 15, help="frames per Dask chunk")
    arguments = parser.parse_args()
    n_frames, chunk = arguments.n_frames, arguments.chunk
    pose = lazy_session(n_frames, chunk)
    plan = make_plan(pose, load_spec("simba"))
    print(f"session: {n_frames:,} frames, 2 animals x 8 keypoints, chunks of {chunk:,} frames, halo {plan.depth}")
    print(f"load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    wall, cpu, n_features, peak = run_single(pose)
    print(f"simba set: {n_features} features")
    print(
        f"in this process (no cluster): {n_frames / wall:,.0f} frames/s wall, {n_frames / cpu:,.0f} frames per "
        f"CPU-second, peak RSS {peak / 2**20:,.0f} MB"
    )
    one_wall, one_cpu, one_peak = run_workers(pose, 1)
    print(
        f"one worker process : {n_frames / one_wall:,.0f} frames/s wall, {n_frames / one_cpu:,.0f} frames per "
        f"worker CPU-second, peak worker RSS {one_peak / 2**20:,.0f} MB"
    )
    two_wall, two_cpu, two_peak = run_workers(pose, 2)
    print(
        f"two worker processes: {n_frames / two_wall:,.0f} frames/s wall ({one_wall / two_wall:.2f}x one worker), "
        f"{n_frames / two_cpu:,.0f} frames per worker CPU-second, peak worker RSS {two_peak / 2**20:,.0f} MB"
    )
    print(f"load average after the runs: {os.getloadavg()[0]:.1f}")
    baseline_frames = min(n_frames, 100_000)
    baseline = pandas_baseline(pose, baseline_frames)
    print(
        f"baseline (SimBA's recipe in pandas, {baseline_frames:,} frames): {baseline:,.0f} frames/s; "
        f"etholake in one process = {n_frames / wall / baseline:.1f}x baseline, "
        f"{n_frames / wall / 2700:.0f}x SimBA 5.6.1"
    )


if __name__ == "__main__":
    main()

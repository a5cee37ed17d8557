"""Benchmark of the simulator: N sessions x M minutes at 30 fps on a two-worker LocalCluster.

Every session is a full one (behavior, kinematics, tracking, pose file, annotator label
files, NWB units and sync pulses, camera pulses, frame times, ground truth), all at
30 fps across three labs so that every pose and label format is written. Video is off by
default (``--video`` renders the 160x120 .mp4s too). The baseline, measured in this
process, is one session of each lab simulated serially without Dask; the report gives
the wall-clock time of the whole run, sessions per second, the speed-up over the serial
baseline, worker CPU time per session and the CPU-bound time on two free cores (the
machine is shared, so wall-clock time also measures other users' load), and the time
extrapolated to 100 sessions x 10 minutes when a smaller run was asked for (linear in
sessions x minutes, labelled as such).

Run: ``.venv/bin/python bench/simulate.py [--sessions 100] [--minutes 10] [--video]``
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import resource
import tempfile
import time
from pathlib import Path

from distributed import Client, LocalCluster

from etholake.sim import session_specs, simulate_session, simulate_specs

TARGET_SESSIONS, TARGET_MINUTES, TARGET_SECONDS = 100, 10.0, 120.0
N_LABS = 3


def _specs(out_dir: Path, sessions: int, minutes: float, video: bool):
    per_lab = -(-sessions // N_LABS)
    specs = session_specs(
        out_dir, n_labs=N_LABS, sessions_per_lab=per_lab, minutes=minutes, seed=0, video=video, neural=True
    )
    specs = [dataclasses.replace(spec, lab=dataclasses.replace(spec.lab, fps=30.0)) for spec in specs]
    return specs[:sessions]


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=TARGET_SESSIONS)
    parser.add_argument("--minutes", type=float, default=TARGET_MINUTES)
    parser.add_argument("--video", action="store_true")
    arguments = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="etholake-sim-bench-") as folder:
        root = Path(folder)
        baseline_specs = _specs(root / "baseline", N_LABS, arguments.minutes, arguments.video)
        simulate_session(dataclasses.replace(baseline_specs[0], session_index=N_LABS))
        start_cpu, start = time.process_time(), time.perf_counter()
        for spec in baseline_specs:
            simulate_session(spec)
        serial_seconds = (time.perf_counter() - start) / N_LABS
        serial_cpu = (time.process_time() - start_cpu) / N_LABS

        specs = _specs(root / "run", arguments.sessions, arguments.minutes, arguments.video)
        cluster_start = time.perf_counter()
        with (
            LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster,
            Client(cluster) as client,
        ):
            ready = time.perf_counter()
            start = time.perf_counter()
            result = simulate_specs(specs, root / "run", client=client, progress=False)
            wall = time.perf_counter() - start
            worker_cpu = sum(client.run(time.process_time).values())
            worker_peak_mb = max(client.run(_peak_rss_mb).values())
        cluster_seconds = ready - cluster_start
        size_mb = sum(path.stat().st_size for path in (root / "run").rglob("*") if path.is_file()) / 1e6

    frames = len(specs) * arguments.minutes * 60 * 30
    print(
        f"simulator benchmark: {len(specs)} sessions x {arguments.minutes:g} min at 30 fps, "
        f"video {'on' if arguments.video else 'off'}, neural on, {len(result.manifests)} labs"
    )
    print(f"baseline, mean of one session per lab, serially: {serial_seconds:.2f} s ({serial_cpu:.2f} s CPU)")
    print(f"LocalCluster start (2 worker processes):        {cluster_seconds:.1f} s (not counted below)")
    print(
        f"run on 2 workers:                               {wall:.1f} s wall, {len(specs) / wall:.2f} sessions/s, "
        f"{frames / wall:,.0f} frames/s"
    )
    print(f"speed-up over the serial baseline:              {len(specs) * serial_seconds / wall:.2f}x")
    print(f"worker CPU per session (incl. imports):         {worker_cpu / len(specs):.2f} s")
    print(f"CPU-bound time on 2 free cores (worker CPU / 2): {worker_cpu / 2:.1f} s (wall above includes other users)")
    print(f"machine load average (1 min) at the end:        {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"output size:                                    {size_mb:,.0f} MB")
    print(f"peak memory, one worker / this process:         {worker_peak_mb:,.0f} MB / {_peak_rss_mb():,.0f} MB")
    scale = (TARGET_SESSIONS * TARGET_MINUTES) / (len(specs) * arguments.minutes)
    if scale != 1.0:
        print(
            f"EXTRAPOLATED (linear in sessions x minutes) to {TARGET_SESSIONS} x {TARGET_MINUTES:g} min: "
            f"{wall * scale:.0f} s (target {TARGET_SECONDS:.0f} s)"
        )
    else:
        print(
            f"target: {TARGET_SECONDS:.0f} s -> {'met' if wall < TARGET_SECONDS else 'NOT met'} "
            f"({wall / TARGET_SECONDS:.2f} of the budget)"
        )


if __name__ == "__main__":
    main()

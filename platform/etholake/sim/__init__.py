"""Simulator of multi-lab resident-intruder experiments, written in the real tools' file formats.

:func:`simulate` writes, per lab, videos, DeepLabCut or SLEAP pose files, BORIS,
Caltech or per-frame label files from biased annotators, NWB units with sync pulses
on a drifting DAQ clock, and an ingest manifest; the ground truth (true behavior,
clock map, unit tuning) goes to a separate folder.
"""

from etholake.sim.generate import (
    SessionSpec,
    SimulationResult,
    session_specs,
    simulate,
    simulate_session,
    simulate_specs,
)
from etholake.sim.ground_truth import load_ground_truth

__all__ = [
    "SessionSpec",
    "SimulationResult",
    "load_ground_truth",
    "session_specs",
    "simulate",
    "simulate_session",
    "simulate_specs",
]

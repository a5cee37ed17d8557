"""Simulator of multi-lab resident-intruder experiments, written in the real tools' file formats.

:func:`simulate` writes, per lab, videos, DeepLabCut or SLEAP pose files, BORIS,
Caltech or per-frame label files from biased annotators, NWB units with sync pulses
on a drifting DAQ clock, and an ingest manifest; the ground truth (true behavior,
clock map, unit tuning) goes to a separate folder. Names load on first use.
"""

from etholake.lazy_exports import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        "etholake.sim.generate": (
            "SessionSpec",
            "SimulationResult",
            "session_specs",
            "simulate",
            "simulate_session",
            "simulate_specs",
        ),
        "etholake.sim.ground_truth": ("load_ground_truth",),
    },
)

"""Simulator of multi-lab resident-intruder experiments, written in the real tools' file formats.

:func:`simulate` writes, per lab, videos, DeepLabCut or SLEAP pose files, BORIS,
Caltech or per-frame label files from biased annotators, NWB units with sync pulses
on a drifting DAQ clock, and an ingest manifest; the ground truth (true behavior,
clock map, unit tuning) goes to a separate folder. Names load on first use.
"""

from etholake.lazy_exports import lazy_exports

_EXPORTS = {
    "SessionSpec": "etholake.sim.generate",
    "SimulationResult": "etholake.sim.generate",
    "load_ground_truth": "etholake.sim.ground_truth",
    "session_specs": "etholake.sim.generate",
    "simulate": "etholake.sim.generate",
    "simulate_session": "etholake.sim.generate",
    "simulate_specs": "etholake.sim.generate",
}

__all__ = sorted(_EXPORTS)
__getattr__ = lazy_exports(__name__, _EXPORTS)


def __dir__() -> list[str]:
    return __all__

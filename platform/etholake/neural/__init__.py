"""Neural data alignment: ingest, clock sync, alignment, peri-event and modulation statistics.

Canonical objects (see :mod:`etholake.neural.containers`): :class:`Units` (flat spike
times + NWB ragged index + unit metadata table) and (time, channel) trace arrays.
The typical path: read pulses on both clocks -> :func:`fit_clock` -> repair dropped
frames -> :func:`align_bouts` / :func:`resample_probabilities` -> :func:`modulation_tests`,
:func:`peth`, :func:`design_matrix` -> :func:`export_session_nwb`.
"""

from etholake.neural.align import (
    align_bouts,
    align_frames,
    bin_edges,
    bout_spike_table,
    interval_spike_counts,
    resample_probabilities,
)
from etholake.neural.calcium import read_nwb_roi_response
from etholake.neural.clock import ClockFitError, ClockMap, ClockQualityWarning, fit_clock
from etholake.neural.containers import Units, make_traces
from etholake.neural.design import design_matrix
from etholake.neural.edges import debounced, extract_edges
from etholake.neural.fixups import NeuralInputWarning
from etholake.neural.frame_times import (
    decode_camera_cycle_timestamps,
    read_bonsai_camera_timestamps,
    read_frame_counter,
    read_frame_times,
)
from etholake.neural.frames import repair_dropped_frames
from etholake.neural.nwb_export import export_session_nwb
from etholake.neural.nwb_intervals import read_nwb_intervals
from etholake.neural.nwb_units import read_nwb_units
from etholake.neural.peth import event_triggered_average, peth
from etholake.neural.pulses import read_nwb_digital_line, read_nwb_event_series, read_pulses
from etholake.neural.spike_table import read_spike_table, units_from_spike_table
from etholake.neural.stats import benjamini_hochberg, circular_shift_counts, modulation_tests
from etholake.neural.suite2p import read_suite2p

__all__ = [
    "ClockFitError",
    "ClockMap",
    "ClockQualityWarning",
    "NeuralInputWarning",
    "Units",
    "align_bouts",
    "align_frames",
    "benjamini_hochberg",
    "bin_edges",
    "bout_spike_table",
    "circular_shift_counts",
    "debounced",
    "decode_camera_cycle_timestamps",
    "design_matrix",
    "event_triggered_average",
    "export_session_nwb",
    "extract_edges",
    "fit_clock",
    "interval_spike_counts",
    "make_traces",
    "modulation_tests",
    "peth",
    "read_bonsai_camera_timestamps",
    "read_frame_counter",
    "read_frame_times",
    "read_nwb_digital_line",
    "read_nwb_event_series",
    "read_nwb_intervals",
    "read_nwb_roi_response",
    "read_nwb_units",
    "read_pulses",
    "read_spike_table",
    "read_suite2p",
    "repair_dropped_frames",
    "resample_probabilities",
    "units_from_spike_table",
]

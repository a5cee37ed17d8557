"""The modulation tests' baseline stays inside the part of the session the camera saw."""

import numpy as np

from etholake.jobs.align import scored_window
from etholake.neural import ClockMap


def test_the_scored_window_is_the_video_on_the_neural_clock_within_the_recording():
    clock = ClockMap(1.0001, 600.0, 0.0, 1.0, (0.0, 600.0))
    spikes = np.array([1.0, 900.0, 1799.0])
    start, stop = scored_window(clock, (0.0, 600.0), spikes)
    assert start == 600.0
    assert stop == 1.0001 * 600.0 + 600.0
    assert scored_window(clock, (0.0, 600.0), np.array([700.0, 1000.0])) == (700.0, 1000.0)
    assert scored_window(clock, (0.0, 600.0), np.array([])) == (600.0, clock(600.0))

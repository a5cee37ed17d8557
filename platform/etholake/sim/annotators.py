"""Human annotators: the true behavior as a biased person scores it.

Each annotator (an :class:`~etholake.sim.labs.AnnotatorProfile`) starts bouts late
(exponentially distributed delay), ends them with jitter, misses bouts shorter than
their attention span and, if lenient, runs bouts on past their end. Scored bouts stay
mutually exclusive: where two scored bouts overlap, the later one wins.
"""

from __future__ import annotations

import numpy as np

from etholake.sim.behavior import NONE, bouts
from etholake.sim.labs import AnnotatorProfile

LENIENT_EXTENSION_S = (0.2, 0.8)


def annotate(states: np.ndarray, fps: float, annotator: AnnotatorProfile, rng: np.random.Generator) -> np.ndarray:
    """Score a per-frame state sequence as ``annotator`` would.

    Parameters
    ----------
    states
        (frame,) true states (indices into :data:`etholake.sim.behavior.STATES`).
    fps
        Frame rate.
    annotator
        The annotator's biases.
    rng
        Random generator.

    Returns
    -------
    numpy.ndarray
        int8 (frame,) scored states.
    """
    n_frames = len(states)
    starts, stops, values = bouts(states)
    behavior = values != NONE
    starts, stops, values = starts[behavior], stops[behavior], values[behavior]
    seen = (stops - starts) >= annotator.min_bout_s * fps
    starts, stops, values = starts[seen], stops[seen], values[seen]
    onsets = starts + np.rint(rng.exponential(annotator.onset_delay_s, size=starts.size) * fps).astype(np.int64)
    offsets = stops + np.rint(rng.normal(0.0, annotator.offset_jitter_s, size=stops.size) * fps).astype(np.int64)
    if annotator.lenient:
        offsets += np.rint(rng.uniform(*LENIENT_EXTENSION_S, size=stops.size) * fps).astype(np.int64)
    offsets = np.minimum(offsets, n_frames)
    kept = onsets < offsets
    onsets, offsets, values = onsets[kept], offsets[kept], values[kept]
    order = np.argsort(onsets, kind="stable")
    onsets, offsets, values = onsets[order], offsets[order], values[order]

    frames = np.arange(n_frames)
    latest = np.searchsorted(onsets, frames, side="right") - 1
    covered = (latest >= 0) & (frames < offsets[np.maximum(latest, 0)]) if onsets.size else np.zeros(n_frames, bool)
    scored = np.full(n_frames, NONE, dtype=np.int8)
    scored[covered] = values[latest[covered]]
    return scored

"""Social behavior of a resident-intruder pair as a semi-Markov process.

The pair is in exactly one state per frame: ``none`` or one of :data:`BEHAVIORS`.
State sequences follow a Markov chain without self-transitions (the embedded chain);
each visit lasts a log-normally distributed time, so bouts range from a few frames
(attacks) to many seconds (quiet exploration). Attack is rare (about 3 % of frames).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import norm

BEHAVIORS = ("attack", "chase", "sniff", "mount")
STATES = ("none", *BEHAVIORS)
NONE, ATTACK, CHASE, SNIFF, MOUNT = range(len(STATES))

TRANSITIONS = np.array(
    [
        # none  attack chase sniff mount
        [0.00, 0.10, 0.12, 0.68, 0.10],
        [0.55, 0.00, 0.35, 0.10, 0.00],
        [0.45, 0.40, 0.00, 0.15, 0.00],
        [0.72, 0.10, 0.06, 0.00, 0.12],
        [0.65, 0.10, 0.05, 0.20, 0.00],
    ]
)
MEDIAN_BOUT_S = np.array([3.0, 0.4, 0.8, 1.5, 2.5])
BOUT_SIGMA = np.array([1.0, 0.7, 0.6, 0.8, 0.6])
MIN_BOUT_FRAMES = np.array([3, 2, 3, 3, 5])
MAX_BOUT_S = np.array([60.0, 5.0, 8.0, 20.0, 20.0])


@dataclass(frozen=True)
class BehaviorModel:
    """Parameters of the semi-Markov process.

    Attributes
    ----------
    transitions
        (state, state) probabilities of the embedded chain, rows sum to 1, zero diagonal.
    median_bout_s, bout_sigma
        Median and log-scale spread of the log-normal bout duration of each state.
    min_bout_frames, max_bout_s
        Bounds of a bout's duration.
    """

    transitions: np.ndarray
    median_bout_s: np.ndarray
    bout_sigma: np.ndarray
    min_bout_frames: np.ndarray
    max_bout_s: np.ndarray

    def expected_fractions(self, fps: float) -> np.ndarray:
        """Long-run fraction of frames in each state (embedded stationary law x mean duration)."""
        eigenvalues, eigenvectors = np.linalg.eig(self.transitions.T)
        stationary = np.real(eigenvectors[:, np.argmin(np.abs(eigenvalues - 1.0))])
        stationary = stationary / stationary.sum()
        weighted = stationary * self.mean_bout_frames(fps)
        return weighted / weighted.sum()

    def mean_bout_frames(self, fps: float, n_quantiles: int = 20_000) -> np.ndarray:
        """Mean bout length in frames of each state, after rounding and clipping (by quadrature)."""
        standard_normal = norm.ppf((np.arange(n_quantiles) + 0.5) / n_quantiles)[:, None]
        states = np.arange(len(STATES))[None, :]
        return self.bout_frames(standard_normal, states, fps).mean(axis=0)

    def bout_frames(self, standard_normal: np.ndarray, states: np.ndarray, fps: float) -> np.ndarray:
        """Bout lengths in frames from standard-normal draws (log-normal, rounded, clipped)."""
        seconds = self.median_bout_s[states] * np.exp(self.bout_sigma[states] * standard_normal)
        frames = np.rint(np.minimum(seconds, self.max_bout_s[states]) * fps)
        return np.maximum(frames, self.min_bout_frames[states]).astype(np.int64)


def behavior_model(aggression: float = 1.0) -> BehaviorModel:
    """The default model, with transitions into attack and chase scaled by ``aggression``.

    Parameters
    ----------
    aggression
        Multiplier of the probabilities of entering attack and chase (rows renormalized).

    Returns
    -------
    BehaviorModel
    """
    transitions = TRANSITIONS.copy()
    transitions[:, [ATTACK, CHASE]] *= aggression
    transitions /= transitions.sum(axis=1, keepdims=True)
    return BehaviorModel(transitions, MEDIAN_BOUT_S, BOUT_SIGMA, MIN_BOUT_FRAMES, MAX_BOUT_S)


def simulate_states(n_frames: int, fps: float, rng: np.random.Generator, model: BehaviorModel) -> np.ndarray:
    """Draw a per-frame state sequence.

    Parameters
    ----------
    n_frames
        Length of the sequence.
    fps
        Frame rate (bout durations are in seconds).
    rng
        Random generator.
    model
        Process parameters.

    Returns
    -------
    numpy.ndarray
        int8 array (n_frames,) of indices into :data:`STATES`.
    """
    expected = model.expected_fractions(fps)
    mean_frames = float(expected @ model.mean_bout_frames(fps))
    cumulative = np.cumsum(model.transitions, axis=1)
    state = int(rng.choice(len(STATES), p=expected))
    sequences, lengths, total = [], [], 0
    while total < n_frames:
        n_bouts = int((n_frames - total) / mean_frames * 1.5) + 16
        sequence = np.empty(n_bouts, dtype=np.int64)
        for index, draw in enumerate(rng.random(n_bouts)):
            sequence[index] = state
            state = int(np.searchsorted(cumulative[state], draw * cumulative[state, -1], side="right"))
        durations = model.bout_frames(rng.standard_normal(n_bouts), sequence, fps)
        sequences.append(sequence)
        lengths.append(durations)
        total += int(durations.sum())
    return np.repeat(np.concatenate(sequences), np.concatenate(lengths))[:n_frames].astype(np.int8)


def bouts(states: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Run-length encode a per-frame state sequence.

    Parameters
    ----------
    states
        Integer array (n_frames,).

    Returns
    -------
    starts, stops, values
        First frame, one-past-last frame and state of every run.
    """
    states = np.asarray(states)
    if states.size == 0:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty, empty
    change = np.flatnonzero(np.diff(states)) + 1
    starts = np.concatenate([[0], change])
    stops = np.concatenate([change, [states.size]])
    return starts, stops, states[starts]


def one_hot(states: np.ndarray) -> np.ndarray:
    """(n_frames, behavior) int8 presence matrix of :data:`BEHAVIORS` from a state sequence."""
    return (np.asarray(states)[:, None] == np.arange(1, len(STATES))[None, :]).astype(np.int8)

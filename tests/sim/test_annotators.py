"""Annotator biases: late onsets, missed short bouts, leniency."""

from __future__ import annotations

import numpy as np
import pytest

from etholake.sim.annotators import annotate
from etholake.sim.behavior import NONE, behavior_model, bouts, simulate_states
from etholake.sim.labs import AnnotatorProfile

FPS = 30.0
CAREFUL = AnnotatorProfile("careful", onset_delay_s=0.1, offset_jitter_s=0.05, min_bout_s=0.15)
LATE = AnnotatorProfile("late", onset_delay_s=0.4, offset_jitter_s=0.15, min_bout_s=0.5)
LENIENT = AnnotatorProfile("lenient", onset_delay_s=0.05, offset_jitter_s=0.1, min_bout_s=0.1, lenient=True)
INATTENTIVE = AnnotatorProfile("inattentive", onset_delay_s=0.2, offset_jitter_s=0.1, min_bout_s=1.0, lenient=True)


@pytest.fixture(scope="module")
def truth():
    return simulate_states(int(60 * 60 * FPS), FPS, np.random.default_rng(4), behavior_model())


def _onset_delays(truth: np.ndarray, scored: np.ndarray) -> np.ndarray:
    starts, stops, values = bouts(truth)
    long = (values != NONE) & (stops - starts > FPS)
    scored_starts, _, scored_values = bouts(scored)
    delays = []
    for start, stop, value in zip(starts[long], stops[long], values[long], strict=True):
        later = scored_starts[(scored_starts >= start) & (scored_starts < stop) & (scored_values == value)]
        if later.size:
            delays.append(later[0] - start)
    return np.array(delays) / FPS


@pytest.mark.parametrize("annotator", [CAREFUL, LATE], ids=lambda a: a.name)
def test_onsets_are_late_by_the_annotator_delay(truth, annotator):
    scored = annotate(truth, FPS, annotator, np.random.default_rng(1))
    delays = _onset_delays(truth, scored)
    assert np.mean(delays) == pytest.approx(annotator.onset_delay_s, rel=0.25)


@pytest.mark.parametrize("annotator", [LATE, INATTENTIVE], ids=lambda a: a.name)
def test_short_bouts_are_missed(truth, annotator):
    scored = annotate(truth, FPS, annotator, np.random.default_rng(2))
    starts, stops, values = bouts(truth)
    short = (values != NONE) & (stops - starts < annotator.min_bout_s * FPS)
    hit = np.array([np.any(scored[a:b] == v) for a, b, v in zip(starts[short], stops[short], values[short])])
    assert short.sum() > 10
    assert hit.mean() < 0.5


def test_lenient_annotator_scores_more_than_a_careful_one(truth):
    careful = annotate(truth, FPS, CAREFUL, np.random.default_rng(3))
    lenient = annotate(truth, FPS, LENIENT, np.random.default_rng(3))
    assert np.mean(lenient != NONE) > np.mean(careful != NONE) + 0.02
    assert np.mean(careful != NONE) < np.mean(truth != NONE)


def test_agreement_with_truth_is_high_but_not_perfect(truth):
    scored = annotate(truth, FPS, LATE, np.random.default_rng(5))
    agreement = np.mean(scored == truth)
    assert 0.8 < agreement < 0.99

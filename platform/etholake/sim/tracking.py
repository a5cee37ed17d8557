"""What a pose estimator makes of the true keypoints.

Errors follow what DeepLabCut and SLEAP produce on two interacting mice: heavy-tailed
localisation noise; runs of occluded keypoints during close contact and under a mount,
reported with low confidence or not at all; rare jumps of single keypoints to a wrong
place; and identity swaps that start during contact and last a few seconds.
Confidence is on each tool's own scale: DeepLabCut likelihoods lie in [0, 1], SLEAP
point scores scatter around 0.9 and exceed 1.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr

from etholake.sim.behavior import MOUNT, bouts
from etholake.sim.body import BODY_LENGTH_MM, KEYPOINTS, smooth_noise

UNDER_MOUNT = np.isin(KEYPOINTS, ("neck", "left_flank", "right_flank", "tail_base"))
JUMP_RATE_PER_S = 1.0 / 120.0
MISSING_FRACTION = {"dlc": 0.5, "sleap": 0.8}


@dataclass(frozen=True)
class TrackedPose:
    """A pose estimator's output for one session.

    Attributes
    ----------
    position
        (frame, individual, keypoint, space) pixels, NaN where the tool gave no point.
    confidence
        (frame, individual, keypoint) on the tool's scale, NaN where the tool gave no point.
    instance_score
        (frame, individual) SLEAP instance scores (mean point score), NaN when no point.
    tracking_score
        (frame, individual) SLEAP tracker scores in [0, 1].
    swapped
        (frame,) True where the two tracks carry each other's animal.
    occluded
        (frame, individual, keypoint) True where the true keypoint was hidden.
    jumped
        (frame, individual, keypoint) True where the point jumped to a wrong place.
    """

    position: np.ndarray
    confidence: np.ndarray
    instance_score: np.ndarray
    tracking_score: np.ndarray
    swapped: np.ndarray
    occluded: np.ndarray
    jumped: np.ndarray


def contact_strength(centre_mm: np.ndarray) -> np.ndarray:
    """(frame,) closeness of the two animals in [0, 1]: 0 beyond 0.9 body lengths, 1 within 0.4."""
    distance = np.linalg.norm(centre_mm[:, 0] - centre_mm[:, 1], axis=-1)
    return np.clip((0.9 * BODY_LENGTH_MM - distance) / (0.5 * BODY_LENGTH_MM), 0.0, 1.0)


def _runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    starts, stops, values = bouts(mask.astype(np.int8))
    return starts[values == 1], stops[values == 1]


def _swap_mask(contact: np.ndarray, fps: float, probability: float, rng: np.random.Generator) -> np.ndarray:
    starts, stops = _runs(contact > 0.5)
    swaps = rng.random(starts.size) < probability
    onset = starts[swaps] + (rng.random(swaps.sum()) * (stops[swaps] - starts[swaps])).astype(np.int64)
    duration = np.rint(fps * np.exp(rng.normal(np.log(2.0), 0.8, size=onset.size))).astype(np.int64)
    toggles = np.zeros(contact.size + 1, dtype=np.int64)
    np.add.at(toggles, onset, 1)
    np.add.at(toggles, np.minimum(onset + np.maximum(duration, 1), contact.size), 1)
    return (np.cumsum(toggles)[:-1] % 2).astype(bool)


def _jumps(shape: tuple[int, int, int], fps: float, rng: np.random.Generator) -> np.ndarray:
    n_frames = shape[0]
    starts = rng.random(shape) < JUMP_RATE_PER_S / fps
    lengths = rng.integers(1, 5, size=shape)
    toggles = np.zeros((n_frames + 1, *shape[1:]), dtype=np.int64)
    frame, individual, keypoint = np.nonzero(starts)
    np.add.at(toggles, (frame, individual, keypoint), 1)
    ends = np.minimum(frame + lengths[frame, individual, keypoint], n_frames)
    np.add.at(toggles, (ends, individual, keypoint), -1)
    return np.cumsum(toggles, axis=0)[:-1] > 0


def track(
    keypoints_px: np.ndarray,
    centre_mm: np.ndarray,
    states: np.ndarray,
    *,
    fps: float,
    px_per_mm: float,
    noise_mm: float,
    tool: str,
    swap_probability: float,
    rng: np.random.Generator,
) -> TrackedPose:
    """Turn true keypoints into a pose estimator's output.

    Parameters
    ----------
    keypoints_px
        (frame, individual, keypoint, space) true positions in video pixels.
    centre_mm
        (frame, individual, space) true body centres in mm (for contact).
    states
        (frame,) behavior states (mounts hide the intruder's back).
    fps, px_per_mm
        Frame rate and scale of the video.
    noise_mm
        Localisation noise of the tool in this lab.
    tool
        ``"dlc"`` or ``"sleap"``: sets the confidence scale and how often hidden points are dropped.
    swap_probability
        Probability that a contact episode starts an identity swap.
    rng
        Random generator.

    Returns
    -------
    TrackedPose
    """
    n_frames = keypoints_px.shape[0]
    shape = keypoints_px.shape[:3]
    contact = contact_strength(centre_mm)
    hide = 0.01 + 0.3 * contact[:, None, None] * np.ones(shape)
    hide[:, 1, UNDER_MOUNT] = np.maximum(hide[:, 1, UNDER_MOUNT], 0.85 * (states == MOUNT)[:, None])
    occluded = ndtr(smooth_noise(rng, shape, 2.0)) < hide
    missing = occluded & (rng.random(shape) < MISSING_FRACTION[tool])
    jumped = _jumps(shape, fps, rng) & ~occluded

    noise_px = noise_mm * px_per_mm
    error = noise_px * rng.standard_t(4, size=keypoints_px.shape) / np.sqrt(2.0)
    error += (4.0 * noise_px * rng.standard_normal(keypoints_px.shape)) * occluded[..., None]
    jump_offset = rng.uniform(0.3, 1.0, size=shape)[..., None] * BODY_LENGTH_MM * px_per_mm
    jump_direction = rng.standard_normal(keypoints_px.shape)
    jump_direction /= np.linalg.norm(jump_direction, axis=-1, keepdims=True)
    error += jumped[..., None] * jump_offset * jump_direction
    position = keypoints_px + error

    if tool == "dlc":
        confidence = 1.0 - rng.beta(1.2, 30.0, size=shape)
        confidence = np.where(occluded, rng.uniform(0.02, 0.5, size=shape), confidence)
        confidence = np.where(jumped, rng.uniform(0.6, 0.95, size=shape), confidence)
    else:
        confidence = np.clip(rng.normal(0.93, 0.06, size=shape), 0.3, 1.15)
        confidence = np.where(occluded, rng.uniform(0.2, 0.7, size=shape), confidence)
        confidence = np.where(jumped, rng.uniform(0.5, 0.9, size=shape), confidence)
    position[missing] = np.nan
    confidence[missing] = np.nan

    swapped = _swap_mask(contact, fps, swap_probability, rng)
    position[swapped] = position[swapped][:, ::-1]
    confidence[swapped] = confidence[swapped][:, ::-1]
    scored = ~np.isnan(confidence)
    n_scored = scored.sum(axis=2)
    score_sum = np.where(scored, confidence, 0.0).sum(axis=2)
    instance_score = np.where(n_scored > 0, score_sum / np.maximum(n_scored, 1), np.nan)
    tracking_score = np.clip(rng.normal(0.9, 0.08, size=(n_frames, 2)) - 0.5 * contact[:, None], 0.0, 1.0)
    tracking_score[0] = 0.0
    return TrackedPose(
        position, confidence, instance_score, tracking_score, swapped, occluded.astype(bool), jumped.astype(bool)
    )

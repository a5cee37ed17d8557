"""Synthetic sessions whose behavior is a known, non-linear function of smooth latent features."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr
from scipy.signal import lfilter

from etholake.models.estimators import EstimatorSpec
from etholake.models.selection import SelectionGrid
from etholake.models.trainset import SessionData
from etholake.schema.labels import make_labels_dataset

FPS = 30.0
FEATURES = ["signal_a", "signal_b", "distractor", "noise_1", "noise_2"]
SMALL_FOREST = EstimatorSpec("random_forest", {"n_estimators": 25, "n_jobs": 1, "max_samples": None})
SMALL_GRID = SelectionGrid(thresholds=(0.3, 0.5, 0.7), smooths=(1, 5), merge_gaps=(0, 5), min_bouts=(1, 8))


def latent(n_frames: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Smooth latent processes and the true behavior they imply."""
    pole = 0.96
    z = lfilter([np.sqrt(1 - pole**2)], [1, -pole], rng.normal(size=(n_frames, 3)), axis=0)
    truth = (z[:, 0] + 0.8 * np.sin(2.5 * z[:, 1])) > 0.9
    return z, truth


def features_dataset(z: np.ndarray, rng: np.random.Generator, frames: np.ndarray, name: str) -> xr.Dataset:
    n = z.shape[0]
    values = np.column_stack(
        [z[:, 0] + 0.25 * rng.normal(size=n), z[:, 1] + 0.25 * rng.normal(size=n), z[:, 2], rng.normal(size=(n, 2))]
    ).astype(np.float32)
    return xr.Dataset(
        {"features": (("time", "feature"), values)},
        coords={"time": frames / FPS, "frame": ("time", frames), "feature": np.array(FEATURES, dtype=object)},
        attrs={"feature_set_hash": "synthetic-v1", "fps": FPS, "source_file": f"{name}.features"},
    )


def labels_dataset(truth: np.ndarray, frames: np.ndarray, annotator: str, *, shift: int = 0) -> xr.Dataset:
    label = np.roll(truth, shift).astype(np.int8)
    if shift:
        label[:shift] = -1
    return make_labels_dataset(
        label[:, None], behaviors=["attack"], annotator=annotator, label_set="S1", fps=FPS, frames=frames
    )


def make_session(
    name: str, seed: int, *, n_frames: int = 1500, lab: str = "", annotators: dict[str, int] | None = None
) -> tuple[SessionData, np.ndarray]:
    """A session and its true behavior; ``annotators`` maps name -> label shift in frames."""
    rng = np.random.default_rng(seed)
    z, truth = latent(n_frames, rng)
    frames = np.arange(n_frames, dtype=np.int64)
    labels = [labels_dataset(truth, frames, a, shift=s) for a, s in (annotators or {"alice": 0}).items()]
    session = SessionData(name, features_dataset(z, rng, frames, name), labels, subject=f"rat-{name}", lab=lab)
    return session, truth


@pytest.fixture(scope="session")
def small_forest() -> EstimatorSpec:
    return SMALL_FOREST


@pytest.fixture(scope="session")
def small_grid() -> SelectionGrid:
    return SMALL_GRID


@pytest.fixture(scope="session")
def synthetic_session():
    """The :func:`make_session` factory."""
    return make_session

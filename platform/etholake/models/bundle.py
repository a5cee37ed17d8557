"""A trained model: one fitted classifier per behavior plus everything needed to use it honestly."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import xarray as xr
from sklearn.base import ClassifierMixin

from etholake.errors import SchemaError
from etholake.inference.bouts import BoutSettings, annotate
from etholake.models.estimators import EstimatorSpec, positive_probability
from etholake.models.trainset import name_difference

STAGES = ("candidate", "production", "archived")


@dataclass
class ModelBundle:
    """Fitted classifiers with the feature contract and post-processing they were chosen with.

    Attributes
    ----------
    name
        Model name (validated when registered).
    behaviors
        Behaviors, one classifier each.
    estimators
        Fitted classifier per behavior.
    feature_names
        Ordered feature names the classifiers expect.
    feature_set_hash
        Hash of the feature-set spec the features must come from.
    settings
        Post-processing (threshold, hysteresis, merge gap, minimum bout, smoothing) per behavior.
    spec
        The estimator spec.
    training
        Record of the training data: sessions, label sets, annotator policy, sampling.
    metrics
        Held-out evaluation figures per behavior.
    fps
        Frame rate the frame-count settings assume (None if unknown).
    version, created_by, created_at, stage
        Registry metadata; ``stage`` is one of :data:`STAGES`.
    """

    name: str
    behaviors: list[str]
    estimators: dict[str, ClassifierMixin]
    feature_names: list[str]
    feature_set_hash: str
    settings: dict[str, BoutSettings]
    spec: EstimatorSpec
    training: dict = field(default_factory=dict)
    metrics: dict = field(default_factory=dict)
    fps: float | None = None
    version: str = ""
    created_by: str = ""
    created_at: str = ""
    stage: str = "candidate"

    def check_features(self, features: xr.Dataset) -> None:
        """Refuse features whose names (or feature-set hash) differ from those the model was trained on.

        Raises
        ------
        SchemaError
            Naming the missing, unexpected or reordered features.
        """
        given = [str(f) for f in features["feature"].values]
        if given != self.feature_names:
            raise SchemaError(
                f"model {self.name!r} cannot use these features: {name_difference(self.feature_names, given)}"
            )
        given_hash = str(features.attrs.get("feature_set_hash", ""))
        if self.feature_set_hash and given_hash and given_hash != self.feature_set_hash:
            raise SchemaError(
                f"model {self.name!r} expects feature set {self.feature_set_hash!r}, features come from {given_hash!r}"
            )

    def predict_probability(self, features: xr.Dataset) -> xr.DataArray:
        """Per-frame probability of every behavior.

        Parameters
        ----------
        features
            Features dataset (``features`` (time, feature), coordinate ``frame``).

        Returns
        -------
        xarray.DataArray
            float32 (time, behavior) with the features' time coordinates; NaN on frames where
            every feature is NaN (no pose).
        """
        self.check_features(features)
        values = self.predict_values(np.asarray(features["features"].values, dtype=np.float32))
        coords = {name: coord for name, coord in features["features"].coords.items() if "feature" not in coord.dims}
        return xr.DataArray(
            values,
            dims=("time", "behavior"),
            coords={**coords, "behavior": np.array(self.behaviors, dtype=object)},
            attrs={"fps": self.fps or features.attrs.get("fps"), "model": self.name, "model_version": self.version},
        )

    def predict_values(self, x: np.ndarray) -> np.ndarray:
        """Probabilities (frame, behavior) float32 for a (frame, feature) float32 array in the model's feature order.

        Rows where every feature is NaN (no pose) get NaN. The array may be in either
        memory order (trees read it in place).
        """
        columns = [positive_probability(self.estimators[b], x) for b in self.behaviors]
        values = np.column_stack(columns).astype(np.float32) if columns else np.zeros((x.shape[0], 0), np.float32)
        values[_rows_without_data(x)] = np.nan
        return values

    def annotate(self, features: xr.Dataset) -> tuple[xr.DataArray, xr.DataArray, pd.DataFrame]:
        """Probabilities, post-processed predictions and bouts for one session's features."""
        probability = self.predict_probability(features)
        predicted, bouts = annotate(probability, self.settings, fps=probability.attrs.get("fps"))
        return probability, predicted, bouts


def _rows_without_data(x: np.ndarray) -> np.ndarray:
    """Indices of the rows of ``x`` where every value is NaN (only rows with a NaN first value are checked)."""
    if x.shape[1] == 0:
        return np.arange(x.shape[0])
    candidates = np.flatnonzero(np.isnan(x[:, 0]))
    return candidates[np.isnan(x[candidates]).all(axis=1)]

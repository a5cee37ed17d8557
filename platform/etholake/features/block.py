"""The data a feature kernel works on: one time segment of pose, and the features made from it.

Arrays are channel-major with time last and contiguous (``x[keypoint, individual, frame]``),
so every family computes whole time series with numpy and never loops over frames.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

CENTROID = "centroid"


def norm(dx: np.ndarray, dy: np.ndarray) -> np.ndarray:
    """Euclidean length of (dx, dy), elementwise (faster than ``np.hypot``; lengths here never overflow)."""
    return np.sqrt(dx * dx + dy * dy)


def normalise_name(name: str) -> str:
    """Lower-case a keypoint name and drop ``-``, ``_`` and spaces, for role matching."""
    return re.sub(r"[\s_\-]+", "", name.lower())


def resolve_roles(keypoints: list[str], role_candidates: dict[str, list[str]]) -> dict[str, int]:
    """Map each role to the index of the first candidate keypoint present in ``keypoints``."""
    index = {normalise_name(name): i for i, name in enumerate(keypoints)}
    roles = {}
    for role, candidates in role_candidates.items():
        for candidate in candidates:
            if normalise_name(candidate) in index:
                roles[role] = index[normalise_name(candidate)]
                break
    return roles


@dataclass
class PoseBlock:
    """A time segment of one session's pose, lengths already in the session's length unit.

    Attributes
    ----------
    x, y
        Positions (keypoint, individual, frame), float32, NaN where missing.
    confidence
        Raw confidence (keypoint, individual, frame), float32.
    time
        Seconds on the video clock (frame,), float64.
    keypoints, roles
        Keypoint names and the role -> keypoint index map.
    length_unit
        ``"mm"`` or ``"px"``.
    fps
        Nominal frame rate, for converting windows in ms to frames.
    """

    x: np.ndarray
    y: np.ndarray
    confidence: np.ndarray
    time: np.ndarray
    keypoints: list[str]
    roles: dict[str, int]
    length_unit: str
    fps: float

    @property
    def n_individuals(self) -> int:
        return self.x.shape[1]

    @property
    def n_frames(self) -> int:
        return self.x.shape[2]

    def has_point(self, point: str) -> bool:
        """True when ``point`` (role, keypoint name or ``centroid``) can be located."""
        return point == CENTROID or point in self.roles or point in self.keypoints

    def point(self, point: str) -> tuple[np.ndarray, np.ndarray]:
        """Positions (individual, frame) of a role or keypoint; all NaN when it is absent.

        ``centroid`` is the centroid role's keypoint when the role map names one, else the
        mean of the animal's keypoints (NaN when any is missing).
        """
        if point in self.roles:
            index = self.roles[point]
            return self.x[index], self.y[index]
        if point in self.keypoints:
            index = self.keypoints.index(point)
            return self.x[index], self.y[index]
        if point == CENTROID:
            return self.x.mean(axis=0), self.y.mean(axis=0)
        missing = np.full(self.x.shape[1:], np.nan, dtype=np.float32)
        return missing, missing

    def heading_vector(self) -> tuple[np.ndarray, np.ndarray]:
        """Body-axis vector (individual, frame): tail base -> nose, else centroid -> nose."""
        nose_x, nose_y = self.point("nose")
        back = "tail_base" if "tail_base" in self.roles else CENTROID
        back_x, back_y = self.point(back)
        return nose_x - back_x, nose_y - back_y

    def body_length(self) -> np.ndarray:
        """Nose-tail base distance (individual, frame); the largest keypoint distance without those roles."""
        if "nose" in self.roles and "tail_base" in self.roles:
            dx, dy = self.heading_vector()
            return norm(dx, dy)
        dx = self.x[:, None] - self.x[None, :]
        dy = self.y[:, None] - self.y[None, :]
        return norm(dx, dy).max(axis=(0, 1))


@dataclass
class FeatureTable:
    """Features computed on one segment, in the order they were added."""

    names: list[str] = field(default_factory=list)
    units: list[str] = field(default_factory=list)
    families: list[str] = field(default_factory=list)
    windows_ms: list[float] = field(default_factory=list)
    values: list[np.ndarray] = field(default_factory=list)

    def add(self, name: str, unit: str, family: str, values: np.ndarray, window_ms: float = np.nan) -> None:
        self.names.append(name)
        self.units.append(unit)
        self.families.append(family)
        self.windows_ms.append(float(window_ms))
        self.values.append(np.asarray(values, dtype=np.float32))

    def extend(self, other: FeatureTable) -> None:
        self.names += other.names
        self.units += other.units
        self.families += other.families
        self.windows_ms += other.windows_ms
        self.values += other.values

    def __len__(self) -> int:
        return len(self.names)


def animal_label(index: int) -> str:
    """Positional label of an individual in feature names: ``a1``, ``a2``, ..."""
    return f"a{index + 1}"


def pair_label(first: int, second: int) -> str:
    """Label of an ordered pair of individuals: ``a1>a2`` (features of a1 relative to a2)."""
    return f"{animal_label(first)}>{animal_label(second)}"

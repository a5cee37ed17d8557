"""Lab profiles: how each simulated lab films, tracks, scores and records its sessions.

Labs differ the way real labs do: arena size, camera resolution and rotation, frame
rate, pose-estimation tool and its noise, label file format, annotators and their
biases, and whether they record neural data alongside. :func:`make_lab_profiles`
cycles the file formats so that any three labs together cover every format.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from etholake.names import validate_name

POSE_FORMATS = ("dlc_h5", "sleap_h5", "dlc_csv")
LABEL_FORMATS = ("boris", "caltech", "frame_csv")
FRAME_RATES = (30.0, 60.0, 25.0)
FRAME_SIZES = ((160, 120), (192, 144), (160, 160))
LAB_NAMES = ("ashby", "bauer", "chen", "diallo", "eriksen", "fontaine", "garcia", "haddad", "ito", "jansen")


@dataclass(frozen=True)
class AnnotatorProfile:
    """How one human annotator departs from the true behavior.

    Attributes
    ----------
    name
        Annotator name (a safe name: it becomes a catalog key).
    onset_delay_s
        Mean delay of the scored onset after the true onset (exponentially distributed).
    offset_jitter_s
        Standard deviation of the scored offset around the true offset.
    min_bout_s
        True bouts shorter than this are missed.
    lenient
        A lenient annotator extends bouts into the following unscored time and bridges
        short gaps between bouts of the same behavior.
    """

    name: str
    onset_delay_s: float
    offset_jitter_s: float
    min_bout_s: float
    lenient: bool = False


@dataclass(frozen=True)
class LabProfile:
    """Everything that makes one simulated lab's files look like that lab's.

    Attributes
    ----------
    name
        Lab name (a safe name).
    fps
        Nominal camera frame rate.
    frame_size
        Video width and height in pixels; pose coordinates are in these pixels.
    arena_mm
        Arena width and height in millimetres.
    rotation_deg
        Camera rotation relative to the arena walls.
    noise_mm
        Standard deviation of the pose estimator's keypoint noise, in millimetres.
    pose_format
        ``dlc_h5``, ``sleap_h5`` or ``dlc_csv``.
    label_format
        ``boris``, ``caltech`` or ``frame_csv``.
    annotators
        The lab's annotators; the first scores every session.
    double_scored_fraction
        Fraction of sessions also scored by the second annotator.
    aggression
        Multiplies the transition probabilities into attack and chase.
    swap_probability
        Probability that a close-contact bout starts an identity swap in the tracks.
    drop_rate
        Fraction of camera frames dropped from the saved video.
    calcium
        Whether the lab records calcium traces in addition to spiking units.
    license
        SPDX license of the lab's submission.
    strain, genotype
        Of the resident mice.
    """

    name: str
    fps: float
    frame_size: tuple[int, int]
    arena_mm: tuple[float, float]
    rotation_deg: float
    noise_mm: float
    pose_format: str
    label_format: str
    annotators: tuple[AnnotatorProfile, ...]
    double_scored_fraction: float = 0.5
    aggression: float = 1.0
    swap_probability: float = 0.1
    drop_rate: float = 5e-4
    calcium: bool = False
    license: str = "CC-BY-4.0"
    strain: str = "C57BL/6J"
    genotype: str = "wild type"

    @property
    def px_per_mm(self) -> float:
        """Scale that fits the rotated arena into the frame with a 6 % margin."""
        width_px, height_px = self.frame_size
        angle = np.deg2rad(self.rotation_deg)
        cos, sin = abs(np.cos(angle)), abs(np.sin(angle))
        width_mm, height_mm = self.arena_mm
        span_x = width_mm * cos + height_mm * sin
        span_y = width_mm * sin + height_mm * cos
        return float(0.94 * min(width_px / span_x, height_px / span_y))

    def mm_to_px(self, points_mm: np.ndarray) -> np.ndarray:
        """Map arena coordinates (mm, origin at the arena centre, last axis x/y) to video pixels."""
        angle = np.deg2rad(self.rotation_deg)
        rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
        centre = np.array(self.frame_size, dtype=float) / 2.0
        return points_mm @ rotation.T * self.px_per_mm + centre

    def arena_bounds_px(self) -> list[float]:
        """Axis-aligned bounds (xmin, ymin, xmax, ymax) of the arena in video pixels."""
        half_w, half_h = self.arena_mm[0] / 2, self.arena_mm[1] / 2
        corners = self.mm_to_px(np.array([[-half_w, -half_h], [half_w, -half_h], [half_w, half_h], [-half_w, half_h]]))
        return [round(float(v), 2) for v in (*corners.min(axis=0), *corners.max(axis=0))]

    def to_dict(self) -> dict:
        """A JSON-ready description (for the ground truth)."""
        described = asdict(self)
        described["px_per_mm"] = self.px_per_mm
        return described


def _annotators(lab: str, rng: np.random.Generator) -> tuple[AnnotatorProfile, ...]:
    careful = AnnotatorProfile(
        name=f"{lab}-a1",
        onset_delay_s=float(rng.uniform(0.05, 0.15)),
        offset_jitter_s=0.05,
        min_bout_s=float(rng.uniform(0.1, 0.2)),
    )
    late = AnnotatorProfile(
        name=f"{lab}-a2",
        onset_delay_s=float(rng.uniform(0.3, 0.5)),
        offset_jitter_s=0.15,
        min_bout_s=float(rng.uniform(0.4, 0.6)),
    )
    lenient = AnnotatorProfile(
        name=f"{lab}-a3",
        onset_delay_s=0.05,
        offset_jitter_s=0.1,
        min_bout_s=0.1,
        lenient=True,
    )
    return (careful, late) if rng.random() < 0.5 else (careful, lenient)


def make_lab_profiles(n_labs: int, seed: int = 0) -> list[LabProfile]:
    """Make ``n_labs`` distinct lab profiles.

    Lab ``i`` uses pose format ``POSE_FORMATS[i % 3]``, label format
    ``LABEL_FORMATS[i % 3]`` and frame rate ``FRAME_RATES[i % 3]``, so three labs
    cover every format; the continuous settings (arena, rotation, noise, annotator
    biases, aggression) are drawn from ``seed``.

    Parameters
    ----------
    n_labs
        Number of labs (at least 1).
    seed
        Seed of the draws.

    Returns
    -------
    list of LabProfile
    """
    if n_labs < 1:
        raise ValueError(f"n_labs must be at least 1, got {n_labs}")
    profiles = []
    for index in range(n_labs):
        rng = np.random.default_rng([seed, 7919, index])
        base = LAB_NAMES[index % len(LAB_NAMES)]
        name = validate_name(base if index < len(LAB_NAMES) else f"{base}{index // len(LAB_NAMES)}", "lab")
        arena_side = float(rng.choice([300.0, 400.0, 450.0]))
        profiles.append(
            LabProfile(
                name=name,
                fps=FRAME_RATES[index % 3],
                frame_size=FRAME_SIZES[index % 3],
                arena_mm=(arena_side, arena_side * float(rng.choice([0.75, 1.0]))),
                rotation_deg=float(rng.uniform(-6.0, 6.0)),
                noise_mm=float(rng.uniform(0.8, 2.5)),
                pose_format=POSE_FORMATS[index % 3],
                label_format=LABEL_FORMATS[index % 3],
                annotators=_annotators(name, rng),
                double_scored_fraction=float(rng.uniform(0.3, 0.6)),
                aggression=float(rng.uniform(0.7, 1.3)),
                swap_probability=float(rng.uniform(0.03, 0.15)),
                drop_rate=float(rng.uniform(2e-4, 1e-3)),
                calcium=index % 2 == 1,
                strain=("C57BL/6J", "CD-1", "C57BL/6N")[index % 3],
                genotype=("wild type", "Esr1-Cre", "wild type")[index % 3],
            )
        )
    return profiles

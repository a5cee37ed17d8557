"""Training sets: features joined with human labels on ``frame``, one row per labelled frame.

Several annotators of one session are combined by an explicit :class:`LabelPolicy` that the
training set records (and the model card repeats):

* ``single:<annotator>`` - only that annotator's labels; sessions they did not score contribute nothing;
* ``majority`` - present where more scoring annotators say 1 than 0, absent where more say 0,
  not scored on a tie;
* ``any`` - present where any annotator says 1, absent where every scoring annotator says 0.

Frames an annotator did not score (-1, or absent from their label set) never count as absent.
Each annotator's own labels stay in :attr:`TrainingSet.annotator_labels` for per-annotator
breakdowns and agreement.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import xarray as xr

from etholake.errors import OptionError, SchemaError
from etholake.schema.labels import NOT_SCORED, validate_labels

POLICY_KINDS = ("single", "majority", "any")
GROUP_KINDS = ("session", "subject", "lab")


@dataclass(frozen=True)
class LabelPolicy:
    """How the labels of several annotators become one training target.

    Attributes
    ----------
    kind
        ``"single"``, ``"majority"`` or ``"any"``.
    annotator
        The annotator kept by ``"single"``.
    """

    kind: str = "majority"
    annotator: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in POLICY_KINDS:
            raise OptionError(f"label policy must be majority, any or single:<annotator>, got {self.kind!r}")
        if (self.kind == "single") != (self.annotator is not None):
            raise OptionError("label policy 'single' needs an annotator, and only 'single' takes one")

    @classmethod
    def parse(cls, text: str) -> LabelPolicy:
        """Read ``"majority"``, ``"any"`` or ``"single:<annotator>"``."""
        kind, _, annotator = text.partition(":")
        return cls(kind, annotator or None)

    def __str__(self) -> str:
        return f"single:{self.annotator}" if self.kind == "single" else self.kind


@dataclass(frozen=True)
class SessionData:
    """The inputs of one session.

    Attributes
    ----------
    session
        Session name (also the default evaluation group).
    features
        Features dataset: ``features`` (time, feature) with a ``frame`` coordinate.
    labels
        Label sets (one per annotator / source file), each a canonical labels dataset.
    subject, lab
        Grouping metadata for evaluation and audits.
    """

    session: str
    features: xr.Dataset
    labels: Sequence[xr.Dataset]
    subject: str = ""
    lab: str = ""


@dataclass
class TrainingSet:
    """Feature rows with labels, one row per labelled frame, sessions in input order, frames sorted.

    Attributes
    ----------
    X
        Features (row, feature) float32; NaN where a feature is undefined.
    y
        Combined labels (row, behavior) int8: 1, 0 or -1 (not scored under the policy).
    annotator_labels
        Each annotator's own labels (row, behavior), -1 where they did not score.
    feature_names, behaviors
        Column names of ``X`` and ``y``.
    frame, session, subject, lab
        Per-row video frame index and grouping metadata.
    fps
        Frame rate per session (None when unknown).
    feature_set_hash
        Hash of the feature-set spec shared by every session.
    policy
        The annotator policy used for ``y``.
    sources
        Per session: the label sets used (annotator, label_set, source_file) and the pose file the
        features were computed from.
    """

    X: np.ndarray
    y: np.ndarray
    annotator_labels: dict[str, np.ndarray]
    feature_names: list[str]
    behaviors: list[str]
    frame: np.ndarray
    session: np.ndarray
    subject: np.ndarray
    lab: np.ndarray
    fps: dict[str, float | None]
    feature_set_hash: str
    policy: LabelPolicy
    sources: list[dict] = field(default_factory=list)

    @property
    def n_rows(self) -> int:
        """Number of rows."""
        return int(self.X.shape[0])

    def groups(self, by: str) -> np.ndarray:
        """Per-row group label for ``by`` in ``session``, ``subject`` or ``lab``."""
        if by not in GROUP_KINDS:
            raise OptionError(f"group_by must be one of {', '.join(GROUP_KINDS)}, got {by!r}")
        values = getattr(self, by)
        if by != "session" and np.any(values == ""):
            raise SchemaError(f"some sessions have no {by}: cannot group by {by}")
        return values

    def behavior_index(self, behavior: str) -> int:
        """Column of ``behavior`` in ``y``."""
        if behavior not in self.behaviors:
            raise SchemaError(f"behavior {behavior!r} not in training set ({', '.join(self.behaviors)})")
        return self.behaviors.index(behavior)

    def scored_rows(self, behavior: str) -> np.ndarray:
        """Indices of the rows scored (0 or 1) for ``behavior`` under the policy."""
        return np.flatnonzero(self.y[:, self.behavior_index(behavior)] != NOT_SCORED)

    def segment_starts(self, rows: np.ndarray) -> np.ndarray:
        """For a sorted row subset: True where a row does not continue the previous one in time.

        A row starts a segment when its session differs from the previous row's or its frame is
        not the next frame; post-processing never joins bouts across a segment start.
        """
        rows = np.asarray(rows)
        starts = np.ones(rows.size, dtype=bool)
        if rows.size > 1:
            same_session = self.session[rows[1:]] == self.session[rows[:-1]]
            next_frame = np.diff(self.frame[rows]) == 1
            starts[1:] = ~(same_session & next_frame)
        return starts

    def describe(self) -> dict:
        """A JSON-ready record of what the training set holds (for model cards and reports)."""
        positives = {b: int((self.y[:, i] == 1).sum()) for i, b in enumerate(self.behaviors)}
        scored = {b: int((self.y[:, i] != NOT_SCORED).sum()) for i, b in enumerate(self.behaviors)}
        return {
            "n_rows": self.n_rows,
            "n_sessions": int(np.unique(self.session).size),
            "behaviors": list(self.behaviors),
            "scored_frames": scored,
            "positive_frames": positives,
            "label_policy": str(self.policy),
            "annotators": sorted(self.annotator_labels),
            "feature_set_hash": self.feature_set_hash,
            "sources": self.sources,
        }


def combine_labels(labels: np.ndarray, policy: LabelPolicy, annotators: Sequence[str]) -> np.ndarray:
    """Combine stacked labels (annotator, row, behavior) of 1/0/-1 into (row, behavior).

    Parameters
    ----------
    labels
        Int array (annotator, row, behavior), -1 where an annotator did not score.
    policy
        The combination rule.
    annotators
        Annotator name of each slice of ``labels``.

    Returns
    -------
    numpy.ndarray
        int8 (row, behavior) of 1/0/-1.
    """
    labels = np.asarray(labels, dtype=np.int8)
    if policy.kind == "single":
        if policy.annotator not in annotators:
            return np.full(labels.shape[1:], NOT_SCORED, dtype=np.int8)
        return labels[list(annotators).index(policy.annotator)].copy()
    present = (labels == 1).sum(axis=0)
    absent = (labels == 0).sum(axis=0)
    combined = np.full(labels.shape[1:], NOT_SCORED, dtype=np.int8)
    if policy.kind == "any":
        combined[absent > 0] = 0
        combined[present > 0] = 1
        return combined
    combined[present > absent] = 1
    combined[absent > present] = 0
    return combined


def count_ties(labels: np.ndarray) -> np.ndarray:
    """Per behavior, the rows where as many annotators say present as say absent.

    Parameters
    ----------
    labels
        Int array (annotator, row, behavior) of 1/0/-1.

    Returns
    -------
    numpy.ndarray
        int64 (behavior,): rows the majority policy leaves not scored because the votes tie.
    """
    labels = np.asarray(labels, dtype=np.int8)
    present = (labels == 1).sum(axis=0)
    absent = (labels == 0).sum(axis=0)
    return ((present == absent) & (present > 0)).sum(axis=0).astype(np.int64)


def _warn_ties(ties: dict[str, np.ndarray], behaviors: Sequence[str], shown: int = 5) -> None:
    """One warning for every session where majority voting tied, with the count per behavior."""
    total = sum(int(t.sum()) for t in ties.values())
    if not total:
        return
    per_behavior = np.sum(list(ties.values()), axis=0)
    by_behavior = ", ".join(f"{b} {int(n):,}" for b, n in zip(behaviors, per_behavior, strict=True) if n)
    by_session = sorted(((int(t.sum()), s) for s, t in ties.items() if t.sum()), reverse=True)
    listed = ", ".join(f"{s} {n:,}" for n, s in by_session[:shown])
    if len(by_session) > shown:
        listed += f" and {len(by_session) - shown} more session(s)"
    warnings.warn(
        f"majority policy: annotators tie on {total:,} frame-behavior pair(s) ({by_behavior}), which are left out "
        f"as not scored; sessions: {listed}. Policy 'any' or 'single:<annotator>' keeps them.",
        stacklevel=3,
    )


def _label_matrix(labels: xr.Dataset, behaviors: Sequence[str], frames: np.ndarray, session: str) -> np.ndarray:
    """One label set as (frame of ``frames``, behavior), -1 where it has no entry."""
    validate_labels(labels)
    label_frames = np.asarray(labels["frame"].values, dtype=np.int64)
    _, in_features, in_labels = np.intersect1d(frames, label_frames, assume_unique=True, return_indices=True)
    dropped = label_frames.size - in_labels.size
    if dropped:
        warnings.warn(
            f"session {session!r}, label set {labels.attrs['label_set']!r} ({labels.attrs['annotator']}): "
            f"{dropped} labelled frame(s) have no features and are left out",
            stacklevel=4,
        )
    out = np.full((frames.size, len(behaviors)), NOT_SCORED, dtype=np.int8)
    available = [str(b) for b in labels["behavior"].values]
    values = np.asarray(labels["label"].values, dtype=np.int8)
    for column, behavior in enumerate(behaviors):
        if behavior in available:
            out[in_features, column] = values[in_labels, available.index(behavior)]
    return out


def _session_fps(session: SessionData) -> float | None:
    for ds in (session.features, *session.labels):
        fps = ds.attrs.get("fps")
        if fps:
            return float(fps)
    return None


def require_labelled(behaviors: Sequence[str], labelled: set[str]) -> None:
    """Refuse behaviors that no label set scores, naming the ones they do.

    Raises
    ------
    OptionError
        If any of ``behaviors`` is not in ``labelled``.
    """
    missing = [behavior for behavior in behaviors if behavior not in labelled]
    if missing:
        raise OptionError(
            f"no label set scores {', '.join(repr(b) for b in missing)}; "
            f"the label sets score {', '.join(sorted(labelled)) or 'no behavior'}"
        )


def build_training_set(
    sessions: Sequence[SessionData],
    behaviors: Sequence[str],
    policy: LabelPolicy | str = "majority",
) -> TrainingSet:
    """Join features and labels of several sessions into one training set.

    Parameters
    ----------
    sessions
        The sessions; every features dataset must share feature names and ``feature_set_hash``.
    behaviors
        Behaviors to model (columns of ``y``).
    policy
        Annotator combination policy (a :class:`LabelPolicy` or its text form).

    Returns
    -------
    TrainingSet
        Rows are the frames with features that some annotator scored for at least one
        behavior. Frames the policy leaves not scored (a tie under ``majority``) keep their
        per-annotator labels, so agreement counts every frame two annotators scored, but
        ``y`` is -1 there and no fit or metric uses them (:meth:`TrainingSet.scored_rows`).

    Raises
    ------
    SchemaError
        If sessions disagree on feature names or feature-set hash, or nothing is labelled.
    OptionError
        If no label set scores one of ``behaviors``.
    """
    policy = LabelPolicy.parse(policy) if isinstance(policy, str) else policy
    behaviors = [str(b) for b in behaviors]
    if not sessions:
        raise SchemaError("no sessions to build a training set from")
    require_labelled(
        behaviors, {str(b) for session in sessions for ds in session.labels for b in ds["behavior"].values}
    )
    feature_names = [str(f) for f in sessions[0].features["feature"].values]
    feature_set_hash = str(sessions[0].features.attrs.get("feature_set_hash", ""))
    annotators = sorted({str(ds.attrs["annotator"]) for s in sessions for ds in s.labels})
    parts: dict[str, list] = {k: [] for k in ("X", "y", "frame", "session", "subject", "lab")}
    per_annotator: dict[str, list] = {a: [] for a in annotators}
    sources, fps = [], {}
    ties: dict[str, np.ndarray] = {}
    for session in sessions:
        names = [str(f) for f in session.features["feature"].values]
        if names != feature_names:
            raise SchemaError(
                f"session {session.session!r} has features {name_difference(feature_names, names)} "
                "compared with the first session"
            )
        session_hash = str(session.features.attrs.get("feature_set_hash", ""))
        if session_hash != feature_set_hash:
            raise SchemaError(
                f"session {session.session!r} has feature_set_hash {session_hash!r}, expected {feature_set_hash!r}"
            )
        frames = np.asarray(session.features["frame"].values, dtype=np.int64)
        order = np.argsort(frames, kind="stable")
        frames = frames[order]
        stacked = np.full((len(annotators), frames.size, len(behaviors)), NOT_SCORED, dtype=np.int8)
        for ds in session.labels:
            matrix = _label_matrix(ds, behaviors, frames, session.session)
            slot = stacked[annotators.index(str(ds.attrs["annotator"]))]
            np.copyto(slot, matrix, where=matrix != NOT_SCORED)
        session_annotators = [a for i, a in enumerate(annotators) if np.any(stacked[i] != NOT_SCORED)]
        rows_annotators = [annotators.index(a) for a in session_annotators]
        combined = combine_labels(stacked[rows_annotators], policy, session_annotators)
        if policy.kind == "majority":
            ties[session.session] = count_ties(stacked[rows_annotators])
        if not np.any(combined != NOT_SCORED):
            warnings.warn(_left_out_reason(session, behaviors, policy), stacklevel=2)
            continue
        keep = np.any(stacked[rows_annotators] != NOT_SCORED, axis=(0, 2))
        unlisted = _unlisted_behaviors(session, behaviors, combined)
        if unlisted:
            warnings.warn(_left_out_of_behaviors(session, unlisted), stacklevel=2)
        features = np.asarray(session.features["features"].values, dtype=np.float32)[order][keep]
        parts["X"].append(features)
        parts["y"].append(combined[keep])
        parts["frame"].append(frames[keep])
        for key, value in (("session", session.session), ("subject", session.subject), ("lab", session.lab)):
            parts[key].append(np.full(int(keep.sum()), value, dtype=object))
        for i, annotator in enumerate(annotators):
            per_annotator[annotator].append(stacked[i][keep])
        fps[session.session] = _session_fps(session)
        sources.append(
            {
                "session": session.session,
                "subject": session.subject,
                "lab": session.lab,
                "pose_file": str(session.features.attrs.get("source_file", "")),
                "label_sets": [
                    {
                        "annotator": str(ds.attrs["annotator"]),
                        "label_set": str(ds.attrs["label_set"]),
                        "source_file": str(ds.attrs.get("source_file", "")),
                    }
                    for ds in session.labels
                ],
            }
        )
    _warn_ties(ties, behaviors)
    if not parts["X"]:
        raise SchemaError(f"no frame of any session is scored for {', '.join(behaviors)} under policy {policy}")
    return TrainingSet(
        X=np.concatenate(parts["X"]),
        y=np.concatenate(parts["y"]),
        annotator_labels={a: np.concatenate(v) for a, v in per_annotator.items()},
        feature_names=feature_names,
        behaviors=behaviors,
        frame=np.concatenate(parts["frame"]),
        session=np.concatenate(parts["session"]),
        subject=np.concatenate(parts["subject"]),
        lab=np.concatenate(parts["lab"]),
        fps=fps,
        feature_set_hash=feature_set_hash,
        policy=policy,
        sources=sources,
    )


def name_difference(expected: Sequence[str], given: Sequence[str]) -> str:
    """Describe how ``given`` differs from ``expected``: missing, extra or reordered names."""
    missing = [n for n in expected if n not in set(given)]
    extra = [n for n in given if n not in set(expected)]
    parts = []
    if missing:
        parts.append(f"missing {_short(missing)}")
    if extra:
        parts.append(f"unexpected {_short(extra)}")
    if not parts and list(expected) != list(given):
        first = next(i for i, (a, b) in enumerate(zip(expected, given, strict=False)) if a != b)
        parts.append(
            f"the same names in another order (position {first}: {given[first]!r} instead of {expected[first]!r})"
        )
    return "; ".join(parts) or "no difference"


def _short(names: Sequence[str], limit: int = 8) -> str:
    shown = ", ".join(repr(n) for n in names[:limit])
    return f"{len(names)} feature(s): {shown}{', ...' if len(names) > limit else ''}"


@dataclass(frozen=True)
class Sampling:
    """Which training rows a fit uses; recorded with the model.

    Attributes
    ----------
    balance
        ``"class_weight"`` (weights inversely proportional to class frequency, set on the
        estimator), ``"undersample"`` (keep every positive and ``ratio`` times as many random
        negatives) or ``"none"``.
    ratio
        Negatives kept per positive under ``"undersample"``.
    stride
        Keep every ``stride``-th row of each class (neighbouring frames are near duplicates, so
        a stride trades little accuracy for a proportional cut in fitting time).
    seed
        Random seed of the undersampling.
    """

    balance: str = "class_weight"
    ratio: float = 3.0
    stride: int = 1
    seed: int = 0

    def __post_init__(self) -> None:
        if self.balance not in ("class_weight", "undersample", "none"):
            raise OptionError(f"balance must be 'class_weight', 'undersample' or 'none', got {self.balance!r}")
        if self.stride < 1 or self.ratio <= 0:
            raise OptionError("stride must be >= 1 and ratio > 0")

    def to_dict(self) -> dict:
        """JSON-ready record."""
        return {"balance": self.balance, "ratio": self.ratio, "stride": self.stride, "seed": self.seed}


def sample_rows(y: np.ndarray, sampling: Sampling) -> np.ndarray:
    """Indices into ``y`` (0/1) of the rows a fit uses under ``sampling``, in increasing order."""
    y = np.asarray(y)
    index = np.arange(y.size)
    if sampling.stride > 1:
        keep = np.zeros(y.size, dtype=bool)
        for value in (0, 1):
            keep[index[y == value][:: sampling.stride]] = True
        index = index[keep]
    if sampling.balance != "undersample":
        return index
    positives, negatives = index[y[index] == 1], index[y[index] == 0]
    n_negatives = min(negatives.size, int(np.ceil(sampling.ratio * max(positives.size, 1))))
    chosen = np.random.default_rng(sampling.seed).choice(negatives, size=n_negatives, replace=False)
    return np.sort(np.concatenate([positives, chosen]))


FULL_ETHOGRAM_HINT = (
    "A label set lists the behaviors its file uses; to count a behavior that never occurs in a file as absent, give "
    "the full ethogram in the manifest's label entry: options: {behaviors: [...]} (a Caltech file: per stream, "
    "options: {behaviors: {S1: [...]}})"
)


def _listed_behaviors(session: SessionData) -> set[str]:
    """The behaviors the session's label sets list."""
    return {str(b) for ds in session.labels for b in ds["behavior"].values}


def _label_set_names(session: SessionData) -> str:
    return ", ".join(f"{ds.attrs['annotator']}:{ds.attrs['label_set']}" for ds in session.labels)


def _left_out_reason(session: SessionData, behaviors: list[str], policy: LabelPolicy) -> str:
    """Why no frame of ``session`` is scored: its label sets do not list the behaviors, or the policy scores none."""
    listed = _listed_behaviors(session)
    if listed & set(behaviors):
        return f"session {session.session!r} has no frames scored under policy {policy}; it is left out"
    return (
        f"session {session.session!r} is left out: its label sets ({_label_set_names(session)}) do not list "
        f"{', '.join(behaviors)}, so none of its frames is scored for {'it' if len(behaviors) == 1 else 'them'}. "
        + FULL_ETHOGRAM_HINT
    )


def _unlisted_behaviors(session: SessionData, behaviors: list[str], combined: np.ndarray) -> list[str]:
    """The behaviors no frame of a kept session is scored for because none of its label sets lists them."""
    listed = _listed_behaviors(session)
    unscored = ~np.any(combined != NOT_SCORED, axis=0)
    return [behavior for behavior, none in zip(behaviors, unscored) if none and behavior not in listed]


def _left_out_of_behaviors(session: SessionData, unlisted: list[str]) -> str:
    """Why a kept session is left out of some behaviors' training and evaluation."""
    return (
        f"session {session.session!r} is left out for {', '.join(unlisted)}: its label sets "
        f"({_label_set_names(session)}) do not list {'it' if len(unlisted) == 1 else 'them'}, so none of its frames "
        f"is scored for {'it' if len(unlisted) == 1 else 'them'}. " + FULL_ETHOGRAM_HINT
    )

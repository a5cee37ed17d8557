"""Job: train, evaluate (grouped, never random frames) and register a behavior model from the lake.

Training data come from the catalog: every visible session with human labels
of the chosen label set(s), joined on frames with the features of the chosen
feature set (computed first where missing). The evaluation is nested grouped
cross-validation (threshold and minimum bout chosen on training groups only);
then one model is fitted on every group, stored with ``skops`` and registered
as a new candidate version with lineage to its features and label sets. The
per-model HTML report and the evaluation figures are stored beside it.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
import time
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from etholake.catalog import AssetRecord, SessionKey
from etholake.errors import DuplicateAssetError, EtholakeError, OptionError
from etholake.jobs.context import JobContext, open_dataset
from etholake.jobs.features import compute_target_features, features_target, resolve_spec, session_features
from etholake.jobs.models import publish_model, registered_card
from etholake.lake import commit, stage_file, stage_json
from etholake.names import validate_name
from etholake.output_files import output_path
from etholake.progress import progress_bar

if TYPE_CHECKING:
    import xarray as xr

    from etholake.catalog import Catalog


@dataclass(frozen=True)
class TrainOutcome:
    """A trained and registered model version and its held-out figures."""

    name: str
    version: int
    asset_id: str
    report_id: str
    sessions: int
    rows: int
    metrics: dict = field(default_factory=dict)
    seconds: float = 0.0
    reused: bool = False


def labelled_sessions(
    context: JobContext, behaviors: list[str], label_sets: list[str] | None = None, lab: str | None = None
) -> dict[SessionKey, dict[str, AssetRecord]]:
    """Per visible session (of ``lab`` when given): its newest labels asset of each identity in ``label_sets``.

    Identities are ``annotator:label_set``; ``label_sets`` names label sets (every
    annotator's) or identities (one annotator's); None keeps them all.

    Raises
    ------
    EtholakeError
        If no visible session has such labels.
    OptionError
        If none of those label sets scores one of ``behaviors`` (label sets
        ingested before their behaviors were recorded are checked later, by
        :func:`etholake.models.trainset.build_training_set`).
    """
    from etholake.models.trainset import require_labelled

    found: dict[SessionKey, dict[str, AssetRecord]] = {}
    with context.catalog() as catalog:
        for asset in catalog.assets(context.user, kind="labels", lab=lab):
            identity = asset.params.get("identity", "")
            if label_sets is not None and not {identity, identity.split(":", 1)[-1]} & set(label_sets):
                continue
            found.setdefault(asset.session, {}).setdefault(identity, asset)
    if not found:
        raise EtholakeError(f"no visible sessions have labels{f' of label set(s) {label_sets}' if label_sets else ''}")
    scored = [asset.params.get("behaviors") for assets in found.values() for asset in assets.values()]
    if all(names is not None for names in scored):
        require_labelled(behaviors, {name for names in scored for name in names})
    return found


@dataclass(frozen=True)
class EvaluationSettings:
    """How thoroughly to evaluate (and how many rows each fit uses).

    Attributes
    ----------
    inner_splits
        Folds of the inner cross-validation that chooses threshold and minimum bout.
    stride
        Fit on every ``stride``-th frame of each class (neighbouring frames are near
        duplicates); evaluation always scores every frame.
    random_split
        Also score a random-frame split, shown beside the grouped figure as leaky.
    learning_curve
        Numbers of training sessions for the learning curve; None chooses 2, 4, 8, ...
    permutation_repeats
        Shuffles per feature for held-out permutation importance (0: impurity only).
    """

    inner_splits: int = 3
    stride: int = 1
    random_split: bool = True
    learning_curve: tuple[int, ...] | None = None
    permutation_repeats: int = 0

    def sampling(self):
        """The training-row sampling these settings ask for."""
        from etholake.models.trainset import Sampling

        return Sampling(stride=self.stride)


@dataclass
class TrainingData:
    """Sessions, the joined training set and the lake assets it came from."""

    sessions: list
    trainset: object
    parents: dict[str, str]


def check_training_options(*, policy: str, group_by: str, feature_set: str) -> None:
    """Refuse an unknown label policy, evaluation grouping or feature set before any work starts, naming all at once."""
    from etholake.models.trainset import GROUP_KINDS, LabelPolicy

    def check_group_by() -> None:
        if group_by not in GROUP_KINDS:
            raise OptionError(f"group_by must be one of {', '.join(GROUP_KINDS)}, got {group_by!r}")

    require_all(lambda: LabelPolicy.parse(policy), check_group_by, lambda: resolve_spec(feature_set))


def require_all(*checks: Callable[[], Any]) -> list[Any]:
    """Run every check and return their results; raise one OptionError listing every problem they found.

    Each check raises an etholake error for its problem.
    """
    results, problems = [], []
    for check in checks:
        try:
            results.append(check())
        except EtholakeError as error:
            problems.append(str(error))
    if problems:
        raise OptionError("; ".join(problems))
    return results


def assemble_training_data(
    context: JobContext,
    *,
    behaviors: list[str],
    label_sets: list[str] | None = None,
    policy: str = "majority",
    feature_set: str = "default",
    sessions_lab: str | None = None,
    model_lab: str | None = None,
    show_progress: bool = False,
) -> TrainingData:
    """Join features (computed where missing) and labels of every labelled session into a training set.

    A behavior no label set scores, and a ``single:<annotator>`` policy naming an
    annotator of none of them, are refused before any features are computed (label
    sets ingested before their behaviors were recorded are checked after).
    A session with no frame scored for ``behaviors`` under ``policy`` is left out
    with a warning; the returned sessions and parent assets are those of the
    sessions the training set holds.

    With ``model_lab`` (the lab that will own the model), private sessions of other
    labs are left out with a warning: the model's card and lineage would show them
    to that lab's readers. Features of labs the user may only read are used when
    stored, else computed in memory (the session's pose is then the parent).
    """
    from etholake.models.trainset import LabelPolicy, SessionData, build_training_set

    features_spec = resolve_spec(feature_set)
    labelled = labelled_sessions(context, behaviors, label_sets, sessions_lab)
    if model_lab is not None:
        labelled = _without_private_sessions_of_other_labs(context, labelled, model_lab)
    annotator = LabelPolicy.parse(policy).annotator
    annotators = sorted({identity.split(":", 1)[0] for assets in labelled.values() for identity in assets})
    if annotator is not None and annotator not in annotators:
        raise OptionError(
            f"policy single:{annotator} names no annotator of these label sets; their annotators are "
            + ", ".join(annotators)
        )
    sessions, session_parents = [], {}
    with (
        context.catalog() as catalog,
        progress_bar("features", total=len(labelled), enabled=show_progress) as advance,
    ):
        writable = catalog.writable_labs(context.user)
        for key, label_assets in sorted(labelled.items()):
            features, features_parent, notes = _training_features(
                context, catalog, key, features_spec.content, store=key.lab in writable
            )
            for note in notes:
                warnings.warn(f"{key}: {note}", stacklevel=2)
            labels = [open_dataset(context, asset).load() for asset in label_assets.values()]
            sessions.append(SessionData(str(key), features, labels, subject=f"{key.lab}/{key.subject}", lab=key.lab))
            session_parents[str(key)] = features_parent | {a.id: "labels" for a in label_assets.values()}
            advance()
    trainset = build_training_set(sessions, behaviors, policy)
    kept = set(trainset.session.tolist())
    used = [session for session in sessions if session.session in kept]
    parents = {asset_id: role for session in used for asset_id, role in session_parents[session.session].items()}
    return TrainingData(used, trainset, parents)


def _without_private_sessions_of_other_labs(
    context: JobContext, labelled: dict[SessionKey, dict[str, AssetRecord]], model_lab: str
) -> dict[SessionKey, dict[str, AssetRecord]]:
    with context.catalog() as catalog:
        sessions = catalog.sessions(context.user)
    private = {
        SessionKey(row.lab, row.subject, row.session)
        for row in sessions.itertuples()
        if row.visibility == "private" and row.lab != model_lab
    }
    left_out = [key for key in labelled if key in private]
    if left_out:
        labs = ", ".join(sorted({key.lab for key in left_out}))
        warnings.warn(
            f"{len(left_out)} private session(s) of {labs} left out: a model of {model_lab} would show them to "
            f"{model_lab}'s readers (a lab that makes them shared lets every model learn from them)",
            stacklevel=3,
        )
    return {key: assets for key, assets in labelled.items() if key not in private}


def _training_features(
    context: JobContext, catalog: Catalog, key: SessionKey, spec: dict[str, Any], *, store: bool
) -> tuple[xr.Dataset, dict[str, str], tuple[str, ...]]:
    """A session's features (loaded), their parent in the model's lineage, and what computing them warned."""
    if store:
        outcome = session_features(context, key, spec)
        features = open_dataset(context, catalog.asset(context.user, outcome.asset_id)).load()
        return features, {outcome.asset_id: "features"}, outcome.notes
    target = features_target(catalog, context.user, key, spec)
    stored = catalog.asset_by_key(context.user, target.unique_key)
    if stored is not None:
        return open_dataset(context, stored).load(), {stored.id: "features"}, ()
    features, notes = compute_target_features(context, target)
    return features.load(), {target.pose_asset.id: "pose"}, notes


def evaluate_training_data(
    data: TrainingData,
    behaviors: list[str],
    *,
    spec,
    feature_set: str,
    group_by: str = "session",
    n_splits: int | None = 5,
    settings: EvaluationSettings | None = None,
    client=None,
    show_progress: bool = False,
) -> list:
    """Nested grouped cross-validation of every behavior (see :func:`etholake.models.evaluation.evaluate_behavior`)."""
    from etholake.models.evaluation import Candidate, evaluate_behavior

    settings = settings or EvaluationSettings()
    candidate = Candidate(feature_set, data.trainset, spec)
    sessions = len(data.sessions)
    curve = settings.learning_curve
    if curve is None:
        curve = tuple(n for n in (2, 4, 8, 16, 32, 64) if n < sessions * (1 - 1 / (n_splits or sessions)))
    evaluations = []
    with progress_bar("evaluate", total=len(behaviors), enabled=show_progress) as advance:
        for behavior in behaviors:
            evaluations.append(
                evaluate_behavior(
                    candidate,
                    behavior,
                    group_by=group_by,
                    n_splits=n_splits,
                    inner_splits=settings.inner_splits,
                    sampling=settings.sampling(),
                    random_split=settings.random_split,
                    learning_curve=curve,
                    permutation_repeats=settings.permutation_repeats,
                    client=client,
                )
            )
            advance()
    return evaluations


def write_report(
    data: TrainingData, evaluations: list, behaviors: list[str], path: Path, *, title: str, card: dict
) -> Path:
    """The self-contained HTML evaluation report (with inter-annotator agreement where labels overlap)."""
    from etholake.models.agreement import agreement_report
    from etholake.models.report import render_report

    annotators = {str(labels.attrs["annotator"]) for session in data.sessions for labels in session.labels}
    agreement = agreement_report(data.trainset, behaviors) if len(annotators) > 1 else None
    fps = next((s.features.attrs.get("fps") for s in data.sessions if s.features.attrs.get("fps")), None)
    render_report(evaluations, title=title, card=card, agreement=agreement, fps=fps, path=output_path(path))
    return path


def training_recipe(lab: str, parents: Iterable[str], *settings: Any) -> str:
    """Hash of what a training run depends on: the owning lab, the input assets (any order) and the settings.

    A run with the same recipe returns the version already trained instead of a new one.
    """
    document = [lab, sorted(parents), *settings]
    return hashlib.sha256(json.dumps(document, default=str).encode()).hexdigest()


def _trained_before(context: JobContext, name: str, recipe: str) -> TrainOutcome | None:
    """The version of ``name`` already trained on exactly these inputs and settings, if any."""
    with context.catalog() as catalog:
        for asset in catalog.assets(context.user, kind="model"):
            if asset.params.get("name") == name and asset.params.get("recipe") == recipe:
                record = catalog.models(context.user, name=name)
                row = record[record["asset_id"] == asset.id].iloc[0]
                reports = [a for a in catalog.assets(context.user, kind="model_report") if asset.id in a.parents]
                return TrainOutcome(
                    name,
                    int(row["version"]),
                    asset.id,
                    reports[0].id if reports else "",
                    sum(role == "features" for role in asset.parents.values()),
                    0,
                    dict(row["metrics"]),
                    0.0,
                    reused=True,
                )
    return None


def train_from_lake(
    context: JobContext,
    *,
    name: str,
    lab: str,
    behaviors: list[str],
    label_sets: list[str] | None = None,
    policy: str = "majority",
    feature_set: str = "default",
    estimator: dict | None = None,
    group_by: str = "session",
    n_splits: int | None = 5,
    sessions_lab: str | None = None,
    settings: EvaluationSettings | None = None,
    client=None,
    show_progress: bool = False,
) -> TrainOutcome:
    """Train, evaluate and register model ``name`` for ``behaviors``.

    If a version of ``name`` was already trained on exactly the same feature and
    label assets with the same settings, that version is returned (``reused``).

    Parameters
    ----------
    context
        Lake, catalog and user.
    name
        Model name (a new version is registered).
    lab
        Lab that owns the model.
    behaviors
        Behaviors to model, one classifier each.
    label_sets
        Label sets to learn from (``["S1"]``, ``["social"]``); default all.
    policy
        How several annotators combine: ``majority``, ``any`` or ``single:<annotator>``.
    feature_set
        Feature set (built-in name or spec file).
    estimator
        ``{"kind": "random_forest" | "hist_gradient_boosting", "params": {...}}``.
    group_by
        Evaluation grouping: ``session``, ``subject`` or ``lab``.
    n_splits
        Outer folds of the grouped evaluation (None: leave one group out).
    sessions_lab
        Only train on this lab's sessions (default: ``lab``'s sessions and the shared and
        public sessions of other labs; their private sessions are left out with a warning).
    settings
        Evaluation thoroughness and training-row stride.
    client
        Optional Dask client for the fits.
    show_progress
        Progress bars over the sessions' features and the behaviors' evaluations.

    Returns
    -------
    TrainOutcome
    """
    from etholake.models.estimators import EstimatorSpec
    from etholake.models.training import train_model

    started = time.perf_counter()
    spec = EstimatorSpec.from_dict(estimator or {})
    validate_name(name, "model")
    check_training_options(policy=policy, group_by=group_by, feature_set=feature_set)
    with context.catalog() as catalog:
        catalog.require_model_name(context.user, name, lab)
    settings = settings or EvaluationSettings()
    if client is not None and spec.kind == "random_forest":
        spec = EstimatorSpec(spec.kind, {**spec.params, "n_jobs": 1}, spec.class_weight, spec.random_state)
    data = assemble_training_data(
        context,
        behaviors=behaviors,
        label_sets=label_sets,
        policy=policy,
        feature_set=feature_set,
        sessions_lab=sessions_lab,
        model_lab=lab,
        show_progress=show_progress,
    )
    recipe = training_recipe(lab, data.parents, behaviors, policy, spec.to_dict(), group_by, n_splits, settings)
    previous = _trained_before(context, name, recipe)
    if previous is not None:
        return previous
    evaluations = evaluate_training_data(
        data,
        behaviors,
        spec=spec,
        feature_set=feature_set,
        group_by=group_by,
        n_splits=n_splits,
        settings=settings,
        client=client,
        show_progress=show_progress,
    )
    metrics = {evaluation.behavior: evaluation.summary() for evaluation in evaluations}
    bundle = train_model(
        data.trainset,
        name=name,
        behaviors=behaviors,
        spec=spec,
        group_by=group_by,
        sampling=settings.sampling(),
        inner_splits=settings.inner_splits,
        metrics=metrics,
        client=client,
        created_by=context.user,
    )
    bundle.training = {
        **bundle.training,
        "policy": policy,
        "label_sets": label_sets,
        "sessions": [s.session for s in data.sessions],
    }
    lake = context.lake()
    with context.catalog() as catalog, tempfile.TemporaryDirectory() as folder:
        try:
            asset_id, version = publish_model(
                lake,
                catalog,
                context.user,
                bundle,
                lab=lab,
                parents=data.parents,
                params={"recipe": recipe},
                unique_key=f"model:{name}:{recipe}",
            )
        except DuplicateAssetError:
            return _trained_before(context, name, recipe)
        page = write_report(
            data,
            evaluations,
            behaviors,
            Path(folder) / f"{name}-v{version}.html",
            title=f"{name} v{version}",
            card=registered_card(lake, catalog, context.user, name, version),
        )
        about = {"model_name": name, "model_version": version}
        staged = [
            stage_file(lake, page, kind="model_report", lab=lab, parents={asset_id: "model"}, params=about),
            stage_json(
                lake,
                {
                    "metrics": metrics,
                    "behaviors": behaviors,
                    "group_by": group_by,
                    "policy": policy,
                    "sessions": [s.session for s in data.sessions],
                    "rows": int(data.trainset.n_rows),
                },
                kind="evaluation",
                lab=lab,
                parents={asset_id: "model"},
                params=about,
            ),
        ]
        report, _ = commit(lake, catalog, context.user, staged)
    return TrainOutcome(
        name,
        version,
        asset_id,
        report.id,
        len(data.sessions),
        int(data.trainset.n_rows),
        metrics,
        time.perf_counter() - started,
    )

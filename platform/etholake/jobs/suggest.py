"""Job: the video segments most worth labelling next for a model, from its annotations in the lake."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from etholake.errors import NotFoundError
from etholake.jobs.context import JobContext, open_dataset
from etholake.jobs.models import load_registered_model


def suggest_from_lake(
    context: JobContext,
    *,
    model: str,
    behavior: str,
    version: str = "production",
    n_tasks: int = 20,
    segment_s: float = 1.0,
) -> pd.DataFrame:
    """Segments near the model's threshold, spread across sessions, skipping frames already labelled.

    Uses every session annotated by the model version; the threshold is the one the
    model chose by cross-validation. Returns the task table of
    :func:`etholake.models.suggest.suggest_labels` with a ``session`` key per row.
    """
    from etholake.models.suggest import suggest_labels

    with context.catalog() as catalog:
        record = catalog.model(context.user, model, version)
        if behavior not in record["behaviors"]:
            predicted = ", ".join(record["behaviors"])
            raise NotFoundError(f"{model} v{record['version']} does not predict {behavior!r}; it predicts {predicted}")
        bouts = [
            a
            for a in catalog.assets(context.user, kind="bouts")
            if a.params.get("model_name") == model and a.params.get("model_version") == record["version"]
        ]
        if not bouts:
            raise NotFoundError(f"no session is annotated by {model} v{record['version']}: run `etholake infer` first")
        probability, labelled, frames, fps, videos = {}, {}, {}, {}, {}
        for asset in bouts:
            key = asset.session
            annotations = open_dataset(
                context,
                catalog.asset(context.user, next(p for p, role in asset.parents.items() if role == "annotations")),
            ).load()
            name = str(key)
            probability[name] = annotations["probability"].sel(behavior=behavior).values
            frames[name] = annotations["frame"].values
            fps[name] = float(annotations.attrs.get("fps") or 30.0)
            scored = np.zeros(annotations.sizes["time"], dtype=bool)
            for labels_asset in catalog.assets(context.user, kind="labels", session=key):
                labels = open_dataset(context, labels_asset)
                if behavior in labels["behavior"].values:
                    values = labels["label"].sel(behavior=behavior).values
                    position = np.searchsorted(frames[name], labels["frame"].values)
                    inside = position < scored.size
                    scored[position[inside]] |= values[inside] >= 0
            labelled[name] = scored
            video = catalog.assets(context.user, kind="video_file", session=key)
            videos[name] = context.lake().uri(video[0].uri) if video else ""
        bundle, _ = load_registered_model(context.lake(), catalog, context.user, model, record["version"])
        threshold = bundle.settings[behavior].threshold
    segment = max(1, round(segment_s * float(np.median(list(fps.values())))))
    return suggest_labels(
        probability,
        behavior=behavior,
        threshold=threshold,
        labelled=labelled,
        frames=frames,
        fps=fps,
        videos=videos,
        n_tasks=n_tasks,
        segment_frames=segment,
    )


def write_tasks(tasks: pd.DataFrame, path: str | Path, kind: str = "csv") -> Path:
    """Write the task list as CSV or as a BORIS-importable table."""
    from etholake.models.suggest import write_task_list

    return write_task_list(tasks, path, kind)

"""The canonical human-labels model: one label set per annotator and source file.

``label`` (time, behavior) int8: 1 = behavior present, 0 = absent, -1 = not scored.
Several annotators give several label sets; they are never merged in storage.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import xarray as xr

from etholake.errors import SchemaError
from etholake.names import MAX_NAME_LENGTH
from etholake.schema.checks import (
    as_string_coord,
    described,
    require_dims,
    require_dtype,
    require_schema_attrs,
    require_short_strings,
    require_time_axis,
    require_unique_strings,
)

LABELS_SCHEMA = "etholake.labels/1"
PRESENT, ABSENT, NOT_SCORED = 1, 0, -1
LABELS_ATTRS_SCHEMA = "labels.v1.json"


def make_labels_dataset(
    label: np.ndarray,
    *,
    behaviors: Sequence[str],
    annotator: str,
    label_set: str,
    fps: float | None = None,
    frames: np.ndarray | None = None,
    source_file: str = "",
    source_sha256: str = "",
    source_format: str = "",
    extra_attrs: dict | None = None,
) -> xr.Dataset:
    """Build a canonical labels dataset.

    Parameters
    ----------
    label
        Array (time, behavior) of 1 / 0 / -1.
    behaviors
        Behavior names.
    annotator
        Who scored the video.
    label_set
        Name of this label set (for example the Caltech stream, ``"S1"``).
    fps
        Frame rate, used for the ``time`` coordinate; None leaves time NaN.
    frames
        Video frame index of each row; defaults to 0, 1, 2, ...
    source_file, source_sha256, source_format
        Provenance.
    extra_attrs
        More attributes to keep.

    Returns
    -------
    xarray.Dataset
        A dataset that passes :func:`validate_labels`.
    """
    label = np.asarray(label, dtype=np.int8)
    if label.ndim != 2:
        raise SchemaError(f"label must be 2-D (time, behavior), got shape {label.shape}")
    frames = np.arange(label.shape[0], dtype=np.int64) if frames is None else np.asarray(frames, dtype=np.int64)
    times = frames / float(fps) if fps else np.full(len(frames), np.nan)
    attrs = {
        "annotator": annotator,
        "label_set": label_set,
        "fps": float(fps) if fps else None,
        "source_file": str(source_file),
        "source_sha256": source_sha256,
        "source_format": source_format,
        "schema": LABELS_SCHEMA,
    }
    attrs.update(extra_attrs or {})
    ds = xr.Dataset(
        {"label": (("time", "behavior"), label)},
        coords={"time": times, "frame": ("time", frames), "behavior": as_string_coord(behaviors)},
        attrs=attrs,
    )
    validate_labels(ds)
    return ds


def validate_labels(ds: xr.Dataset) -> xr.Dataset:
    """Check that ``ds`` follows the canonical labels model; return it unchanged.

    Raises
    ------
    SchemaError
        With a message that says exactly which part is wrong.
    """
    what = described(ds, "labels")
    require_dims(ds, "label", ("time", "behavior"), what)
    require_dtype(ds, "label", "i", what)
    require_time_axis(ds, what)
    require_unique_strings(ds, "behavior", what)
    require_short_strings(ds, "behavior", what, MAX_NAME_LENGTH)
    require_schema_attrs(ds, LABELS_ATTRS_SCHEMA, what)
    values = np.unique(np.asarray(ds["label"].values))
    bad = sorted(set(values.tolist()) - {PRESENT, ABSENT, NOT_SCORED})
    if bad:
        raise SchemaError(f"{what}: label values must be 1, 0 or -1, found {bad}")
    return ds

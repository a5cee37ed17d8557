"""Reading a manifest's label files onto a session's frames, for the check before ingest and the ingest itself."""

from __future__ import annotations

import xarray as xr

from etholake.ingest.manifest import FileEntry


def session_frames(pose: xr.Dataset) -> int:
    """Frames of the session a pose dataset covers: last frame + 1, or its rows for labelled-frame files."""
    if "image_path" in pose.coords:
        return int(pose.sizes["time"])
    return int(pose["frame"].values[-1]) + 1


def read_label_entry(entry: FileEntry, label_format: str, n_frames: int, fps: float | None) -> dict[str, xr.Dataset]:
    """Read one manifest label file into label sets of a session of ``n_frames`` frames.

    A Caltech file without a ``label_set`` gives one label set per stream;
    every other entry gives one. Each dataset carries the entry's annotator.

    Returns
    -------
    dict
        Label set name -> canonical labels dataset.

    Raises
    ------
    InputFileError
        When the file is unreadable or scores frames past the session (without ``clip``).
    """
    from etholake.io.labels import read_caltech_streams, read_labels

    annotator = entry.extra["annotator"]
    options = {"fps": fps, "annotator": annotator, "n_frames": n_frames, **entry.options}
    if label_format == "caltech" and not entry.extra.get("label_set"):
        datasets = read_caltech_streams(entry.path, **options)
    else:
        if entry.extra.get("label_set"):
            options["label_set"] = entry.extra["label_set"]
            if label_format == "caltech":
                options.setdefault("stream", entry.extra["label_set"])
        single = read_labels(entry.path, format=label_format, **options)
        datasets = {single.attrs["label_set"]: single}
    for ds in datasets.values():
        ds.attrs["annotator"] = annotator
    return datasets

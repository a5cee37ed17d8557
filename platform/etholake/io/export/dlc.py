"""Write pose datasets as DeepLabCut writes its predictions: ``.h5`` and ``.csv``.

The table has one row per frame (index = video frame number) and one column
per (scorer, [individuals,] bodyparts, coords), coords being ``x``, ``y``
[, ``z``] and ``likelihood``, all float64. Single-animal projects have the
three column levels ``scorer/bodyparts/coords``; multi-animal projects add
``individuals`` (four header rows in the CSV). The ``.h5`` file holds the
table under the key ``df_with_missing`` in pandas' ``table`` format, as
``DataFrame.to_hdf(path, key="df_with_missing", format="table", mode="w")``
in DeepLabCut. Missing points are NaN.

A dataset without confidence (``confidence_kind == "none"``) is written with
``x``/``y`` columns only, as DeepLabCut writes labelled data; a dataset with
an ``image_path`` coordinate (labelled frames) is indexed by image path.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from etholake.errors import ExportError
from etholake.io.dlc import SINGLE_INDIVIDUAL
from etholake.output_files import output_path
from etholake.schema.pose import validate_pose

DLC_KEY = "df_with_missing"
DEFAULT_SCORER = "etholake"
SINGLE_LEVELS = ("scorer", "bodyparts", "coords")
MULTI_LEVELS = ("scorer", "individuals", "bodyparts", "coords")


def dlc_table(ds: xr.Dataset, *, scorer: str | None = None, multi_animal: bool | None = None) -> pd.DataFrame:
    """Return the pose dataset as DeepLabCut's pandas table.

    Parameters
    ----------
    ds
        Canonical pose dataset.
    scorer
        Top column level; defaults to the ``scorer`` attribute, else ``"etholake"``.
    multi_animal
        Write the multi-animal layout (with an ``individuals`` level); by
        default when the dataset has more than one individual, or one not
        named ``individual_0`` (the name DeepLabCut's single-animal layout
        reads back as), so that the name survives.

    Returns
    -------
    pandas.DataFrame
        float64 table, rows = frames (or labelled images), MultiIndex columns.
    """
    validate_pose(ds)
    individuals = [str(i) for i in ds["individual"].values]
    keypoints = [str(k) for k in ds["keypoint"].values]
    space = [str(s) for s in ds["space"].values]
    if multi_animal is None:
        multi_animal = individuals != [SINGLE_INDIVIDUAL]
    if not multi_animal and len(individuals) > 1:
        raise ExportError(f"the single-animal DeepLabCut layout holds one individual, the dataset has {individuals}")
    with_likelihood = ds.attrs["confidence_kind"] != "none"
    if ds.attrs["confidence_kind"] == "score":
        warnings.warn(
            "confidence is an unbounded score (e.g. SLEAP), not a 0-1 probability: "
            "the DeepLabCut likelihood columns will hold the raw scores",
            UserWarning,
            stacklevel=3,
        )
    position = ds["position"].transpose("time", "individual", "keypoint", "space").values.astype(np.float64)
    parts = [position]
    coords = list(space)
    if with_likelihood:
        confidence = ds["confidence"].transpose("time", "individual", "keypoint").values.astype(np.float64)
        parts.append(confidence[..., None])
        coords.append("likelihood")
    values = np.concatenate(parts, axis=-1).reshape(position.shape[0], -1)
    scorer = scorer or str(ds.attrs.get("scorer") or DEFAULT_SCORER)
    if multi_animal:
        columns = pd.MultiIndex.from_product([[scorer], individuals, keypoints, coords], names=list(MULTI_LEVELS))
    else:
        columns = pd.MultiIndex.from_product([[scorer], keypoints, coords], names=list(SINGLE_LEVELS))
    if "image_path" in ds.coords:
        index = pd.Index([str(p) for p in ds["image_path"].values], dtype=object)
    else:
        index = pd.Index(ds["frame"].values.astype(np.int64))
    return pd.DataFrame(values, index=index, columns=columns)


def export_dlc(
    ds: xr.Dataset, path: str | Path, *, scorer: str | None = None, multi_animal: bool | None = None
) -> Path:
    """Write a pose dataset as a DeepLabCut ``.h5`` or ``.csv`` file (chosen by the suffix).

    Parameters
    ----------
    ds
        Canonical pose dataset.
    path
        Output file, ending in ``.h5`` or ``.csv``.
    scorer, multi_animal
        As in :func:`dlc_table`.

    Returns
    -------
    pathlib.Path
        The file written.
    """
    suffix = Path(path).suffix.lower()
    if suffix not in (".h5", ".csv"):
        raise ExportError(f"DeepLabCut files end in .h5 or .csv, got {Path(path).name!r}")
    path = output_path(path)
    table = dlc_table(ds, scorer=scorer, multi_animal=multi_animal)
    if suffix == ".h5":
        table.to_hdf(path, key=DLC_KEY, format="table", mode="w")
    else:
        table.to_csv(path)
    return path

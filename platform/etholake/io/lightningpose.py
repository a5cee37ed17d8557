"""LightningPose ``.csv`` files: video predictions and labelled frames.

LightningPose writes DeepLabCut's CSV layout (``scorer``/``bodyparts``/``coords``
header rows, the scorer being the model type such as ``heatmap_tracker``).
Predictions carry a ``likelihood`` per keypoint (a probability, 0-1); label
files (``CollectedData.csv``) carry x, y only and are indexed by image path.
Predictions on labelled frames may end with a ``set`` column (train/validation/
test), which is left out with a warning.
"""

from __future__ import annotations

from pathlib import Path

import xarray as xr

from etholake.io.dlc import read_dlc_csv_table, table_to_pose

MODEL_SCORER_SUFFIX = "_tracker"


def read_lightningpose_csv(path: str | Path, *, fps: float | None = None) -> xr.Dataset:
    """Read a LightningPose predictions or labels ``.csv``.

    Parameters
    ----------
    path
        The CSV file.
    fps
        Frame rate of the video; LightningPose files do not state it.

    Returns
    -------
    xarray.Dataset
        Canonical pose dataset (``confidence_kind`` ``"probability"`` for
        predictions, ``"none"`` for labels).
    """
    table = read_dlc_csv_table(path, skip_coords=("set",))
    return table_to_pose(path, table, fps=fps, source_software="LightningPose")

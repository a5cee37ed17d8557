"""Write tracked poses exactly as DeepLabCut and SLEAP lay out their files.

- DeepLabCut multi-animal ``.h5``: a pandas table under the key ``df_with_missing``,
  columns a MultiIndex ``scorer / individuals / bodyparts / coords`` with coords
  ``x, y, likelihood``, integer frame index.
- DeepLabCut multi-animal ``.csv``: the same frame in ``DataFrame.to_csv``'s layout
  (four header rows, then one row per frame starting with the frame index).
- SLEAP analysis ``.h5`` as ``sleap-convert --format analysis`` writes it: arrays
  stored transposed for MATLAB (``tracks`` is (tracks, 2, nodes, frames)), float32
  predictions stored as float64, gzip compressed, names as fixed-length byte strings,
  paths and provenance as scalar strings, no attributes. SLEAP uses gzip level 9; we
  use level 4, which readers cannot tell apart and which is 25 times faster on these
  arrays.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv

DLC_COLUMN_LEVELS = ("scorer", "individuals", "bodyparts", "coords")
DLC_KEY = "df_with_missing"
SLEAP_GZIP_LEVEL = 4


def dlc_dataframe(
    position: np.ndarray, confidence: np.ndarray, *, scorer: str, individuals: Sequence[str], keypoints: Sequence[str]
) -> pd.DataFrame:
    """DeepLabCut's multi-animal prediction table.

    Parameters
    ----------
    position
        (frame, individual, keypoint, space) pixels, NaN for missing points.
    confidence
        (frame, individual, keypoint) likelihoods in [0, 1], NaN for missing points.
    scorer
        DeepLabCut scorer name (network and snapshot), e.g. ``DLC_dlcrnetms5_socialJan1shuffle1_50000``.
    individuals, keypoints
        Names along those axes.

    Returns
    -------
    pandas.DataFrame
    """
    n_frames = position.shape[0]
    values = np.concatenate([position, confidence[..., None]], axis=-1).reshape(n_frames, -1)
    columns = pd.MultiIndex.from_product(
        [[scorer], list(individuals), list(keypoints), ["x", "y", "likelihood"]], names=list(DLC_COLUMN_LEVELS)
    )
    return pd.DataFrame(values.astype(np.float64), columns=columns)


def write_dlc_h5(path: str | Path, table: pd.DataFrame) -> Path:
    """Write a DeepLabCut table as DeepLabCut does (``to_hdf``, key ``df_with_missing``, table format)."""
    path = Path(path)
    table.to_hdf(path, key=DLC_KEY, format="table", mode="w")
    return path


def write_dlc_csv(path: str | Path, table: pd.DataFrame) -> Path:
    """Write a DeepLabCut table in the layout of DeepLabCut's ``to_csv``: four header rows, frame index first.

    The header rows come from pandas itself; the body is formatted by pyarrow (shortest
    round-trip floats, empty cells for NaN, as pandas writes them, about seven times faster).
    """
    path = Path(path)
    columns = [pa.array(table.index.to_numpy())]
    columns += [pa.array(table.iloc[:, i].to_numpy(), from_pandas=True) for i in range(table.shape[1])]
    body = pa.table(columns, names=[str(i) for i in range(len(columns))])
    with open(path, "wb") as handle:
        handle.write(table.iloc[:0].to_csv().encode())
        pa_csv.write_csv(body, handle, pa_csv.WriteOptions(include_header=False, quoting_style="none"))
    return path


def write_sleap_analysis_h5(
    path: str | Path,
    position: np.ndarray,
    point_scores: np.ndarray,
    instance_scores: np.ndarray,
    tracking_scores: np.ndarray,
    *,
    track_names: Sequence[str],
    node_names: Sequence[str],
    edges: Sequence[tuple[str, str]],
    video_path: str,
    labels_path: str,
    provenance: dict,
) -> Path:
    """Write a SLEAP analysis HDF5 file.

    Parameters
    ----------
    path
        Output file (conventionally ``*.analysis.h5``).
    position
        (frame, track, node, space) pixels, NaN for missing points.
    point_scores
        (frame, track, node) SLEAP point scores (may exceed 1), NaN for missing points.
    instance_scores, tracking_scores
        (frame, track).
    track_names, node_names
        Names of tracks and skeleton nodes.
    edges
        Skeleton edges as (source, destination) node names.
    video_path, labels_path
        The tracked video and the ``.slp`` the analysis was exported from.
    provenance
        SLEAP's provenance record (inference command, versions).

    Returns
    -------
    pathlib.Path
    """
    path = Path(path)
    node_index = {name: index for index, name in enumerate(node_names)}
    occupied = np.any(~np.isnan(position[..., 0]), axis=2)
    arrays = {
        "track_occupancy": occupied.astype(np.uint8),
        "tracks": np.transpose(position, (1, 3, 2, 0)).astype(np.float32).astype(np.float64),
        "point_scores": np.transpose(point_scores, (1, 2, 0)).astype(np.float32).astype(np.float64),
        "instance_scores": np.transpose(instance_scores).astype(np.float64),
        "tracking_scores": np.transpose(tracking_scores).astype(np.float64),
    }
    with h5py.File(path, "w") as file:
        file.create_dataset("track_names", data=np.array([name.encode() for name in track_names]))
        file.create_dataset("node_names", data=np.array([name.encode() for name in node_names]))
        file.create_dataset("edge_names", data=np.array([[a.encode(), b.encode()] for a, b in edges]))
        file.create_dataset("edge_inds", data=np.array([[node_index[a], node_index[b]] for a, b in edges], np.int64))
        for name, values in arrays.items():
            file.create_dataset(name, data=values, compression="gzip", compression_opts=SLEAP_GZIP_LEVEL)
        file.create_dataset("labels_path", data=labels_path)
        file.create_dataset("video_path", data=video_path)
        file.create_dataset("video_ind", data=np.int64(0))
        file.create_dataset("provenance", data=json.dumps(provenance))
    return path

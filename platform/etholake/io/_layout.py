"""Assemble canonical pose arrays: column layouts, missing-point fix-ups, the final dataset.

DeepLabCut, LightningPose and SimBA tables hold one column per
(individual, keypoint, coordinate). :class:`ColumnLayout` records where each
column goes in ``position`` (time, space, keypoint, individual) and
``confidence`` (time, keypoint, individual), so a table can be copied in row
blocks straight into preallocated float32 arrays without building a
pandas MultiIndex frame. :func:`mask_zero_points` turns the ``0,0,0``
placeholders some exporters write for missing points into NaN, and
:func:`build_pose` wraps the arrays in a validated dataset with provenance.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import xarray as xr

from etholake.errors import InputFileError
from etholake.io._files import file_sha256, records_source_sha256, warn_fixup, wrap_errors
from etholake.schema import make_pose_dataset

SPACE_COORDS = ("x", "y", "z")
CONFIDENCE_COORDS = ("likelihood", "confidence", "score", "p")


@dataclass(frozen=True)
class ColumnLayout:
    """Where each table column lands in the pose arrays.

    Attributes
    ----------
    individuals, keypoints, space
        Names along the pose dimensions, in first-seen order.
    position_columns
        Table column index of every position value.
    position_index
        (space, keypoint, individual) index arrays of those columns.
    confidence_columns
        Table column index of every confidence value.
    confidence_index
        (keypoint, individual) index arrays of those columns.
    product_coords
        When the columns are every (individual, keypoint, coordinate) in that
        nesting order, the coordinate order within a keypoint (confidence
        named ``"confidence"``); blocks are then copied by reshaping instead
        of scattering. None otherwise.
    """

    individuals: list[str]
    keypoints: list[str]
    space: list[str]
    position_columns: np.ndarray
    position_index: tuple[np.ndarray, np.ndarray, np.ndarray]
    confidence_columns: np.ndarray
    confidence_index: tuple[np.ndarray, np.ndarray]
    product_coords: tuple[str, ...] | None = None

    @property
    def has_confidence(self) -> bool:
        """Whether the table has any confidence column."""
        return self.confidence_columns.size > 0

    def allocate(self, n_rows: int) -> tuple[np.ndarray, np.ndarray]:
        """Return float32 ``position`` and ``confidence`` arrays for ``n_rows`` rows.

        Cells no column fills are NaN; with a full product layout every cell
        is overwritten by :meth:`fill`, so the arrays are left uninitialised.
        """
        shape = (n_rows, len(self.space), len(self.keypoints), len(self.individuals))
        full = self.product_coords is not None
        position = np.empty(shape, dtype=np.float32) if full else np.full(shape, np.nan, dtype=np.float32)
        confidence_shape = (n_rows, len(self.keypoints), len(self.individuals))
        if full and self.has_confidence:
            confidence = np.empty(confidence_shape, dtype=np.float32)
        else:
            confidence = np.full(confidence_shape, np.nan, dtype=np.float32)
        return position, confidence

    def fill(self, position: np.ndarray, confidence: np.ndarray, start: int, block: np.ndarray) -> None:
        """Copy a block of table rows (rows, columns) into the arrays from row ``start`` on.

        A value beyond float32's range becomes inf silently: ``read_pose`` refuses the file, naming it.
        """
        stop = start + block.shape[0]
        with np.errstate(over="ignore"):
            if self.product_coords is not None:
                self._fill_product(position, confidence, start, stop, block)
                return
            space, keypoint, individual = self.position_index
            position[start:stop, space, keypoint, individual] = block[:, self.position_columns]
            if self.has_confidence:
                keypoint, individual = self.confidence_index
                confidence[start:stop, keypoint, individual] = block[:, self.confidence_columns]

    def _fill_product(
        self, position: np.ndarray, confidence: np.ndarray, start: int, stop: int, block: np.ndarray
    ) -> None:
        """Fast path for tables ordered individual > keypoint > coordinate: strided copies, no scatter.

        Copies (rows, keypoints) planes, one per individual and coordinate, or
        (rows, individuals) planes when individuals outnumber keypoints: numpy
        copies and converts long inner runs much faster than short ones.
        """
        coords = self.product_coords
        n_individuals, n_keypoints = len(self.individuals), len(self.keypoints)
        values = block.reshape(block.shape[0], n_individuals, n_keypoints, len(coords))
        targets = [(position[start:stop, axis], coords.index(name)) for axis, name in enumerate(self.space)]
        if self.has_confidence:
            targets.append((confidence[start:stop], coords.index("confidence")))
        for target, coord in targets:
            source = values[..., coord]
            if n_keypoints >= n_individuals:
                for individual in range(n_individuals):
                    target[:, :, individual] = source[:, individual]
            else:
                for keypoint in range(n_keypoints):
                    target[:, keypoint] = source[:, :, keypoint]


def layout_from_columns(path: str | Path, columns: Sequence[tuple[str, str, str]]) -> ColumnLayout:
    """Build the layout of a table whose columns are (individual, keypoint, coordinate) triples.

    Raises
    ------
    InputFileError
        If a coordinate name is unknown, a column repeats, or x/y are missing.
    """
    individuals = list(dict.fromkeys(ind for ind, _, _ in columns))
    keypoints = list(dict.fromkeys(kp for _, kp, _ in columns))
    coords = {coord.lower() for _, _, coord in columns}
    unknown = coords - set(SPACE_COORDS) - set(CONFIDENCE_COORDS)
    if unknown:
        raise InputFileError(path, f"unexpected coordinate name(s) {sorted(unknown)} (expected x, y[, z], likelihood)")
    if not {"x", "y"} <= coords:
        raise InputFileError(path, f"the columns hold no x and y coordinates (found {sorted(coords)})")
    space = [c for c in SPACE_COORDS if c in coords]
    seen: set[tuple[str, str, str]] = set()
    pos_cols, pos_s, pos_k, pos_i, conf_cols, conf_k, conf_i = ([] for _ in range(7))
    for column, (ind, kp, coord) in enumerate(columns):
        key = (ind, kp, coord.lower())
        if key in seen:
            raise InputFileError(path, f"column {key} appears twice")
        seen.add(key)
        if key[2] in SPACE_COORDS:
            pos_cols.append(column)
            pos_s.append(space.index(key[2]))
            pos_k.append(keypoints.index(kp))
            pos_i.append(individuals.index(ind))
        else:
            conf_cols.append(column)
            conf_k.append(keypoints.index(kp))
            conf_i.append(individuals.index(ind))
    as_index = lambda values: np.asarray(values, dtype=np.intp)  # noqa: E731
    return ColumnLayout(
        product_coords=_product_coords(columns, individuals, keypoints, space, len(conf_cols) > 0),
        individuals=individuals,
        keypoints=keypoints,
        space=space,
        position_columns=as_index(pos_cols),
        position_index=(as_index(pos_s), as_index(pos_k), as_index(pos_i)),
        confidence_columns=as_index(conf_cols),
        confidence_index=(as_index(conf_k), as_index(conf_i)),
    )


def _product_coords(
    columns: Sequence[tuple[str, str, str]],
    individuals: list[str],
    keypoints: list[str],
    space: list[str],
    has_confidence: bool,
) -> tuple[str, ...] | None:
    """The per-keypoint coordinate order if columns are the full product in nesting order, else None."""
    coords = tuple(space) + (("confidence",) if has_confidence else ())
    if len(columns) != len(individuals) * len(keypoints) * len(coords):
        return None
    first = tuple(c.lower() if c.lower() in SPACE_COORDS else "confidence" for _, _, c in columns[: len(coords)])
    if sorted(first) != sorted(coords) or first[len(space) :] not in ((), ("confidence",)):
        return None
    expected = [(ind, kp, coord) for ind in individuals for kp in keypoints for coord in first]
    found = [(ind, kp, c.lower() if c.lower() in SPACE_COORDS else "confidence") for ind, kp, c in columns]
    return first if found == expected else None


def mask_zero_points(path: str | Path, position: np.ndarray, confidence: np.ndarray | None) -> int:
    """Set to NaN, in place, points some exporters write as all-zero coordinates with zero confidence.

    A point is treated as missing when every coordinate is exactly 0 and its
    confidence is 0, NaN or absent. Warns with the count when any is found.

    Returns
    -------
    int
        The number of points masked.
    """
    if not np.any(position == 0):
        return 0
    zero = np.all(position == 0, axis=1)
    if confidence is not None:
        zero &= (confidence == 0) | np.isnan(confidence)
    count = int(np.count_nonzero(zero))
    if count:
        np.copyto(position, np.nan, where=zero[:, None])
        if confidence is not None:
            np.copyto(confidence, np.nan, where=zero)
        warn_fixup(path, f"{count} point(s) stored as 0,0 with zero confidence were read as missing (NaN)")
    return count


def build_pose(
    path: str | Path,
    position: np.ndarray,
    confidence: np.ndarray | None,
    *,
    keypoints: Sequence[str],
    individuals: Sequence[str],
    source_software: str,
    confidence_kind: str,
    fps: float | None = None,
    frames: np.ndarray | None = None,
    times: np.ndarray | None = None,
    space: Sequence[str] | None = None,
    units: str = "px",
    image_paths: Sequence[str] | None = None,
    extra_attrs: dict | None = None,
) -> xr.Dataset:
    """Wrap reader output in a validated canonical pose dataset with the file's provenance.

    ``source_file`` is the absolute path (a string, so the dataset serialises)
    and ``source_sha256`` the hash of the file's bytes, awaited last so that
    a hash started with the read (:func:`~etholake.io._files.start_sha256`)
    overlaps as much of the work as possible (left empty inside
    ``recording_source_sha256(False)``).
    """
    path = Path(path)
    ds = make_pose_dataset(
        position,
        confidence=confidence,
        keypoints=keypoints,
        individuals=individuals,
        fps=fps,
        frames=frames,
        times=times,
        space=space,
        source_software=source_software,
        source_file=str(path.resolve()),
        confidence_kind=confidence_kind,
        units=units,
        image_paths=image_paths,
        extra_attrs=extra_attrs,
    )
    if records_source_sha256():
        with wrap_errors(path, "cannot hash the file"):
            ds.attrs["source_sha256"] = file_sha256(path)
    return ds

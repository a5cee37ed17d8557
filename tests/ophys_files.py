"""Small NWB files with one RoiResponseSeries of 3 ROIs, written with pynwb, for the calcium readers' tests."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np


def write_roi_response(path: Path, data: np.ndarray, *, region: list[int], rate: float, **series_options) -> None:
    """Write ``data`` (frame, ROI) as ``processing/ophys/Fluorescence/RoiResponseSeries`` over ROIs ``region``."""
    from pynwb import NWBHDF5IO, NWBFile
    from pynwb.ophys import Fluorescence, ImageSegmentation, OpticalChannel, RoiResponseSeries

    nwbfile = NWBFile("ophys", "id", datetime(2026, 1, 1, tzinfo=UTC))
    device = nwbfile.create_device(name="scope")
    channel = OpticalChannel(name="green", description="gcamp", emission_lambda=520.0)
    plane = nwbfile.create_imaging_plane(
        name="plane",
        optical_channel=channel,
        description="",
        device=device,
        excitation_lambda=920.0,
        imaging_rate=rate,
        indicator="GCaMP6f",
        location="CA1",
    )
    image_segmentation = ImageSegmentation()
    segmentation = image_segmentation.create_plane_segmentation(name="rois", description="", imaging_plane=plane)
    for _ in range(3):
        segmentation.add_roi(image_mask=np.ones((4, 4)))
    module = nwbfile.create_processing_module("ophys", "")
    module.add(image_segmentation)
    rois = segmentation.create_roi_table_region(region=region, description="rois")
    series = RoiResponseSeries(name="RoiResponseSeries", data=data, rois=rois, rate=rate, **series_options)
    module.add(Fluorescence(roi_response_series=series))
    with NWBHDF5IO(str(path), "w") as io:
        io.write(nwbfile)

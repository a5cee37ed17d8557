"""Write a session's neural recordings and sync records.

- NWB (pynwb): a Units table of spike times on the DAQ clock, each unit on one
  electrode of a 32-channel probe whose deeper channels sit in VMHvl and shallower
  ones in VMHdm (the electrodes table records each channel's location); the DAQ's TTL pulse
  onsets as a TimeSeries ``sync_pulses`` in acquisition (data 1 per pulse,
  timestamps on the DAQ clock); optionally calcium dF/F as a ``RoiResponseSeries``
  in ``processing/ophys/Fluorescence`` with its plane segmentation. The tuning of
  units is ground truth and is never written here.
- The camera's pulses: CSV with ``frame`` (index in the saved video) and ``time``
  (camera timestamp of that frame, s).
- The camera's frame times: NPY float64 (saved frame) of camera timestamps, s.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np

from etholake.sim.neural import DAQ_SAMPLING_HZ, IMAGING_RATE_HZ, NeuralSession

PROBE_CHANNELS = 32
PROBE_PITCH_UM = 20.0
PROBE_TIP_DEPTH_UM = 5_900.0
VMHVL_TOP_DEPTH_UM = 5_600.0


def write_nwb(
    path: str | Path,
    neural: NeuralSession,
    *,
    session_id: str,
    session_start: datetime,
    subject: dict,
    lab: str,
    experimenter: str,
) -> Path:
    """Write units, DAQ sync pulses and optional calcium traces of one session to NWB.

    Parameters
    ----------
    path
        Output ``.nwb``.
    neural
        The simulated recordings.
    session_id
        Session name (also the NWB identifier, so files are reproducible).
    session_start
        Timezone-aware start of the session.
    subject
        ``subject_id``, ``species``, ``sex``, ``age``, ``genotype``, ``strain``.
    lab
        Lab name.
    experimenter
        Who ran the session.

    Returns
    -------
    pathlib.Path
    """
    from pynwb import NWBHDF5IO, NWBFile, TimeSeries
    from pynwb.file import Subject

    path = Path(path)
    nwbfile = NWBFile(
        session_description="Resident-intruder test (simulated by etholake.sim)",
        identifier=f"etholake-sim-{lab}-{session_id}",
        session_start_time=session_start,
        file_create_date=session_start,
        session_id=session_id,
        lab=lab,
        institution=f"{lab} lab (simulated)",
        experimenter=[experimenter],
        experiment_description="Resident-intruder test of social behavior: attack, chase, sniff, mount.",
        keywords=["resident-intruder", "aggression", "social behavior", "simulation"],
        subject=Subject(**subject),
    )
    nwbfile.add_acquisition(
        TimeSeries(
            name="sync_pulses",
            description="Onsets of the random-interval TTL sync pulses shared with the camera, on the DAQ clock.",
            data=np.ones(neural.pulse_times_daq.size, dtype=np.uint8),
            unit="n.a.",
            timestamps=neural.pulse_times_daq,
        )
    )
    _add_probe(nwbfile)
    nwbfile.units = _units_table(neural.spike_times_daq, nwbfile.electrodes)
    if neural.calcium is not None:
        _add_calcium(nwbfile, neural)
    with NWBHDF5IO(str(path), "w") as io:
        io.write(nwbfile)
    return path


def _add_probe(nwbfile) -> None:
    """Add a 32-channel probe (20 um pitch, tip in VMHvl) as electrode rows, deepest first."""
    probe = nwbfile.create_device(name="probe", description="32-channel single-shank silicon probe")
    shank = nwbfile.create_electrode_group(
        name="shank0", description="single shank, 20 um pitch", location="VMH", device=probe
    )
    depths_um = PROBE_TIP_DEPTH_UM - PROBE_PITCH_UM * np.arange(PROBE_CHANNELS)
    for depth in depths_um:
        region = "VMHvl" if depth > VMHVL_TOP_DEPTH_UM else "VMHdm"
        nwbfile.add_electrode(group=shank, location=region, x=0.0, y=0.0, z=float(depth))


def _units_table(spike_times: tuple[np.ndarray, ...], electrode_table):
    """The Units table built from whole arrays (adding units one by one converts every spike time in Python).

    Units are spread evenly along the probe, each referencing the one electrode it was sorted on.
    """
    from hdmf.common import DynamicTableRegion, ElementIdentifiers, VectorData, VectorIndex
    from pynwb.misc import Units

    n_units = len(spike_times)
    flat = VectorData(
        name="spike_times",
        description="the spike times for each unit in seconds",
        data=np.concatenate(spike_times) if spike_times else np.empty(0),
    )
    index = VectorIndex(
        name="spike_times_index", data=np.cumsum([times.size for times in spike_times]).astype(np.int64), target=flat
    )
    on_channel = np.linspace(0, len(electrode_table) - 1, n_units).round().astype(np.int64)
    electrodes = DynamicTableRegion(
        name="electrodes", description="the electrode each unit was sorted on", data=on_channel, table=electrode_table
    )
    electrodes_index = VectorIndex(
        name="electrodes_index", data=np.arange(1, n_units + 1, dtype=np.int64), target=electrodes
    )
    return Units(
        name="units",
        description="Simulated single units, spike times on the DAQ clock",
        resolution=1.0 / DAQ_SAMPLING_HZ,
        id=ElementIdentifiers(name="id", data=np.arange(n_units)),
        columns=[flat, index, electrodes, electrodes_index],
    )


def _add_calcium(nwbfile, neural: NeuralSession) -> None:
    from pynwb.ophys import Fluorescence, OpticalChannel

    device = nwbfile.create_device(name="miniscope", description="Head-mounted one-photon microscope")
    channel = OpticalChannel(name="green", description="GCaMP emission", emission_lambda=525.0)
    plane = nwbfile.create_imaging_plane(
        name="plane0",
        optical_channel=channel,
        description="Imaging plane",
        device=device,
        excitation_lambda=470.0,
        indicator="GCaMP6f",
        location="VMHvl",
        imaging_rate=IMAGING_RATE_HZ,
    )
    module = nwbfile.create_processing_module(name="ophys", description="Extracted calcium traces")
    segmentation = _segmentation(plane, neural.calcium.shape[1])
    module.add(segmentation)
    rois = segmentation["cells"].create_roi_table_region(
        region=list(range(neural.calcium.shape[1])), description="all cells"
    )
    fluorescence = Fluorescence(name="Fluorescence")
    module.add(fluorescence)
    times = neural.calcium_times_daq
    fluorescence.create_roi_response_series(
        name="dff",
        data=neural.calcium,
        rois=rois,
        unit="n.a.",
        starting_time=float(times[0]),
        rate=float((times.size - 1) / (times[-1] - times[0])),
        description="dF/F; frame times on the DAQ clock (starting_time, rate)",
    )


def _segmentation(plane, n_cells: int):
    from pynwb.ophys import ImageSegmentation

    segmentation = ImageSegmentation(name="ImageSegmentation")
    plane_segmentation = segmentation.create_plane_segmentation(
        name="cells", description="Cell footprints", imaging_plane=plane
    )
    for cell in range(n_cells):
        plane_segmentation.add_roi(pixel_mask=[(cell % 16 * 4, cell // 16 * 4, 1.0)])
    return segmentation


def write_camera_pulses(path: str | Path, frames: np.ndarray, times: np.ndarray) -> Path:
    """Write the camera's sync pulses as CSV: ``frame`` (saved video index), ``time`` (camera clock, s)."""
    path = Path(path)
    lines = ["frame,time", *(f"{frame},{time:.6f}" for frame, time in zip(frames, times, strict=True))]
    path.write_text("\n".join(lines) + "\n")
    return path


def write_frame_times(path: str | Path, camera_times: np.ndarray) -> Path:
    """Write the camera timestamps of the saved frames as a float64 ``.npy``."""
    path = Path(path)
    np.save(path, np.asarray(camera_times, dtype=np.float64), allow_pickle=False)
    return path

"""etholake: turn animal pose tracking into trustworthy, shareable behavior data.

The stable public functions are importable from the top level::

    import etholake

    pose = etholake.read_pose("video1DLC_resnet50.h5")
    labels = etholake.read_labels("video1_annot.txt", fps=30)
    video = etholake.probe_video("video1.mp4")
    features = etholake.compute_features(pose, spec="default")
    clock = etholake.fit_clock(camera_pulses, daq_pulses)
    movement_ds = etholake.to_movement(pose)

They are loaded on first use, so ``import etholake`` stays fast.
"""

from etholake.lazy_exports import lazy_exports

__version__ = "0.1.0"

_PUBLIC = {
    "read_pose": "etholake.io.pose",
    "detect_pose_format": "etholake.io.pose",
    "read_labels": "etholake.io.labels",
    "probe_video": "etholake.io.video",
    "read_calibration": "etholake.io.calibration",
    "export_pose": "etholake.io.export",
    "compute_features": "etholake.features",
    "fit_clock": "etholake.neural",
    "to_movement": "etholake.schema",
    "from_movement": "etholake.schema",
    "validate_pose": "etholake.schema",
    "validate_labels": "etholake.schema",
    "validate_video": "etholake.schema",
}

__all__ = ["__version__", *sorted(_PUBLIC)]
__getattr__ = lazy_exports(__name__, _PUBLIC)


def __dir__() -> list[str]:
    return __all__

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

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        "etholake.io.pose": ("read_pose", "detect_pose_format"),
        "etholake.io.labels": ("read_labels",),
        "etholake.io.video": ("probe_video",),
        "etholake.io.calibration": ("read_calibration",),
        "etholake.io.export": ("export_pose",),
        "etholake.features": ("compute_features",),
        "etholake.neural": ("fit_clock",),
        "etholake.schema": ("to_movement", "from_movement", "validate_pose", "validate_labels", "validate_video"),
    },
    defined_here=("__version__",),
)

"""Canonical xarray models of etholake's assets and their validators."""

from etholake.schema.calibration import CALIBRATION_SCHEMA, make_calibration_dataset, validate_calibration
from etholake.schema.labels import LABELS_SCHEMA, make_labels_dataset, validate_labels
from etholake.schema.movement import from_movement, to_movement
from etholake.schema.pose import CONFIDENCE_KINDS, POSE_SCHEMA, make_pose_dataset, validate_pose
from etholake.schema.video import VIDEO_SCHEMA, make_video_dataset, validate_video

__all__ = [
    "CALIBRATION_SCHEMA",
    "CONFIDENCE_KINDS",
    "LABELS_SCHEMA",
    "POSE_SCHEMA",
    "VIDEO_SCHEMA",
    "from_movement",
    "make_calibration_dataset",
    "make_labels_dataset",
    "make_pose_dataset",
    "make_video_dataset",
    "to_movement",
    "validate_calibration",
    "validate_labels",
    "validate_pose",
    "validate_video",
]

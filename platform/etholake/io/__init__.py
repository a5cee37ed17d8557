"""Readers and writers of external formats, one module per tool.

Pose: :func:`read_pose` reads DeepLabCut, SLEAP, LightningPose, NWB (ndx-pose),
sleap-anipose, DeepPoseKit, LEAP and SimBA files into the canonical pose
dataset; :func:`detect_pose_format` names a file's format from its content.
:func:`file_sha256` is the source-file hash the readers record, computed once per
unchanged file (so an ingest that hashes a file first and then reads it pays once);
:func:`start_sha256` starts it in a background thread, so a file is read while hashed.
"""

from etholake.io._files import file_sha256, start_sha256
from etholake.io.pose import (
    POSE_FORMATS,
    count_pose_frames,
    detect_pose_format,
    pose_extent,
    read_pose,
    stated_pose_fps,
)

__all__ = [
    "POSE_FORMATS",
    "count_pose_frames",
    "detect_pose_format",
    "file_sha256",
    "pose_extent",
    "read_pose",
    "start_sha256",
    "stated_pose_fps",
]

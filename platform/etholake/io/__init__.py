"""Readers and writers of external formats, one module per tool.

Pose: :func:`read_pose` reads DeepLabCut, SLEAP, LightningPose, NWB (ndx-pose),
sleap-anipose, DeepPoseKit, LEAP and SimBA files into the canonical pose
dataset; :func:`detect_pose_format` names a file's format from its content.
"""

from etholake.io.pose import POSE_FORMATS, detect_pose_format, read_pose

__all__ = ["POSE_FORMATS", "detect_pose_format", "read_pose"]

"""Render a session's video: the two mice as shapes on the arena floor.

Each animal is painted as discs along its spine (nose, neck, flanks, tail base), two
ears and a thin tail, at the true keypoint positions of every saved frame, so the
video matches the pose frame for frame. Painting is vectorized: each disc is a
precomputed pixel stencil added to its rounded centre for a whole block of frames.
The resident is dark (a C57BL/6 mouse), the intruder light; the resident is painted
last, so it is on top during a mount. Frames are encoded with H.264 by PyAV at the
lab's frame rate, one presentation timestamp per frame.
"""

from __future__ import annotations

from fractions import Fraction
from itertools import pairwise
from pathlib import Path

import av
import numpy as np

from etholake.sim.body import KEYPOINTS

FLOOR_RGB = (150, 146, 136)
OUTSIDE_RGB = (60, 60, 64)
ANIMAL_RGB = ((38, 36, 40), (232, 228, 222))
EAR_RGB = ((90, 70, 75), (226, 170, 170))
BLOCK_FRAMES = 256
SPINE_RADII_MM = {"nose": 4.0, "neck": 8.0, "flank_mid": 12.0, "tail_base": 8.0}
EAR_RADIUS_MM = 3.0
TAIL_RADIUS_MM = 1.5
SPINE_STEPS = 4
TAIL_STEPS = 14


def _stencil(radius_px: float) -> tuple[np.ndarray, np.ndarray]:
    extent = int(np.ceil(radius_px))
    dy, dx = np.mgrid[-extent : extent + 1, -extent : extent + 1]
    inside = dx**2 + dy**2 <= max(radius_px, 0.5) ** 2
    return dy[inside], dx[inside]


def _shape_points(keypoints: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Disc centres (frame, disc, space), radii in mm and part (0 body, 1 ear) of one animal."""
    index = {name: i for i, name in enumerate(KEYPOINTS)}
    flank_mid = (keypoints[:, index["left_flank"]] + keypoints[:, index["right_flank"]]) / 2.0
    spine = [keypoints[:, index["nose"]], keypoints[:, index["neck"]], flank_mid, keypoints[:, index["tail_base"]]]
    radii = list(SPINE_RADII_MM.values())
    fractions = np.linspace(0.0, 1.0, SPINE_STEPS, endpoint=False)
    centres, sizes = [], []
    for (start, stop), (r0, r1) in zip(pairwise(spine), pairwise(radii), strict=True):
        centres.append(start[:, None] + fractions[None, :, None] * (stop - start)[:, None])
        sizes.append(r0 + fractions * (r1 - r0))
    tail = np.linspace(0.0, 1.0, TAIL_STEPS)
    base, tip = keypoints[:, index["tail_base"]], keypoints[:, index["tail_tip"]]
    centres.append(base[:, None] + tail[None, :, None] * (tip - base)[:, None])
    sizes.append(np.full(TAIL_STEPS, TAIL_RADIUS_MM))
    centres.append(keypoints[:, [index["left_ear"], index["right_ear"]]])
    sizes.append(np.full(2, EAR_RADIUS_MM))
    radii_mm = np.concatenate(sizes)
    part = np.zeros(radii_mm.size, dtype=np.int64)
    part[-2:] = 1
    return np.concatenate(centres, axis=1), radii_mm, part


def _background(frame_size: tuple[int, int], bounds_px: list[float]) -> np.ndarray:
    width, height = frame_size
    image = np.empty((height, width, 3), dtype=np.uint8)
    image[:] = OUTSIDE_RGB
    xmin, ymin, xmax, ymax = (round(v) for v in bounds_px)
    image[max(ymin, 0) : min(ymax, height), max(xmin, 0) : min(xmax, width)] = FLOOR_RGB
    return image


def _paint(frames: np.ndarray, centres: np.ndarray, radii_px: np.ndarray, colours: np.ndarray) -> None:
    """Paint discs (frame, disc, space) into frames (frame, y, x, rgb) in disc order."""
    n_frames, height, width, _ = frames.shape
    frame_index = np.arange(n_frames)[:, None]
    rounded = np.rint(centres).astype(np.int64)
    for disc, radius in enumerate(radii_px):
        dy, dx = _stencil(radius)
        ys = rounded[:, disc, 1][:, None] + dy[None, :]
        xs = rounded[:, disc, 0][:, None] + dx[None, :]
        inside = (ys >= 0) & (ys < height) & (xs >= 0) & (xs < width)
        frames[np.broadcast_to(frame_index, ys.shape)[inside], ys[inside], xs[inside]] = colours[disc]


def render_frames(
    keypoints_px: np.ndarray, frame_size: tuple[int, int], bounds_px: list[float], px_per_mm: float
) -> np.ndarray:
    """Render frames (frame, y, x, rgb) uint8 from true keypoints (frame, individual, keypoint, space) in pixels."""
    background = _background(frame_size, bounds_px)
    frames = np.broadcast_to(background, (keypoints_px.shape[0], *background.shape)).copy()
    for individual in (1, 0):
        centres, radii_mm, part = _shape_points(keypoints_px[:, individual])
        colours = np.where(part[:, None] == 1, EAR_RGB[individual], ANIMAL_RGB[individual]).astype(np.uint8)
        body = part == 0
        _paint(frames, centres[:, body], radii_mm[body] * px_per_mm, colours[body])
        _paint(frames, centres[:, ~body], radii_mm[~body] * px_per_mm, colours[~body])
    return frames


def write_video(
    path: str | Path,
    keypoints_px: np.ndarray,
    *,
    fps: float,
    frame_size: tuple[int, int],
    bounds_px: list[float],
    px_per_mm: float,
) -> Path:
    """Render and encode a session's video (H.264 in MP4, yuv420p), one frame per pose row.

    Parameters
    ----------
    path
        Output ``.mp4``.
    keypoints_px
        (frame, individual, keypoint, space) true positions in pixels.
    fps
        Frame rate.
    frame_size
        Width and height (even numbers).
    bounds_px
        Arena bounds (xmin, ymin, xmax, ymax) in pixels.
    px_per_mm
        Scale, for the size of the animals.

    Returns
    -------
    pathlib.Path
    """
    path = Path(path)
    rate = Fraction(fps).limit_denominator(1001)
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream("libx264", rate=rate)
        stream.width, stream.height = frame_size
        stream.pix_fmt = "yuv420p"
        stream.codec_context.time_base = 1 / rate
        stream.options = {"preset": "ultrafast", "crf": "23", "threads": "1"}
        for start in range(0, keypoints_px.shape[0], BLOCK_FRAMES):
            block = render_frames(keypoints_px[start : start + BLOCK_FRAMES], frame_size, bounds_px, px_per_mm)
            for offset, image in enumerate(block):
                frame = av.VideoFrame.from_ndarray(image, format="rgb24")
                frame.pts = start + offset
                container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return path

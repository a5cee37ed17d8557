"""Behavioral features from pose: declarative feature sets, computed chunk-exactly on dask.

>>> from etholake.features import compute_features
>>> features = compute_features(pose, "default", px_per_mm=2.0)  # doctest: +SKIP

``compute_features(pose, spec="default", *, px_per_mm=None, arena_bounds_px=None)`` takes
a canonical pose dataset (numpy- or dask-backed, chunked along time) and returns
``features`` (time, feature) float32 with coords ``time``, ``frame``, ``feature``,
``feature_unit``, ``feature_window_ms``, ``feature_family`` and attrs ``feature_set``,
``feature_set_version``, ``feature_set_hash``, ``units_basis``. A dask input gives a lazy
result, computed chunk by chunk with a halo (``map_overlap`` style) and bitwise equal to
the unchunked result.

Units
-----
With a calibration (``px_per_mm`` argument or pose attribute) lengths are in mm, else in
px (``units_basis``). Times are in s from the ``time`` coordinate, windows are in ms and
converted with the session's fps, so features mean the same across cameras and frame
rates. Angles are radians in image axes (x right, y down). Missing data is NaN through
every feature, never 0.

Families (L = mm or px; ``aN`` = the N-th individual, ``aN>aM`` = N relative to M)
---------------------------------------------------------------------------------
=========== ================================================ ===================
family      features                                         unit
=========== ================================================ ===================
kinematics  ``aN.speed.<point>``, ``aN.accel.<point>``           L/s, L/s^2
body        ``aN.body_length``, ``aN.dist.<p>-<q>``,             L
            ``aN.dist_max|min|mean`` (all keypoint pairs)     L
            ``aN.hull_area`` (a real area), ``aN.hull_perimeter`` L^2, L
            ``aN.heading``, ``aN.angular_velocity``               rad, rad/s
            ``aN.bend.<a>-<b>-<c>`` (0 = straight)                rad
social      ``aN>aM.dist.<p>-<q>``, ``aN>aM.distance_rate``,     L, L/s
            ``aN>aM.approach_speed``                          L/s
            ``aN>aM.facing_angle``, ``aN>aM.relative_heading``   rad
            ``aN>aM.ego.<p>.x|y`` (M's point in N's body frame)  L
arena       ``aN.wall_distance.<point>`` (positive inside)       L
quality     ``aN|frame.confidence_mean``,                      1
            ``aN|frame.low_confidence.<c>``                    count
identity    ``all.<q>.min|max|mean`` over animals,             as <q>
            ``pair.<q>.min|max|mean`` over ordered pairs
scale-free  ``<name>.bl``: lengths / speeds in body lengths      body_length(/s)
windows     ``<name>.<stat>_<D>ms[_causal]``; stat = mean, std,  as <name>
            min, max, median, change; integral (mean x window  (integral: x s)
            duration, SimBA's Sum made frame-rate-free)
=========== ================================================ ===================

Details and edge rules are in each family's module (:mod:`.kinematics`, :mod:`.body`,
:mod:`.social`, :mod:`.arena`, :mod:`.quality`, :mod:`.identity`, :mod:`.windows`,
:mod:`.preprocess`). Social features need two animals; with more, every ordered pair is
computed and the ``pair.`` statistics run over all of them; with one animal, ``all.<q>`` is
its own value. Whole-session statistics
(SimBA's deviation from the video mean and percentile rank) are a separate, explicit
second pass: :func:`etholake.features.session.session_statistics`.

Writing a spec
--------------
A spec is JSON or YAML following ``schemas/featureset.v1.json``; built-ins are
``default`` (social behaviour: cleaned pose, symmetric and scale-free features,
tracking quality, centred context windows of 300 ms, 1 s, 4 s and 12 s), ``simba`` (SimBA's families, 654 features for 2
animals x 8 keypoints) and ``jaaba`` (per-animal per-frame features with JAABA-style
window features)::

    featureset_version: 1
    name: lab-x
    version: "1.0"
    roles: {nose: [nose, snout], tail_base: [tail_base, tailbase], centroid: [center]}
    preprocess:
      confidence_threshold: 0.2
      outliers: {k: 2.0, window_ms: 200, body_length_window_ms: 2000}
      interpolate_max_gap_ms: 300
      smooth: {method: median, window_ms: 100}      # or savgol with polyorder
    families:
      kinematics: {keypoints: [nose, centroid, tail_base], difference: central}
      body: {hull: true, angular_velocity: true, bends: [[tail_base, centroid, nose]]}
      social: {distances: [[nose, nose], [nose, tail_base]], egocentric: [nose]}
      quality: {thresholds: [0.5]}
    identity: {individual_features: false, symmetric_stats: [min, max]}
    scale_free: {select: ["pair.dist.*"], body_length_window_ms: 5000}
    windows:
      - {select: ["pair.*"], windows_ms: [200, 1000], stats: [mean, std, change]}
      - {select: ["all.speed.*"], windows_ms: [500], stats: [mean], alignment: causal}

Points are roles of the role map (the first listed keypoint name present in the pose
wins; case, ``-``, ``_`` and spaces are ignored) or keypoint names; ``"all"`` means every
keypoint (pair). So one spec serves labs whose keypoint names differ, and role-based
feature names are the same in every lab. A point that cannot be found gives NaN features
and a warning (the feature names stay the same). The spec's hash (sha256 of its
canonical JSON) is stored with the features.

Exactness and speed
-------------------
Every step is local in time: preprocessing, derivatives and windows need at most
``depth`` frames of context, so each dask chunk is extended by that halo and computed on
its own. Cumulative sums (window mean / std / integral) are anchored on a fixed grid of
absolute frames so their rounding does not depend on chunk boundaries; min / max come
from one sparse table of NaN-skipping extrema over runs of 2**k frames shared by every
window (about log2 of the longest window array passes in all), median from bottleneck's
O(n log w) moving median; everything is numpy-vectorised over time (no Python loop over
frames). Measured with ``bench/features.py`` (1,000,000 frames, 2 animals x 8 keypoints,
``simba`` set = 654 features, 32,768-frame chunks) on the project's 2-core machine:
263,000-287,000 frames/s in one process, 182,000-197,000 frames/s on one Dask worker
process and 318,000-373,000 on two (1.61-1.89 x one worker; SimBA 5.6.1: about 2,700
frames/s with 498 features; SimBA's recipe in pandas: 35,000-47,000 frames/s), peak
memory about 0.55 GB per worker process, set by the chunk size and not the session
length. Workers must not inherit distributed's ``MALLOC_TRIM_THRESHOLD_=65536`` (it
makes every large temporary a fresh mmap and the kernel 3-4x slower); etholake's local
cluster and the benchmark drop it.

Agreement with SimBA (rat video 24, ``tests/features/test_simba_parity.py``)
-------------------------------------------------------------------------
Between-animal distances, their rolling means, per-keypoint movement, its per-animal
sum / mean / min / max and rolling sums agree with SimBA 5.6.1 within 1e-5 relative
(2e-4 mm absolute, from float32 positions). Differences by design:

* SimBA's user-defined extractor computes windows of fps / (2, 5, 6, 7.5, 15) frames and
  then uses int(2, 5, 6, 7.5, 15) frames instead, at every frame rate; its 16-body-part
  extractor's windows are also frame counts. Ours are ms, converted per session.
* SimBA's ``Movement`` is mm per frame (its value doubles when fps halves); ours is speed
  in mm/s. Its rolling ``Sum`` adds per-frame values; our ``integral`` is the window mean
  times the window's duration (= SimBA's Sum of movement, = its Sum of distances / fps).
* ``hull_area`` here is the hull's area (L^2) and ``hull_perimeter`` its perimeter.
* SimBA's 16-body-part extractor computes ``Movement_mouse_1_tail_end`` (and mouse 2)
  by passing (x_prev, y_prev, x, y) to its distance(x1, x2, y1, y2): x and y are swapped,
  so the value is sqrt((x_prev - y_prev)^2 + (x - y)^2), not a movement. Our
  ``aN.speed.tail_end`` is the tail end's real speed.
* SimBA's ``Mouse_1_poly_area`` is its jitted hull with target PERIMETER: a perimeter
  named area.
* SimBA fills missing values with 0 before computing (so a lost keypoint "moves" to the
  image origin); ours stay NaN. Its first frame's movement is measured from (0, 0); ours
  is NaN.
* SimBA's outlier correction uses the whole video's mean body length and copies the
  previous frame over outliers (a sequential rule); ours uses a windowed median body
  length and sets outliers to NaN (then interpolation may fill them).
* SimBA counts low-probability detections on interpolated, zero-filled confidences;
  ours counts raw confidences below the threshold plus missing points.
"""

from etholake.features.engine import compute_features, compute_segment, features_to_dataset, make_plan
from etholake.features.session import session_statistics
from etholake.features.spec import FeatureSetSpec, builtin_spec_names, load_spec, spec_hash

FEATURE_CODE_VERSION = 2
"""Version of the code that turns a spec into values: raised with every change that alters a value
any spec computes (version 2: one animal's ``all.*`` features, times from the fps, arena bounds of
poses in mm). Stored features of an older version are stale: the lake recomputes them, and
annotations made from them are reprocessed."""

__all__ = [
    "FEATURE_CODE_VERSION",
    "FeatureSetSpec",
    "builtin_spec_names",
    "compute_features",
    "compute_segment",
    "features_to_dataset",
    "load_spec",
    "make_plan",
    "session_statistics",
    "spec_hash",
]

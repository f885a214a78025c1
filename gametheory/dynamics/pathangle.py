"""Path-angle and path-norm (Berard et al., eq. (7) and App. C.3): the one core of both layers.

Along the line ``omega_alpha = alpha omega' + (1 - alpha) omega`` from a start ``omega`` to an
end ``omega'`` (alpha in [a, b], b > 1 extrapolates past the end point):
``c(alpha) = <omega' - omega, -v_alpha> / (||omega' - omega|| ||v_alpha||)``, the cosine between
the path and the direction the dynamics moves (-v, descent convention), and ``||v_alpha||``.
Where ``v_alpha = 0`` exactly, c is undefined and reported as NaN.

Orientation: that of the paper's Figures 2-3 and its published code. Pure attraction to the
end point gives ``c = +1`` before it and ``-1`` past it (the sign switch); rotation gives c
near 0 away from the point and a bump near alpha = 1. (Eq. (7) as printed, with v itself,
has the opposite sign.) Several end points near the stationary point give the median and
interquartile range (C.3).

This module holds the cosine, the quartile summary over end states and the JSON document
(``PathAngle.to_dict``); the symbolic layer evaluates its field with numpy here
(``path_angle``), the neural layer evaluates the field with torch and builds its result on
``PathAngle`` (``neural.analysis.path_angle``).
"""
from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


def cosine(inner, field_norm, direction_norm: float) -> np.ndarray:
    """``c = <omega' - omega, -v> / (||omega' - omega|| ||v||)`` from its parts: the inner
    products ``<omega' - omega, v_alpha>`` (with v itself) and norms ``||v_alpha||`` per alpha;
    NaN where ``v_alpha = 0``."""
    inner, field_norm = np.asarray(inner, float), np.asarray(field_norm, float)
    with np.errstate(invalid="ignore", divide="ignore"):
        values = -inner / (direction_norm * field_norm)
    return np.where(field_norm > 0, values, np.nan)


def quartiles(values, ignore_nan: bool = False) -> np.ndarray:
    """25th percentile, median and 75th percentile over end states (axis 0 of ``values``,
    shape (ends, alpha points)), shape (3, alpha points). ``ignore_nan``: NaN entries (an
    undefined cosine) are left out, and a column of NaN only gives NaN."""
    values = np.asarray(values, float)
    if not ignore_nan:
        return np.percentile(values, [25, 50, 75], axis=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # an all-NaN column: NaN, said by the value
        return np.nanpercentile(values, [25, 50, 75], axis=0)


def summary(values, ignore_nan: bool = False) -> dict:
    """``{"median", "q25", "q75"}`` over end states, per alpha (``quartiles``), as lists."""
    q25, median, q75 = quartiles(values, ignore_nan)
    return {"median": median.tolist(), "q25": q25.tolist(), "q75": q75.tolist()}


@dataclass(frozen=True)
class PathAngleSpread:
    """Median and quartiles of c(alpha) and ||v(alpha)|| over several end points (App. C.3)."""

    alphas: np.ndarray
    cosine: np.ndarray  # (3, k): 25th percentile, median, 75th percentile
    norm: np.ndarray  # (3, k)
    count: int

    @property
    def median(self) -> np.ndarray:
        return self.cosine[1]


@dataclass(frozen=True, eq=False)
class PathAngle:
    """c(alpha) and ||v(alpha)|| on the paths from one start to each end state; arrays are
    (end states, alpha points).

    JSON (``to_dict``): ``alphas``, ``ends`` (the number of end states), and ``cosine`` and
    ``path_norm`` each as ``{"median", "q25", "q75", "per_end"}`` (quartiles over end states per
    alpha, then the rows themselves; an undefined cosine is NaN, left out of its quartiles).
    """

    alphas: np.ndarray
    cosine: np.ndarray
    path_norm: np.ndarray

    @property
    def ends(self) -> int:
        return self.cosine.shape[0]

    def spread(self) -> PathAngleSpread:
        return PathAngleSpread(self.alphas, quartiles(self.cosine, ignore_nan=True),
                               quartiles(self.path_norm), self.ends)

    def to_dict(self) -> dict:
        return {
            "alphas": self.alphas.tolist(),
            "ends": self.ends,
            "cosine": {**summary(self.cosine, ignore_nan=True), "per_end": self.cosine.tolist()},
            "path_norm": {**summary(self.path_norm), "per_end": self.path_norm.tolist()},
        }


def path_angle(field: Callable[[np.ndarray], np.ndarray], start, ends, alphas) -> PathAngle:
    """Eq. (7) from ``start`` to each of ``ends`` (one end point, or one per row), with
    ``field`` vectorised over columns (:func:`gametheory.dynamics.methods.numeric_field`)."""
    start, alphas = np.asarray(start, float), np.asarray(alphas, float)
    cosines, norms = [], []
    for end in np.atleast_2d(np.asarray(ends, float)):
        direction = end - start
        values = field(start[:, None] + alphas[None, :] * direction[:, None])
        norm = np.linalg.norm(values, axis=0)
        cosines.append(cosine(direction @ values, norm, np.linalg.norm(direction)))
        norms.append(norm)
    return PathAngle(alphas, np.array(cosines), np.array(norms))


def path_angle_spread(field: Callable[[np.ndarray], np.ndarray], start, ends, alphas) -> PathAngleSpread:
    """Path-angle from one start to each end point; per alpha the quartiles over end points."""
    return path_angle(field, start, ends, alphas).spread()


def ends_near(point, count: int, radius: float, seed: int = 0, spread: float = 0.3) -> np.ndarray:
    """``count`` end points standing in for the paper's close-by late-training iterates: a
    cluster around ``point + radius u`` (u a seeded random unit direction) with jitter of size
    ``spread * radius``. They lie on one side of the point, as iterates of one late phase do;
    end points on all sides would average the rotation bump (c = +-1) away in the median."""
    point = np.asarray(point, float)
    rng = np.random.default_rng(seed)
    u = rng.normal(size=point.size)
    jitter = rng.normal(size=(count, point.size))
    return point + radius * (u / np.linalg.norm(u) + spread * jitter / np.sqrt(point.size))

"""Path-angle and path-norm (Berard et al., eq. (7) and App. C.3) on small games.

Along the line ``omega_alpha = alpha omega' + (1 - alpha) omega`` from a start ``omega`` to an
end ``omega'`` (alpha in [a, b], b > 1 extrapolates past the end point):
``c(alpha) = <omega' - omega, v_alpha> / (||omega' - omega|| ||v_alpha||)`` and ``||v_alpha||``.

Sign: v is the game gradient (descent convention), so near an attracting point v points away
from it and pure attraction gives ``c = -1`` before the point and ``+1`` past it. The paper's
text describes the opposite signs (the angle with the update direction -v); the signatures,
a sign switch near alpha = 1 for attraction and a bump for rotation, are the same.
Several end points near the stationary point give the median and interquartile range (C.3).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class PathAngle:
    """c(alpha) and ||v(alpha)|| on one path."""

    alphas: np.ndarray
    cosine: np.ndarray
    norm: np.ndarray

    def to_dict(self) -> dict:
        return {"alpha": self.alphas.tolist(), "path_angle": self.cosine.tolist(), "path_norm": self.norm.tolist()}


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

    def to_dict(self) -> dict:
        return {"alpha": self.alphas.tolist(), "count": self.count,
                "path_angle": {"q25": self.cosine[0].tolist(), "median": self.cosine[1].tolist(),
                               "q75": self.cosine[2].tolist()},
                "path_norm": {"q25": self.norm[0].tolist(), "median": self.norm[1].tolist(),
                              "q75": self.norm[2].tolist()}}


def path_angle(field: Callable[[np.ndarray], np.ndarray], start, end, alphas) -> PathAngle:
    """Eq. (7) with ``field`` vectorised over columns (:func:`gametheory.dynamics.methods.numeric_field`).
    Where ``v_alpha = 0`` exactly, c is undefined and reported as NaN."""
    start, end, alphas = np.asarray(start, float), np.asarray(end, float), np.asarray(alphas, float)
    direction = end - start
    states = start[:, None] + alphas[None, :] * direction[:, None]
    values = field(states)
    norm = np.linalg.norm(values, axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        cosine = direction @ values / (np.linalg.norm(direction) * norm)
    return PathAngle(alphas, np.where(norm > 0, cosine, np.nan), norm)


def path_angle_spread(field: Callable[[np.ndarray], np.ndarray], start, ends, alphas) -> PathAngleSpread:
    """Path-angle from one start to each end point; per alpha the quartiles over end points."""
    runs = [path_angle(field, start, end, alphas) for end in ends]
    cos = np.nanpercentile(np.stack([r.cosine for r in runs]), [25, 50, 75], axis=0)
    norm = np.percentile(np.stack([r.norm for r in runs]), [25, 50, 75], axis=0)
    return PathAngleSpread(np.asarray(alphas, float), cos, norm, len(runs))


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

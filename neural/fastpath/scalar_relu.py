"""The activation pattern of a ReLU layer with a scalar input, without forming it.

Unit j of ``relu(a_j s + b_j)`` is active at the sample s iff ``a_j s + b_j > 0``: iff s > t_j
(a_j > 0), s < t_j (a_j < 0) or b_j > 0 (a_j = 0), with the threshold t_j = -b_j / a_j. With
the thresholds sorted once, the 0/1 matrix ``K[i, j] = [unit j active at s_i]`` (M samples x H
units) acts through prefix sums looked up at each sample's rank among the thresholds:

    K f    (per sample, the sum of f over its active units)            O(M + H log H)
    K^T g  (per unit, the sum of g over the samples it is active at)   O(M + H log H)

after locating the samples among the thresholds (one sort of the samples, O(M log M)), instead
of O(M H) for the dense mask. Host-side float64 numpy throughout (these are O(M) vector
operations, where numpy's per-call cost is a fraction of torch's). Thresholds and samples are
compared in float64, i.e. the exact activation pattern of the weights; a float32 evaluation of
``a_j s + b_j > 0`` can differ from it only within rounding of a unit's boundary.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class SamplePositions:
    """Each sample's count of rising thresholds below it (#{t < s}) and of falling ones at or
    below it (#{t <= s})."""

    rising: np.ndarray
    falling: np.ndarray

    @staticmethod
    def cat(parts: list[SamplePositions]) -> SamplePositions:
        return SamplePositions(np.concatenate([p.rising for p in parts]),
                               np.concatenate([p.falling for p in parts]))


class ReLUThresholds:
    """The units ``relu(a_j s + b_j)`` of a layer with scalar input (a, b: float arrays (H,)),
    sorted by threshold."""

    def __init__(self, a: np.ndarray, b: np.ndarray):
        a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
        self.units = len(a)
        with np.errstate(divide="ignore", invalid="ignore"):
            threshold = -b / a
        rising, falling = np.flatnonzero(a > 0), np.flatnonzero(a < 0)
        self.rising = rising[np.argsort(threshold[rising], kind="stable")]
        self.falling = falling[np.argsort(threshold[falling], kind="stable")]
        self.t_rising, self.t_falling = threshold[self.rising], threshold[self.falling]
        self.always = np.flatnonzero((a == 0) & (b > 0))

    def locate(self, samples: np.ndarray, order: np.ndarray | None = None) -> SamplePositions:
        """Positions of the samples (M,) among the thresholds, by sorting the samples (``order``:
        their argsort, if known) and counting the thresholds below each rank; faster than a
        binary search per sample."""
        order = np.argsort(samples) if order is None else order
        ranked = samples[order]

        def positions(thresholds: np.ndarray, side: str) -> np.ndarray:
            first = np.searchsorted(ranked, thresholds, side=side)  # rank k is past t iff k >= first
            below = np.bincount(first, minlength=len(ranked) + 1).cumsum()[:-1]
            out = np.empty_like(below)
            out[order] = below
            return out

        return SamplePositions(positions(self.t_rising, "right"), positions(self.t_falling, "left"))

    def rows(self, at: SamplePositions, f: np.ndarray) -> np.ndarray:
        """``K f^T``: for f (k, H), the (k, M) sums of f over each sample's active units."""
        k = len(f)
        rising = np.zeros((k, len(self.rising) + 1))
        np.cumsum(f[:, self.rising], axis=1, out=rising[:, 1:])
        falling = np.zeros((k, len(self.falling) + 1))
        np.cumsum(f[:, self.falling], axis=1, out=falling[:, 1:])
        out = np.take(rising, at.rising, axis=1)
        out += falling[:, -1:] + f[:, self.always].sum(1, keepdims=True)
        out -= np.take(falling, at.falling, axis=1)
        return out

    def cols(self, at: SamplePositions, g: np.ndarray) -> np.ndarray:
        """``g K``: for g (k, M), the (k, H) sums of g over the samples each unit is active at."""
        out = np.zeros((len(g), self.units))  # units never active (a = 0, b <= 0) stay 0
        n_rising, n_falling = len(self.rising) + 1, len(self.falling) + 1
        for row, weights in zip(out, g):
            total = weights.sum()
            # rising unit of rank r: active at the samples with more than r thresholds below
            below = np.bincount(at.rising, weights=weights, minlength=n_rising).cumsum()
            row[self.rising] = total - below[:-1]
            # falling unit of rank r: active at the samples with at most r thresholds at or below
            row[self.falling] = np.bincount(at.falling, weights=weights,
                                            minlength=n_falling).cumsum()[:-1]
            row[self.always] = total
        return out

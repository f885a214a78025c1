"""The landscape over training: ``classify_state`` at every K-th checkpoint of a run.

Tracked are the checkpoints whose iteration is a multiple of K, and always the first and the
last one. Each is analysed at the point ``at`` (``neural.targets``) and classified by
``classify_state`` with the options of the end point's classification (same solvers, same
budgets); a row keeps the gradient norm ``||v||``,
the leftmost eigenvalue of J with its residual, the largest ``|Im l / Re l|`` over the computed
eigenvalues of J, and each player's smallest Hessian eigenvalue. Re of the leftmost eigenvalue
turning positive marks where the linearisation becomes stable (an LSSP once ``v = 0``); a
player's negative smallest eigenvalue: not a minimum of its own loss (the generator's saddle).
"""
from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from gametheory.errors import OptionError
from neural.analysis.classify import NeuralClassification, classify_state
from neural.game import NeuralGame


def check_every(every: int) -> int:
    """``every`` if it is a positive integer, else the one-line error."""
    if isinstance(every, bool) or not isinstance(every, int) or every < 1:
        raise OptionError(f"--every must be a positive integer, got {every}")
    return every


def tracked_checkpoints(found: Sequence[tuple[int, Path]], every: int) -> list[tuple[int, Path]]:
    """The ``(iteration, path)`` of ``found`` (by iteration) whose iteration is a multiple of
    ``every``, with the first and the last always included."""
    check_every(every)
    last = len(found) - 1
    return [pair for j, pair in enumerate(found) if j in (0, last) or pair[0] % every == 0]


@dataclass(frozen=True)
class TimelineRow:
    """What one tracked checkpoint's classification says about the landscape there."""

    iteration: int
    grad_norm: float
    leftmost: complex
    residual: float
    max_rotation_ratio: float  # inf when an eigenvalue is (numerically) on the imaginary axis
    player_min_eigenvalues: dict[str, float]

    @classmethod
    def of(cls, iteration: int, c: NeuralClassification) -> "TimelineRow":
        return cls(iteration, c.grad_norm, c.leftmost_eigenvalue,
                   c.leftmost.residuals[0] if c.leftmost.residuals else math.nan,
                   c.max_rotation_ratio, {p.name: p.min_eigenvalue for p in c.players})

    def to_dict(self) -> dict:
        """``max_rotation_ratio`` is null when unbounded, as in ``neural classify``."""
        return {"iteration": self.iteration, "grad_norm": self.grad_norm,
                "leftmost": [self.leftmost.real, self.leftmost.imag], "residual": self.residual,
                "max_rotation_ratio": None if math.isinf(self.max_rotation_ratio) else self.max_rotation_ratio,
                "player_min_eigenvalues": dict(self.player_min_eigenvalues)}


@dataclass(frozen=True)
class Timeline:
    """The tracked checkpoints' rows, in iteration order, and how they were chosen."""

    every: int
    rows: tuple[TimelineRow, ...]

    @property
    def iterations(self) -> list[int]:
        return [row.iteration for row in self.rows]

    @property
    def stable_from(self) -> int | None:
        """The first tracked iteration from which the leftmost real part stays above its
        residual up to the last checkpoint (None if it is not above at the last)."""
        first = None
        for row in self.rows:
            first = (first if first is not None else row.iteration) if row.leftmost.real > row.residual else None
        return first

    def to_dict(self) -> list[dict]:
        return [row.to_dict() for row in self.rows]


def track(game: NeuralGame, checkpoints: Sequence[tuple[int, Path]], every: int,
          state_at: Callable[[Path], object], *, known: Mapping[int, NeuralClassification] | None = None,
          progress: Callable[[str], None] | None = None, **classify_options) -> Timeline:
    """Classify ``game`` at each tracked checkpoint (:func:`tracked_checkpoints`);
    ``state_at(path)``: the checkpoint's state at the chosen point; ``known``: classifications
    already made with the same options, by iteration (not recomputed); ``progress``: told
    ``timeline <iteration>`` as each checkpoint starts; ``classify_options`` go to
    :func:`classify_state`."""
    known = known or {}
    rows = []
    for iteration, path in tracked_checkpoints(checkpoints, every):
        if progress:
            progress(f"timeline {iteration}")
        classification = known.get(iteration) or classify_state(game, state_at(path), **classify_options)
        rows.append(TimelineRow.of(iteration, classification))
    return Timeline(every, tuple(rows))

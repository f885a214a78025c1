"""Finite-difference Jacobians of training methods' update maps, the independent check of the
exact update Jacobians."""
from __future__ import annotations

import numpy as np

from gametheory.dynamics.methods import Field


def finite_difference(method, game, omega, eps: float = 1e-6) -> np.ndarray:
    """Central differences of ``method.step`` at the state holding ``omega``, one column per
    coordinate of the (possibly augmented) state."""
    field = Field.of_game(game)
    z0 = method.initial_state(np.asarray(omega, float))
    cols = []
    for k in range(z0.size):
        e = np.zeros(z0.size)
        e[k] = eps
        cols.append((method.step(field, z0 + e) - method.step(field, z0 - e)) / (2 * eps))
    return np.column_stack(cols)

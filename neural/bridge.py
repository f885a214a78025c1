"""Compile a symbolic ``gametheory.Game`` to a ``NeuralGame`` (sympy -> torch via lambdify).

Each player becomes a ``ParameterPlayer`` holding its parameter vector; each loss is lambdified
once with torch functions. Same convention on both sides (every player minimises its loss, omega
in player order), so the neural operators of the compiled game reproduce the symbolic vector
field and Jacobian: this is how the numeric machinery is checked against exact results.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import sympy as sp
import torch

from gametheory import Game
from gametheory.errors import PointError
from neural.game import NeuralGame


def _numeric_constants(expr: sp.Expr) -> sp.Expr:
    """Replace constant subexpressions such as ``sqrt(2)`` or ``log(3)`` by floats: torch
    functions accept tensors, not Python numbers."""
    return expr.replace(lambda e: e.is_number and not e.is_Atom, lambda e: sp.Float(sp.N(e, 20)))


def point_vector(game: Game, point: Mapping[sp.Symbol, object] | Sequence[float]) -> list[float]:
    """A point as floats in omega's order (``{symbol: value}`` or a sequence of values)."""
    if isinstance(point, Mapping):
        missing = [s.name for s in game.params if s not in point]
        if missing:
            raise PointError(f"point is missing parameter(s): {', '.join(missing)}")
        values = [point[s] for s in game.params]
    else:
        values = list(point)
        if len(values) != len(game.params):
            raise PointError(f"point has {len(values)} values, the game {len(game.params)} parameters")
    try:
        return [float(sp.N(v)) if isinstance(v, sp.Basic) else float(v) for v in values]
    except TypeError as error:
        raise PointError(f"point values must be real numbers ({error})") from None


def compile_game(game: Game, point: Mapping[sp.Symbol, object] | Sequence[float] | None = None, *,
                 constants: Mapping[sp.Symbol, object] | None = None,
                 device: torch.device | str | None = None,
                 dtype: torch.dtype = torch.float64) -> NeuralGame:
    """The neural game of ``game`` at ``point`` (default: all parameters 0), constants
    substituted (``constants`` override the defaults). No data: one empty evaluation batch."""
    if game.constants or constants:
        game = game.with_constants(constants)
    params = game.params
    losses = {p.name: sp.lambdify(params, _numeric_constants(p.loss), modules="torch")
              for p in game.players}
    values = point_vector(game, point) if point is not None else [0.0] * len(params)
    tensors = {player.name: torch.tensor(values[part], dtype=dtype, device=device)
               for player, part in zip(game.players, game.slices)}
    names = [p.name for p in game.players]

    def loss(players, batch):
        omega = torch.cat([players[name]() for name in names])
        args = omega.unbind()
        return {name: torch.as_tensor(fn(*args), dtype=omega.dtype, device=omega.device)
                for name, fn in losses.items()}

    return NeuralGame(tensors, loss, [None], device=device, dtype=dtype)

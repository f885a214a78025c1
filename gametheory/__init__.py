"""gametheory: exact analysis of small differentiable games written with sympy.

Convention (see docs/design.md): every player minimises its own loss; ``v`` stacks each player's
gradient of its own loss; LSSP means every eigenvalue of ``J = grad v`` has Re > 0; DNE means
every player's Hessian of its own loss is positive definite.

>>> from gametheory import zoo, classify_game
>>> report = classify_game(zoo.get("example1"))
>>> [(p.stability, p.dne) for p in report.points]
[('LSSP', False), ('unstable', False)]
"""
from __future__ import annotations

from pathlib import Path

from . import zoo
from .analysis.classify import GameReport, PointReport, classify_game, classify_point
from .errors import GameError
from .game import Game, Player
from .gamefile import load_game
from .parsing import parse_expression, parse_point
from .analysis.stationary import stationary_points
from .render.latex import register as _register_notebook_display

__all__ = [
    "Game", "Player", "GameError", "GameReport", "PointReport", "classify_game", "classify_point",
    "load_game", "parse_expression", "parse_point", "resolve_game", "stationary_points", "zoo",
]

_register_notebook_display()


def resolve_game(name_or_path: str) -> Game:
    """A built-in game by name, or a game file (``*.toml``) by path."""
    if name_or_path.endswith(".toml") or Path(name_or_path).is_file():
        return load_game(name_or_path)
    return zoo.get(name_or_path)

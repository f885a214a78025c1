"""From the ``plot`` command's options, as typed, to a figure: each figure kind takes only its
own options (:mod:`gametheory.render.plots` draws it). Every bad value is a one-line
:class:`~gametheory.errors.OptionError`.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import sympy as sp

from ..dynamics.requests import build_method
from ..dynamics.simulate import parse_start
from ..errors import OptionError
from ..game import Game
from ..parsing import parse_assignments
from . import plots

MAX_GRID = 400
MAX_TRAJECTORIES = 1000


def parse_pair(text: str | None, what: str) -> tuple[float, float] | None:
    """``LO,HI`` as two floats (None stays None).

    >>> parse_pair("0,1.5", "--alpha")
    (0.0, 1.5)
    """
    if text is None:
        return None
    try:
        lo, hi = (float(x) for x in text.split(","))
    except ValueError:
        raise OptionError(f"{what} must be two numbers LO,HI, got {text!r}") from None
    return lo, hi


#: The ``radius`` figure's methods: one curve per method, momentum and consensus included.
RADIUS_METHODS = "simgd,altgd,eg,ogd,momentum,consensus"
#: Momentum's beta and consensus' gamma in the ``radius`` figure unless --beta / --gamma say otherwise.
RADIUS_BETA, RADIUS_GAMMA = "1/2", "1"


def radius_methods(methods: str, game: Game, ratio: str = "1", beta: str | None = None,
                   gamma: str | None = None) -> list:
    """The comma-separated methods of the ``radius`` figure; ``beta`` (default 1/2) goes to
    momentum and ``gamma`` (default 1) to consensus, each added when it is given but not listed."""
    names = [m.strip().lower() for m in methods.split(",") if m.strip()]
    if beta is not None and "momentum" not in names:
        names.append("momentum")
    if gamma is not None and "consensus" not in names:
        names.append("consensus")
    beta, gamma = beta or RADIUS_BETA, gamma or RADIUS_GAMMA
    return [build_method(name, None, ratio, beta if name == "momentum" else None,
                         gamma if name == "consensus" else None, None, game) for name in names]


def plot_request(kind: str, game: Game, output: str | Path, *, constants: Mapping[sp.Symbol, object] | None = None,
                 point: Mapping[sp.Symbol, sp.Expr] | None = None, x: str | None = None, y: str | None = None,
                 fix: Sequence[str] = (), xlim: str | None = None, ylim: str | None = None, grid: int = 30,
                 trajectories: int = 10, player: str | None = None, method: str = "simgd",
                 methods: str = RADIUS_METHODS, h: str | None = None, h_max: float | None = None,
                 ratio: str = "1", beta: str | None = None, gamma: str | None = None,
                 start: Sequence[str] | None = None, alpha: str = "0,1.5", ends: int = 20, seed: int = 0) -> Path:
    """Draw figure ``kind`` (``plots.KINDS``) of ``game`` around ``point`` (default: the first
    LSSP) into ``output``, passing each kind its own options; returns the file written."""
    fixed = {s.name: float(v) for s, v in parse_assignments(fix or [], {s.name: s for s in game.params},
                                                            "--fix").items()}
    kind = kind.lower()
    if not 2 <= grid <= MAX_GRID:
        raise OptionError(f"--grid must be between 2 and {MAX_GRID}, got {grid}")
    if not 0 <= trajectories <= MAX_TRAJECTORIES or seed < 0:
        raise OptionError(f"--trajectories must be between 0 and {MAX_TRAJECTORIES} and --seed non-negative")
    if kind == "portrait":
        options = dict(x=x, y=y, fixed=fixed, xlim=parse_pair(xlim, "--xlim"), ylim=parse_pair(ylim, "--ylim"),
                       grid=grid, trajectories=trajectories, seed=seed)
    elif kind == "landscape":
        options = dict(player=player, fixed=fixed, axes=[a for a in (x, y) if a] or None)
    elif kind == "eigs":
        options = dict(method=build_method(method, h, ratio, beta, gamma, None, game))
    elif kind == "radius":
        options = dict(methods=radius_methods(methods, game, ratio, beta, gamma), h_max=h_max)
    elif kind == "path-angle":
        if ends < 1:
            raise OptionError(f"--ends must be positive, got {ends}")
        options = dict(start=parse_start(start, game) if start else None, alphas=parse_pair(alpha, "--alpha"),
                       ends=ends, seed=seed)
    else:
        raise OptionError(f"unknown figure {kind!r} (figures: {', '.join(plots.KINDS)})")
    return plots.plot(kind, game, output, constants=constants, point=point, **options)

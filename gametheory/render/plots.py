"""Recipes: from a game and a few options to a figure. Each recipe picks sensible defaults
(the first LSSP, or else the first stationary point; the paper's slices), computes with the
algorithm modules and hands the results to :mod:`gametheory.render.figures`; it returns the
``Figure`` (written to ``path`` when given; one-panel figures draw into ``ax`` when given).
:func:`plot` picks the point and writes the file.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import sympy as sp

from . import figures
from ..analysis.classify import PointReport, classify_game
from ..dynamics.convergence import analyse_steps, eigenvalue_radius_map, radius_curve
from ..errors import OptionError, PointError
from ..dynamics.simulate import landscape, portrait
from ..game import Game
from ..dynamics.methods import Method, numeric_field, update_jacobian
from ..dynamics.pathangle import ends_near, path_angle_spread

KINDS = ("portrait", "landscape", "eigs", "radius", "path-angle")


def reference_point(game: Game, constants=None, point=None) -> tuple[Game, PointReport]:
    """The game with constants substituted (named with their values) and the point to draw
    around: ``point`` if given (it must be stationary), else the first LSSP, else the first
    stationary point."""
    report = classify_game(game, constants, point)
    if not report.points:
        raise PointError(f"{game.name} has no isolated stationary point to draw around: give one with --point")
    chosen = next((p for p in report.points if p.lssp), report.points[0])
    if not chosen.stationary:
        raise PointError(f"the point is not stationary (||v|| = {chosen.residual:.3g}); this figure needs a stationary point")
    played = report.game
    if report.constants:  # titles name the game with its constants' values
        played.name = f"{played.name} [{', '.join(f'{s.name}={sp.sstr(v)}' for s, v in report.constants.items())}]"
    return played, chosen


def _floats(p: PointReport) -> dict[str, float]:
    return {s.name: float(sp.N(v, 30)) for s, v in zip(p.params, p.values)}


def _window(value: float, given: tuple[float, float] | None, half: float = 1.0) -> tuple[float, float]:
    if given is None:
        return value - half, value + half
    lo, hi = given
    if not lo < hi:
        raise OptionError(f"a plot range must have lo < hi, got {lo}, {hi}")
    return lo, hi


def plot_portrait(game: Game, point: PointReport, path=None, x: str | None = None, y: str | None = None,
                  fixed: Mapping[str, float] | None = None, xlim=None, ylim=None, grid: int = 30,
                  trajectories: int = 10, seed: int = 0, t_max: float = 30.0, ax=None):
    """Fig. 1a: default axes are the first parameter of the last player (x) and of the first
    player (y), other coordinates at the point (Example 1: phi, theta1 on theta2 = 1)."""
    centre = _floats(point)
    x = x or game.players[-1].params[0].name
    y = y or game.players[0].params[0].name
    values = {**{k: v for k, v in centre.items() if k not in (x, y)}, **(fixed or {})}
    if grid < 2 or trajectories < 0:
        raise OptionError("--grid must be >= 2 and --trajectories >= 0")
    if x not in centre or y not in centre:
        bad = x if x not in centre else y
        raise OptionError(f"slice axis {bad!r} is not a parameter (parameters: {', '.join(centre)})")
    data = portrait(game, x, y, values, _window(centre[x], xlim), _window(centre[y], ylim), grid, trajectories,
                    t_max, seed, points=[centre])
    return figures.portrait(data, path, ax=ax)


def plot_landscape(game: Game, point: PointReport, path=None, player: str | None = None,
                   axes: Sequence[str] | None = None, fixed: Mapping[str, float] | None = None,
                   half_width: float = 1.0, ax=None):
    """Fig. 1b: the first player's loss (default) around the point, others fixed there."""
    centre = {**_floats(point), **(fixed or {})}
    data = landscape(game, player or game.players[0].name, centre, axes, half_width)
    return figures.landscape(data, path, ax=ax)


def plot_eigs(game: Game, point: PointReport, method: Method, path=None):
    """J's eigenvalues with the method's stable region at its step size (default: the optimal
    step size, else 0.1), and the update map's eigenvalues against the unit circle."""
    if method.h is None:
        analysis = analyse_steps(method, point.jacobian, game.slices)
        method = method.with_step(analysis.optimal_step_size or 0.1)
    h = float(method.h)
    j = np.array(point.jacobian.evalf(30).tolist(), dtype=float)
    values = np.linalg.eigvals(j)
    update = np.linalg.eigvals(update_jacobian(method.with_step(h), j, game.slices))
    span = 1.3 * max(float(np.abs(values).max()), 1e-3)
    re = np.linspace(-0.6 * span, 1.4 * span, 300)
    im = np.linspace(-span, span, 300)
    rho = eigenvalue_radius_map(method.with_step(h), re, im)
    label = ", ".join(f"{k}={v:g}" for k, v in _floats(point).items())
    return figures.eigs(values, update, method.label, h, (re, im), rho, f"{game.name} at ({label})", path)


def plot_radius(game: Game, point: PointReport, methods: Sequence[Method], path=None, h_max: float | None = None,
                samples: int = 400, ax=None):
    """Spectral radius against h for each method, with each method's optimum."""
    if not methods:
        raise OptionError("give at least one method")
    analyses = {m.label: analyse_steps(m, point.jacobian, game.slices) for m in methods}
    if h_max is None:
        ends = [a.stable_interval[1] for a in analyses.values() if a.stable_interval]
        norm = float(np.linalg.norm(np.array(point.jacobian.evalf(30).tolist(), dtype=float), 2)) or 1.0
        h_max = 1.25 * max(ends) if ends else 2.0 / norm
    if h_max <= 0:
        raise OptionError(f"--h-max must be positive, got {h_max}")
    steps = np.linspace(h_max / samples, h_max, samples)
    j = np.array(point.jacobian.evalf(30).tolist(), dtype=float)
    curves = {m.label: radius_curve(m, j, game.slices, steps) for m in methods}
    optima = {label: (a.optimal_step_size, a.optimal_spectral_radius) if a.optimal_step_size is not None else None
              for label, a in analyses.items()}
    label = ", ".join(f"{k}={v:g}" for k, v in _floats(point).items())
    return figures.radius(steps, curves, optima, f"{game.name} at ({label}): local rate of each method", path, ax=ax)


def plot_path_angle(game: Game, point: PointReport, path=None, start: np.ndarray | None = None,
                    alphas: tuple[float, float] = (0.0, 1.5), ends: int = 20, radius: float | None = None,
                    seed: int = 0, samples: int = 301, ax=None):
    """Fig. 2: path-angle from ``start`` (default: a seeded point at distance 2 from the point)
    to ``ends`` end points clustered at ``radius`` (default 2.5% of the path length) from it."""
    centre = np.array(list(_floats(point).values()))
    if start is None:
        direction = np.random.default_rng(seed).normal(size=centre.size)
        start = centre + 2.0 * direction / np.linalg.norm(direction)
    length = float(np.linalg.norm(np.asarray(start) - centre))
    if length == 0:
        raise OptionError("the start point coincides with the stationary point")
    a, b = alphas
    if not a < b:
        raise OptionError(f"--alpha needs a < b, got {a}, {b}")
    spread = path_angle_spread(numeric_field(game), start, ends_near(centre, ends, radius or 0.025 * length, seed),
                               np.linspace(a, b, samples))
    return figures.path_angle(spread, f"{game.name}: path-angle towards the stationary point", path, ax=ax)


def plot(kind: str, game: Game, path, *, constants=None, point=None, **options) -> Path:
    """Draw figure ``kind`` (``KINDS``) around the chosen point and write it to ``path``."""
    if kind not in KINDS:
        raise OptionError(f"unknown figure {kind!r} (figures: {', '.join(KINDS)})")
    resolved, reference = reference_point(game, constants, point)
    recipe = {"portrait": plot_portrait, "landscape": plot_landscape, "eigs": plot_eigs, "radius": plot_radius,
              "path-angle": plot_path_angle}[kind]
    recipe(resolved, reference, path=path, **options)
    return Path(path)

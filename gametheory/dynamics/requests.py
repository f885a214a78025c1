"""From a command's options, as typed, to the dynamics it asks for: a training method from
strings (exact values kept exact), its step-size analysis at every point, and a simulation's
starts, targets and runs.

A simulation starts from the given point, or from seeded random starts in a box around the
first LSSP (else the first stationary point); each run is judged against the stationary point
nearest to its start. Every bad value is a one-line :class:`~gametheory.errors.OptionError`.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import sympy as sp

from ..analysis.classify import GameReport, classify_game
from ..errors import OptionError, ParseError
from ..game import Game
from ..parsing import parse_expression, parse_number
from .convergence import StepAnalysis, analyse_report
from .methods import Method, parse_order
from .regions import Region, report_regions
from ..display import latex
from .simulate import Trajectory, flow, iterate, parse_start, random_starts

MAX_STEPS = 1_000_000
MAX_FLOW_TIME = 1e6


def option_number(text: str, option: str) -> sp.Expr:
    """``text``, the value of ``option``, as an exact real number (``1/2``, ``0.25``,
    ``sqrt(2)``); text that is not a number is an OptionError that names the option (a number
    out of range keeps the parser's reason).

    >>> option_number("abc", "--ratio")
    Traceback (most recent call last):
    ...
    gametheory.errors.OptionError: --ratio must be a number (such as 1/2, 0.25 or sqrt(2)), got 'abc'
    """
    try:
        number = parse_expression(str(text)).is_number
    except ParseError as error:
        if "too large" in str(error):  # a number, but out of range: the parser says which limit
            raise OptionError(f"{option}: {error}") from None
        number = False
    if not number:
        raise OptionError(f"{option} must be a number (such as 1/2, 0.25 or sqrt(2)), got {text!r}")
    return parse_number(text)


def build_method(name: str, h: str | None = None, ratio: str = "1", beta: str | None = None,
                 gamma: str | None = None, order: str | None = None, game: Game | None = None) -> Method:
    """A Method from option strings (``order`` names ``game``'s players, e.g. ``D,G``).

    >>> build_method("eg", h="1/2").h
    1/2
    """
    extra = {}
    if beta is not None:
        extra["beta"] = option_number(beta, "--beta")
    if gamma is not None:
        extra["gamma"] = option_number(gamma, "--gamma")
    if order is not None:
        extra["order"] = parse_order(order, game)
    return Method(name.lower(), h=None if h is None else option_number(h, "--h"),
                  ratio=option_number(ratio, "--ratio"), **extra)


@dataclass(frozen=True)
class StepSizes:
    """A classification report and ``method``'s step-size analysis at each of its points (None
    where the point is not stationary)."""

    report: GameReport
    method: Method
    analyses: tuple[StepAnalysis | None, ...]

    def _repr_latex_(self) -> str | None:
        return latex(self)


def stepsize_request(game: Game, constants: Mapping[sp.Symbol, object] | None = None,
                     point: Mapping[sp.Symbol, sp.Expr] | None = None, method: str = "simgd", ratio: str = "1",
                     beta: str | None = None, gamma: str | None = None, order: str | None = None) -> StepSizes:
    """The step sizes for which ``method`` converges locally at every stationary point of
    ``game`` (or at ``point``), the optimal one and its rate."""
    chosen = build_method(method, None, ratio, beta, gamma, order, game)
    report = classify_game(game, constants, point)
    return StepSizes(report, chosen, tuple(analyse_report(report, chosen)))


@dataclass(frozen=True)
class Regions:
    """A classification report and, per point, region spec -> exact :class:`Region` (or the
    one-line reason it is out of reach)."""

    report: GameReport
    regions: tuple[dict[str, Region | str], ...]

    def _repr_latex_(self) -> str | None:
        return latex(self)


def regions_request(game: Game, specs: Sequence[str], constants: Mapping[sp.Symbol, object] | None = None,
                    point: Mapping[sp.Symbol, sp.Expr] | None = None) -> Regions:
    """Where (in the constants, h and r) each stationary point of ``game`` (or ``point``) has the
    properties ``specs`` (``lssp``, ``dne``, or a method: ``simgd:h=H,ratio=R``, ``eg``, ...)."""
    report = classify_game(game, constants, point)
    return Regions(report, tuple(report_regions(report, game, constants or {}, specs)))


@dataclass(frozen=True)
class Simulation:
    """The runs of one request on ``game`` (constants substituted) and the first run's target."""

    game: Game
    runs: tuple[Trajectory, ...]
    target: np.ndarray | None


def _check_simulation(steps: int, radius: float, seed: int) -> None:
    if not 1 <= steps <= MAX_STEPS:
        raise OptionError(f"--steps must be between 1 and {MAX_STEPS}, got {steps}")
    if not (np.isfinite(radius) and radius > 0):
        raise OptionError(f"--radius must be a positive number, got {radius}")
    if seed < 0:
        raise OptionError(f"--seed must be a non-negative integer, got {seed}")


def _flow_time(h: str, steps: int) -> float:
    """The flow's sampling interval ``h``, checked so that it runs up to at most MAX_FLOW_TIME."""
    step = float(option_number(h, "--h"))
    if step <= 0:
        raise OptionError(f"--h must be positive, got {h}")
    if step * steps > MAX_FLOW_TIME:
        raise OptionError(f"the flow would run up to time h*steps = {step * steps:g}; at most {MAX_FLOW_TIME:g}")
    return step


def simulate_request(game: Game, constants: Mapping[sp.Symbol, object] | None, method: str, h: str,
                     steps: int = 1000, start: Sequence[str] | None = None, random: int = 1,
                     radius: float = 0.5, seed: int = 0, ratio: str = "1", beta: str | None = None,
                     gamma: str | None = None, order: str | None = None) -> Simulation:
    """Run ``method`` (or ``flow``: the continuous flow up to time ``h * steps``) from
    ``start`` (NAME=VALUE items) or from ``random`` seeded starts within ``radius`` of the
    first LSSP (else the first stationary point)."""
    _check_simulation(steps, radius, seed)
    if method.lower() == "flow":
        step, run_one = _flow_time(h, steps), None
    else:
        chosen = build_method(method, h, ratio, beta, gamma, order, game)
        run_one = chosen.with_step(float(chosen.h))
    report = classify_game(game, constants)
    played = report.game
    points = [np.array([float(v) for v in p.values]) for p in report.points if p.stationary]
    if start:
        starts = [parse_start(start, played)]
    else:
        if not points:
            raise OptionError("the game has no isolated stationary point to start near: give --start")
        if random < 1:
            raise OptionError(f"--random must be positive, got {random}")
        centre = next((np.array([float(v) for v in p.values]) for p in report.points if p.lssp), points[0])
        starts = list(random_starts(centre, random, radius, seed))
    runs, targets = [], []
    with np.errstate(all="ignore"):  # an overflowing run is reported by its verdict ("diverged")
        for s in starts:
            targets.append(min(points, key=lambda q: np.linalg.norm(q - s)) if points else None)
            if run_one is None:
                runs.append(flow(played, s, t_max=step * steps, samples=steps + 1, target=targets[-1]))
            else:
                runs.append(iterate(played, run_one, s, steps, target=targets[-1]))
    return Simulation(played, tuple(runs), targets[0])


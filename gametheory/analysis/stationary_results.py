"""What a stationary-point search returns: points (exact, or numeric with a certified bound on
|v|), families of points, the candidates dropped and why, and the summary the text output shows."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sympy as sp


@dataclass(frozen=True)
class StationaryPoint:
    """One point, coordinates in ``game.params`` order; ``exact`` says whether they are exact.
    A numeric point carries ``residual_bound``: max_i |v_i| is at most this, certified by
    interval arithmetic (intervals.py) both at the binary values of the coordinates and at the
    decimals printed for them (``sp.sstr``), which differ in the last digits."""

    values: tuple[sp.Expr, ...]
    exact: bool
    residual_bound: float | None = None

    def as_dict(self, params) -> dict[sp.Symbol, sp.Expr]:
        return dict(zip(params, self.values))


@dataclass(frozen=True)
class StationaryFamily:
    """A positive-dimensional set of stationary points, parametrised by its free parameters;
    ``restrictions`` are the conditions on them that keep every loss real (domain.py)."""

    solution: tuple[tuple[sp.Symbol, sp.Expr], ...]
    free: tuple[sp.Symbol, ...]
    restrictions: tuple[str, ...] = ()

    @property
    def real_everywhere(self) -> bool:
        """Whether every real value of the free parameters gives a real point (else the family
        is real only where its right-hand sides are, e.g. ``sqrt(1 - y**2)`` for |y| <= 1)."""
        return all(e.is_real for _, e in self.solution)

    @property
    def description(self) -> str:
        fixed = ", ".join(f"{s.name} = {sp.sstr(e)}" for s, e in self.solution)
        free = ", ".join(s.name for s in self.free)
        kind = "curve" if len(self.free) == 1 else f"{len(self.free)}-dimensional set"
        where = "" if self.real_everywhere else " where the right-hand sides are real"
        if self.restrictions:
            where += (" and" if where else " where") + " the losses are real: " + ", ".join(self.restrictions)
        return f"{fixed or 'every point'} for real {free}{where} (a {kind} of stationary points)"


@dataclass(frozen=True)
class Dropped:
    """A candidate the search did not report: where it was (coordinates as text, approximate
    for numeric candidates), why, and how many local searches ended there."""

    where: tuple[tuple[str, str], ...]
    reason: str
    count: int = 1

    @property
    def text(self) -> str:
        times = f" ({self.count} local searches)" if self.count > 1 else ""
        return f"({', '.join(f'{n} = {v}' for n, v in self.where)}){times}: {self.reason}"

    def to_dict(self) -> dict:
        return {"point": dict(self.where), "reason": self.reason, "count": self.count}


@dataclass(frozen=True)
class Search:
    """The outcome of a search. ``curves``: curves or surfaces of stationary points found by the
    numeric search (a point on each, and a description); ``given_up``: candidates the numeric
    search could not confirm as stationary points; ``rejected``: solutions of v = 0 outside the
    losses' real domain. ``method`` names the method and ends with a summary of all three, so
    that text output shows it. ``names`` are the parameters' names, for ``to_dict``."""

    points: tuple[StationaryPoint, ...]
    families: tuple[StationaryFamily, ...]
    method: str
    complete: bool
    given_up: tuple[Dropped, ...] = ()
    rejected: tuple[Dropped, ...] = ()
    notes: tuple[str, ...] = ()
    curves: tuple[Dropped, ...] = ()
    names: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        residuals = [{"point": {n: sp.sstr(v) for n, v in zip(self.names, p.values)},
                      "residual_bound": p.residual_bound} for p in self.points if not p.exact]
        return {"method": self.method, "complete": self.complete, "notes": list(self.notes),
                "residual_bounds": residuals, "curves": [d.to_dict() for d in self.curves],
                "given_up": [d.to_dict() for d in self.given_up],
                "rejected": [d.to_dict() for d in self.rejected]}


def summary(method: str, given_up, rejected, notes, curves=()) -> str:
    """``method`` followed by the notes, the curves found and every dropped candidate, for the
    text output."""
    parts = [method, *notes, *(f"found {d.text}" for d in curves)]
    if given_up:
        searches = sum(d.count for d in given_up)
        parts.append(f"gave up on {len(given_up)} candidate(s) from {searches} local search(es): "
                     + "; ".join(d.text for d in given_up))
    if rejected:
        parts.append(f"rejected {len(rejected)} solution(s) outside the losses' real domain: "
                     + "; ".join(d.text for d in rejected))
    return "; ".join(parts)


def same_point(a: StationaryPoint, b: StationaryPoint) -> bool:
    """Equal, or numerically the same point (relative distance <= 1e-9)."""
    x = np.array([float(v) for v in a.values])
    y = np.array([float(v) for v in b.values])
    return a == b or bool(np.linalg.norm(x - y) <= 1e-9 * max(1.0, float(np.linalg.norm(y))))

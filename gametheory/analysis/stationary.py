"""All real stationary points ``v(omega) = 0`` of a game, inside the real domain of its losses.

Polynomial and rational fields are solved exactly (:mod:`.stationary_exact`: numerators over
their coefficients' field, Groebner bases; zeros of denominators and non-real solutions are
dropped). A solution that leaves parameters free is a positive-dimensional family and is
reported as such. Other fields (log-sigmoid GANs, ...), and components beyond the exact solve's
budget, get a multi-start numeric search (:mod:`.stationary_numeric`) that also finds roots of
multiplicity > 1 (J singular); each root found is snapped to a nearby exact candidate and kept
as exact when ``v`` vanishes there symbolically, otherwise it is flagged numeric with a
certified bound on |v|. Solutions where a loss is not real and smooth (``log`` of a negative
number, ...) are rejected with a reason, and every candidate the numeric search gives up on is
reported with its approximate location (:mod:`.stationary_results`).
"""
from __future__ import annotations

from dataclasses import replace

import sympy as sp
from sympy.polys.polyerrors import BasePolynomialError

from .domain import Domain
from ..game import Game
from .stationary_exact import ExactSolution, GaveUp, rational_parts, solve_exact
from .stationary_numeric import numeric_search
from .stationary_results import Dropped, Search, same_point, summary


def _exact(game: Game, domain: Domain, solution: ExactSolution) -> Search:
    """The exact solve's answer as a search; where it gave up on some components (``gaps``), its
    points and rejections completed by the numeric search: the numeric points not already found
    exactly, the numeric rejections."""
    names = tuple(s.name for s in game.params)
    if not solution.gaps:
        return Search(solution.points, solution.families, summary(solution.method, (), solution.rejected, ()),
                      True, rejected=solution.rejected, names=names)
    gaps = solution.gaps
    note = f"exact solve gave up on {len(gaps)} component(s): {'; '.join(gaps)}; numeric search used for them"
    numeric = numeric_search(game, domain, notes=(note,))
    points = solution.points
    found = [*points, *(p for p in numeric.points if not any(same_point(p, q) for q in points))]
    found.sort(key=lambda p: tuple(float(sp.re(sp.N(v))) for v in p.values))
    return replace(numeric, points=tuple(found), rejected=(*solution.rejected, *numeric.rejected),
                   method=f"{solution.method}, completed by {numeric.method}")


def stationary_points(game: Game) -> Search:
    """Every real stationary point of ``game`` (constants at their defaults) inside the real
    domain of its losses (domain.py)."""
    game = game.with_constants() if game.constants else game
    domain = Domain.of(game)
    if (reason := domain.nowhere) is not None:
        names = tuple(s.name for s in game.params)
        rejected = (Dropped(tuple((n, "any") for n in names), reason),)
        return Search((), (), summary("none searched: the losses are real nowhere", (), rejected, ()), True,
                      rejected=rejected, names=names)
    parts = rational_parts(game)
    if parts is None:
        return numeric_search(game, domain)
    try:
        solution = solve_exact(game, *parts, domain)
    except GaveUp as reason:
        note = f"exact solve gave up: {reason}; numeric search used"
    except (BasePolynomialError, NotImplementedError, ValueError) as error:  # sympy's limits
        note = f"exact solve gave up: {type(error).__name__} in sympy ({str(error)[:120]}); numeric search used"
    else:
        return _exact(game, domain, solution)
    return numeric_search(game, domain, notes=(note,))

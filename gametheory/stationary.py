"""All real stationary points ``v(omega) = 0`` of a game.

Polynomial and rational fields are solved exactly (numerators with sympy's solver, which uses
Groebner bases for polynomial systems; zeros of denominators and non-real solutions are
dropped). A solution that leaves parameters free is a positive-dimensional family and is
reported as such. Other fields (log-sigmoid GANs, ...) get a multi-start numeric search; each
root found is snapped to a nearby exact candidate and kept as exact when ``v`` vanishes there
symbolically, otherwise it is flagged numeric.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sympy as sp

from .game import Game
from .numbers import is_zero


@dataclass(frozen=True)
class StationaryPoint:
    """One point, coordinates in ``game.params`` order; ``exact`` says whether they are exact."""

    values: tuple[sp.Expr, ...]
    exact: bool

    def as_dict(self, params) -> dict[sp.Symbol, sp.Expr]:
        return dict(zip(params, self.values))


@dataclass(frozen=True)
class StationaryFamily:
    """A positive-dimensional set of stationary points, parametrised by its free parameters."""

    solution: tuple[tuple[sp.Symbol, sp.Expr], ...]
    free: tuple[sp.Symbol, ...]

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
        return f"{fixed or 'every point'} for real {free}{where} (a {kind} of stationary points)"


@dataclass(frozen=True)
class Search:
    points: tuple[StationaryPoint, ...]
    families: tuple[StationaryFamily, ...]
    method: str
    complete: bool

    def to_dict(self) -> dict:
        return {"method": self.method, "complete": self.complete}


def _is_real(value: sp.Expr) -> bool:
    verdict = value.is_real
    if verdict is not None:
        return verdict
    return abs(sp.im(sp.N(value, 50))) < sp.Float("1e-40")


def _rational_parts(game: Game):
    """Numerators and denominators of v, or None when v is not rational in the parameters."""
    nums, dens = [], []
    for component in game.vector_field:
        num, den = sp.fraction(sp.together(component))
        if not (num.is_polynomial(*game.params) and den.is_polynomial(*game.params)):
            return None
        nums.append(sp.expand(num))
        dens.append(den)
    return nums, dens


def _real_roots(poly: sp.Poly) -> list[sp.Expr]:
    """Exact real roots (with repetition removed) of a univariate polynomial over Q or an
    algebraic field: linear and quadratic factors in radicals, higher factors over Q as CRootOf."""
    out: list[sp.Expr] = []
    for factor, _ in poly.factor_list()[1]:
        degree = factor.degree()
        if degree == 1:
            a, b = factor.all_coeffs()
            out.append(sp.radsimp(-b / a))
        elif degree == 2:
            a, b, c = factor.all_coeffs()
            disc = sp.radsimp(sp.expand(b**2 - 4 * a * c))
            if sp.N(disc, 50) > 0:
                out += [sp.radsimp((-b - sp.sqrt(disc)) / (2 * a)), sp.radsimp((-b + sp.sqrt(disc)) / (2 * a))]
        elif factor.domain.is_QQ or factor.domain.is_ZZ:
            out += factor.real_roots()
        else:
            raise NotImplementedError("real roots of a high-degree factor over an algebraic field")
    return out


def _back_substitute(basis: list[sp.Expr], params: tuple[sp.Symbol, ...], known: dict) -> list[dict]:
    """Extend partial solutions variable by variable, last parameter first, along a lex Groebner
    basis: the elements in the remaining trailing variables, specialised at the known values,
    have as common roots exactly the extensions (elimination theory); keep the real ones."""
    if not params:
        return [known]
    var = params[-1]
    polys = []
    for g in basis:
        h = sp.expand(g.subs(known))
        if h != 0 and h.free_symbols <= {var}:
            polys.append(sp.Poly(h, var, extension=True))
    if not polys:
        raise NotImplementedError("positive-dimensional")
    common = polys[0]
    for p in polys[1:]:
        common = sp.gcd(common, p)
    solutions = []
    for root in _real_roots(common) if common.degree() > 0 else []:
        solutions += _back_substitute(basis, params[:-1], {**known, var: root})
    return solutions


def _real_parts_of_families(solutions: list[dict], params) -> list[dict]:
    """Replace a parametric solution with complex right-hand sides (``y = I*x``) by its real
    points: the free parameters are real, so the imaginary parts must vanish."""
    out = []
    for sol in solutions:
        free = [s for s in params if s not in sol]
        if not free or not any(v.has(sp.I) for v in sol.values()):
            out.append(sol)
            continue
        imaginary = [sp.im(sp.expand_complex(v)) for v in sol.values()]
        imaginary = [e for e in imaginary if e != 0]
        for fix in sp.solve(imaginary, free, dict=True):
            if all(_is_real(v) for v in fix.values() if not v.free_symbols & set(params)):
                out.append({**{k: sp.expand_complex(v.subs(fix)) for k, v in sol.items()}, **fix})
    return out


def _exact_search(game: Game, nums, dens) -> Search:
    params = game.params
    equations = [n for n in nums if n != 0]
    basis = sp.groebner(equations, *params, order="lex") if equations else None
    if basis is not None and basis.is_zero_dimensional:
        solutions = _back_substitute(list(basis.exprs), params, {})
    elif basis is not None and list(basis.exprs) == [1]:
        solutions = []
    else:
        solutions = sp.solve(equations, params, dict=True) if equations else [{}]
    points, families = [], []
    for sol in _real_parts_of_families(solutions, params):
        if any(not _is_real(v) for v in sol.values() if not v.free_symbols & set(params)):
            continue
        full = {s: sol.get(s, s) for s in params}
        if any(is_zero(d.subs(full)) for d in dens):
            continue
        free = tuple(s for s in params if s not in sol)
        if free:
            fixed = tuple((s, sp.simplify(sol[s])) for s in params if s in sol)
            families.append(StationaryFamily(fixed, free))
        else:
            point = StationaryPoint(tuple(sp.radsimp(full[s]) for s in params), True)
            if point not in points:
                points.append(point)
    points.sort(key=lambda p: [float(sp.re(sp.N(v))) for v in p.values])
    return Search(tuple(points), tuple(families),
                  "exact: rational field solved symbolically (lex Groebner basis, real roots only)", True)


def _snap(game: Game, x: np.ndarray) -> tuple[sp.Expr, ...] | None:
    """An exact point near ``x`` at which v vanishes symbolically, if there is an obvious one."""
    candidate = tuple(sp.Integer(0) if abs(c) < 1e-8 else sp.nsimplify(float(c), tolerance=1e-8, rational=False)
                      for c in x)
    subs = dict(zip(game.params, candidate))
    if all(is_zero(component.subs(subs)) for component in game.vector_field):
        return candidate
    return None


MAX_CONDITION = 1e10


def numeric_search(game: Game, starts: int = 64, box: float = 3.0, seed: int = 0) -> Search:
    """Multi-start root finding (scipy ``root``, hybrid Powell) from ``starts`` seeded points in
    ``[-box, box]^d`` plus the origin; roots farther than ``10 * box`` are not reported.

    A root with ``||v|| < 1e-10`` is accepted when J is well conditioned there
    (cond < MAX_CONDITION) and the Newton correction ``||J^-1 v||`` is below 1e-8: this rejects
    points "at infinity" where v merely decays (saturating sigmoids, exp), since J decays with
    it and the Newton step stays large. Near-roots with an ill-conditioned J are kept only when
    v vanishes exactly at a nearby snapped exact point. Roots closer than 1e-6 are merged."""
    import scipy.optimize  # deferred: costs ~0.4 s of start-up for exact games

    v_fn, j_fn = game.numeric()
    d = len(game.params)
    rng = np.random.default_rng(seed)
    initial = np.vstack([np.zeros(d), rng.uniform(-box, box, size=(starts, d))])

    def field(x):
        return np.asarray(v_fn(x), dtype=float).reshape(-1)

    def jac(x):
        return np.asarray(j_fn(x), dtype=float).reshape(d, d)

    found: list[tuple[np.ndarray, tuple | None]] = []
    rejected = 0
    with np.errstate(all="ignore"):
        for x0 in initial:
            x = scipy.optimize.root(field, x0, jac=jac, method="hybr").x
            if not np.all(np.isfinite(x)) or np.max(np.abs(x)) > 10 * box:
                continue
            value, jacobian = field(x), jac(x)
            if not np.all(np.isfinite(value)) or not np.all(np.isfinite(jacobian)) or np.linalg.norm(value) > 1e-10:
                continue
            if any(np.linalg.norm(x - y) <= 1e-6 * max(1.0, np.linalg.norm(y)) for y, _ in found):
                continue
            exact = None
            if np.linalg.cond(jacobian) < MAX_CONDITION:
                if np.linalg.norm(np.linalg.solve(jacobian, value)) > 1e-8:
                    rejected += 1
                    continue
            else:
                exact = _snap(game, x)
                if exact is None:
                    rejected += 1
                    continue
            found.append((x, exact))
    points = []
    for x, exact in sorted(found, key=lambda item: tuple(item[0])):
        exact = exact if exact is not None else _snap(game, x)
        points.append(StationaryPoint(exact, True) if exact is not None
                      else StationaryPoint(tuple(sp.Float(c, 17) for c in x), False))
    method = (f"numeric: multi-start root finding ({starts + 1} starts in [-{box:g}, {box:g}]^{d}, seed {seed}); "
              "roots snapped to exact values where v vanishes symbolically")
    if rejected:
        method += f"; {rejected} near-root(s) rejected (v decays without a root, or ill-conditioned J)"
    return Search(tuple(points), (), method, False)


def stationary_points(game: Game) -> Search:
    """Every real stationary point of ``game`` (constants at their defaults)."""
    game = game.with_constants() if game.constants else game
    parts = _rational_parts(game)
    if parts is not None:
        try:
            return _exact_search(game, *parts)
        except NotImplementedError:
            pass
    return numeric_search(game)

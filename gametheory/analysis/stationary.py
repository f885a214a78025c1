"""All real stationary points ``v(omega) = 0`` of a game, inside the real domain of its losses.

Polynomial and rational fields are solved exactly (numerators with sympy's solver, which uses
Groebner bases for polynomial systems; zeros of denominators and non-real solutions are
dropped). A solution that leaves parameters free is a positive-dimensional family and is
reported as such. Other fields (log-sigmoid GANs, ...) get a multi-start numeric search
(:func:`numeric_search`) that also finds roots of multiplicity > 1 (J singular); each root
found is snapped to a nearby exact candidate and kept as exact when ``v`` vanishes there
symbolically, otherwise it is flagged numeric with a certified bound on |v|. Solutions where a
loss is not real and smooth (``log`` of a negative number, ...) are rejected with a reason, and
every candidate the numeric search gives up on is reported with its approximate location.
"""
from __future__ import annotations

from collections import Counter
from fractions import Fraction
from dataclasses import dataclass, replace

import numpy as np
import sympy as sp
from mpmath import mp
from sympy.polys.polyerrors import BasePolynomialError

from .domain import Domain
from ..game import Game
from .intervals import magnitude_bound
from ..numbers import is_zero


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


def _summary(method: str, given_up, rejected, notes, curves=()) -> str:
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


MAX_BEZOUT = {True: 256, False: 16}
"""Size budget of the exact solve, over Q (True) and over other fields (False): at most this many
complex solutions by Bezout's bound (the product of the numerators' total degrees). Over an
algebraic field the lex basis comes from Buchberger's algorithm (:func:`_lex_basis`), minutes
for 6 quadratic equations; larger systems go to the numeric search, with a note."""
MAX_DEGREE = 8
"""Size budget per component: the degree of the polynomial whose roots give its points. Larger
components where two or more coordinates vary (each then a long polynomial in a CRootOf of degree
> 8) go to the numeric search, with a note; one varying coordinate is just that CRootOf."""
SEPARATING_TRIES = 3
"""Linear forms tried to put a component in shape position (:func:`_shape`)."""


class _GaveUp(Exception):
    """The exact solve stopped (its argument says why); the numeric search is used instead."""


def _coefficient_field(nums, params):
    """The numerators as polynomials over one field K built once: Q, Q(alpha) for the algebraic
    numbers among their coefficients (one primitive element), or a field of fractions Q(pi, ...)."""
    polys, options = sp.parallel_poly_from_expr(nums, *params, extension=True)
    field = options.domain.get_field()
    return [p.set_domain(field) for p in polys], field


def _shape(basis, gens) -> list[sp.Poly] | None:
    """``[g_1, ..., g_{n-1}, p]`` when the lex basis reads ``c_i x_i - r_i(t)`` (i < n), ``p(t)``
    with t = gens[-1] (shape position: x_i = g_i(t) = r_i(t)/c_i), else None."""
    t = gens[-1]
    univariate = [g for g in basis if g.free_symbols <= {t}]
    if len(basis) != len(gens) or len(univariate) != 1:
        return None
    lead = {g.monoms(order="lex")[0]: g for g in basis}
    out = []
    for i, x in enumerate(gens[:-1]):
        g = lead.get(tuple(int(j == i) for j in range(len(gens))))
        if g is None:
            return None
        c = g.LC(order="lex")
        rest = g - sp.Poly(x, *gens, domain=g.domain).mul_ground(c)
        if rest.free_symbols - {t}:
            return None
        out.append(-rest.quo_ground(c))
    return out + univariate


def _quotient_dimension(basis, n: int) -> int:
    """The number of points (with multiplicity) of a zero-dimensional ideal: the monomials that
    no leading monomial of its Groebner basis divides, counted up to MAX_DEGREE + 1."""
    leads = [g.monoms(order="lex")[0] for g in basis]
    count, stack = 0, [(0,) * n]
    seen = set(stack)
    while stack and count <= MAX_DEGREE:
        monomial = stack.pop()
        if any(all(a >= b for a, b in zip(monomial, lead)) for lead in leads):
            continue
        count += 1
        for i in range(n):
            step = tuple(e + (j == i) for j, e in enumerate(monomial))
            if step not in seen:
                seen.add(step)
                stack.append(step)
    return count


def _component(basis, gens, field) -> list[tuple[sp.Expr, ...]]:
    """Real points of one component (its lex basis over ``field``, where the last parameter's
    polynomial is irreducible): in shape position in the last parameter, or in a separating linear form
    ``u = x_n + c x_{n-1} + c^2 x_{n-2} + ...`` adjoined as a new last variable (c = 2, 3, ...).
    Each coordinate is then a polynomial in a root of one irreducible factor over ``field`` of
    that variable's polynomial, so no tower of fields is ever built."""
    shape = _shape(basis, gens)
    varying = sum(max(m) > 1 and sum(m) == max(m) for m in (g.monoms(order="lex")[0] for g in basis))
    if shape is None and varying > 1 and (size := _quotient_dimension(basis, len(gens))) > MAX_DEGREE:
        raise _GaveUp(f"a component of degree {size} > {MAX_DEGREE}")
    u, target = gens[-1], gens
    for c in range(2, 2 + SEPARATING_TRIES):
        if shape is not None:
            break
        u = sp.Dummy("u")
        form = u - sum(c**k * x for k, x in enumerate(reversed(gens)))
        target = (*gens, u)
        polys = [sp.Poly.from_dict({m + (0,): coeff for m, coeff in g.rep.to_dict().items()}, *target, domain=field)
                 for g in basis] + [sp.Poly(form, *target, domain=field)]
        shape = _shape(_lex_basis(polys, target, field).polys, target)
    if shape is None:
        raise _GaveUp(f"a component not in shape position after {SEPARATING_TRIES} linear forms")
    *coordinates, p = shape
    if p.degree(u) > MAX_DEGREE and sum(not g.is_ground for g in coordinates) + (u in gens) > 1:
        raise _GaveUp(f"a component of degree {p.degree(u)} > {MAX_DEGREE}")
    points = []
    roots = [r for factor, _ in sp.Poly(p.as_expr(), u, domain=field).factor_list()[1] for r in _real_roots(factor)]
    for root in roots:
        values = [sp.expand(g.as_expr().subs(u, root)) for g in coordinates]
        point = dict(zip([x for x in target if x != u], values))
        if u in gens:
            point[u] = root
        points.append(tuple(_simplified(point[x]) for x in gens))
    return points


def _simplified(value: sp.Expr) -> sp.Expr:
    """Radicals with rationalised denominators (``radsimp``); CRootOf expressions as they are
    (radsimp would re-factor their polynomial at every occurrence)."""
    return value if value.has(sp.CRootOf) else sp.radsimp(value)


def _real_roots(p: sp.Poly) -> list[sp.Expr]:
    """Real roots of an irreducible univariate ``p`` over Q or a real field K: one in K (degree 1),
    two radicals over K (degree 2, disc > 0), CRootOf over Q (higher degree over Q)."""
    degree, field = p.degree(), p.domain
    if degree == 1:
        a, b = p.all_coeffs()
        return [-b / a]
    if degree == 2:
        a, b, c = (field.to_sympy(x) for x in p.rep.to_list())
        disc = sp.expand(b**2 - 4 * a * c)
        if not sp.N(disc, 50) > 0:
            return []
        return [(-b - sp.sqrt(disc)) / (2 * a), (-b + sp.sqrt(disc)) / (2 * a)]
    if field.is_QQ or field.is_ZZ:
        return p.real_roots()
    raise _GaveUp(f"real roots of a factor of degree {degree} over {field}")


def _lex_basis(polys, params, field) -> sp.GroebnerBasis:
    """The reduced lex Groebner basis over ``field``; over Q through a grevlex basis and FGLM
    (far faster than lex Buchberger on dense rational coefficients; sympy's FGLM does not work
    over algebraic fields, which get lex Buchberger). Non-zero-dimensional ideals keep grevlex."""
    if not field.is_QQ:
        return sp.groebner(polys, *params, order="lex", domain=field)
    basis = sp.groebner(polys, *params, order="grevlex", domain=field)
    return basis.fglm("lex") if basis.is_zero_dimensional and basis.exprs != [1] else basis


def _solve_zero_dimensional(basis, gens, field) -> tuple[list[tuple[sp.Expr, ...]], list[str]]:
    """Real solutions of a zero-dimensional ideal from its lex basis over ``field``: split by the
    irreducible factors over ``field`` of its univariate polynomial in the last parameter, then
    solve each component (:func:`_component`). Also returns why components were given up."""
    univariate = [g for g in basis.polys if g.free_symbols <= {gens[-1]}]
    points, gaps = [], []
    for factor, _ in univariate[0].factor_list()[1]:
        component = _lex_basis([*basis.polys, factor.set_domain(field)], gens, field)
        try:
            points += [q for q in _component(component.polys, gens, field) if q not in points]
        except _GaveUp as reason:
            gaps.append(str(reason))
    return points, gaps


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


def _exact_search(game: Game, nums, dens, domain: Domain) -> Search:
    """Solve v's numerators over their coefficient field (:func:`_coefficient_field`): a lex
    Groebner basis, then :func:`_solve_zero_dimensional`, or sympy's solver for families.
    Raises :class:`_GaveUp` beyond the size budget (MAX_BEZOUT) or where a root has no supported
    exact form."""
    params = game.params
    equations = [n for n in nums if n != 0]
    bezout = int(np.prod([sp.Poly(n, *params).total_degree() for n in equations])) if equations else 1
    polys, field = _coefficient_field(equations, params) if equations else ([], sp.QQ)
    if bezout > MAX_BEZOUT[field.is_QQ]:
        raise _GaveUp(f"Bezout bound {bezout} > {MAX_BEZOUT[field.is_QQ]} over {field}")
    basis = _lex_basis(polys, params, field) if equations else None
    gaps = []
    if basis is not None and list(basis.exprs) == [1]:
        solutions = []
    elif basis is not None and basis.is_zero_dimensional:
        found, gaps = _solve_zero_dimensional(basis, params, field)
        found.sort(key=lambda q: tuple(float(sp.N(v)) for v in q))
        solutions = [dict(zip(params, q)) for q in found]
    else:
        solutions = sp.solve(equations, params, dict=True) if equations else [{}]
    points, families, rejected = [], [], []
    for sol in _real_parts_of_families(solutions, params):
        if any(not _is_real(v) for v in sol.values() if not v.free_symbols & set(params)):
            continue
        full = {s: sol.get(s, s) for s in params}
        if any(is_zero(d.subs(full)) for d in dens):
            continue
        free = tuple(s for s in params if s not in sol)
        if free:
            fixed = tuple((s, sp.simplify(sol[s])) for s in params if s in sol)
            real, restrictions = domain.restrict(dict(fixed))
            if real:
                families.append(StationaryFamily(fixed, free, restrictions))
            else:
                where = tuple((s.name, sp.sstr(e)) for s, e in fixed) + tuple((s.name, "free") for s in free)
                rejected.append(Dropped(where, restrictions[0]))
            continue
        point = StationaryPoint(tuple(_simplified(full[s]) for s in params), True)
        if point in points:
            continue
        violation = domain.violation(point.as_dict(params), exact=True)
        if violation is None:
            points.append(point)
        elif (dropped := Dropped(tuple((s.name, sp.sstr(v)) for s, v in zip(params, point.values)), violation)) not in rejected:
            rejected.append(dropped)
    points.sort(key=lambda p: [float(sp.re(sp.N(v))) for v in p.values])
    method = (f"exact: rational field solved symbolically over {field} (lex Groebner basis split by "
              "irreducible factors, real roots only)")
    if gaps:
        return _completed(game, domain, points, rejected, method, gaps)
    return Search(tuple(points), tuple(families), _summary(method, (), rejected, ()), True,
                  rejected=tuple(rejected), names=tuple(s.name for s in params))


def _completed(game: Game, domain: Domain, points, rejected, method: str, gaps) -> Search:
    """The exact points and rejections of a solve that gave up on some components (``gaps``),
    completed by the numeric search: its points not already found exactly, its rejections."""
    note = f"exact solve gave up on {len(gaps)} component(s): {'; '.join(gaps)}; numeric search used for them"
    numeric = numeric_search(game, domain, notes=(note,))
    found = [*points, *(p for p in numeric.points if not any(_same(p, q) for q in points))]
    found.sort(key=lambda p: tuple(float(sp.re(sp.N(v))) for v in p.values))
    return replace(numeric, points=tuple(found), rejected=(*rejected, *numeric.rejected),
                   method=f"{method}, completed by {numeric.method}")


NEAR_ROOT = 1e-6
"""A local minimum of |v| is a candidate root when |v| <= NEAR_ROOT * max(1, |v(start)|)."""
DPS = 60
"""Working precision (decimal digits) of the Newton refinement."""
STEP_TOLERANCE = 1e-10
"""Newton has converged once a step is below STEP_TOLERANCE * max(1, |x|)."""
RESIDUAL_BOUND = 1e-12
"""A refined candidate is accepted when max_i |v_i| <= RESIDUAL_BOUND * scale is certified at
its reported coordinates, where scale = max(1, ||J(x)||_inf * max(1, |x|_inf)) is about how much
v changes when x moves by one unit of its last relative digit: v's own size, so that a game
scaled by 1e11 keeps its roots, with an absolute floor for J = 0 (multiple roots)."""
DIGITS = 20
"""Significant digits kept of a numeric point's coordinates."""
MAX_NEWTON = 300
PATIENCE = 15
"""Newton gives up when its step has not halved after PATIENCE steps (a root of multiplicity m
shrinks it by ((m-1)/m)**15, below 1/2 for every m <= 20)."""


class _Newton:
    """Newton's method on v = 0 at DPS digits, for candidates found in double precision.

    At a simple root it converges quadratically. At a root of multiplicity m (J singular there)
    it still converges, linearly with ratio (m-1)/m, and at DPS digits it reaches the root to
    about DPS/m digits: m <= 4 leaves at least 15 correct digits. Where v only decays (a point
    at infinity) or comes close to 0 without vanishing, the steps do not shrink (for
    v = (x-a)**2 + d no step is below sqrt(d)), so such candidates are not accepted."""

    def __init__(self, game: Game):
        self.field = sp.lambdify([game.params], list(game.vector_field), modules="mpmath")
        self.jacobian = sp.lambdify([game.params], game.jacobian.tolist(), modules="mpmath")

    def _step(self, x, v):
        """The Newton step J^-1 v, or a Levenberg-Marquardt step where J is singular at the
        working precision (None where that is singular too)."""
        jac = mp.matrix(self.jacobian(list(x)))
        for matrix, rhs in ((jac, v), (jac.T * jac + mp.norm(v) * mp.eye(jac.rows), jac.T * v)):
            try:
                return mp.lu_solve(matrix, rhs)
            except ZeroDivisionError:
                continue
        return None

    def correction(self, x: np.ndarray) -> float:
        """|J^-1 v| at ``x``, evaluated at DPS digits (free of the rounding noise of float v):
        about the distance to the root divided by its multiplicity."""
        with mp.workdps(DPS):
            point = [mp.mpf(float(c)) for c in x]
            v = mp.matrix(self.field(point))
            step = self._step(point, v) if mp.norm(v) else mp.matrix(len(point), 1)
            return float(mp.norm(step)) if step is not None else float("inf")

    def jacobian_at(self, x) -> np.ndarray:
        """J at ``x``, evaluated at DPS digits and rounded to floats."""
        with mp.workdps(DPS):
            return np.array([[float(e) for e in row] for row in self.jacobian(list(x))])

    def isolated(self, x, direction: np.ndarray, limit: float) -> bool:
        """Whether the zero ``x``, where J is singular, is isolated: Newton from
        ``x + t * direction`` (t = 1e-4 max(1, |x|)) returns to x, where on a curve or surface of
        zeros it stops at another zero about t away."""
        here = np.array([float(c) for c in x])
        t = 1e-4 * max(1.0, float(np.linalg.norm(here)))
        refined, _, converged, _ = self.refine(here + t * direction, limit)
        return not converged or float(np.linalg.norm(np.array([float(c) for c in refined]) - here)) <= t / 2

    def refine(self, start: np.ndarray, limit: float):
        """``(x, |v(x)|, converged, away)``: the iterate of smallest |v|, whether the steps shrank
        below tolerance, and, when Newton runs off (it leaves ``|x_i| <= limit``, or its steps
        have not halved after PATIENCE steps, moving away from the origin while |v| decreases
        at every step), the direction it ran off in (else None)."""
        with mp.workdps(DPS):
            x = origin = mp.matrix([mp.mpf(float(c)) for c in start])
            best, best_residual, previous, first = x, mp.inf, mp.inf, None
            converged, stuck, monotone = False, False, True
            for iteration in range(MAX_NEWTON):
                v = mp.matrix(self.field(list(x)))
                residual = mp.norm(v)
                if not mp.isfinite(residual) or any(isinstance(c, mp.mpc) for c in v):
                    break  # v is not real and finite here
                if residual < best_residual:
                    best, best_residual = x, residual
                if residual == 0 or (converged and residual >= previous):
                    break  # an exact zero, or stagnation at the working precision
                monotone = monotone and residual < previous
                if stuck or mp.norm(x, mp.inf) > limit:
                    away = monotone and mp.norm(x) > mp.norm(origin)
                    return best, best_residual, False, np.array([float(c) for c in x - origin]) if away else None
                step = self._step(x, v)
                if step is None:
                    break
                x, previous, size = x - step, residual, mp.norm(step)
                first = size if first is None else first
                stuck = iteration + 1 == PATIENCE and not converged and size > first / 2
                converged = converged or size <= STEP_TOLERANCE * max(1, mp.norm(x))
            return best, best_residual, converged or best_residual == 0, None


def _null_direction(jac: np.ndarray) -> np.ndarray | None:
    """A unit vector that ``jac`` annihilates to the classifier's tolerance when J is singular
    by the classifier's own test (smallest singular value <= RELATIVE_TOLERANCE * max(1,
    ||J||_2), classify.py), else None: ill-conditioned but regular J (stiff games) is regular."""
    from ..numbers import RELATIVE_TOLERANCE

    _, sigma, vt = np.linalg.svd(jac)
    return vt[-1] if sigma[-1] <= RELATIVE_TOLERANCE * max(1.0, sigma[0]) else None


def _scale(jac: np.ndarray, x) -> float:
    """max(1, ||J||_inf * max(1, |x|_inf)): the size of v's change under a relative change of
    x by one (see RESIDUAL_BOUND)."""
    size = max(1.0, max(abs(float(c)) for c in x))
    return max(1.0, float(np.linalg.norm(jac, np.inf)) * size)


class _RanOff(Exception):
    """A local search left the search region (its argument: where)."""


DENOMINATOR = 10**5
"""Largest denominator of a rational p/q matched by :func:`_recognise`. A quadratic irrational
with coefficients <= 1000 stays more than ~5e-4 / q**2 >= 5e-14 from every such p/q (Liouville),
so a rational match within 1e-15 never hides one."""


def _recognise(c) -> sp.Expr | None:
    """An exact number within 1e-15 (relative) of the mpmath float ``c``, times 1, pi or E: a
    rational with denominator <= DENOMINATOR (its best approximation, Fraction.limit_denominator)
    or else a root of a polynomial of degree <= 2 with integer coefficients of size <= 1000
    (found with PSLQ at 15 digits, mpmath.findpoly); None if there is none."""
    tol = 1e-15 * max(1.0, abs(float(c)))
    if abs(c) < tol:
        return sp.Integer(0)
    z = sp.Dummy("z")
    for constant in (sp.Integer(1), sp.pi, sp.E):
        with mp.workdps(DPS):
            ratio = c / mp.mpf(sp.N(constant, DPS))
            fraction = Fraction(mp.nstr(ratio, DPS)).limit_denominator(DENOMINATOR)
        candidates = [sp.Rational(fraction.numerator, fraction.denominator)]
        with mp.workdps(15):
            coeffs = mp.findpoly(+ratio, 2, maxcoeff=1000)
        candidates += [r for r in sp.roots(sp.Poly([int(a) for a in coeffs], z))] if coeffs else []
        for root in candidates:
            if root.is_real and abs(float(sp.N(root * constant, 30)) - float(c)) <= tol:
                return sp.radsimp(root * constant)
    return None


def _snap(game: Game, x) -> tuple[sp.Expr, ...] | None:
    """An exact point near the refined point ``x`` at which v vanishes symbolically, if there
    is an obvious one (:func:`_recognise`)."""
    candidate = [_recognise(c) for c in x]
    if None in candidate:
        return None
    subs = dict(zip(game.params, candidate))
    if all(is_zero(component.subs(subs)) for component in game.vector_field):
        return tuple(candidate)
    return None


def _where(names, x) -> tuple[tuple[str, str], ...]:
    return tuple((n, f"{float(c):.6g}") for n, c in zip(names, x))


def _direction(names, d: np.ndarray) -> tuple[tuple[str, str], ...]:
    """Where a search ran off to along ``d``: its dominant coordinates, as +-inf."""
    if not np.all(np.isfinite(d)):
        return tuple((n, "nan") for n, c in zip(names, d) if not np.isfinite(c))
    top = np.max(np.abs(d))
    return tuple((n, "+inf" if c > 0 else "-inf") for n, c in zip(names, d) if abs(c) >= top / 2)


def _cluster(ends: list[tuple[np.ndarray, float, float]]) -> list[tuple[np.ndarray, int]]:
    """Group local-search end points ``(x, |v|, radius)``, where radius estimates the distance
    to the root (ten Newton corrections): ends within either radius are one candidate,
    represented by its end of smallest |v|."""
    clusters: list[tuple[np.ndarray, float, int]] = []
    for x, _, radius in sorted(ends, key=lambda end: end[1]):
        for i, (y, r, count) in enumerate(clusters):
            if np.linalg.norm(x - y) <= max(radius, r):
                clusters[i] = (y, r, count + 1)
                break
        else:
            clusters.append((x, radius, 1))
    return [(x, count) for x, _, count in clusters]


def _descend(game: Game, initial: np.ndarray, limit: float, newton: _Newton):
    """Stage 1 of :func:`numeric_search`: Levenberg-Marquardt on |v|^2 (scipy, MINPACK) from
    each start. Returns the candidate ends ``(x, |v|, radius)`` (|v| <= NEAR_ROOT relative to
    the start, radius from :meth:`_Newton.correction`), a Counter of the directions in which
    searches ran off beyond ``limit``, the number of searches that started or ended where v is
    not finite, and the ends given up (small |v| but J not finite)."""
    import scipy.optimize  # deferred: costs ~0.4 s of start-up for exact games

    v_fn, j_fn = game.numeric()
    names, d = [s.name for s in game.params], len(game.params)
    lowest = [np.inf]  # the smallest |v| of the current local search

    def field(x):
        value = np.asarray(v_fn(x), dtype=float).reshape(-1)
        norm = float(np.linalg.norm(value))
        if norm < lowest[0] and not np.all(np.abs(x) <= limit):
            raise _RanOff(x)  # the search descends beyond the region: end it early
        lowest[0] = min(lowest[0], norm)
        return value

    def jac(x):
        return np.asarray(j_fn(x), dtype=float).reshape(d, d)

    ends, escaped, undefined, given_up = [], Counter(), 0, []
    with np.errstate(all="ignore"):
        for x0 in initial:
            lowest[0] = np.inf
            start = field(x0)
            if not np.all(np.isfinite(start)):
                undefined += 1
                continue
            try:
                x = scipy.optimize.least_squares(field, x0, jac=jac, method="lm", xtol=1e-15, ftol=1e-15,
                                                 gtol=1e-15, max_nfev=100 * (d + 1)).x
                residual = float(np.linalg.norm(field(x)))
            except _RanOff as off:
                escaped[_direction(names, off.args[0])] += 1
                continue
            if not np.isfinite(residual):
                undefined += 1
                continue
            if residual > NEAR_ROOT * max(1.0, float(np.linalg.norm(start))):
                continue  # a local minimum of |v| that is no root
            if not np.all(np.isfinite(jac(x))):
                given_up.append(Dropped(_where(names, x), "|v| is small but J is not finite there"))
                continue
            ends.append((x, residual, 10 * newton.correction(x) + 1e-9 * max(1.0, float(np.linalg.norm(x)))))
    return ends, escaped, undefined, given_up


def numeric_search(game: Game, domain: Domain | None = None, starts: int = 64, box: float = 3.0,
                   seed: int = 0, notes: tuple[str, ...] = ()) -> Search:
    """Multi-start search for the real zeros of a transcendental field.

    1. :func:`_descend` from the origin and ``starts`` seeded points in ``[-box, box]^d``;
       candidates are the ends with small |v| inside ``|x_i| <= 10 * box``, grouped by
       :func:`_cluster`; ends running off beyond it are counted by direction.
    2. Each candidate is refined by Newton's method at DPS digits (:class:`_Newton`, also for
       double and triple roots, where J is singular). Snapped to an exact point where v vanishes
       there symbolically (:func:`_snap`), it is accepted as exact; otherwise it is accepted
       when the steps shrank and ``max_i |v_i| <= RESIDUAL_BOUND * max(1, ||J||_inf *
       max(1, |x|_inf))`` is certified by interval arithmetic at the reported (DIGITS-digit)
       coordinates, the certified bound kept as the point's ``residual_bound``. Where J is
       singular (the classifier's test, :func:`_null_direction`), a zero that is not isolated
       is reported once in ``curves`` (a curve or surface of stationary points). Accepted points
       are checked against the losses' real domain (``rejected`` otherwise).
    Every candidate not accepted is reported in ``given_up`` (approximate coordinates, reason)."""
    domain = domain or Domain.of(game)
    params, names = game.params, [s.name for s in game.params]
    d, limit = len(params), 10 * box
    rng = np.random.default_rng(seed)
    initial = np.vstack([np.zeros(d), rng.uniform(-box, box, size=(starts, d))])
    newton = _Newton(game)
    ends, escaped, undefined, given_up = _descend(game, initial, limit, newton)

    points, rejected, singular, unisolated = [], [], 0, []
    for x, count in _cluster(ends):
        refined, residual, converged, away = newton.refine(x, limit)
        if away is not None:
            escaped[_direction(names, away)] += count
            continue
        if not converged:
            why = (f"Newton's steps did not shrink (|v| = {float(residual):.1e} at best): "
                   "v comes close to 0 without a certified root")
            given_up.append(Dropped(_where(names, refined), why, count))
            continue
        jac = newton.jacobian_at(refined)
        exact = _snap(game, refined)
        if exact is None:
            values = tuple(sp.Float(c, DIGITS) for c in refined)
            bound, threshold = _certified_residual(game, values), RESIDUAL_BOUND * _scale(jac, refined)
            if isinstance(bound, str) or bound > threshold:
                why = (f"|v| cannot be certified there ({bound})" if isinstance(bound, str) else
                       f"|v| <= {bound:.1e} is all that is certified there (needed: <= {threshold:.1e})")
                given_up.append(Dropped(_where(names, refined), why, count))
                continue
        direction = _null_direction(jac)
        if direction is not None and not newton.isolated(refined, direction, limit):
            unisolated.append((refined, count))
            continue
        point = StationaryPoint(exact, True) if exact is not None else StationaryPoint(values, False, bound)
        if any(_same(point, other) for other in points):
            continue
        violation = domain.violation(point.as_dict(params), exact=point.exact)
        if violation is not None:
            where = tuple((n, sp.sstr(v)) for n, v in zip(names, exact)) if exact else _where(names, refined)
            rejected.append(Dropped(where, violation, count))
            continue
        singular += direction is not None
        points.append(point)
    points.sort(key=lambda p: tuple(float(sp.N(v)) for v in p.values))
    notes = list(notes)
    bounds = [p.residual_bound for p in points if not p.exact]
    if bounds:
        notes.append(f"{len(bounds)} numeric point(s), max|v_i| <= {max(bounds):.1e} certified at the "
                     "printed coordinates (per point: residual_bounds)")
    if singular:
        notes.append(f"{singular} point(s) where J is singular (multiple roots: marginal or degenerate)")
    if undefined:
        notes.append(f"{undefined} local search(es) starting or ending where v is not real and finite skipped")
    curves = [Dropped(_where(names, unisolated[0][0]), (
        f"a curve or surface of stationary points through this point ({len(unisolated)} zero(s) of v where J "
        "is singular and Newton from a nearby point along its null direction stops at another zero), "
        "not listed point by point"), sum(count for _, count in unisolated))] if unisolated else []
    given_up += [Dropped(where, f"ran off that way, beyond |coordinate| = {limit:g}, with |v| decreasing", n)
                 for where, n in sorted(escaped.items())]
    method = (f"numeric: multi-start Levenberg-Marquardt on |v|^2 ({starts + 1} starts in [-{box:g}, {box:g}]^{d}, "
              f"seed {seed}), candidates refined by Newton at {DPS} digits and accepted where "
              f"max|v_i| <= {RESIDUAL_BOUND:g} * max(1, ||J||_inf * max(1, |x|_inf)) is certified by interval "
              "arithmetic at the reported coordinates; roots snapped to exact values where v vanishes symbolically")
    return Search(tuple(points), (), _summary(method, given_up, rejected, notes, curves), False,
                  tuple(given_up), tuple(rejected), tuple(notes), tuple(curves), tuple(names))


def _certified_residual(game: Game, values) -> float | str:
    """A certified upper bound on max_i |v_i| both at ``values`` (binary floats) and at the
    decimals ``sp.sstr`` prints for them, or why v has no interval enclosure there."""
    printed = tuple(sp.Rational(sp.sstr(v)) for v in values)
    try:
        return max(magnitude_bound(game.vector_field, dict(zip(game.params, point)))
                   for point in (values, printed))
    except (ValueError, NotImplementedError) as error:
        return str(error)


def _same(a: StationaryPoint, b: StationaryPoint) -> bool:
    x = np.array([float(v) for v in a.values])
    y = np.array([float(v) for v in b.values])
    return a == b or bool(np.linalg.norm(x - y) <= 1e-9 * max(1.0, float(np.linalg.norm(y))))


def stationary_points(game: Game) -> Search:
    """Every real stationary point of ``game`` (constants at their defaults) inside the real
    domain of its losses (domain.py)."""
    game = game.with_constants() if game.constants else game
    domain = Domain.of(game)
    if (reason := domain.nowhere) is not None:
        names = tuple(s.name for s in game.params)
        rejected = (Dropped(tuple((n, "any") for n in names), reason),)
        return Search((), (), _summary("none searched: the losses are real nowhere", (), rejected, ()), True,
                      rejected=rejected, names=names)
    parts = _rational_parts(game)
    if parts is not None:
        try:
            return _exact_search(game, *parts, domain)
        except _GaveUp as reason:
            note = f"exact solve gave up: {reason}; numeric search used"
        except (BasePolynomialError, NotImplementedError, ValueError) as error:  # sympy's limits
            note = f"exact solve gave up: {type(error).__name__} in sympy ({str(error)[:120]}); numeric search used"
        return numeric_search(game, domain, notes=(note,))
    return numeric_search(game, domain)

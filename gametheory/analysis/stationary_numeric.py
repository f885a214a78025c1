"""The numeric search for the real zeros of a field that is not rational (or beyond the exact
solve's budget): multi-start Levenberg-Marquardt in double precision, Newton refinement at DPS
digits (also at multiple roots), snapping to exact values where v vanishes symbolically, and
residual bounds certified by interval arithmetic where it does not."""
from __future__ import annotations

from collections import Counter
from fractions import Fraction

import numpy as np
import sympy as sp
from mpmath import mp

from .domain import Domain
from ..game import Game
from .intervals import magnitude_bound
from ..numbers import is_zero
from .stationary_results import Dropped, Search, StationaryPoint, same_point, summary


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
    import scipy.optimize  # deferred: exact games never pay for its import (bench/RESULTS.md)

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
        if any(same_point(point, other) for other in points):
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
    return Search(tuple(points), (), summary(method, given_up, rejected, notes, curves), False,
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

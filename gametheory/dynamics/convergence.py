"""Local convergence of training methods at a stationary point: the Jacobian ``M`` of the update
map, its spectral radius as a function of ``h``, the set of stable step sizes and the step size
that minimises the spectral radius (the best local linear rate).

A method converges locally iff ``rho(M) < 1``. For SimGD ``M = I - h J`` and the stable set is
Lemma 4's ``0 < h < min 2 Re(l)/|l|^2``. Exactness: with an exact J the stable set in ``h`` comes
from the Schur-Cohn conditions (:func:`gametheory.analysis.criteria.unit_disk_conditions`) reduced by
sympy, endpoints exact (radicals or ``CRootOf``); otherwise, or when sympy cannot reduce them,
from a scan of ``rho(h)`` on a grid refined by root bracketing (floats, stated as such).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import sympy as sp

from .methods import Field, Method, is_exact_matrix, update_jacobian
from ..analysis.criteria import moebius, unit_disk_conditions
from .regions import H, Z, reduce_conditions
from ..analysis.spectrum import X, characteristic_polynomial, decide_stability
from ..analysis.fields import describe

STABLE_TOLERANCE = 1e-12
"""Numeric verdicts call ``rho`` within this of 1 marginal."""
EXACT_MAX_SIZE = 6
"""Largest update-map size (memory * d) for which the exact stable set is attempted."""


def spectral_radius(method: Method, jacobian, slices: Sequence[slice]) -> float:
    """``rho(M)`` for a float Jacobian and a method with a numeric step size."""
    matrix = update_jacobian(method, np.asarray(jacobian, dtype=float), slices)
    return float(max(abs(np.linalg.eigvals(matrix))))


def radius_curve(method: Method, jacobian, slices: Sequence[slice], steps: np.ndarray) -> np.ndarray:
    """``rho(M(h))`` for every h in ``steps`` (``method``'s own h is ignored)."""
    j = np.asarray(jacobian, dtype=float)
    return np.array([spectral_radius(method.with_step(float(h)), j, slices) for h in steps])


# --- verdict at one step size -------------------------------------------------------------------
@dataclass(frozen=True)
class Convergence:
    """Local verdict of a method at one step size: ``converges`` (rho < 1), ``marginal``
    (rho = 1: linearisation inconclusive) or ``diverges`` (rho > 1)."""

    method: Method
    spectral_radius: float
    verdict: str
    exact: bool
    reason: str

    def to_dict(self) -> dict:
        return {"method": self.method.to_dict(), "spectral_radius": self.spectral_radius, "verdict": self.verdict,
                "exact": self.exact, "reason": self.reason}


def _schur_decision(poly: sp.Poly) -> tuple[str, str]:
    """Position of the roots of an exact polynomial relative to the unit circle: exact, or
    certified where the field has several transcendentals (as :func:`decide_stability`)."""
    on_circle = 0
    while poly.degree() > 0 and poly.eval(-1) == 0:
        poly = sp.Poly(sp.quo(poly, sp.Poly(X + 1, X, domain=poly.domain)), X, domain=poly.domain)
        on_circle += 1
    if poly.degree() <= 0:
        return "marginal", "every eigenvalue of M equals -1"
    q = moebius(poly.as_expr(), X)
    reflected = sp.Poly(q.as_expr().subs(sp.Symbol("s"), -X), X, domain=poly.domain)
    decision = decide_stability(reflected)
    if decision.verdict == "undecided":
        return "undecided", f"undecided (Schur-Cohn via Moebius transform + Routh-Hurwitz): {decision.reason}"
    verdict = {"LSSP": "converges", "unstable": "diverges", "marginal": "marginal"}[decision.verdict]
    if on_circle and verdict == "converges":
        verdict = "marginal"
    where = {"converges": "every eigenvalue of M inside the unit circle",
             "diverges": "an eigenvalue of M outside the unit circle",
             "marginal": "eigenvalue(s) of M on the unit circle, none outside"}[verdict]
    how = "exact" if decision.method == "exact" else "certified by interval arithmetic over " + describe(poly.domain)
    return verdict, f"{how} (Schur-Cohn via Moebius transform + Routh-Hurwitz): {where}"


def local_convergence(method: Method, jacobian, slices: Sequence[slice]) -> Convergence:
    """Verdict for ``method`` (with its step size) at a stationary point with Jacobian ``J``.
    Exact when J and the hyper-parameters are exact sympy numbers, numeric otherwise."""
    j_float = np.array(sp.Matrix(jacobian).evalf(30).tolist(), dtype=float) if is_exact_matrix(jacobian) else np.asarray(jacobian, float)
    radius = spectral_radius(method, j_float, slices)
    hyper = (method.h, method.ratio, method.beta, method.gamma)
    if is_exact_matrix(jacobian) and all(isinstance(p, (int, sp.Integer, sp.Rational)) for p in hyper):
        poly = characteristic_polynomial(update_jacobian(method, jacobian, slices))
        if poly is not None:
            verdict, reason = _schur_decision(poly)
            if verdict != "undecided":
                return Convergence(method, radius, verdict, True, reason)
    if abs(radius - 1) <= 1e-9:
        verdict = "marginal"
    else:
        verdict = "converges" if radius < 1 else "diverges"
    return Convergence(method, radius, verdict, False,
                       f"numeric: spectral radius {radius:.12g} (|rho - 1| <= 1e-9 counts as marginal)")


# --- the stable set of step sizes -----------------------------------------------------------------
@dataclass(frozen=True)
class StepAnalysis:
    """Stable step sizes of a method at a point and the step size with the smallest ``rho``."""

    method: Method
    intervals: tuple[tuple[float, float], ...]
    intervals_exact: tuple[tuple[sp.Expr, sp.Expr], ...] | None
    exact: bool
    how: str
    optimal_step_size: float | None
    optimal_spectral_radius: float | None
    label: str | None = None  # how the set was obtained when it is neither "exact" nor "numeric"

    @property
    def stable_interval(self) -> tuple[float, float] | None:
        """The first stable interval (the stable set is one interval in every example we know)."""
        return self.intervals[0] if self.intervals else None

    def to_dict(self) -> dict:
        exact = None if self.intervals_exact is None else [[sp.sstr(a), sp.sstr(b)] for a, b in self.intervals_exact]
        return {"method": self.method.label, "method_parameters": self.method.to_dict(),
                "stable_interval": None if self.stable_interval is None else list(self.stable_interval),
                "stable_intervals": [list(i) for i in self.intervals], "stable_intervals_exact": exact,
                "stable_interval_method": self.label or ("exact" if self.exact else "numeric"),
                "stable_interval_reason": self.how,
                "optimal_step_size": self.optimal_step_size, "optimal_spectral_radius": self.optimal_spectral_radius}


def _exact_intervals(method: Method, jacobian: sp.Matrix, slices) -> tuple | None:
    """Exact stable set in h from the Schur-Cohn conditions, or None when out of reach."""
    if jacobian.rows * method.memory > EXACT_MAX_SIZE:
        return None
    hyper = (method.ratio, method.beta, method.gamma)
    if not all(isinstance(p, (int, sp.Integer, sp.Rational)) for p in hyper):
        return None
    if not all(e.is_Rational for e in jacobian):
        return None  # solveset's polynomial inequalities are reliable over Q
    matrix = update_jacobian(method.with_step(H), jacobian, slices)
    conditions = unit_disk_conditions(matrix.charpoly(Z).as_expr(), Z)
    region = reduce_conditions(method.name, conditions, [H], "stable step sizes")
    if region.set is None:
        return None
    parts = region.set.args if isinstance(region.set, sp.Union) else (
        () if region.set is sp.S.EmptySet else (region.set,))
    if not all(isinstance(p, sp.Interval) for p in parts):
        return None
    return tuple((p.start, p.end) for p in parts)


def scan_upper(method: Method, jacobian: np.ndarray) -> float:
    """A step size beyond which no method here is stable: ``10 / (max(1, r) ||J_eff||_2)``,
    ``J_eff = J + gamma J^T J`` (a generous multiple of the 2/|l| bound of every method)."""
    effective = jacobian + float(method.gamma) * jacobian.T @ jacobian
    scale = max(1.0, float(method.ratio)) * max(float(np.linalg.norm(effective, 2)), 1e-12)
    return 10.0 / scale


def _numeric_intervals(method: Method, j: np.ndarray, slices, points: int = 1200):
    import scipy.optimize  # deferred: a slow import that exact analyses never need

    upper = scan_upper(method, j)
    grid = np.unique(np.concatenate([np.geomspace(upper * 1e-6, upper, points // 2),
                                     np.linspace(upper / points, upper, points // 2)]))

    def excess(h):
        return spectral_radius(method.with_step(float(h)), j, slices) - 1

    values = np.array([excess(h) for h in grid])
    stable = values < -STABLE_TOLERANCE
    intervals = []
    i = 0
    while i < len(grid):
        if not stable[i]:
            i += 1
            continue
        k = i
        while k + 1 < len(grid) and stable[k + 1]:
            k += 1
        lo = 0.0 if i == 0 else scipy.optimize.brentq(excess, grid[i - 1], grid[i], xtol=1e-14)
        hi = upper if k == len(grid) - 1 else scipy.optimize.brentq(excess, grid[k], grid[k + 1], xtol=1e-14)
        intervals.append((float(lo), float(hi)))
        i = k + 1
    how = (f"numeric: spectral radius scanned at {len(grid)} step sizes in (0, {upper:.4g}], crossings of rho = 1 "
           "refined by brentq; intervals narrower than the grid spacing can be missed")
    return tuple(intervals), how


def _golden(f, a: float, b: float, iterations: int = 90) -> float:
    """Golden-section search for the minimiser of a unimodal f on [a, b] (to machine precision:
    the spectral radius has kinks where eigenvalues collide, so derivative-free and bracketing)."""
    g = (np.sqrt(5) - 1) / 2
    c, d = b - g * (b - a), a + g * (b - a)
    fc, fd = f(c), f(d)
    for _ in range(iterations):
        if fc <= fd:
            b, d, fd = d, c, fc
            c = b - g * (b - a)
            fc = f(c)
        else:
            a, c, fc = c, d, fd
            d = a + g * (b - a)
            fd = f(d)
    return c if fc <= fd else d


def _optimum(method: Method, j: np.ndarray, slices, intervals) -> tuple[float | None, float | None]:
    """argmin of rho over the stable set: a 400-point grid per interval, then golden-section
    search between the grid neighbours of the best grid point."""
    best = (None, None)
    for lo, hi in intervals:
        grid = np.linspace(lo, hi, 402)[1:-1]
        radii = radius_curve(method, j, slices, grid)
        k = int(np.argmin(radii))
        a, b = grid[max(k - 1, 0)], grid[min(k + 1, len(grid) - 1)]

        def radius(h):
            return spectral_radius(method.with_step(float(h)), j, slices)

        h = _golden(radius, a, b)
        h, value = (h, radius(h)) if radius(h) <= radii[k] else (float(grid[k]), float(radii[k]))
        if best[1] is None or value < best[1]:
            best = (float(h), float(value))
    return best


def analyse_steps(method: Method, jacobian, slices: Sequence[slice], exact: bool = True) -> StepAnalysis:
    """Stable step sizes and the optimal step size of ``method`` (its ``h`` is ignored) at a
    stationary point with Jacobian ``jacobian`` (sympy Matrix, exact or float, or numpy array)."""
    j = np.array(sp.Matrix(jacobian).evalf(30).tolist(), dtype=float) if is_exact_matrix(jacobian) else np.asarray(jacobian, float)
    found = _exact_intervals(method, jacobian, slices) if exact and is_exact_matrix(jacobian) else None
    if found is not None:
        intervals = tuple((float(sp.N(a, 30)), float(sp.N(b, 30))) for a, b in found)
        how = "exact: Schur-Cohn conditions on det(z I - M(h)) (Moebius + Hurwitz), reduced by real root isolation"
        exact_intervals = found
    else:
        intervals, how = _numeric_intervals(method, j, slices)
        exact_intervals = None
    h, radius = _optimum(method, j, slices, intervals)
    return StepAnalysis(method.with_step(None), intervals, exact_intervals, found is not None, how, h, radius)


def per_eigenvalue(method: Method) -> bool:
    """Whether the update map's spectrum is a function of J's eigenvalues one by one: true when
    every transformation keeps it so (extragradient, optimism, momentum), false with
    alternation, consensus (``J^T J`` mixes eigenvectors) or two time scales."""
    return all(t.spectral for t in method.transforms)


def eigenvalue_radius_map(method: Method, re: np.ndarray, im: np.ndarray) -> np.ndarray | None:
    """``rho`` of the method's update map for a 1x1 game with Jacobian ``l = re + i im``, on the
    grid ``re x im`` (rows: im): the eigenvalues l of J with value < 1 are the stable ones.
    None when the method is not :func:`per_eigenvalue`."""
    if not per_eigenvalue(method):
        return None
    values = (np.asarray(re)[None, :] + 1j * np.asarray(im)[:, None]).ravel()
    n, m = values.size, method.memory
    # n independent 1x1 games at once: the field v(x) = l * x acts coordinatewise
    field = Field(lambda x: values * x, lambda x, u: np.conj(values) * u, (slice(0, n),), n)
    columns = []
    for k in range(m):
        z = np.zeros(m * n, dtype=complex)
        z[k * n:(k + 1) * n] = 1
        columns.append(method.step(field, z).reshape(m, n))
    matrices = np.transpose(np.stack(columns, axis=-1), (1, 0, 2))  # (n, m, m) per-eigenvalue update maps
    return np.abs(np.linalg.eigvals(matrices)).max(axis=-1).reshape(len(im), len(re))


def lemma4_steps(method: Method, point, slices: Sequence[slice]) -> StepAnalysis:
    """Plain SimGD's stable set is Lemma 4's ``(0, h*)``, read off the classification of
    ``point`` (a :class:`~gametheory.analysis.classify.PointReport`), so that ``classify``'s
    ``max_step_size`` and ``stepsize``'s ``stable_interval`` are one computation; no step
    converges unless the point is an LSSP. Only the optimal h is computed here."""
    step = point.step
    j = np.array(point.jacobian.evalf(30).tolist(), dtype=float) if point.exact else np.array(
        point.jacobian.tolist(), dtype=float)
    intervals = () if step.max_step_size is None else ((0.0, step.max_step_size),)
    exact = ((sp.Integer(0), step.exact),) if step.exact is not None else None
    h, radius = _optimum(method, j, slices, intervals)
    label = step.method or point.stability_method  # no step: as sure as the stability verdict
    how = f"Lemma 4 ({label}): {step.reason}"
    return StepAnalysis(method.with_step(None), intervals, exact, label == "exact", how, h, radius, label)


def analyse_report(report, method: Method) -> list[StepAnalysis | None]:
    """:func:`analyse_steps` at every point of a :class:`~gametheory.analysis.classify.GameReport`
    (None for points that are not stationary); plain SimGD reads Lemma 4 off the report."""
    if method.plain:
        return [lemma4_steps(method, p, report.game.slices) if p.stationary else None
                for p in report.points]
    return [analyse_steps(method, p.jacobian, report.game.slices) if p.stationary else None for p in report.points]

"""Exact and numeric location of a Jacobian's eigenvalues relative to the imaginary axis.

The stability question "do all eigenvalues of J have positive real part?" is decided on the
characteristic polynomial ``p(x) = det(x I - J)``, computed in the field of J's entries
(:mod:`gametheory.analysis.fields`: Q, Q(a), or Q(a)(t) with transcendentals kept as symbols):

1. Routh-Hurwitz on ``p(-x)``: all roots of p have Re > 0 iff the first column of the Routh
   array of ``p(-x)`` (leading coefficient made positive) is positive.
2. Otherwise the roots on the imaginary axis are isolated exactly: they are roots of
   ``g = gcd(p(x), p(-x))``, which is even or odd, ``g = x^m h(x^2)``; all roots of g lie on the
   axis iff ``h(-s)`` has only real positive roots (Sturm sequence count). The cofactor
   ``q = p / g`` has no root on the axis, so Routh-Hurwitz on q decides it.

Signs come from :func:`gametheory.analysis.fields.sign`: zero is decided in the field, a nonzero
element's sign is certified by interval evaluation. In a field with several transcendentals only
the zero polynomial is known to be 0, so the gcd may miss an axis root that a relation between
them would create: there the cofactor must have a regular Routh array (every entry certified
nonzero), and any sign that never separates from 0 makes the verdict ``undecided``.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import mpmath
import numpy as np
import sympy as sp
from mpmath.libmp.libhyper import NoConvergence
from sympy.polys.matrices import DomainMatrix

from .criteria import all_roots_right, reflect, routh_column, split_axis
from .fields import UndecidedSign, decidable, describe, exact_domain, generators, sign
from .polys import X, dropped, lifted

FACTOR_BUDGET = 48
"""Factor a polynomial over Q(a) only when deg(p) * [Q(a):Q] is at most this (over Q always);
over a field with transcendentals only up to degree :data:`TRANSCENDENTAL_FACTOR_DEGREE`.
Past the budget the square-free factors stand in for the irreducible ones."""
TRANSCENDENTAL_FACTOR_DEGREE = 4


def poly_text(poly: sp.Poly, latex: bool = False) -> str:
    """A characteristic polynomial as text (or LaTeX) in a plain variable x."""
    expr = poly.as_expr(sp.Symbol("x"))
    return sp.latex(expr) if latex else sp.sstr(expr)


def characteristic_polynomial(matrix: sp.Matrix) -> sp.Poly | None:
    """``det(x I - J)`` over the field of J's entries, computed in that field (DomainMatrix,
    Berkowitz: no expression swell, no simplification); None if an entry is not an exact number."""
    found = exact_domain(list(matrix))
    if found is None:
        return None
    domain, elements = found
    n = matrix.rows
    rows = [elements[i * n:(i + 1) * n] for i in range(n)]
    return sp.Poly.from_list(DomainMatrix(rows, (n, n), domain).charpoly(), X, domain=domain)


def factors(poly: sp.Poly) -> list[tuple[sp.Poly, int]]:
    """Monic factors of ``poly`` with multiplicities: irreducible over its field within
    :data:`FACTOR_BUDGET`, else square-free."""
    poly = poly.to_field()
    domain = poly.domain
    degree = poly.degree()
    if generators(domain):
        within = degree <= TRANSCENDENTAL_FACTOR_DEGREE
    else:
        within = domain.is_QQ or degree * domain.ext.minpoly.degree() <= FACTOR_BUDGET
    raised = lifted(poly)
    found = raised.factor_list()[1] if within else raised.sqf_list()[1]
    out = []
    for factor, multiplicity in found:
        if factor.degree(raised.gens[0]) > 0:
            out.append((dropped(factor, domain).monic(), multiplicity))
    return out


@dataclass(frozen=True)
class StabilityDecision:
    """Verdict on the sign pattern of the real parts of the roots of p: exact in a decidable
    field, certified otherwise, or undecided (a sign never separated from 0)."""

    verdict: str  # "LSSP" | "unstable" | "marginal" | "undecided"
    reason: str
    method: str = "exact"  # "exact" | "certified" | "undecided"


def decide_stability(poly: sp.Poly) -> StabilityDecision:
    """LSSP iff all roots have Re > 0; unstable iff one has Re < 0; else marginal. A polynomial
    over the integers is read over the rationals (the criteria divide)."""
    poly = poly.to_field()
    method = "exact" if decidable(poly.domain) else "certified"
    try:
        verdict, reason = _decide(poly)
    except UndecidedSign as error:
        return StabilityDecision("undecided", f"undecided over {describe(poly.domain)}: {error}", "undecided")
    if method == "certified":
        reason += f" (signs certified by interval arithmetic over {describe(poly.domain)})"
    return StabilityDecision(verdict, reason, method)


def _decide(poly: sp.Poly) -> tuple[str, str]:
    if all_roots_right(poly):
        return "LSSP", "Routh-Hurwitz: every eigenvalue has Re > 0"
    split = split_axis(poly)
    if split.rest.degree() > 0:
        column = routh_column(reflect(split.rest))
        if not all(s > 0 for s in column):
            if 0 in column and not decidable(poly.domain):
                raise UndecidedSign("the Routh array of the off-axis factor is singular, and with several "
                                    "transcendentals an axis root cannot be ruled out")
            return "unstable", "Routh-Hurwitz: an eigenvalue has Re < 0"
    if not split.all_on_axis:
        return "unstable", "eigenvalues come in a +-pair off the imaginary axis: one has Re < 0"
    n_axis = split.axis_factor.degree()
    return "marginal", (f"{n_axis} eigenvalue(s) exactly on the imaginary axis, none with Re < 0: "
                        "linearisation inconclusive")


DIGITS = 50
"""Working precision (decimal digits) of numeric roots of exact polynomials."""


@lru_cache(maxsize=64)
def high_precision_roots(poly: sp.Poly, guesses: tuple[complex, ...] = ()) -> tuple:
    """Roots (mpmath mpc, :data:`DIGITS` digits) of a square-free exact polynomial: Newton's
    method at that precision from ``guesses`` (e.g. float eigenvalues of J, which are far better
    conditioned than the polynomial's coefficients) and numpy's roots; mpmath's polyroots
    (slower) unless that finds deg(p) distinct roots. NoConvergence if polyroots fails."""
    with mpmath.workdps(2 * DIGITS):
        coeffs = [mpmath.mpf(str(sp.N(poly.domain.to_sympy(c), 2 * DIGITS))) for c in poly.rep.to_list()]
        floats = [float(c) for c in coeffs]
        starts = list(guesses) + (list(np.roots(floats)) if all(np.isfinite(floats)) else [])
        roots = _newton_roots(coeffs, starts, poly.degree())
        if roots is not None:
            return roots
        return tuple(mpmath.polyroots(coeffs, maxsteps=400, extraprec=4 * DIGITS * poly.degree()))


def _newton_roots(coeffs: list, starts: list, degree: int) -> tuple | None:
    """Distinct roots reached by quadratically convergent Newton iterations from ``starts``;
    None unless there are ``degree`` of them."""
    derivative = [c * k for c, k in zip(coeffs, range(len(coeffs) - 1, 0, -1))]
    tolerance = mpmath.mpf(10) ** -DIGITS
    roots: list = []
    for z in starts:
        z = mpmath.mpc(complex(z))
        for _ in range(40):
            step = mpmath.polyval(coeffs, z) / mpmath.polyval(derivative, z)
            z -= step
            if abs(step) <= tolerance * max(1, abs(z)):
                if all(abs(z - r) > mpmath.mpf(10) ** -(DIGITS // 2) * max(1, abs(z)) for r in roots):
                    roots.append(z)
                break
        if len(roots) == degree:
            return tuple(roots)
    return None


def _nroots(poly: sp.Poly, guesses: tuple[complex, ...] = ()) -> list[complex]:
    """Float roots with multiplicity: each square-free factor separately (:func:`high_precision_roots`,
    numpy's companion matrix if that does not converge; NoConvergence is raised when neither
    applies, e.g. coefficients beyond double range)."""
    roots: list[complex] = []
    for factor, multiplicity in _dropped_sqf(poly):
        try:
            found = [complex(r) for r in high_precision_roots(factor, guesses)]
        except NoConvergence:
            coeffs = np.array([complex(sp.N(poly.domain.to_sympy(c), 30)) for c in factor.rep.to_list()])
            if not np.all(np.isfinite(coeffs)):
                raise
            found = [complex(r) for r in np.roots(coeffs)]
        roots += found * multiplicity
    return roots


def _dropped_sqf(poly: sp.Poly) -> list[tuple[sp.Poly, int]]:
    raised = lifted(poly)
    return [(dropped(f, poly.domain).monic(), m) for f, m in raised.sqf_list()[1] if f.degree(raised.gens[0]) > 0]


def numeric_roots(poly: sp.Poly, guesses: tuple[complex, ...] = ()) -> list[complex]:
    """Floats of the roots of p (``guesses``: approximate roots, e.g. float eigenvalues of J),
    with axis roots computed on the axis (Re exactly 0.0) where the axis split is certain."""
    try:
        split = split_axis(poly)
    except UndecidedSign:
        return _nroots(poly, guesses)
    if not split.all_on_axis:
        return _nroots(poly, guesses)
    roots = _nroots(split.rest, guesses) + [0j] * split.zero_multiplicity
    if split.axis_squares is not None:
        for s in _nroots(split.axis_squares):
            y = float(np.sqrt(max(s.real, 0.0)))
            roots += [complex(0.0, y), complex(0.0, -y)]
    return roots


def closed_form_roots(factor: sp.Poly) -> list[sp.Expr] | None:
    """Both roots of a monic quadratic ``x^2 + b x + c`` (``-b/2 -+ sqrt(b^2/4 - c)``), the root
    of a linear factor, as expressions; None for higher degree. Never a cubic or quartic
    formula: those are unreadable (casus irreducibilis) where a polynomial is exact."""
    domain = factor.domain
    coeffs = factor.rep.to_list()
    if factor.degree() == 1:
        return [domain.to_sympy(-coeffs[1])]
    if factor.degree() != 2:
        return None
    half, quarter_disc = -coeffs[1] / 2, coeffs[1] * coeffs[1] / 4 - coeffs[2]
    centre = domain.to_sympy(half)
    if sign(domain, quarter_disc) >= 0:
        offset = sp.sqrt(domain.to_sympy(quarter_disc))
    else:
        offset = sp.I * sp.sqrt(domain.to_sympy(-quarter_disc))
    return [centre - offset, centre + offset]


def exact_roots(poly: sp.Poly) -> list[sp.Expr] | None:
    """All roots (with multiplicity) as expressions when p factors over its field into linear
    and quadratic factors; None otherwise (the exact object is then the polynomial itself)."""
    out: list[sp.Expr] = []
    try:
        for factor, multiplicity in factors(poly):
            roots = closed_form_roots(factor)
            if roots is None:
                return None
            out += roots * multiplicity
    except UndecidedSign:
        return None
    return out

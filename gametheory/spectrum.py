"""Exact and numeric location of a Jacobian's eigenvalues relative to the imaginary axis.

The stability question "do all eigenvalues of J have positive real part?" is decided exactly on
the characteristic polynomial ``p(x) = det(x I - J)`` over Q or an algebraic number field:

1. Routh-Hurwitz on ``p(-x)``: all roots of p have Re > 0 iff the first column of the Routh
   array of ``p(-x)`` (leading coefficient made positive) is positive.
2. Otherwise the roots on the imaginary axis are isolated exactly: they are roots of
   ``g = gcd(p(x), p(-x))``, which is even or odd, ``g = x^m h(x^2)``; all roots of g lie on the
   axis iff ``h(-s)`` has only real positive roots (Sturm sequence count). The cofactor
   ``q = p / g`` has no root on the axis, so Routh-Hurwitz on q decides it.

Signs of field elements are exact: zero is decided in the field, a nonzero algebraic number's
sign is read from a high-precision evaluation.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sympy as sp
from mpmath.libmp.libhyper import NoConvergence

X = sp.Dummy("x")
"""The variable of characteristic polynomials: a Dummy, so that it never clashes with a game
parameter named x (or with the variable inside a CRootOf coordinate). Render with :func:`poly_text`."""


def poly_text(poly: sp.Poly, latex: bool = False) -> str:
    """A characteristic polynomial as text (or LaTeX) in a plain variable x."""
    expr = poly.as_expr(sp.Symbol("x"))
    return sp.latex(expr) if latex else sp.sstr(expr)


def characteristic_polynomial(matrix: sp.Matrix) -> sp.Poly | None:
    """``det(x I - J)`` over Q or an algebraic field; None if an entry is not an exact number."""
    if not all(entry.is_number and not entry.has(sp.Float) for entry in matrix):
        return None
    expr = matrix.charpoly(X).as_expr(X)
    try:
        poly = sp.Poly(expr, X, extension=True)
    except (sp.PolynomialError, NotImplementedError):
        return None
    if not (poly.domain.is_QQ or poly.domain.is_ZZ or poly.domain.is_AlgebraicField):
        return None
    return poly.to_field() if poly.domain.is_ZZ else poly


def sign(poly_domain, element) -> int:
    """Exact sign of a field element (Q or an algebraic field of real numbers)."""
    if not element:
        return 0
    value = poly_domain.to_sympy(element)
    if value.is_Rational:
        return 1 if value > 0 else -1
    for digits in (50, 200, 1000):
        approx = sp.N(value, digits)
        if approx != 0 and abs(approx) > sp.Float(10) ** (-digits // 2):
            return 1 if approx > 0 else -1
    raise ArithmeticError(f"could not decide the sign of {value}")  # pragma: no cover


def _reflect(poly: sp.Poly) -> sp.Poly:
    """``p(-x)``, scaled to a positive leading coefficient (same roots as -roots of p)."""
    reflected = poly.compose(sp.Poly(-X, X, domain=poly.domain))
    return -reflected if sign(poly.domain, reflected.rep.LC()) < 0 else reflected


def _routh_stable(poly: sp.Poly) -> bool:
    """True iff every root of ``poly`` has Re < 0 (Routh array, exact; leading coeff > 0)."""
    domain = poly.domain
    coeffs = poly.rep.to_list()
    if len(coeffs) == 1:
        return True
    upper, lower = coeffs[0::2], coeffs[1::2]
    if sign(domain, upper[0]) <= 0:
        return False
    while lower:
        if sign(domain, lower[0]) <= 0:
            return False
        nxt = [(lower[0] * upper[i + 1] - upper[0] * (lower[i + 1] if i + 1 < len(lower) else domain.zero))
               / lower[0] for i in range(len(upper) - 1)]
        upper, lower = lower, nxt
    return True


def all_roots_right(poly: sp.Poly) -> bool:
    """True iff every root of ``poly`` has real part > 0 (exact)."""
    return poly.degree() == 0 or _routh_stable(_reflect(poly))


def sign_changes(domain, elements) -> int:
    """Sign changes along a sequence of field elements, zeros skipped (Sturm, Descartes)."""
    signs = [s for s in (sign(domain, e) for e in elements) if s]
    return sum(1 for a, b in zip(signs, signs[1:]) if a != b)


def _count_positive_real_roots(poly: sp.Poly) -> int:
    """Number of distinct real roots > 0 of a polynomial with p(0) != 0 (Sturm's theorem)."""
    sequence = poly.sqf_part().sturm()
    at_zero = sign_changes(poly.domain, [p.rep.to_list()[-1] for p in sequence])
    at_inf = sign_changes(poly.domain, [p.rep.LC() for p in sequence])
    return at_zero - at_inf


@dataclass(frozen=True)
class AxisSplit:
    """``p = g * q`` with g = gcd(p(x), p(-x)) holding every root on the imaginary axis."""

    axis_factor: sp.Poly
    rest: sp.Poly
    zero_multiplicity: int
    axis_squares: sp.Poly | None  # h(-s): its roots s > 0 give the axis roots +-i sqrt(s)
    all_on_axis: bool


def split_axis(poly: sp.Poly) -> AxisSplit:
    g = sp.gcd(poly, poly.compose(sp.Poly(-X, X, domain=poly.domain)))
    g = g.monic() if g.degree() > 0 else sp.Poly(1, X, domain=poly.domain)
    rest = sp.Poly(sp.quo(poly, g), X, domain=poly.domain)
    coeffs = g.rep.to_list()
    m = 0
    while coeffs and not coeffs[-1]:
        coeffs.pop()
        m += 1
    g1 = sp.Poly.from_list(coeffs, X, domain=poly.domain) if coeffs else sp.Poly(1, X, domain=poly.domain)
    if g1.degree() <= 0:
        return AxisSplit(g, rest, m, None, True)
    # g1 is even: g1(x) = h(x^2). Keep the even-degree coefficients, then substitute s -> -s.
    h_coeffs = g1.rep.to_list()[0::2]
    h = sp.Poly.from_list(h_coeffs, X, domain=poly.domain)
    h_neg = h.compose(sp.Poly(-X, X, domain=poly.domain))
    on_axis = _count_positive_real_roots(h_neg) == h_neg.sqf_part().degree()
    return AxisSplit(g, rest, m, h_neg, on_axis)


@dataclass(frozen=True)
class StabilityDecision:
    """Exact verdict on the sign pattern of the real parts of the roots of p."""

    verdict: str  # "LSSP" | "unstable" | "marginal"
    reason: str


def decide_stability(poly: sp.Poly) -> StabilityDecision:
    """LSSP iff all roots have Re > 0; unstable iff one has Re < 0; else marginal. Exact."""
    if all_roots_right(poly):
        return StabilityDecision("LSSP", "Routh-Hurwitz: every eigenvalue has Re > 0")
    split = split_axis(poly)
    if split.rest.degree() > 0 and not all_roots_right(split.rest):
        return StabilityDecision("unstable", "Routh-Hurwitz: an eigenvalue has Re < 0")
    if not split.all_on_axis:
        return StabilityDecision("unstable", "eigenvalues come in a +-pair off the imaginary axis: one has Re < 0")
    n_axis = split.axis_factor.degree()
    return StabilityDecision("marginal", f"{n_axis} eigenvalue(s) exactly on the imaginary axis, none with Re < 0: "
                                         "linearisation inconclusive")


def _nroots(poly: sp.Poly) -> list[complex]:
    """Float roots with multiplicity: each square-free factor separately (30-digit mpmath
    polyroots, numpy's companion matrix if that does not converge; NoConvergence is raised
    when neither applies, e.g. coefficients beyond double range)."""
    roots: list[complex] = []
    for factor, multiplicity in poly.sqf_list()[1]:
        if factor.degree() <= 0:
            continue
        expr_poly = sp.Poly(factor.as_expr(), X)
        try:
            found = [complex(r) for r in expr_poly.nroots(n=30, maxsteps=500)]
        except NoConvergence:
            coeffs = np.array([complex(sp.N(c, 30)) for c in expr_poly.all_coeffs()])
            if not np.all(np.isfinite(coeffs)):
                raise
            found = [complex(r) for r in np.roots(coeffs)]
        roots += found * multiplicity
    return roots


def numeric_roots(poly: sp.Poly) -> list[complex]:
    """Floats of the roots of p, with axis roots computed on the axis (Re exactly 0.0)."""
    split = split_axis(poly)
    if not split.all_on_axis:
        return _nroots(poly)
    roots = _nroots(split.rest) + [0j] * split.zero_multiplicity
    if split.axis_squares is not None:
        for s in _nroots(split.axis_squares):
            y = float(np.sqrt(max(s.real, 0.0)))
            roots += [complex(0.0, y), complex(0.0, -y)]
    return roots


def exact_roots(poly: sp.Poly) -> list[sp.Expr] | None:
    """All roots as radicals (with multiplicity) when p factors into linear and quadratic
    factors; None otherwise (the exact object is then the polynomial itself)."""
    found = sp.roots(poly, cubics=False, quartics=False, quintics=False)
    if sum(found.values()) != poly.degree():
        return None
    out: list[sp.Expr] = []
    for root, multiplicity in found.items():
        out += [sp.radsimp(root)] * multiplicity
    return out

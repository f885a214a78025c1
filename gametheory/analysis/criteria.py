"""Where the roots of a polynomial lie: one module for the classical criteria.

- Routh-Hurwitz (exact field arithmetic): the first column of the Routh array; every root of
  p has Re > 0 iff the column of ``p(-x)`` (leading coefficient made positive) is positive.
- Hurwitz minors (parametric coefficients): ``a0^k D_k > 0`` for k = 1..n iff every root of
  ``a0 s^n + ... + an`` has Re < 0, whatever the sign of ``a0``.
- Schur-Cohn by way of the Moebius transform ``q(s) = (1 - s)^n p((1 + s)/(1 - s))``: roots of
  p in the open unit disk are roots of q with Re s < 0.
- Sturm sequences (distinct real roots in an interval), Descartes' rule (sign changes) and the
  exact isolation of imaginary-axis roots through ``gcd(p(x), p(-x))``.
- Sylvester: a symmetric matrix is positive definite iff its leading principal minors are > 0.

Signs of field elements come from :func:`gametheory.analysis.fields.sign` (zero decided in the
field, nonzero signs certified by interval arithmetic).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import sympy as sp

from .fields import UndecidedSign, sign
from .polys import X, gcd, quo, sqf_part

S = sp.Symbol("s")


def reflect(poly: sp.Poly) -> sp.Poly:
    """``p(-x)``, scaled to a positive leading coefficient (same roots as -roots of p)."""
    reflected = poly.compose(sp.Poly(-X, X, domain=poly.domain))
    return -reflected if sign(poly.domain, reflected.rep.LC()) < 0 else reflected


def routh_column(poly: sp.Poly) -> list[int]:
    """Signs of the first column of the Routh array of ``poly`` (exact field arithmetic),
    ending at the first zero entry (a singular array)."""
    domain = poly.domain
    coeffs = poly.rep.to_list()
    upper, lower = coeffs[0::2], coeffs[1::2]
    signs = [sign(domain, upper[0])]
    while lower and signs[-1]:
        signs.append(sign(domain, lower[0]))
        if signs[-1]:
            nxt = [(lower[0] * upper[i + 1] - upper[0] * (lower[i + 1] if i + 1 < len(lower) else domain.zero))
                   / lower[0] for i in range(len(upper) - 1)]
            upper, lower = lower, nxt
    return signs


def all_roots_right(poly: sp.Poly) -> bool:
    """True iff every root of ``poly`` has real part > 0 (Routh-Hurwitz on p(-x))."""
    return poly.degree() == 0 or all(s > 0 for s in routh_column(reflect(poly)))


def sign_changes(domain, elements) -> int:
    """Sign changes along a sequence of field elements, zeros skipped (Sturm, Descartes)."""
    signs = [s for s in (sign(domain, e) for e in elements) if s]
    return sum(1 for a, b in zip(signs, signs[1:]) if a != b)


def sturm(poly: sp.Poly) -> list[sp.Poly]:
    """Sturm sequence of a square-free polynomial: p, p', then negated remainders (field
    remainders, no gcd over the field). A leading coefficient that is 0 (a relation between
    transcendentals) makes the sequence invalid: :class:`UndecidedSign`."""
    sequence = [poly, poly.diff(X)]
    while sequence[-1].degree() > 0:
        remainder = -sequence[-2].rem(sequence[-1])
        if remainder.is_zero:
            break
        sequence.append(remainder)
    if any(sign(poly.domain, p.rep.LC()) == 0 for p in sequence):
        raise UndecidedSign("a Sturm sequence's leading coefficient vanishes")
    return sequence


def count_positive_real_roots(poly: sp.Poly) -> int:
    """Number of distinct real roots > 0 of a polynomial with p(0) != 0 (Sturm's theorem)."""
    sequence = sturm(sqf_part(poly))
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
    domain = poly.domain
    g = gcd(poly, poly.compose(sp.Poly(-X, X, domain=domain)))
    g = g.monic() if g.degree() > 0 else sp.Poly(1, X, domain=domain)
    rest = quo(poly, g)
    coeffs = g.rep.to_list()
    m = 0
    while coeffs and not coeffs[-1]:
        coeffs.pop()
        m += 1
    g1 = sp.Poly.from_list(coeffs, X, domain=domain) if coeffs else sp.Poly(1, X, domain=domain)
    if g1.degree() <= 0:
        return AxisSplit(g, rest, m, None, True)
    # g1 is even: g1(x) = h(x^2). Keep the even-degree coefficients, then substitute s -> -s.
    h_coeffs = g1.rep.to_list()[0::2]
    h = sp.Poly.from_list(h_coeffs, X, domain=domain)
    h_neg = h.compose(sp.Poly(-X, X, domain=domain))
    on_axis = count_positive_real_roots(h_neg) == sqf_part(h_neg).degree()
    return AxisSplit(g, rest, m, h_neg, on_axis)


def hurwitz_conditions(coeffs: Sequence[sp.Expr]) -> list[sp.Expr]:
    """Expressions that must all be > 0 for every root of ``sum coeffs[i] s^(n-i)`` to have
    Re < 0 (``coeffs`` from the leading one down)."""
    a = [sp.expand(c) for c in coeffs]
    n = len(a) - 1

    def coef(k):
        return a[k] if 0 <= k <= n else sp.Integer(0)

    hurwitz = sp.Matrix(n, n, lambda i, j: coef(2 * j - i + 1))
    out = []
    for k in range(1, n + 1):
        minor = hurwitz[:k, :k].det(method="berkowitz")
        out.append(sp.expand(a[0] * minor if k % 2 else minor))
    return out


def right_half_plane_conditions(poly: sp.Expr, x: sp.Symbol) -> list[sp.Expr]:
    """All roots of ``poly`` (in x) have Re > 0 iff every returned expression is > 0."""
    return hurwitz_conditions(sp.Poly(poly.subs(x, -x), x).all_coeffs())


def moebius(poly: sp.Expr, z: sp.Symbol, degree: int | None = None) -> sp.Poly:
    """``q(s) = (1 - s)^n p((1 + s)/(1 - s))``, n = ``degree`` (default deg p): roots of p in
    the open unit disk correspond to roots of q with Re s < 0; a root of p at -1 lowers deg q."""
    p = sp.Poly(poly, z)
    n = p.degree() if degree is None else degree
    coeffs = p.all_coeffs()[::-1]
    q = sum((c * (1 + S) ** k * (1 - S) ** (n - k) for k, c in enumerate(coeffs)), sp.Integer(0))
    return sp.Poly(sp.expand(q), S)


def unit_disk_conditions(poly: sp.Expr, z: sp.Symbol) -> list[sp.Expr]:
    """All roots of ``poly`` (in z) lie in the open unit disk iff every returned expression is > 0.

    The Moebius transform keeps the full degree n (leading coefficient ``(-1)^n p(-1)``, which
    may vanish), so a root at ``z = -1`` makes the first condition fail, as it must."""
    n = sp.Poly(poly, z).degree()
    q = moebius(poly, z, n)
    coeffs = [q.coeff_monomial(S ** k) for k in range(n, -1, -1)]
    return hurwitz_conditions(coeffs)


def sylvester_conditions(matrix: sp.Matrix) -> list[sp.Expr]:
    """A symmetric matrix is positive definite iff every leading principal minor is > 0."""
    return [sp.expand(matrix[:k, :k].det(method="berkowitz")) for k in range(1, matrix.rows + 1)]

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

from .fields import UndecidedSign, decidable, describe, exact_domain, generators, sign

X = sp.Dummy("x")
"""The variable of characteristic polynomials: a Dummy, so that it never clashes with a game
parameter named x (or with the variable inside a CRootOf coordinate). Render with :func:`poly_text`."""
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


def _lifted(poly: sp.Poly) -> sp.Poly:
    """``poly`` with denominators cleared and its transcendentals made variables: a polynomial
    over Q or Q(a), where sympy's gcd and factoring are fast (over Q(t) they are not)."""
    if not generators(poly.domain):
        return poly
    return poly.clear_denoms(convert=True)[1].inject()


def _dropped(lifted: sp.Poly, domain) -> sp.Poly:
    """Inverse of :func:`_lifted`, up to a nonzero constant factor."""
    return lifted if lifted.gens == (X,) else sp.Poly(lifted.as_expr(), X, domain=domain)


def _gcd(a: sp.Poly, b: sp.Poly) -> sp.Poly:
    return _dropped(sp.gcd(_lifted(a), _lifted(b)), a.domain)


def _quo(a: sp.Poly, b: sp.Poly) -> sp.Poly:
    """Exact quotient a / b (b divides a), up to a nonzero constant factor."""
    return _dropped(sp.quo(_lifted(a), _lifted(b)), a.domain)


def factors(poly: sp.Poly) -> list[tuple[sp.Poly, int]]:
    """Monic factors of ``poly`` with multiplicities: irreducible over its field within
    :data:`FACTOR_BUDGET`, else square-free."""
    domain = poly.domain
    degree = poly.degree()
    if generators(domain):
        within = degree <= TRANSCENDENTAL_FACTOR_DEGREE
    else:
        within = domain.is_QQ or degree * domain.ext.minpoly.degree() <= FACTOR_BUDGET
    lifted = _lifted(poly)
    found = lifted.factor_list()[1] if within else lifted.sqf_list()[1]
    out = []
    for factor, multiplicity in found:
        if factor.degree(lifted.gens[0]) > 0:
            out.append((_dropped(factor, domain).monic(), multiplicity))
    return out


def _reflect(poly: sp.Poly) -> sp.Poly:
    """``p(-x)``, scaled to a positive leading coefficient (same roots as -roots of p)."""
    reflected = poly.compose(sp.Poly(-X, X, domain=poly.domain))
    return -reflected if sign(poly.domain, reflected.rep.LC()) < 0 else reflected


def _routh_column(poly: sp.Poly) -> list[int]:
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
    return poly.degree() == 0 or all(s > 0 for s in _routh_column(_reflect(poly)))


def sign_changes(domain, elements) -> int:
    """Sign changes along a sequence of field elements, zeros skipped (Sturm, Descartes)."""
    signs = [s for s in (sign(domain, e) for e in elements) if s]
    return sum(1 for a, b in zip(signs, signs[1:]) if a != b)


def _sturm(poly: sp.Poly) -> list[sp.Poly]:
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


def _count_positive_real_roots(poly: sp.Poly) -> int:
    """Number of distinct real roots > 0 of a polynomial with p(0) != 0 (Sturm's theorem)."""
    sequence = _sturm(_sqf_part(poly))
    at_zero = sign_changes(poly.domain, [p.rep.to_list()[-1] for p in sequence])
    at_inf = sign_changes(poly.domain, [p.rep.LC() for p in sequence])
    return at_zero - at_inf


def _sqf_part(poly: sp.Poly) -> sp.Poly:
    return _dropped(_lifted(poly).sqf_part(), poly.domain)


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
    g = _gcd(poly, poly.compose(sp.Poly(-X, X, domain=domain)))
    g = g.monic() if g.degree() > 0 else sp.Poly(1, X, domain=domain)
    rest = _quo(poly, g)
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
    on_axis = _count_positive_real_roots(h_neg) == _sqf_part(h_neg).degree()
    return AxisSplit(g, rest, m, h_neg, on_axis)


@dataclass(frozen=True)
class StabilityDecision:
    """Verdict on the sign pattern of the real parts of the roots of p: exact in a decidable
    field, certified otherwise, or undecided (a sign never separated from 0)."""

    verdict: str  # "LSSP" | "unstable" | "marginal" | "undecided"
    reason: str
    method: str = "exact"  # "exact" | "certified" | "undecided"


def decide_stability(poly: sp.Poly) -> StabilityDecision:
    """LSSP iff all roots have Re > 0; unstable iff one has Re < 0; else marginal."""
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
        column = _routh_column(_reflect(split.rest))
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
    lifted = _lifted(poly)
    return [(_dropped(f, poly.domain).monic(), m) for f, m in lifted.sqf_list()[1] if f.degree(lifted.gens[0]) > 0]


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

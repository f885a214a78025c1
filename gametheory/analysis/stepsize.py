"""Lemma 4 of Mescheder et al. (2017), in the descent convention.

Simultaneous gradient descent ``omega <- omega - h v(omega)`` is locally convergent at a
stationary point with Jacobian eigenvalues ``l`` (all Re l > 0) iff
``0 < h < min_l 2 Re(l) / |l|^2``; equivalently ``h < 2 min_l Re(1/l)``. (Mescheder's ascent
form ``h < (1/|Re l|) * 2 / (1 + (Im l / Re l)^2)`` with Re l < 0 is the same number.)
Points that are not LSSP have no convergent step size.

On an exact characteristic polynomial the bound is found per factor over the point's field
(:func:`gametheory.analysis.spectrum.factors`), never from a closed-form formula for the whole
polynomial: a real root r gives ``2/r``; a complex pair, roots of ``x^2 + b x + c``, gives
``2 Re(1/l) = 1/l + 1/conj(l) = -b/c``, an element of the field; roots of factors of higher
degree are computed to 50 digits. Bounds are compared at that precision, never rounded; ties
(equal to 40 digits) go to the closed form, then to the eigenvalue with the larger imaginary
part; tied closed forms are compared exactly (certified sign of their difference), and one is
reported only if it is also below every tied 50-digit bound by more than that bound's error
(else the 50-digit bound is reported, as high precision): the exact bound is then the least.
"""
from __future__ import annotations

from dataclasses import dataclass

import mpmath
import sympy as sp

from .fields import UndecidedSign, certified_sign, sign
from .intervals import enclose, ends
from .spectrum import DIGITS, NoConvergence, closed_form_roots, factors, high_precision_roots

TIE = mpmath.mpf(10) ** -40
"""Relative difference below which two bounds count as one (ties between eigenvalues)."""
ROOT_ERROR = mpmath.mpf(10) ** -(DIGITS - 2)
"""Relative error allowed for a bound from a root computed to :data:`DIGITS` digits: a closed
form is reported only if it is below every such bound by more than this."""
EXACT_TEXT_LIMIT = 240
"""A closed-form bound longer than this (characters of ``sstr``) is not reported."""


def step_bound(eigenvalue: complex) -> float:
    """``2 Re(l) / |l|^2`` for one eigenvalue (Lemma 4's per-eigenvalue bound)."""
    return 2 * eigenvalue.real / abs(eigenvalue) ** 2


@dataclass(frozen=True)
class StepSize:
    """The largest stable SimGD step (``None`` when no step converges) and what binds it."""

    max_step_size: float | None
    exact: sp.Expr | None
    binding_eigenvalue: complex | None
    reason: str
    method: str | None = None  # "exact" | "high precision" | "numeric"; None without a step size

    def to_dict(self) -> dict:
        b = self.binding_eigenvalue
        return {"max_step_size": self.max_step_size,
                "max_step_size_exact": None if self.exact is None else sp.sstr(self.exact),
                "max_step_size_method": self.method,
                "binding_eigenvalue": None if b is None else [b.real, b.imag],
                "step_size_reason": self.reason}


@dataclass(frozen=True)
class _Bound:
    value: mpmath.mpf  # 2 Re(1/l)
    exact: sp.Expr | None
    eigenvalue: complex
    degree: int = 0  # degree of the factor over the point's field (0: from float eigenvalues)


def _value(expr: sp.Expr) -> mpmath.mpf:
    """A real constant to :data:`DIGITS` digits (midpoint of a certified enclosure)."""
    with mpmath.workdps(2 * DIGITS):  # mpmath.mpf rounds to the context's precision
        try:
            lo, hi = ends(enclose(expr, {}, 2 * DIGITS))  # the interval's .mid is at iv's precision
            return (lo + hi) / 2
        except (NotImplementedError, ValueError):
            return mpmath.mpf(str(sp.N(expr, DIGITS)))


def _exact_order(a: sp.Expr, b: sp.Expr) -> int:
    """Sign of ``a - b`` for two closed-form bounds: exact when sympy evaluates the difference to
    a rational, else certified; 0 when the difference never separates from 0 (a tie)."""
    difference = sp.sympify(a - b)
    if difference.is_Rational:
        return int(sp.sign(difference))
    try:
        return certified_sign(difference)
    except UndecidedSign:
        return 0


def _binding(ties: list[_Bound]) -> _Bound:
    """The bound reported among ties: the least closed form (exact comparison; the larger
    imaginary part among equal ones) when it is below every 50-digit bound by more than their
    error, else the least 50-digit bound (or the larger imaginary part among those)."""
    closed = [b for b in ties if b.exact is not None]
    numeric = [b for b in ties if b.exact is None]
    if closed:
        best = closed[0]
        for b in closed[1:]:
            order = _exact_order(b.exact, best.exact)
            if order < 0 or (order == 0 and b.eigenvalue.imag > best.eigenvalue.imag):
                best = b
        if all(b.value - best.value >= abs(b.value) * ROOT_ERROR for b in numeric):
            return best
    least = min(b.value for b in numeric)
    return max((b for b in numeric if b.value - least <= abs(least) * TIE), key=lambda b: b.eigenvalue.imag)


def _exact_bounds(poly: sp.Poly, guesses: tuple[complex, ...]) -> list[_Bound]:
    """Every factor's bound(s) of an exact characteristic polynomial (all roots Re > 0);
    ``guesses`` are approximate eigenvalues (starting points for high-precision roots)."""
    domain = poly.domain
    out = []
    for factor, _ in factors(poly):
        coeffs = factor.rep.to_list()
        roots = closed_form_roots(factor)
        if roots is None:
            with mpmath.workdps(2 * DIGITS):  # mpmath's default 15 digits would round the bound
                for l in high_precision_roots(factor, guesses):
                    out.append(_Bound(2 * mpmath.re(1 / l), None, complex(l), factor.degree()))
        elif factor.degree() == 2 and sign(domain, coeffs[1] * coeffs[1] - 4 * coeffs[2]) < 0:
            pair = -coeffs[1] / coeffs[2]  # 1/l + 1/conj(l) for the roots of x^2 + b x + c
            upper = max((complex(sp.N(r, DIGITS)) for r in roots), key=lambda l: l.imag)
            out.append(_Bound(_value(domain.to_sympy(pair)), domain.to_sympy(pair), upper, 2))
        else:
            for r in roots:
                bound = sp.radsimp(2 / r) if len(sp.sstr(r)) <= EXACT_TEXT_LIMIT else 2 / r
                out.append(_Bound(_value(bound), bound, complex(sp.N(r, DIGITS)), factor.degree()))
    return out


def lemma4(eigenvalues: list[complex], poly: sp.Poly | None, stability: str) -> StepSize:
    """Lemma 4 bound: from the exact characteristic polynomial ``poly`` when given (closed form
    when the binding factor has degree <= 2 and the expression is short, else 50 digits),
    otherwise from the float eigenvalues.

    Example: eigenvalues 2 and 1 +- 3i bound h by 2/2 = 1 and 2 * 1/10 = 1/5; the pair binds.

    >>> import sympy as sp
    >>> from gametheory.analysis.spectrum import characteristic_polynomial
    >>> poly = characteristic_polynomial(sp.Matrix([[2, 0, 0], [0, 1, 3], [0, -3, 1]]))
    >>> step = lemma4([2, 1 + 3j, 1 - 3j], poly, "LSSP")
    >>> step.exact, step.max_step_size, step.binding_eigenvalue, step.method
    (1/5, 0.2, (1+3j), 'exact')
    >>> lemma4([1j, -1j], None, "marginal").reason
    'no step size converges: the point is marginal, not LSSP'
    """
    if stability != "LSSP":
        return StepSize(None, None, None, f"no step size converges: the point is {stability}, not LSSP")
    bounds = None
    if poly is not None:
        try:
            bounds = _exact_bounds(poly.to_field(), tuple(eigenvalues))
        except (UndecidedSign, NoConvergence):
            bounds = None
    from_poly = bounds is not None
    if not from_poly:
        bounds = [_Bound(mpmath.mpf(step_bound(l)), None, l) for l in eigenvalues]
    least = min(b.value for b in bounds)
    ties = [b for b in bounds if b.value - least <= abs(least) * TIE]
    best = _binding(ties)
    exact = best.exact if best.exact is not None and len(sp.sstr(best.exact)) <= EXACT_TEXT_LIMIT else None
    reason = "SimGD converges locally iff 0 < h < min 2 Re(l)/|l|^2 (Lemma 4)"
    if not from_poly:
        method = "numeric"
    elif exact is not None:
        method = "exact"
    else:
        method = "high precision"
        why = (f"the binding eigenvalue is a root of an irreducible factor of degree {best.degree} over the "
               "point's field" if best.exact is None else f"its closed form is longer than {EXACT_TEXT_LIMIT} characters")
        reason += f"; {why}: bound computed to {DIGITS} digits from the exact characteristic polynomial"
    return StepSize(float(best.value), exact, best.eigenvalue, reason, method)

"""Certified enclosures of real sympy expressions at a point, with mpmath's interval arithmetic.

``enclose(expr, point)`` returns an interval guaranteed to contain the exact value of ``expr``
at ``point`` (coordinates taken as the exact numbers they are: a binary float is its exact
rational value, ``pi`` or ``sqrt(2)`` is enclosed like any constant expression), every
operation rounded outwards. :func:`sign` decides the sign of a real number with enclosures at
increasing precision. It covers the functions a game may use
(parsing.FUNCTIONS and their derivatives); ``tanh``, ``sinh`` and ``cosh`` are written through
``exp``, and ``atan``, which mpmath.iv lacks, is enclosed by monotonicity. Anything else raises
:class:`NotImplementedError`; a real function leaving its real domain raises ``ValueError``.
"""
from __future__ import annotations

from collections.abc import Mapping

import sympy as sp
from mpmath import iv, mp

from ..numbers import is_zero

DPS = 60
SIGN_DPS = (20, 80, 320, 1240)
"""The precisions (digits) at which :func:`certified_sign` tries to separate a number from 0."""


def integer_exponent(exponent: sp.Expr) -> int | None:
    """The integer value of a numeric exponent (``2`` or the Float ``2.0`` of the Python API),
    else None."""
    if exponent.is_Integer or (exponent.is_Float and exponent.is_finite and float(exponent).is_integer()):
        return int(exponent)
    return None


def _exact(value):
    """A point interval of an exact rational or binary float, else a rigorous enclosure of the
    exact constant ``value`` (``pi``, ``sqrt(2)``, ...)."""
    value = sp.sympify(value)
    if value.is_Rational or value.is_Float:
        rational = sp.Rational(value)
        return iv.mpf(int(rational.p)) / iv.mpf(int(rational.q))
    if value.free_symbols:
        raise ValueError(f"coordinate {sp.sstr(value)} is not a number")
    return _enclose(value, {})


def ends(interval) -> tuple:
    """The end points of an mpmath interval, as exact (unrounded) mpmath floats."""
    return tuple(mp.make_mpf(end) for end in interval._mpi_)


def _atan(u):
    """atan is increasing: atan of the end points, widened by more than mpmath's rounding error."""
    with mp.workprec(iv.prec + 20):
        lo, hi = (mp.atan(end) for end in ends(u))
        slack = mp.mpf(2) ** (-iv.prec)
        return iv.mpf([lo - slack * (1 + abs(lo)), hi + slack * (1 + abs(hi))])


_FUNCTIONS = {
    sp.exp: iv.exp, sp.log: iv.log, sp.sin: iv.sin, sp.cos: iv.cos, sp.tan: iv.tan, sp.atan: _atan,
    sp.tanh: lambda u: 1 - 2 / (iv.exp(2 * u) + 1),
    sp.sinh: lambda u: (iv.exp(u) - iv.exp(-u)) / 2,
    sp.cosh: lambda u: (iv.exp(u) + iv.exp(-u)) / 2,
}


def _enclose(expr: sp.Expr, point: Mapping[sp.Symbol, object]):
    if expr.is_Symbol:
        return point[expr]
    if expr.is_Rational or expr.is_Float:
        return _exact(expr)
    if expr is sp.pi:
        return iv.pi
    if expr is sp.E:
        return iv.e
    if expr.is_Add or expr.is_Mul:
        terms = [_enclose(a, point) for a in expr.args]
        total = terms[0]
        for term in terms[1:]:
            total = total + term if expr.is_Add else total * term
        return total
    if expr.is_Pow:
        base, exponent = expr.args
        if (power := integer_exponent(exponent)) is not None:
            return _enclose(base, point) ** power
        if exponent == sp.Rational(1, 2):
            return iv.sqrt(_enclose(base, point))
        return iv.exp(_enclose(exponent, point) * iv.log(_enclose(base, point)))
    if isinstance(expr, sp.AlgebraicNumber):
        return _enclose(expr.as_expr(), point)
    if isinstance(expr, sp.CRootOf) and expr.is_real:
        width = sp.Rational(1, 2 ** (iv.prec + 8))
        isolating = expr._get_interval().refine_size(width)
        return iv.mpf([_exact(isolating.a).a, _exact(isolating.b).b])
    function = _FUNCTIONS.get(type(expr))
    if function is None:
        raise NotImplementedError(f"no interval enclosure for {type(expr).__name__}")
    return function(_enclose(expr.args[0], point))


def enclose(expr: sp.Expr, point: Mapping[sp.Symbol, sp.Expr], dps: int = DPS):
    """An mpmath interval containing ``expr`` at ``point`` (exact coordinates), at ``dps`` digits.

    Raises ValueError when a real function meets its real domain's complement (``log`` of an
    interval reaching below 0) and NotImplementedError for a function without an enclosure."""
    saved, iv.dps = iv.dps, dps  # mpmath's interval context has no workdps
    try:
        return _enclose(sp.sympify(expr), {s: _exact(v) for s, v in point.items()})
    except ZeroDivisionError as error:
        raise ValueError(str(error)) from error
    finally:
        iv.dps = saved


def magnitude_bound(exprs, point: Mapping[sp.Symbol, sp.Expr], dps: int = DPS) -> float:
    """A certified upper bound on ``max_i |expr_i(point)|``, rounded up to a float."""
    bound = mp.mpf(0)
    for expr in exprs:
        value = enclose(expr, point, dps)
        bound = max(bound, ends(abs(value))[1])
    return float(mp.mpf(bound) * (1 + mp.mpf(2) ** -50))


def certified_sign(expr: sp.Expr, point: Mapping[sp.Symbol, sp.Expr] | None = None) -> int | None:
    """+1 or -1 from the first enclosure of the real number ``expr`` (at ``point``) at SIGN_DPS
    digits that excludes 0; None when none does. Raises as :func:`enclose`."""
    expr = sp.sympify(expr)
    for dps in SIGN_DPS:
        lo, hi = ends(enclose(expr, point or {}, dps))
        if lo > 0 or hi < 0:
            return 1 if lo > 0 else -1
    return None


def sign(expr: sp.Expr, point: Mapping[sp.Symbol, sp.Expr] | None = None) -> int | None:
    """The sign of the real number ``expr`` at ``point``: :func:`certified_sign`, else 0 for an
    exact zero (numbers.is_zero), else None (undecided)."""
    found = certified_sign(expr, point)
    if found is not None:
        return found
    return 0 if is_zero(sp.sympify(expr).subs(point or {})) else None

"""Exact-number helpers shared by the symbolic algorithms.

``sympy.simplify`` is slow (and its first call imports sympy.physics: bench/RESULTS.md), so zero
tests go through cheap canonical forms first and fall back to ``simplify`` only for a number that
is numerically indistinguishable from zero but not obviously zero.
"""
from __future__ import annotations

import sympy as sp

RELATIVE_TOLERANCE = 1e-9
"""Numeric verdicts treat |x| <= RELATIVE_TOLERANCE * max(1, ||J||_2) as zero."""


def is_exact_number(value: sp.Expr) -> bool:
    return value.is_number and not value.has(sp.Float)


def is_zero(expr: sp.Expr) -> bool:
    """Exact zero test of a constant expression (or an expression in symbols, symbolically)."""
    expr = sp.expand(expr)
    if expr == 0:
        return True
    if expr.is_number:
        if expr.is_Rational or abs(sp.N(expr, 50)) > sp.Float("1e-40"):
            return False
        expr = sp.radsimp(expr)
        return expr == 0 or sp.simplify(expr) == 0
    symbols = sorted(expr.free_symbols, key=lambda s: s.name)
    for k in (1, 2):  # a nonzero value at some point proves the expression is not identically zero
        value = sp.N(expr.subs({s: sp.Rational(2 * k + i, 7 + k + i) for i, s in enumerate(symbols)}), 30)
        if value.is_number and value.is_finite and abs(value) > sp.Float("1e-20"):
            return False
    return sp.simplify(expr) == 0

"""Polynomials over the fields of :mod:`gametheory.analysis.fields`: the variable of
characteristic polynomials, and gcd, quotient and square-free part computed after lifting the
transcendentals of Q(a)(t1..tk) to variables (sympy's algorithms are fast over Q and Q(a))."""
from __future__ import annotations

import sympy as sp

from .fields import generators

X = sp.Dummy("x")
"""The variable of characteristic polynomials: a Dummy, so that it never clashes with a game
parameter named x (or with the variable inside a CRootOf coordinate). Render with
:func:`gametheory.analysis.spectrum.poly_text`."""


def lifted(poly: sp.Poly) -> sp.Poly:
    """``poly`` with denominators cleared and its transcendentals made variables: a polynomial
    over Q or Q(a), where sympy's gcd and factoring are fast (over Q(t) they are not)."""
    if not generators(poly.domain):
        return poly
    return poly.clear_denoms(convert=True)[1].inject()


def dropped(lifted: sp.Poly, domain) -> sp.Poly:
    """Inverse of :func:`lifted`, up to a nonzero constant factor."""
    return lifted if lifted.gens == (X,) else sp.Poly(lifted.as_expr(), X, domain=domain)


def gcd(a: sp.Poly, b: sp.Poly) -> sp.Poly:
    """Greatest common divisor, up to a nonzero constant factor."""
    return dropped(sp.gcd(lifted(a), lifted(b)), a.domain)


def quo(a: sp.Poly, b: sp.Poly) -> sp.Poly:
    """Exact quotient a / b (b divides a), up to a nonzero constant factor."""
    return dropped(sp.quo(lifted(a), lifted(b)), a.domain)


def sqf_part(poly: sp.Poly) -> sp.Poly:
    """The square-free part (each distinct root once), up to a nonzero constant factor."""
    return dropped(lifted(poly).sqf_part(), poly.domain)

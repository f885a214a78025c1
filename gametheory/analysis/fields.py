"""Exact number domains for the symbolic layer: where the entries of a Jacobian live, and the
signs of their elements.

Entries that are exact numbers live in one of:

- Q or an algebraic number field Q(a): zero is decided exactly in the field;
- ``K(t)`` with ``K`` as above and ``t`` one transcendental number (pi, E, exp(1/3), log 2, ...):
  a rational function of ``t`` with algebraic coefficients is zero iff its numerator is the zero
  polynomial, so zero is still decided exactly (the domain is *decidable*);
- ``K(t1, ..., tk)`` with several transcendentals (pi and E, or E and exp(1/3)), or a generator
  whose transcendence sympy cannot vouch for: whether a nonzero polynomial in them vanishes is
  open in general (and E - exp(1/3)**3 does vanish), so only the zero polynomial counts as zero.

The sign of a nonzero element is read from a certified enclosure (mpmath interval arithmetic) at
increasing precision (:mod:`gametheory.analysis.intervals`). An element whose enclosure never excludes 0 raises
:class:`UndecidedSign`: it is then (in a decidable domain) astronomically close to 0, or (in a
mixed domain) possibly 0; either way no sign is guessed.
"""
from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import sympy as sp
from sympy.polys.constructor import construct_domain

from . import intervals


class UndecidedSign(ArithmeticError):
    """The sign of a field element could not be certified (see the module docstring)."""


def exact_domain(entries: Sequence[sp.Expr]):
    """``(K, elements)``: a field ``K`` holding every entry (Q, Q(a), or K(t1, ..., tk) with the
    transcendentals kept as symbols) and the entries as elements of K; None when an entry is
    not an exact number."""
    entries = [sp.sympify(e) for e in entries]
    if not all(e.is_number and not e.has(sp.Float) for e in entries):
        return None
    if all(e.is_algebraic for e in entries):
        try:
            domain, elements = construct_domain(entries, extension=True)
        except (sp.PolynomialError, NotImplementedError):  # pragma: no cover - sympy cannot build Q(a)
            return None
        if domain.is_AlgebraicField or domain.is_QQ:
            return domain, elements
        if domain.is_ZZ:
            return domain.get_field(), [domain.get_field().convert_from(e, domain) for e in elements]
    parts = [sp.fraction(sp.together(e)) for e in entries]
    try:
        polys, opt = sp.parallel_poly_from_expr([p for pair in parts for p in pair], extension=True)
    except (sp.PolynomialError, NotImplementedError):
        return None
    ground = opt.domain.get_field()
    if not opt.gens or not (ground.is_QQ or ground.is_AlgebraicField):
        return None
    field = ground.frac_field(*opt.gens)
    ring = field.field.ring
    elements = [field.field.new(ring.from_dict(_converted(n, ground)), ring.from_dict(_converted(d, ground)))
                for n, d in zip(polys[0::2], polys[1::2])]
    return field, elements


def _converted(poly: sp.Poly, ground) -> dict:
    return {m: ground.convert_from(c, poly.domain) for m, c in poly.rep.to_dict().items()}


def generators(domain) -> tuple[sp.Expr, ...]:
    """The transcendental numbers a domain keeps as symbols (none for Q and Q(a))."""
    return tuple(domain.symbols) if (domain.is_PolynomialRing or domain.is_FractionField) else ()


@lru_cache(maxsize=None)
def decidable(domain) -> bool:
    """Whether zero is decided exactly in ``domain``: Q, Q(a), or one generator that sympy
    knows to be transcendental (then it is transcendental over Q(a) too)."""
    gens = generators(domain)
    return len(gens) == 0 or (len(gens) == 1 and gens[0].is_transcendental is True)


def describe(domain) -> str:
    """``Q``, ``Q(sqrt(5))`` or ``Q(sqrt(2))(pi)``: the domain in words."""
    ground = domain.domain if generators(domain) else domain
    base = "Q" if ground.is_QQ or ground.is_ZZ else f"Q({sp.sstr(ground.ext.as_expr())})"
    gens = generators(domain)
    return base + (f"({', '.join(sp.sstr(g) for g in gens)})" if gens else "")


def sign(domain, element) -> int:
    """Sign of an element of ``domain`` (:func:`exact_domain`'s fields; real numbers): 0 for the
    zero element (or one that sympy evaluates to 0), else certified by interval evaluation;
    :class:`UndecidedSign` if never."""
    if not element:
        return 0
    value = domain.to_sympy(element)
    if value.is_Rational:  # 0 too: sympy's evaluation can prove a relation, e.g. exp(1/3)**3 = E
        return int(sp.sign(value))
    return certified_sign(value)


def certified_sign(value: sp.Expr) -> int:
    """Sign of a real constant expression that is not known to be 0, read off interval
    enclosures at increasing precision (intervals.certified_sign); :class:`UndecidedSign` when
    0 is never excluded or the expression has no enclosure."""
    try:
        found = intervals.certified_sign(value)
    except (NotImplementedError, ValueError) as error:
        raise UndecidedSign(f"no certified enclosure of {_short(value)}: {error}") from None
    if found is None:
        raise UndecidedSign(f"the sign of {_short(value)} is not separated from 0 at "
                            f"{intervals.SIGN_DPS[-1]} digits")
    return found


def _short(value: sp.Expr, limit: int = 80) -> str:
    text = sp.sstr(value)
    return text if len(text) <= limit else text[:limit] + "..."

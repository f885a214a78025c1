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
increasing precision. An element whose enclosure never excludes 0 within :data:`MAX_BITS` raises
:class:`UndecidedSign`: it is then (in a decidable domain) astronomically close to 0, or (in a
mixed domain) possibly 0; either way no sign is guessed.
"""
from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import sympy as sp
from mpmath.ctx_iv import MPIntervalContext
from sympy.polys.constructor import construct_domain

PRECISIONS = (64, 256, 1024, 4096)
"""Working precisions (bits) of the certified sign test, tried in order."""
MAX_BITS = PRECISIONS[-1]
IV = MPIntervalContext()
"""A private interval context: its working precision is set here and nowhere else."""


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
    """Sign of a real constant expression that is not known to be 0, read off an interval
    enclosure at increasing precision; :class:`UndecidedSign` when 0 is never excluded."""
    for bits in PRECISIONS:
        box = enclosure(value, bits)
        if box.a > 0:
            return 1
        if box.b < 0:
            return -1
    raise UndecidedSign(f"the sign of {_short(value)} is not separated from 0 at {MAX_BITS} bits")


def _short(value: sp.Expr, limit: int = 80) -> str:
    text = sp.sstr(value)
    return text if len(text) <= limit else text[:limit] + "..."


_FUNCTIONS = {sp.exp: "exp", sp.log: "log", sp.sin: "sin", sp.cos: "cos", sp.tan: "tan", sp.atan: "atan"}


def enclosure(value: sp.Expr, bits: int):
    """A rigorous mpmath interval holding the real constant ``value``, computed at ``bits`` of
    working precision (outward rounding). Supports rationals, pi, E, + * /, integer and
    rational powers, exp/log/sin/cos/tan/atan and real ``CRootOf``; :class:`UndecidedSign` for
    anything else."""
    IV.prec = bits
    return _enclose(value, bits)


def _enclose(e: sp.Expr, bits: int):
    if e.is_Rational:
        return IV.mpf(int(e.p)) / int(e.q)
    if e is sp.pi:
        return IV.pi
    if e is sp.E:
        return IV.e
    if e.is_Add:
        return sum((_enclose(a, bits) for a in e.args), IV.mpf(0))
    if e.is_Mul:
        out = IV.mpf(1)
        for a in e.args:
            out *= _enclose(a, bits)
        return out
    if e.is_Pow:
        base, exp = e.args
        if exp.is_Integer:
            return _enclose(base, bits) ** int(exp)
        if exp.is_Rational:
            inner = _enclose(base, bits)
            if not inner.a > 0:
                raise UndecidedSign(f"no certified enclosure of {_short(e)}: base not certified positive")
            root = IV.sqrt(inner) if exp.q == 2 else IV.exp(IV.log(inner) / int(exp.q))
            return root ** int(exp.p)
        if base is sp.E:
            return IV.exp(_enclose(exp, bits))
    if isinstance(e, sp.AlgebraicNumber):
        return _enclose(e.as_expr(), bits)
    if isinstance(e, sp.CRootOf) and e.is_real:
        interval = e._get_interval().refine_size(sp.Rational(1, 2 ** (bits + 8)))
        low, high = (_enclose(sp.Rational(end.numerator, end.denominator), bits) for end in (interval.a, interval.b))
        return IV.mpf([low.a, high.b])
    name = _FUNCTIONS.get(e.func)
    if name is not None and len(e.args) == 1:
        return getattr(IV, name)(_enclose(e.args[0], bits))
    raise UndecidedSign(f"no certified enclosure for {_short(e)}")

"""Parametric stability regions: for which values of a game's constants (and of ``h``, ``r``) a
stationary point is an LSSP, a DNE, or locally convergent under a training method.

Every region is a conjunction of polynomial inequalities ``c_k > 0``, exact by construction:

- LSSP (all Re eig J > 0): Hurwitz conditions on ``p(-x)``, ``p(x) = det(x I - J)``;
- a method converges (all |eig M| < 1, M the update-map Jacobian): Hurwitz conditions on the
  Moebius transform ``q(s) = (1 - s)^n p((1 + s)/(1 - s))``, whose roots have Re s < 0 exactly
  when those of ``p`` lie inside the unit disk (Schur-Cohn by way of Routh-Hurwitz);
- DNE: Sylvester's criterion, every leading principal minor of each player's Hessian > 0.

Hurwitz, stated so that the sign of the leading coefficient ``a0`` may depend on parameters:
all roots of ``a0 s^n + ... + an`` have Re < 0 iff ``a0^k D_k > 0`` for k = 1..n, with ``D_k``
the k-th Hurwitz minor; for even k this is ``D_k > 0`` (``a0 != 0`` follows from k = 1).
One variable: the conditions are reduced exactly with sympy's ``solveset`` to a union of
intervals. Two or more variables: the conjunction is reported, factored, not reduced.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import sympy as sp

from ..errors import GameError, OptionError, PointError
from ..game import Game
from ..parsing import parse_number
from ..analysis.criteria import right_half_plane_conditions, sylvester_conditions, unit_disk_conditions
from .methods import METHODS, Method, update_jacobian
from .vocabulary import resolve_method

Z = sp.Symbol("z")
H = sp.Symbol("h", positive=True)
R = sp.Symbol("r", positive=True)
PROPERTIES = ("lssp", "dne")
REGIONS = PROPERTIES + METHODS
"""Region names: a property of the point, or a method (any spelling; methods also joined by ``+``)."""


# --- reduction -------------------------------------------------------------------------------
def _domain(symbol: sp.Symbol) -> sp.Set:
    return sp.Interval.open(0, sp.oo) if symbol.is_positive else sp.S.Reals


def _sign_part(condition: sp.Expr) -> sp.Expr:
    """A condition with the same sign: factored, with the factors whose sign sympy knows on the
    variables' domains (positive numbers, powers of positive symbols such as h, even powers
    are kept) divided out, so ``-h^3 (h - 4 gamma) / 8 > 0`` becomes ``4 gamma - h > 0``."""
    coeff, factors = sp.factor_list(sp.expand(condition))
    sign = 1 if coeff > 0 else -1
    kept = []
    for factor, power in factors:
        term = factor ** power
        if term.is_positive:
            continue
        if term.is_negative:
            sign = -sign
            continue
        kept.append(term)
    return sign * sp.Mul(*kept) if kept else sp.Integer(sign)


def real_set(conditions: Sequence[sp.Expr], x: sp.Symbol) -> sp.Set:
    """The exact set ``{x in domain(x) : c(x) > 0 for every c}`` for polynomials with rational
    coefficients: the real roots of every condition (isolated exactly, ``CRootOf`` or radicals)
    cut the domain into open intervals; each is kept iff every condition is > 0 at a rational
    sample point inside it (the signs are constant there). Roots themselves are excluded."""
    domain = _domain(x)
    polys = [sp.Poly(c, x, domain="QQ") for c in conditions]
    low = domain.start if isinstance(domain, sp.Interval) else -sp.oo
    cuts = sorted({r for p in polys if p.degree() > 0 for r in p.real_roots() if low == -sp.oo or sp.N(r - low, 50) > 0},
                  key=lambda r: sp.N(r, 50))
    edges = [low, *cuts, sp.oo]
    pieces = []
    for a, b in zip(edges, edges[1:]):
        if a == -sp.oo:
            sample = sp.Integer(0) if b == sp.oo else sp.floor(sp.N(b, 30)) - 1
        elif b == sp.oo:
            sample = sp.ceiling(sp.N(a, 30)) + 1
        else:
            sample = sp.Rational(str(sp.N((a + b) / 2, 50)))
        if all(p.eval(sample) > 0 for p in polys):
            pieces.append(sp.Interval.open(a, b))
    return sp.Union(*pieces) if pieces else sp.S.EmptySet


@dataclass(frozen=True)
class Region:
    """The set of variable values where a point has a property, as exact conditions."""

    name: str
    variables: tuple[sp.Symbol, ...]
    conditions: tuple[sp.Expr, ...]  # each must be > 0
    condition: sp.Basic  # the reduced condition (a sympy Boolean or relational)
    set: sp.Set | None  # the exact set of values, for one variable
    exact: bool
    note: str

    def intervals(self) -> list[tuple[float, float]] | None:
        """The set as float intervals ``(lo, hi)`` (one variable only); ``inf`` for unbounded."""
        if self.set is None:
            return None
        parts = self.set.args if isinstance(self.set, sp.Union) else (() if self.set is sp.S.EmptySet else (self.set,))
        out = []
        for part in parts:
            if isinstance(part, sp.Interval):
                out.append((float(part.start), float(part.end)))
            elif isinstance(part, sp.FiniteSet):
                out += [(float(p), float(p)) for p in part]
        return out

    def to_dict(self) -> dict:
        exact_set = None if self.set is None else sp.sstr(self.set)
        intervals = self.intervals()
        if intervals is not None:  # JSON has no infinity: an unbounded end is null
            intervals = [[a if np.isfinite(a) else None, b if np.isfinite(b) else None] for a, b in intervals]
        return {"name": self.name, "variables": [v.name for v in self.variables],
                "condition": sp.sstr(self.condition), "conditions": [f"{sp.sstr(c)} > 0" for c in self.conditions],
                "set": exact_set, "interval": intervals, "exact": self.exact, "note": self.note}


def reduce_conditions(name: str, conditions: Sequence[sp.Expr], variables: Sequence[sp.Symbol],
                      what: str) -> Region:
    """Reduce ``c > 0 for c in conditions`` over ``variables`` (each with its natural domain)."""
    variables = tuple(variables)
    conditions = tuple(c for c in (_sign_part(c) for c in conditions) if not (c.is_number and c > 0))
    if any(c.is_number for c in conditions):  # a condition that is identically <= 0
        return Region(name, variables, conditions, sp.false, sp.S.EmptySet if len(variables) == 1 else None, True,
                      f"{what}: never (a condition is identically <= 0)")
    if not conditions:
        full = _domain(variables[0]) if len(variables) == 1 else None
        return Region(name, variables, (), sp.true, full, True, f"{what}: always")
    if len(variables) == 1:
        (x,) = variables
        try:
            result = real_set(conditions, x)
        except (sp.PolynomialError, NotImplementedError, sp.polys.polyerrors.DomainError) as error:
            return Region(name, variables, conditions, sp.And(*[c > 0 for c in conditions]), None, True,
                          f"{what}: exact conditions, not reduced to intervals ({type(error).__name__})")
        return Region(name, variables, conditions, result.as_relational(x), result, True,
                      f"{what}: exact (conditions reduced by real root isolation and exact sign tests)")
    return Region(name, variables, conditions, sp.And(*[c > 0 for c in conditions]), None, True,
                  f"{what}: exact conditions in {len(variables)} variables, not reduced further")


# --- the point, with constants kept symbolic ---------------------------------------------------
def symbolic_point(game: Game, values: Mapping[sp.Symbol, sp.Expr], fixed: Mapping[sp.Symbol, object]) -> dict:
    """The stationary point ``values`` (found at the constants' default values) as a function of
    the constants not in ``fixed``: itself when ``v`` vanishes there identically, else the branch
    of the symbolic solution of ``v = 0`` that passes through it at the defaults."""
    free = [c for c in game.constants if c not in fixed]
    sub = {**{c: v for c, v in fixed.items()}}
    field = game.vector_field.subs(sub)
    point = {s: values[s] for s in game.params}
    if all(sp.simplify(e.subs(point)) == 0 for e in field):
        return point
    defaults = {c: game.constants[c] for c in free}
    try:
        solutions = sp.solve(list(field), game.params, dict=True)
    except NotImplementedError:
        solutions = []
    for sol in solutions:
        if set(sol) != set(game.params):
            continue
        at_default = [complex(sp.N(sol[s].subs(defaults))) for s in game.params]
        if all(abs(a - complex(sp.N(point[s]))) < 1e-9 for a, s in zip(at_default, game.params)):
            return {s: sp.simplify(sol[s]) for s in game.params}
    raise PointError("the stationary point moves with the constants and sympy could not follow it symbolically: "
                     "fix the constants with --set, or the region is out of reach")


def region_method(name: str, options: Mapping[str, object] | None = None) -> Method:
    """The method a region name stands for, with ``options``; an OptionError for a name that is
    neither a property nor a method."""
    try:
        for part in name.split("+"):
            resolve_method(part, METHODS)
    except OptionError:
        raise OptionError(f"unknown region {name!r} (regions: {', '.join(REGIONS)}; "
                          "methods also joined by +)") from None
    return Method(name, **(options or {}))


def point_region(game: Game, point: Mapping[sp.Symbol, sp.Expr], name: str,
                 fixed: Mapping[sp.Symbol, object] | None = None, method=None) -> Region:
    """The region where ``point`` is an LSSP (``name="lssp"``), a DNE (``"dne"``), or where a
    method converges locally (``name`` a method; ``method``, default ``Method(name)``, a
    :class:`Method` whose ``h`` and ``ratio`` may be None/:data:`H` or :data:`R` to keep them as
    variables).

    Variables: the game's constants not in ``fixed``, plus ``h`` and ``r`` when symbolic."""
    fixed = dict(fixed or {})
    if name not in PROPERTIES:
        method = method or region_method(name)
    unknown = [getattr(c, "name", str(c)) for c in fixed if c not in game.constants]
    if unknown:
        raise GameError(f"unknown constant(s) {', '.join(unknown)}")
    at = symbolic_point(game, point, fixed)
    subs = {**fixed, **at}
    jacobian = game.jacobian.subs(subs).applyfunc(sp.simplify)
    variables = [c for c in game.constants if c not in fixed]
    if name == "lssp":
        conditions = right_half_plane_conditions(jacobian.charpoly(Z).as_expr(), Z)
        what = "LSSP (every eigenvalue of J has Re > 0)"
    elif name == "dne":
        conditions = [c for i in range(len(game.players))
                      for c in sylvester_conditions(jacobian[game.slices[i], game.slices[i]])]
        what = "DNE (every player's Hessian is positive definite)"
    else:
        if method.h is None:
            method = method.with_step(H)
        matrix = update_jacobian(method, jacobian, game.slices)
        conditions = unit_disk_conditions(matrix.charpoly(Z).as_expr(), Z)
        variables += [s for s in (H, R) if s in (method.h, method.ratio)]
        what = f"{method.label} converges locally (spectral radius of the update map < 1)"
    if len(variables) == 0:
        raise OptionError("the region needs at least one variable: the game has no free constant "
                          "(and h is fixed); use classify or stepsize instead")
    extra = [s.name for c in conditions for s in c.free_symbols if s not in variables]
    if extra:
        raise PointError(f"the conditions still depend on {', '.join(sorted(set(extra)))}: out of reach")
    return reduce_conditions(name, conditions, variables, what)


def parse_region(spec: str):
    """``NAME`` or ``NAME:key=value,...`` (keys h, ratio, beta, gamma; ``ratio=r`` keeps the
    step-size ratio as a variable; no ``h`` keeps h as a variable) as ``(name, Method | None)``;
    a method's name comes back canonical."""
    name, _, rest = spec.partition(":")
    name = name.strip().lower()
    method = None if name in PROPERTIES else region_method(name)
    options: dict[str, object] = {}
    for item in filter(None, (t.strip() for t in rest.split(","))):
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or key not in ("h", "ratio", "beta", "gamma"):
            raise OptionError(f"region option {item!r} is not one of h=, ratio=, beta=, gamma=")
        options[key] = R if key == "ratio" and value.strip() == "r" else parse_number(value.strip())
    if method is None:
        if options:
            raise OptionError(f"region {name!r} takes no options")
        return name, None
    method = Method(name, **options)
    return method.name, method


def report_regions(report, game: Game, constants: Mapping[sp.Symbol, object], specs: Sequence[str]) -> list[dict]:
    """Per point of a classification report of ``game`` (the game with its constants still
    symbolic): region spec -> Region, or a one-line reason it is out of reach (the point is not
    an exact stationary point, or the reduction failed)."""
    parsed = [(spec, *parse_region(spec)) for spec in specs]
    out = []
    for p in report.points:
        found = {}
        for spec, name, method in parsed:
            if not (p.exact and p.stationary):
                found[spec] = "out of reach: the point is not an exact stationary point"
                continue
            try:
                found[spec] = point_region(game, dict(zip(p.params, p.values)), name, constants, method)
            except GameError as error:
                found[spec] = f"out of reach: {error}"
        out.append(found)
    return out

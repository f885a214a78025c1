"""The real domain of a game: where every player's loss is real and smooth.

A loss built from the parser's functions is real-analytic exactly on the open set where every
``log`` argument is > 0, every base of a non-integer (or symbolic) power is > 0 (``sqrt(x)``
is not differentiable at 0), every base of a negative integer power is != 0 and every ``tan``
argument avoids the poles (``cos != 0``); exp, sin, cos, sinh, cosh, tanh and atan are entire.
A stationary point must lie in this set (v and J are then real and finite as well). Conditions
are decided exactly at exact points, by interval arithmetic at numeric points, and symbolically
in the free parameters of a family. Losses with other functions (possible from Python) are
checked by evaluating every loss, v and J at the point instead.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import sympy as sp

from .game import Game
from .intervals import ends, enclose
from .numbers import is_zero

_ENTIRE = (sp.exp, sp.sin, sp.cos, sp.sinh, sp.cosh, sp.tanh, sp.atan)


@dataclass(frozen=True)
class Condition:
    """``expr > 0`` (``positive``) or ``expr != 0``, required by the sub-expression ``source``."""

    expr: sp.Expr
    positive: bool
    source: sp.Expr

    def broken(self, value: sp.Expr) -> str:
        """Why the condition fails where ``expr`` takes ``value``."""
        relation = ">" if self.positive else "!="
        return f"{sp.sstr(self.source)} needs {sp.sstr(self.expr)} {relation} 0, which is {sp.sstr(value)} here"


@dataclass(frozen=True)
class Domain:
    """The conditions of a game's losses, innermost first; where a loss uses a function outside
    the table above, ``expressions`` (every loss, v and J entry) are also checked by evaluation."""

    conditions: tuple[Condition, ...]
    expressions: tuple[sp.Expr, ...]

    @classmethod
    def of(cls, game: Game) -> "Domain":
        conditions: list[Condition] = []
        unknown = False
        for player in game.players:
            for node in sp.postorder_traversal(player.loss):
                condition = _condition(node)
                if condition is not None and condition.expr.free_symbols and condition not in conditions:
                    conditions.append(condition)  # constants such as sqrt(2) need no check
                unknown |= isinstance(node, sp.Function) and not isinstance(node, _ENTIRE + (sp.log, sp.tan))
        if not unknown:
            return cls(tuple(conditions), ())
        return cls(tuple(conditions), tuple(p.loss for p in game.players) + tuple(game.vector_field) + tuple(game.jacobian))

    def violation(self, point: Mapping[sp.Symbol, sp.Expr], exact: bool) -> str | None:
        """Why ``point`` lies outside the domain (None when it lies inside). Exact points are
        decided exactly (signs of exact numbers); other points by interval enclosures at their
        coordinates, where an enclosure touching the boundary counts as outside."""
        for condition in self.conditions:
            value = sp.expand(condition.expr.subs(point)) if exact else condition.expr
            sign = _exact_sign(value) if exact else _interval_sign(value, point)
            if sign is not None and (sign > 0 if condition.positive else sign != 0):
                continue
            return condition.broken(value if exact else sp.N(condition.expr.subs(point), 6))
        for expr in self.expressions:
            value = sp.N(expr.subs(point), 30)
            if not (value.is_finite and abs(sp.im(value)) <= sp.Float("1e-25") * (1 + abs(value))):
                return f"{sp.sstr(expr)} is {sp.sstr(sp.N(value, 6))} here (not real and finite)"
        return None

    def restrict(self, solution: Mapping[sp.Symbol, sp.Expr]) -> tuple[bool, tuple[str, ...]]:
        """A family ``solution`` (fixed coordinates as functions of the free ones): whether some
        part of it may lie in the domain, and the conditions left on the free parameters."""
        left = []
        for condition in self.conditions:
            value = sp.simplify(condition.expr.subs(solution))
            relation = sp.Gt(value, 0) if condition.positive else sp.Ne(value, 0)
            if relation is sp.false or (not condition.positive and is_zero(value)):
                return False, (condition.broken(value),)
            if relation is not sp.true:
                left.append(sp.sstr(relation))
        return True, tuple(left)


def _condition(node: sp.Basic) -> Condition | None:
    if isinstance(node, sp.log):
        return Condition(node.args[0], True, node)
    if isinstance(node, sp.tan):
        return Condition(sp.cos(node.args[0]), False, node)
    if node.is_Pow:
        base, exponent = node.args
        if not exponent.is_Integer:
            return Condition(base, True, node)
        if exponent.is_negative:
            return Condition(base, False, node)
    return None


def _exact_sign(value: sp.Expr) -> int | None:
    """Sign of an exact real number (None for a non-real one, or when it cannot be decided)."""
    if is_zero(value):
        return 0
    approx = sp.N(value, 50)
    if not approx.is_number or abs(sp.im(approx)) > sp.Float("1e-40") * (1 + abs(approx)):
        return None
    return 1 if sp.re(approx) > 0 else -1


def _interval_sign(expr: sp.Expr, point: Mapping[sp.Symbol, sp.Expr]) -> int | None:
    """+1 or -1 when an interval enclosure of ``expr`` at ``point`` excludes 0, else 0 (None
    when ``expr`` is not real there; a function without an enclosure is evaluated instead)."""
    try:
        lo, hi = ends(enclose(expr, point))
    except ValueError:
        return None
    except NotImplementedError:
        return _exact_sign(expr.subs(point))
    return 1 if lo > 0 else (-1 if hi < 0 else 0)

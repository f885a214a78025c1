"""The real domain of a game: where every player's loss is real and smooth.

A loss built from the parser's functions is real-analytic exactly on the open set where every
``log`` argument is > 0, every base of a non-integer (or symbolic) power is > 0 (``sqrt(x)``
is not differentiable at 0), every base of a negative integer power is != 0 and every ``tan``
argument avoids the poles (``cos != 0``); exp, sin, cos, sinh, cosh, tanh and atan are entire.
A stationary point must lie in this set (v and J are then real and finite as well). Conditions
are decided by certified signs (intervals.sign: enclosures at increasing precision, exact zero
tests) at exact and numeric points alike, and symbolically in the free parameters of a family;
a condition on constants alone (``(-2)**x`` needs -2 > 0) is decided once, and one that fails
puts every point outside the domain. Losses with other functions (possible from Python) are
checked by evaluating every loss, v and J at the point instead.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import sympy as sp

from ..game import Game
from .intervals import integer_exponent, sign
from ..numbers import is_zero

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
                if not (condition is None or condition in conditions or _holds(condition, {}, constant=True)):
                    conditions.append(condition)  # constants such as sqrt(2) are checked once
                unknown |= isinstance(node, sp.Function) and not isinstance(node, _ENTIRE + (sp.log, sp.tan))
        if not unknown:
            return cls(tuple(conditions), ())
        return cls(tuple(conditions), tuple(p.loss for p in game.players) + tuple(game.vector_field) + tuple(game.jacobian))

    @property
    def nowhere(self) -> str | None:
        """Why no point at all lies in the domain (a failed condition on constants), or None."""
        for condition in self.conditions:
            if not condition.expr.free_symbols:
                return condition.broken(condition.expr)
        return None

    def violation(self, point: Mapping[sp.Symbol, sp.Expr], exact: bool) -> str | None:
        """Why ``point`` lies outside the domain (None when it lies inside): every condition's
        sign is certified at the point's exact coordinates (binary floats are exact too); an
        undecided sign counts as outside."""
        for condition in self.conditions:
            if _holds(condition, point):
                continue
            value = sp.expand(condition.expr.subs(point))
            return condition.broken(value if exact else sp.N(value, 6))
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
        power = integer_exponent(exponent)
        if power is None:
            return Condition(base, True, node)
        if power < 0:
            return Condition(base, False, node)
    return None


def _holds(condition: Condition, point: Mapping[sp.Symbol, sp.Expr], constant: bool = False) -> bool:
    """Whether ``condition`` certainly holds at ``point`` (intervals.sign). With ``constant``
    only a condition without free symbols can hold. A function without an interval enclosure
    (possible from Python), or a coordinate such as a CRootOf, is decided by an exact zero test
    and sympy's evaluation at 50 digits instead."""
    if constant and condition.expr.free_symbols:
        return False
    try:
        value = sign(condition.expr, point)
    except ValueError:
        return False  # not real there
    except NotImplementedError:
        exact = sp.expand(condition.expr.subs(point))
        approx = sp.N(exact, 50)
        if not approx.is_number or abs(sp.im(approx)) > sp.Float("1e-40") * (1 + abs(approx)):
            return False
        value = 0 if is_zero(exact) else (1 if sp.re(approx) > 0 else -1)
    return value is not None and (value > 0 if condition.positive else value != 0)

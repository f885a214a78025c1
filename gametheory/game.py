"""Differentiable games written with sympy: players, losses, vector field and Jacobian.

Convention (docs/design.md): every player minimises its own loss; the joint state
``omega = (theta_1, ..., theta_n)`` concatenates the players' parameters in player order; the
game vector field is ``v = [grad_{theta_1} L_1, ..., grad_{theta_n} L_n]`` and ``J = grad v``.
A game given as utilities is negated once, at construction (:meth:`Player.from_utility`).
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property

import sympy as sp

from .display import latex
from .errors import GameError
from .numbers import is_zero


@dataclass(frozen=True)
class Player:
    """A player: its name, its own parameter symbols and the loss it minimises."""

    name: str
    params: tuple[sp.Symbol, ...]
    loss: sp.Expr

    def __init__(self, name: str, params: sp.Symbol | Iterable[sp.Symbol], loss):
        params = (params,) if isinstance(params, sp.Symbol) else tuple(params)
        object.__setattr__(self, "name", str(name))
        object.__setattr__(self, "params", params)
        object.__setattr__(self, "loss", sp.sympify(loss) if not isinstance(loss, sp.Basic) else loss)

    @classmethod
    def from_utility(cls, name: str, params, utility) -> "Player":
        """A player who maximises ``utility``: stored, once, as minimising ``-utility``."""
        return cls(name, params, -sp.sympify(utility))


class Game:
    """An n-player differentiable game ``Game(Player(...), Player(...), constants={c: 1})``.

    ``constants`` are symbols with default values that may appear in the losses (for example
    the R1 penalty weight); :meth:`with_constants` substitutes them. The objects derived from the
    losses (vector field, Jacobian, blocks) keep constants symbolic.

    Example: each player's gradient of its own loss stacks into ``v``; J's eigenvalues 1 +- i
    (attraction and rotation) make the origin an LSSP where SimGD converges for h < 1.

    >>> import sympy as sp
    >>> from gametheory import classify_game
    >>> x, y = sp.symbols("x y", real=True)
    >>> game = Game(Player("P", x, x**2 / 2 + x * y), Player("Q", y, y**2 / 2 - x * y))
    >>> game.vector_field.T, game.jacobian
    (Matrix([[x + y, -x + y]]), Matrix([
    [ 1, 1],
    [-1, 1]]))
    >>> (point,) = classify_game(game).points
    >>> point.values, point.stability, point.dne, point.step.exact
    ((0, 0), 'LSSP', True, 1)
    """

    def __init__(self, *players: Player, constants: Mapping[sp.Symbol, object] | None = None,
                 name: str = "game", description: str = "", source: str = ""):
        if len(players) == 1 and not isinstance(players[0], Player):
            players = tuple(players[0])
        self.players: tuple[Player, ...] = tuple(players)
        self.constants: dict[sp.Symbol, sp.Expr] = {k: sp.sympify(v) for k, v in (constants or {}).items()}
        self.name = name
        self.description = description
        self.source = source
        self._validate()

    def _validate(self) -> None:
        if not self.players:
            raise GameError("a game needs at least one player")
        names = [p.name for p in self.players]
        if len(set(names)) != len(names):
            raise GameError(f"player names must be distinct, got {names}")
        owner: dict[sp.Symbol, str] = {}
        for player in self.players:
            if not player.params:
                raise GameError(f"player {player.name!r} has no parameters")
            for symbol in player.params:
                if not isinstance(symbol, sp.Symbol):
                    raise GameError(f"parameter {symbol!r} of player {player.name!r} is not a symbol")
                if symbol in owner:
                    raise GameError(f"parameter {symbol.name!r} is used by players {owner[symbol]!r} and {player.name!r}")
                owner[symbol] = player.name
        for symbol in self.constants:
            if symbol in owner:
                raise GameError(f"{symbol.name!r} is both a constant and a parameter of {owner[symbol]!r}")
        known = set(owner) | set(self.constants)
        for player in self.players:
            unknown = sorted(s.name for s in player.loss.free_symbols - known)
            if unknown:
                raise GameError(f"loss of player {player.name!r} uses undeclared symbol(s): {', '.join(unknown)}")

    def __repr__(self) -> str:
        players = ", ".join(f"{p.name}({', '.join(s.name for s in p.params)})" for p in self.players)
        return f"Game({self.name!r}: {players})"

    def _repr_latex_(self) -> str | None:
        return latex(self)

    # --- structure -------------------------------------------------------------------------
    @cached_property
    def params(self) -> tuple[sp.Symbol, ...]:
        """All parameters, concatenated in player order: the coordinates of omega."""
        return tuple(s for p in self.players for s in p.params)

    @cached_property
    def slices(self) -> tuple[slice, ...]:
        """Index range of each player's parameters inside omega."""
        out, start = [], 0
        for p in self.players:
            out.append(slice(start, start + len(p.params)))
            start += len(p.params)
        return tuple(out)

    def player(self, name: str) -> Player:
        for p in self.players:
            if p.name == name:
                return p
        raise GameError(f"no player named {name!r} (players: {', '.join(p.name for p in self.players)})")

    # --- derived objects -------------------------------------------------------------------
    @cached_property
    def vector_field(self) -> sp.Matrix:
        """``v(omega)``: each player's gradient of its own loss in its own parameters."""
        return sp.Matrix([sp.diff(p.loss, s) for p in self.players for s in p.params])

    @cached_property
    def jacobian(self) -> sp.Matrix:
        """``J = grad v``, rows indexed by components of v, columns by parameters."""
        return self.vector_field.jacobian(self.params)

    def block(self, i: int, j: int) -> sp.Matrix:
        """Block (i, j) of J: derivative of player i's gradient w.r.t. player j's parameters.

        For two players, ``block(0, 0), block(0, 1), block(1, 0), block(1, 1)`` are the paper's
        ``S1, B, A, S2`` (eq. (5)).
        """
        return self.jacobian[self.slices[i], self.slices[j]]

    def hessian(self, i: int) -> sp.Matrix:
        """Player i's Hessian of its own loss in its own parameters (the diagonal block)."""
        return self.block(i, i)

    @cached_property
    def zero_sum(self) -> bool:
        """True when the losses sum to a constant (zero-sum up to a constant, same dynamics)."""
        total = sum((p.loss for p in self.players), sp.Integer(0))
        return all(is_zero(sp.diff(total, s)) for s in self.params)

    # --- constants -------------------------------------------------------------------------
    def with_constants(self, values: Mapping[sp.Symbol, object] | None = None) -> "Game":
        """The game with every constant replaced by its value (``values`` override defaults)."""
        values = dict(values or {})
        unknown = [getattr(k, "name", str(k)) for k in values if k not in self.constants]
        if unknown:
            known = ", ".join(s.name for s in self.constants) or "none"
            raise GameError(f"unknown constant(s) {', '.join(unknown)} (constants: {known})")
        subs = {**self.constants, **{k: sp.sympify(v) for k, v in values.items()}}
        players = [Player(p.name, p.params, p.loss.subs(subs)) for p in self.players]
        return Game(*players, name=self.name, description=self.description, source=self.source)

    def numeric(self):
        """Lambdified numpy callables ``(v, J)`` of a flat float array; constants at defaults."""
        game = self.with_constants() if self.constants else self
        v = sp.lambdify([game.params], list(game.vector_field), modules="numpy")
        jac = sp.lambdify([game.params], game.jacobian.tolist(), modules="numpy")
        return v, jac

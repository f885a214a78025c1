"""Training methods as pure update maps on the joint state, each a composition of transformations
of one base update (descent convention, docs/design.md).

The base update is the simultaneous gradient step ``omega <- omega - H v(omega)``, ``H`` the
diagonal matrix of per-coordinate step sizes (``h`` for every player). Each transformation acts at
its own place in that update, so any set of them composes and the order they are listed in does
not matter:

- :class:`TwoTimeScale` ``r``: every player after the first steps with ``r h`` (``h_G = h``, ``h_D = r h``);
- :class:`Consensus` ``gamma`` (Mescheder et al. 2017): the field becomes ``w = v + gamma J^T v``;
- :class:`Extragradient` (Korpelevich): the direction at ``y`` looks ahead, ``d(y) = w(y - H w(y))``;
- :class:`Alternation` ``order``: players update in turn, each seeing the players already updated
  (its direction is taken at that mixed state);
- :class:`Optimism` (Daskalakis et al. 2018): the step reuses the past direction,
  ``-H (2 d_t - d_{t-1})``, where ``d_{t-1}`` is the direction the player used at the previous
  update (with alternation: at that update's mixed state);
- :class:`Momentum` ``beta`` (heavy ball; negative momentum for ``beta < 0``, Gidel et al. 2019b):
  ``+ beta (omega_t - omega_{t-1})``.

Optimism and momentum need the previous iterate: such methods act on the augmented state
``z = (omega_t, omega_{t-1})``, started at ``(omega_0, omega_0)``; the others on ``z = omega_t``.
The named methods are short compositions (:data:`COMPOSITIONS`): ``simgd`` is the base, ``altgd``,
``eg``, ``ogd``, ``momentum`` and ``consensus`` add one transformation each; names join with
``+`` (``altgd+eg``), the option ``beta`` adds momentum to any of them, ``gamma`` consensus,
``ratio`` two time scales; plain ``simgd`` with ``beta`` or ``gamma`` is named ``momentum`` or
``consensus``.

The maps are written once over numpy arrays. With a linear field ``v(x) = J x`` every map is
linear, and applying it to the columns of the identity gives its Jacobian at a stationary point
(:func:`update_jacobian`): exact when ``J`` and the hyper-parameters are sympy objects (numpy
``object`` arrays), floats otherwise. What each transformation does to that Jacobian follows:
with ``A`` the Jacobian of the direction, consensus maps ``J`` to ``J + gamma J^T J``,
extragradient ``A`` to ``A (I - H A)``; then, with ``c = 2`` under optimism (else 1), ``beta = 0``
without momentum, and ``A = L + U`` split into the blocks of players updated before (``L``, zero
without alternation) and not before (``U``) each row's player, the update is the recursion
``(I + c H L) omega_{t+1} = (I - c H U + (c - 1) H L + beta I) omega_t + ((c - 1) H U - beta I) omega_{t-1}``
(a block companion matrix on ``z`` when optimism or momentum is present).
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import sympy as sp

from ..errors import OptionError
from ..game import Game
from .vocabulary import NAMES, resolve_method


@dataclass(frozen=True)
class Field:
    """A vector field ``v`` and the product ``J(x)^T u``, on states ``x`` of shape ``(d,)`` or,
    for linear fields, ``(d, k)`` (k states at once, one per column)."""

    v: Callable[[np.ndarray], np.ndarray]
    jac_t: Callable[[np.ndarray, np.ndarray], np.ndarray]
    slices: tuple[slice, ...]
    dim: int

    @classmethod
    def linear(cls, jacobian, slices: Sequence[slice]) -> "Field":
        """``v(x) = J x``: the linearisation at a stationary point (in shifted coordinates)."""
        j = np.asarray(jacobian)
        return cls(lambda x: j @ x, lambda x, u: j.T @ u, tuple(slices), j.shape[0])

    @classmethod
    def of_game(cls, game: Game) -> "Field":
        """The game's field through lambdified numpy functions (constants at their defaults)."""
        v = numeric_field(game)
        _, j_fn = game.numeric()
        d = len(game.params)

        def jac_t(x, u):
            return np.asarray(j_fn(x), dtype=float).reshape(d, d).T @ u

        return cls(v, jac_t, game.slices, d)


def numeric_field(game: Game) -> Callable[[np.ndarray], np.ndarray]:
    """``v`` as a numpy function of states of shape ``(d,)`` or ``(d, k)`` (one per column),
    lambdified once; constant components are broadcast."""
    v_fn, _ = game.numeric()

    def v(x):
        x = np.asarray(x, dtype=float)
        parts = v_fn(list(x))
        return np.stack([np.broadcast_to(np.asarray(c, dtype=float), x.shape[1:]) for c in parts])

    return v


def _is_symbolic(value) -> bool:
    return isinstance(value, sp.Basic) and bool(value.free_symbols)


def _check(name: str, value, low, high, low_open: bool, high_open: bool) -> None:
    if value is None or _is_symbolic(value):
        return
    x = float(value)
    bad = (x <= low if low_open else x < low) or (high is not None and (x >= high if high_open else x > high))
    if bad or not np.isfinite(x):
        lo = f"{'(' if low_open else '['}{low:g}"
        hi = f"{high:g}{')' if high_open else ']'}" if high is not None else "inf)"
        raise OptionError(f"{name} must lie in {lo}, {hi}, got {value}")


def _value(x, exact: bool):
    """A hyper-parameter as the state's arithmetic needs it: as given (exact) or a float."""
    return x if exact else float(x)


@dataclass
class Sweep:
    """One update in progress: the state ``x = omega_t`` and ``prev = omega_{t-1}``, the mixed
    states ``now`` (players updated so far at their new values) and ``past`` (the same mix one
    update earlier), the per-coordinate steps ``hv`` and the direction ``d``."""

    x: np.ndarray
    prev: np.ndarray
    now: np.ndarray
    past: np.ndarray
    hv: np.ndarray
    d: Callable[[np.ndarray], np.ndarray]
    exact: bool


class Transform:
    """A transformation of the base update ``omega <- omega - H v(omega)``; each hook leaves the
    update as it is unless a subclass overrides it."""

    memory = False  # whether it needs omega_{t-1}
    spectral = True  # whether the update map's spectrum stays a function of J's eigenvalues one by one

    def steps(self, out: np.ndarray, h, slices: Sequence[slice], exact: bool) -> None:
        """Change the per-coordinate step sizes ``out`` in place."""

    def direction(self, d, f: Field, hv: np.ndarray, exact: bool):
        """The direction ``y -> d(y)`` the update steps along (at first the field ``v``)."""
        return d

    def blocks(self, blocks: tuple, slices: Sequence[slice]) -> tuple:
        """The coordinate blocks updated one after the other (at first: all at once)."""
        return blocks

    def scale(self, g: np.ndarray) -> np.ndarray:
        """The direction a block steps along, from ``d`` at the current mixed state."""
        return g

    def correct(self, new: np.ndarray, sweep: Sweep, sl: slice) -> np.ndarray:
        """A block's new value, from ``omega_t - H g`` on that block."""
        return new


@dataclass(frozen=True)
class TwoTimeScale(Transform):
    """Every player after the first steps with ``r h``."""

    ratio: object
    spectral = False

    def steps(self, out, h, slices, exact):
        for sl in slices[1:]:
            out[sl] = h * _value(self.ratio, exact)


@dataclass(frozen=True)
class Consensus(Transform):
    """The field ``v`` becomes ``w = v + gamma J^T v``."""

    gamma: object
    spectral = False

    def direction(self, d, f, hv, exact):
        gamma = _value(self.gamma, exact)

        def w(x):
            g = d(x)
            return g + gamma * f.jac_t(x, g)

        return w


@dataclass(frozen=True)
class Extragradient(Transform):
    """The direction at ``y`` is taken at the look-ahead point: ``d(y - H d(y))``."""

    def direction(self, d, f, hv, exact):
        return lambda y: d(y - hv * d(y))


@dataclass(frozen=True)
class Alternation(Transform):
    """Players update in ``order`` (default first to last), each seeing those updated before it."""

    order: tuple[int, ...] | None = None
    spectral = False

    def blocks(self, blocks, slices):
        return tuple(slices[i] for i in (self.order if self.order is not None else range(len(slices))))


@dataclass(frozen=True)
class Optimism(Transform):
    """The step is ``-H (2 d_t - d_{t-1})``, ``d_{t-1}`` taken at the previous update's mixed state."""

    memory = True

    def scale(self, g):
        return 2 * g

    def correct(self, new, sweep, sl):
        return new + sweep.hv[sl] * sweep.d(sweep.past)[sl]


@dataclass(frozen=True)
class Momentum(Transform):
    """Heavy ball: the step adds ``beta (omega_t - omega_{t-1})``."""

    beta: object
    memory = True

    def correct(self, new, sweep, sl):
        return new + _value(self.beta, sweep.exact) * (sweep.x[sl] - sweep.prev[sl])


METHODS = tuple(n.name for n in NAMES if n.direction == "gradient")
"""Method names of this layer, as the CLI spells them (aliases: :mod:`gametheory.dynamics.vocabulary`)."""

COMPOSITIONS = {"simgd": (), "altgd": (Alternation,), "eg": (Extragradient,), "ogd": (Optimism,),
                "momentum": (Momentum,), "consensus": (Consensus,)}
"""Each named method as the transformations it adds to the base update (hyper-parameters from the Method)."""


def _parts(name: str) -> tuple[str, ...]:
    """The canonical named methods in ``name`` (``"eg+altgd"``), in :data:`METHODS` order, without the base."""
    parts = [resolve_method(part, METHODS) for part in str(name).split("+")]
    twice = sorted({p for p in parts if parts.count(p) > 1})
    if twice:
        raise OptionError(f"method {name!r} names {', '.join(twice)} more than once")
    return tuple(m for m in METHODS if m in parts and m != "simgd")


@dataclass(frozen=True)
class Method:
    """A training method and its hyper-parameters; ``step`` is its update map, built from
    ``transforms``.

    ``name`` is a method of :data:`METHODS`, an alias, or several joined by ``+``; it is stored
    canonically. ``h`` may be a sympy symbol (for symbolic update-map Jacobians) or None (a template
    whose step size is chosen later, :meth:`with_step`).
    """

    name: str
    h: object = None
    ratio: object = 1
    beta: object = 0
    gamma: object = 0
    order: tuple[int, ...] | None = field(default=None)
    transforms: tuple[Transform, ...] = field(default=(), init=False, repr=False, compare=False)

    def __post_init__(self):
        parts = _parts(self.name)
        _check("step size h", self.h, 0, None, True, False)
        _check("step-size ratio r", self.ratio, 0, None, True, False)
        _check("momentum beta", self.beta, -1, 1, True, True)
        _check("consensus gamma", self.gamma, 0, None, False, False)
        if not parts:  # plain SimGD with momentum or consensus is that named method
            parts = tuple(m for m, on in (("momentum", self.beta != 0), ("consensus", self.gamma != 0)) if on)
        kinds = {kind for part in parts for kind in COMPOSITIONS[part]}
        if self.order is not None and Alternation not in kinds:
            raise OptionError(f"a player order applies to alternating methods only, not {'+'.join(parts) or 'simgd'}")
        built = (TwoTimeScale(self.ratio) if self.ratio != 1 else None,
                 Consensus(self.gamma) if Consensus in kinds or self.gamma != 0 else None,
                 Extragradient() if Extragradient in kinds else None,
                 Alternation(self.order) if Alternation in kinds else None,
                 Optimism() if Optimism in kinds else None,
                 Momentum(self.beta) if Momentum in kinds or self.beta != 0 else None)
        object.__setattr__(self, "name", "+".join(parts) or "simgd")
        object.__setattr__(self, "transforms", tuple(t for t in built if t is not None))

    @property
    def memory(self) -> int:
        """1 for maps on omega_t, 2 for maps on the augmented state (omega_t, omega_{t-1})."""
        return 2 if any(t.memory for t in self.transforms) else 1

    @property
    def plain(self) -> bool:
        """Whether this is the base update itself (SimGD, one step size)."""
        return not self.transforms

    @property
    def label(self) -> str:
        """Short human label with the hyper-parameters that matter, e.g. ``altgd(beta=-1/2)``."""
        extras = []
        if self.ratio != 1:
            extras.append(f"r={self.ratio}")
        if self.beta != 0:
            extras.append(f"beta={self.beta}")
        if any(isinstance(t, Consensus) for t in self.transforms):
            extras.append(f"gamma={self.gamma}")
        if self.order is not None:
            extras.append("order=" + ",".join(map(str, self.order)))
        return f"{self.name}({', '.join(extras)})" if extras else self.name

    def with_step(self, h) -> "Method":
        return replace(self, h=h)

    def to_dict(self) -> dict:
        def show(x):  # exact values as sympy strings ("1/2"), whatever type they were given as
            return None if x is None else sp.sstr(sp.sympify(x))
        return {"name": self.name, "h": show(self.h), "ratio": show(self.ratio), "beta": show(self.beta),
                "gamma": show(self.gamma), "order": None if self.order is None else list(self.order)}

    # --- the update map ---------------------------------------------------------------------
    def steps(self, slices: Sequence[slice], dim: int, exact: bool = False) -> np.ndarray:
        """Per-coordinate step sizes (sympy objects when ``exact``, floats otherwise)."""
        if self.h is None:
            raise OptionError(f"method {self.name} needs a step size h")
        h = _value(self.h, exact)
        out = np.empty(dim, dtype=object if exact else float)
        out[:] = h
        for t in self.transforms:
            t.steps(out, h, slices, exact)
        return out

    def initial_state(self, omega: np.ndarray) -> np.ndarray:
        """The state holding ``omega``: itself, or ``(omega, omega)`` for methods with memory."""
        omega = np.asarray(omega)
        return np.concatenate([omega] * self.memory) if self.memory == 2 else omega.copy()

    def step(self, f: Field, z: np.ndarray) -> np.ndarray:
        """One update of the state ``z`` (shape ``(memory*d,)`` or ``(memory*d, k)``): each block
        of coordinates (all of them at once unless alternating) moves to
        ``omega_t - H g`` plus the transformations' corrections, ``g`` the direction there."""
        d = f.dim
        exact = z.dtype == object
        hv = self.steps(f.slices, d, exact).reshape((d,) + (1,) * (z.ndim - 1))
        direction, blocks = f.v, (slice(None),)
        for t in self.transforms:
            direction = t.direction(direction, f, hv, exact)
            blocks = t.blocks(blocks, f.slices)
        x, prev = z[:d], z[d:]
        memory = self.memory == 2
        sweep = Sweep(x, prev, x.copy(), prev.copy(), hv, direction, exact)
        for sl in blocks:
            g = direction(sweep.now)[sl]
            for t in self.transforms:
                g = t.scale(g)
            new = x[sl] - hv[sl] * g
            for t in self.transforms:
                new = t.correct(new, sweep, sl)
            sweep.now[sl] = new
            if memory:
                sweep.past[sl] = x[sl]
        return np.concatenate([sweep.now, x]) if memory else sweep.now


def parse_order(text: str, game: Game) -> tuple[int, ...]:
    """A player order ``"D,G"`` (names or 0-based indices) as a permutation of player indices."""
    names = [p.name for p in game.players]
    out = []
    for item in (t.strip() for t in text.split(",")):
        if item in names:
            out.append(names.index(item))
        elif item.isdigit() and int(item) < len(names):
            out.append(int(item))
        else:
            raise OptionError(f"--order names unknown player {item!r} (players: {', '.join(names)})")
    if sorted(out) != list(range(len(names))):
        raise OptionError(f"--order must list every player exactly once, got {text!r}")
    return tuple(out)


def is_exact_matrix(matrix) -> bool:
    """Whether a Jacobian is a sympy Matrix (exact arithmetic) rather than a numpy array."""
    return isinstance(matrix, sp.MatrixBase)


def update_jacobian(method: Method, jacobian, slices: Sequence[slice]):
    """Jacobian of ``method``'s update map at a stationary point with game Jacobian ``J``.

    At a stationary point every second-order term multiplies ``v = 0``, so it equals the update
    map of the linear field ``v(x) = J x``, which is linear: its columns are the images of the
    basis vectors. Exact (a sympy Matrix, polynomial in h, r, beta, gamma) when ``J`` is a sympy
    Matrix; a numpy array (float or complex) otherwise.
    """
    if is_exact_matrix(jacobian):
        j = np.array(jacobian.tolist(), dtype=object)
        n = method.memory * j.shape[0]
        basis = np.array(sp.eye(n).tolist(), dtype=object)
        image = method.step(Field.linear(j, slices), basis)
        return sp.Matrix(image.tolist()).applyfunc(sp.expand)
    j = np.asarray(jacobian)
    n = method.memory * j.shape[0]
    return method.step(Field.linear(j, slices), np.eye(n, dtype=np.result_type(j.dtype, float)))

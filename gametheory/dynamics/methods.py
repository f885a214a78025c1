"""Training methods as pure update maps on the joint state (descent convention, docs/design.md).

Every method maps a state ``z`` to the next one. Methods with memory (optimistic GD, heavy-ball
momentum) act on the augmented state ``z = (omega_t, omega_{t-1})`` (Gidel et al. 2019b);
the others on ``z = omega_t``. Player ``i`` steps with ``h_i = h`` for the first player and
``h_i = r * h`` for every later one (two-time-scale: ``h_G = h``, ``h_D = r h``); ``H`` below is
the diagonal matrix of these per-coordinate steps.

- ``simgd``: ``omega <- omega - H v(omega)``;
- ``altgd``: players update in turn (``order``, default first to last), each seeing the
  players already updated; with ``beta != 0`` each player adds heavy-ball momentum
  ``beta (theta_t - theta_{t-1})`` (alternating negative momentum, Gidel et al. 2019b);
- ``eg`` (extragradient, Korpelevich): ``omega <- omega - H v(omega - H v(omega))``;
- ``ogd`` (optimistic GD, Daskalakis et al. 2018): ``omega <- omega - 2 H v(omega_t) + H v(omega_{t-1})``;
- ``momentum`` (simultaneous heavy ball): ``omega <- omega - H v(omega) + beta (omega_t - omega_{t-1})``;
- ``consensus`` (Mescheder et al. 2017): ``omega <- omega - H w``, ``w = v + gamma J^T v``.

The maps are written once over numpy arrays. With a linear field ``v(x) = J x`` every map is
linear, and applying it to the columns of the identity gives its Jacobian at a stationary
point (:func:`update_jacobian` below): exact when ``J`` and the hyper-parameters
are sympy objects (numpy ``object`` arrays), floats otherwise.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import sympy as sp

from ..errors import OptionError
from ..game import Game

METHODS = ("simgd", "altgd", "eg", "ogd", "momentum", "consensus")
"""Method names, as the CLI spells them."""


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


@dataclass(frozen=True)
class Method:
    """A training method and its hyper-parameters; ``step`` is its update map.

    ``h`` may be a sympy symbol (for symbolic update-map Jacobians) or None (a template whose
    step size is chosen later, :meth:`with_step`).
    """

    name: str
    h: object = None
    ratio: object = 1
    beta: object = 0
    gamma: object = 0
    order: tuple[int, ...] | None = field(default=None)

    def __post_init__(self):
        if self.name not in METHODS:
            raise OptionError(f"unknown method {self.name!r} (methods: {', '.join(METHODS)})")
        _check("step size h", self.h, 0, None, True, False)
        _check("step-size ratio r", self.ratio, 0, None, True, False)
        _check("momentum beta", self.beta, -1, 1, True, True)
        _check("consensus gamma", self.gamma, 0, None, False, False)
        if self.beta != 0 and self.name not in ("momentum", "altgd"):
            raise OptionError(f"beta applies to momentum and altgd only, not {self.name}")
        if self.gamma != 0 and self.name != "consensus":
            raise OptionError(f"gamma applies to consensus only, not {self.name}")
        if self.order is not None and self.name != "altgd":
            raise OptionError(f"a player order applies to altgd only, not {self.name}")

    @property
    def memory(self) -> int:
        """1 for maps on omega_t, 2 for maps on the augmented state (omega_t, omega_{t-1})."""
        return 2 if self.name in ("ogd", "momentum") or (self.name == "altgd" and self.beta != 0) else 1

    @property
    def label(self) -> str:
        """Short human label with the hyper-parameters that matter, e.g. ``altgd(beta=-1/2)``."""
        extras = []
        if self.ratio != 1:
            extras.append(f"r={self.ratio}")
        if self.name in ("momentum", "altgd") and self.beta != 0:
            extras.append(f"beta={self.beta}")
        if self.name == "consensus":
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
        """Per-coordinate step sizes: ``h`` for the first player, ``r h`` for the others
        (sympy objects when ``exact``, floats otherwise)."""
        if self.h is None:
            raise OptionError(f"method {self.name} needs a step size h")
        h, r = (self.h, self.ratio) if exact else (float(self.h), float(self.ratio))
        out = np.empty(dim, dtype=object if exact else float)
        for i, sl in enumerate(slices):
            out[sl] = h if i == 0 else h * r
        return out

    def initial_state(self, omega: np.ndarray) -> np.ndarray:
        """The state holding ``omega``: itself, or ``(omega, omega)`` for methods with memory."""
        omega = np.asarray(omega)
        return np.concatenate([omega] * self.memory) if self.memory == 2 else omega.copy()

    def step(self, f: Field, z: np.ndarray) -> np.ndarray:
        """One update of the state ``z`` (shape ``(memory*d,)`` or ``(memory*d, k)``)."""
        d = f.dim
        exact = z.dtype == object
        beta, gamma = (self.beta, self.gamma) if exact else (float(self.beta), float(self.gamma))
        hv = self.steps(f.slices, d, exact).reshape((d,) + (1,) * (z.ndim - 1))
        x, prev = z[:d], z[d:]
        if self.name == "simgd":
            return x - hv * f.v(x)
        if self.name == "eg":
            return x - hv * f.v(x - hv * f.v(x))
        if self.name == "consensus":
            g = f.v(x)
            return x - hv * (g + gamma * f.jac_t(x, g))
        if self.name == "ogd":
            return np.concatenate([x - 2 * hv * f.v(x) + hv * f.v(prev), x])
        if self.name == "momentum":
            return np.concatenate([x - hv * f.v(x) + beta * (x - prev), x])
        # altgd: players in turn, each seeing the players updated before it
        y = x.copy()
        order = self.order if self.order is not None else range(len(f.slices))
        for i in order:
            sl = f.slices[i]
            new = x[sl] - hv[sl] * f.v(y)[sl]
            if self.memory == 2:
                new = new + beta * (x[sl] - prev[sl])
            y[sl] = new
        return np.concatenate([y, x]) if self.memory == 2 else y


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

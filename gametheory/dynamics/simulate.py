"""Trajectories of a game: the continuous gradient flow ``d omega/dt = -v(omega)`` (scipy's
``solve_ivp``) and the iterates of any discrete method, with a verdict on convergence and an
empirical linear rate; and the data of a phase portrait on a 2-D slice.

Verdicts: ``converged`` when ``||v||`` ends below ``tol`` (and, with a target point, the
distance to it too); ``diverged`` when the state leaves every bound (non-finite or
``||omega|| > blowup``) or, with a target, ends farther than ``escape`` from it (default: 100
times the starting distance, i.e. it moved away); ``converging`` when neither, but the
envelope of ``||v||`` contracts over the second half (window maxima falling, by at least a factor
2; the reason gives that rate and the steps, or time, still needed to reach ``tol``); otherwise
``bounded`` (e.g. cycling). ``rate`` is ``log ||v||`` fitted over the second half.
Also the data of one player's loss landscape on a slice (Berard et al., Fig. 1b).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import sympy as sp

from ..errors import GameError, OptionError, PointError
from ..game import Game
from .methods import Field, Method, numeric_field


@dataclass(frozen=True)
class Trajectory:
    """One run from ``states[0]``: ``times`` are step indices (discrete) or flow times."""

    method: str
    times: np.ndarray
    states: np.ndarray  # (len(times), d)
    field_norms: np.ndarray
    verdict: str  # "converged" | "converging" | "diverged" | "bounded"
    rate: float | None  # per step (discrete: factor of ||v|| per step) or per unit time (flow: decay exponent)
    reason: str

    def to_dict(self, params: Sequence[sp.Symbol] = ()) -> dict:
        names = [s.name for s in params] or [f"x{i}" for i in range(self.states.shape[1])]
        return {"method": self.method, "verdict": self.verdict, "reason": self.reason, "rate": self.rate,
                "steps": int(len(self.times) - 1), "time": float(self.times[-1]),
                "start": dict(zip(names, map(float, self.states[0]))),
                "end": dict(zip(names, map(float, self.states[-1]))),
                "final_field_norm": float(self.field_norms[-1])}


def _rate(times: np.ndarray, norms: np.ndarray) -> float | None:
    """Slope of ``log ||v||`` against time, fitted over the second half of the samples that lie
    above the floating-point floor (``||v|| > 1e-10 max ||v||``)."""
    keep = np.flatnonzero(np.isfinite(norms) & (norms > 1e-10 * np.nanmax(norms[np.isfinite(norms)], initial=0)))
    keep = keep[len(keep) // 2:]
    if len(keep) < 2 or np.ptp(times[keep]) == 0:
        return None
    return float(np.polyfit(times[keep], np.log(norms[keep]), 1)[0])


def _envelope_decay(times: np.ndarray, norms: np.ndarray, windows: int = 4) -> float | None:
    """The decay exponent of ``||v||``'s envelope over the second half of a run: the second half
    cut into ``windows`` equal windows, the maximum of ``||v||`` in each must fall strictly from
    window to window and by at least a factor 2 overall (rotation makes ``||v||`` itself wobble);
    then ``log(m_last / m_first) / (time between the windows' maxima)``, else None."""
    half = len(norms) // 2
    if len(norms) - half < 2 * windows or not np.all(np.isfinite(norms[half:])):
        return None
    parts = np.array_split(np.arange(half, len(norms)), windows)
    peaks = [part[np.argmax(norms[part])] for part in parts]
    maxima = norms[peaks]
    if not (np.all(np.diff(maxima) < 0) and maxima[-1] <= maxima[0] / 2 and maxima[-1] > 0):
        return None
    return float(np.log(maxima[-1] / maxima[0]) / (times[peaks[-1]] - times[peaks[0]]))


def _contracting(times: np.ndarray, norms: np.ndarray, tol: float, discrete: bool) -> str | None:
    """The reason a run counts as converging (its ``||v||`` envelope contracts linearly), or None."""
    decay = _envelope_decay(times, norms)
    if decay is None:
        return None
    norm = float(norms[-1])
    needed = max(np.log(tol / norm) / decay, 0.0)
    if discrete:
        return (f"||v|| contracts by about {np.exp(decay):.6g} per step (envelope over the second half): "
                f"||v|| = {norm:.2e}, about {int(np.ceil(needed))} more steps to {tol:g}")
    return (f"||v|| decays like exp({decay:.4g} t) (envelope over the second half): "
            f"||v|| = {norm:.2e}, about {needed:.3g} more time to {tol:g}")


def _verdict(states, times, norms, target, tol, blowup, escape, discrete: bool = True) -> tuple[str, str]:
    final = states[-1]
    if target is not None and escape is None:
        escape = 100 * float(np.linalg.norm(states[0] - target)) or 1.0
    if not np.all(np.isfinite(states)) or np.linalg.norm(final) > blowup:
        return "diverged", f"the state left every bound (||omega|| > {blowup:g} or not finite)"
    if target is not None:
        distance = float(np.linalg.norm(final - target))
        if distance < tol and norms[-1] < tol:
            return "converged", f"ended {distance:.2e} from the target with ||v|| = {norms[-1]:.2e}"
        if distance > escape:
            return "diverged", f"ended {distance:.3g} from the target (more than {escape:.3g}: moved away)"
    elif norms[-1] < tol:
        return "converged", f"||v|| = {norms[-1]:.2e} < {tol:g} at the end"
    contracting = _contracting(times, norms, tol, discrete)
    if contracting is not None:
        where = "" if target is None else f"ended {distance:.2e} from the target; "
        return "converging", where + contracting
    if target is not None:
        return "bounded", f"ended {distance:.3g} from the target: neither converged nor escaped"
    return "bounded", f"||v|| = {norms[-1]:.3g} at the end: neither converged nor blew up"


def iterate(game: Game, method: Method, start, steps: int, target=None, tol: float = 1e-8,
            blowup: float = 1e6, escape: float | None = None) -> Trajectory:
    """``steps`` updates of ``method`` from ``start`` (a flat array in ``game.params`` order)."""
    if steps < 1:
        raise OptionError(f"--steps must be a positive integer, got {steps}")
    if method.h is None:
        raise OptionError("the method needs a step size h")
    field = Field.of_game(game.with_constants() if game.constants else game)
    d = field.dim
    z = method.initial_state(np.asarray(start, dtype=float))
    states = np.full((steps + 1, d), np.nan)
    states[0] = z[:d]
    with np.errstate(all="ignore"):
        for t in range(1, steps + 1):
            z = method.step(field, z)
            states[t] = z[:d]
            if not np.all(np.isfinite(z[:d])) or np.linalg.norm(z[:d]) > blowup:
                states = states[: t + 1]
                break
        norms = np.linalg.norm(field.v(states.T), axis=0)
    times = np.arange(len(states), dtype=float)
    rate = _rate(times, norms)
    verdict, reason = _verdict(states, times, norms, None if target is None else np.asarray(target, float), tol,
                               blowup, escape)
    return Trajectory(method.label, times, states, norms, verdict, None if rate is None else float(np.exp(rate)), reason)


def flow(game: Game, start, t_max: float = 50.0, samples: int = 501, target=None, tol: float = 1e-6,
         blowup: float = 1e6, escape: float | None = None, rtol: float = 1e-9) -> Trajectory:
    """The continuous flow ``d omega/dt = -v(omega)`` from ``start`` up to ``t_max`` (RK45,
    ``rtol``, atol ``rtol / 1000``; stops early if ``||omega||`` exceeds ``blowup``). The rate is
    the fitted exponent of ``||v(t)|| ~ exp(rate t)`` (negative when converging)."""
    import scipy.integrate  # deferred: start-up of the symbolic commands stays light

    v = numeric_field(game.with_constants() if game.constants else game)

    def escaped(t, x):
        return blowup - np.linalg.norm(x)

    escaped.terminal = True
    with np.errstate(all="ignore"):
        solution = scipy.integrate.solve_ivp(lambda t, x: -v(x), (0.0, t_max), np.asarray(start, float),
                                             t_eval=np.linspace(0.0, t_max, samples), rtol=rtol, atol=rtol / 1000,
                                             events=escaped)
        if solution.status < 0:
            raise GameError(f"the flow could not be integrated from this start: {solution.message}")
        states = solution.y.T
        norms = np.linalg.norm(v(solution.y), axis=0)
    verdict, reason = _verdict(states, solution.t, norms, None if target is None else np.asarray(target, float), tol,
                               blowup, escape, discrete=False)
    return Trajectory("flow", solution.t, states, norms, verdict, _rate(solution.t, norms), reason)


def _rk4_paths(v, states: np.ndarray, t_max: float, steps: int, bound: float) -> np.ndarray:
    """Classical RK4 for ``d omega/dt = -v`` on k states at once (columns of ``states``);
    a path that leaves the ball of radius ``bound`` is frozen (then NaN) from there on."""
    dt = t_max / steps
    out = np.full((steps + 1,) + states.shape, np.nan)
    x = states.astype(float).copy()
    out[0] = x
    alive = np.ones(x.shape[1], dtype=bool)
    with np.errstate(all="ignore"):
        for t in range(1, steps + 1):
            k1 = -v(x)
            k2 = -v(x + dt / 2 * k1)
            k3 = -v(x + dt / 2 * k2)
            k4 = -v(x + dt * k3)
            x = x + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
            alive &= np.all(np.isfinite(x), axis=0) & (np.linalg.norm(x, axis=0) < bound)
            x[:, ~alive] = np.nan
            out[t] = x
    return out


def random_starts(center, count: int, radius: float, seed: int = 0) -> np.ndarray:
    """``count`` points uniform in the box of half-width ``radius`` around ``center`` (seeded)."""
    center = np.asarray(center, dtype=float)
    rng = np.random.default_rng(seed)
    return center + rng.uniform(-radius, radius, size=(count, center.size))


def parse_start(items: Sequence[str], game: Game) -> np.ndarray:
    """A full start point from ``NAME=VALUE`` strings (every parameter), as floats."""
    from ..parsing import parse_point

    values = parse_point(items, game)
    return np.array([float(values[s]) for s in game.params])


# --- phase portrait on a 2-D slice ------------------------------------------------------------
@dataclass(frozen=True)
class Portrait:
    """The descent direction ``-v`` on a grid of a 2-D slice of omega (other coordinates fixed)
    and flow trajectories started on the slice, projected onto it."""

    x_name: str
    y_name: str
    fixed: dict[str, float]
    xs: np.ndarray
    ys: np.ndarray
    u: np.ndarray  # -v_x on the grid, shape (len(ys), len(xs))
    w: np.ndarray  # -v_y on the grid
    trajectories: tuple[np.ndarray, ...]  # each (k, 2) in (x, y): the full flow, projected
    points: tuple[tuple[float, float], ...]  # stationary points lying on the slice
    game_name: str


def portrait(game: Game, x: str, y: str, fixed: Mapping[str, float], x_range: tuple[float, float],
             y_range: tuple[float, float], grid: int = 30, starts: Sequence[Sequence[float]] | int = 10,
             t_max: float = 30.0, seed: int = 0, points: Sequence[Mapping[str, float]] = ()) -> Portrait:
    """Field and flow trajectories on the slice spanned by parameters ``x`` and ``y``, every other
    parameter fixed (``fixed``, by name). ``starts``: explicit (x, y) pairs or a count of seeded
    random starts in the window. Trajectories are the full flow ``-v`` (every coordinate moves)
    started on the slice and projected onto it, as in the paper's Fig. 1a; arrows show the
    field on the slice itself. They are drawn, all at once, by fixed-step RK4 (600 steps up
    to ``t_max``: a picture, not a certified solution; :func:`flow` is the accurate one) and
    stop when ``||omega||`` exceeds 100 times the window's size."""
    game = game.with_constants() if game.constants else game
    names = [s.name for s in game.params]
    for name in (x, y):
        if name not in names:
            raise OptionError(f"slice axis {name!r} is not a parameter (parameters: {', '.join(names)})")
    if x == y:
        raise OptionError("the two slice axes must differ")
    unknown = [k for k in fixed if k not in names]
    if unknown:
        raise OptionError(f"slice fixes unknown parameter(s) {', '.join(unknown)} (parameters: {', '.join(names)})")
    missing = [n for n in names if n not in (x, y) and n not in fixed]
    if missing:
        raise PointError(f"the slice needs a value for {', '.join(missing)}")
    ix, iy = names.index(x), names.index(y)
    base = np.array([0.0 if n in (x, y) else float(fixed[n]) for n in names])
    v = numeric_field(game)
    xs, ys = np.linspace(*x_range, grid), np.linspace(*y_range, grid)
    gx, gy = np.meshgrid(xs, ys)
    states = np.repeat(base[:, None], gx.size, axis=1)
    states[ix], states[iy] = gx.ravel(), gy.ravel()
    field = v(states)
    u, w = -field[ix].reshape(gx.shape), -field[iy].reshape(gx.shape)

    if isinstance(starts, int):
        rng = np.random.default_rng(seed)
        starts = np.column_stack([rng.uniform(*x_range, starts), rng.uniform(*y_range, starts)])
    size = 100 * max(np.abs([*x_range, *y_range, *base]).max(), 1.0)
    initial = np.repeat(base[:, None], len(starts), axis=1)
    initial[ix], initial[iy] = np.asarray(starts, float).T
    paths = _rk4_paths(v, initial, t_max, 600, size)
    trajectories = [paths[:, [ix, iy], k] for k in range(paths.shape[2])]
    on_slice = tuple((float(p[x]), float(p[y])) for p in points
                     if all(abs(float(p[n]) - base[i]) < 1e-9 for i, n in enumerate(names) if n not in (x, y)))
    return Portrait(x, y, {n: float(base[i]) for i, n in enumerate(names) if n not in (x, y)}, xs, ys, u, w,
                    tuple(trajectories), on_slice, game.name)


# --- one player's loss on a slice (Fig. 1b) -----------------------------------------------------
@dataclass(frozen=True)
class Landscape:
    """Player ``player``'s loss over one or two of its own parameters, everything else fixed at
    ``center``; ``directions`` are the eigenvectors of its Hessian there (restricted to the
    plotted parameters), each with its curvature: negative is a descent direction, positive an
    ascent direction of the loss (as a function of the player's own parameters)."""

    player: str
    axes: tuple[str, ...]
    center: tuple[float, ...]  # the plotted coordinates of the centre
    grid: tuple[np.ndarray, ...]
    loss: np.ndarray
    directions: tuple[tuple[np.ndarray, float], ...]
    fixed: dict[str, float]
    game_name: str


def landscape(game: Game, player: str, center: Mapping[str, float], axes: Sequence[str] | None = None,
              half_width: float = 1.0, grid: int = 101) -> Landscape:
    """The loss of ``player`` around ``center`` (a full point, by name) on its parameters
    ``axes`` (default: its first two, or its only one)."""
    game = game.with_constants() if game.constants else game
    owner = game.player(player)
    own = [s.name for s in owner.params]
    axes = tuple(axes or own[:2])
    if not 1 <= len(axes) <= 2 or any(a not in own for a in axes):
        raise OptionError(f"landscape axes must be one or two of {player}'s parameters ({', '.join(own)}), got {list(axes)}")
    names = [s.name for s in game.params]
    missing = [n for n in names if n not in center]
    if missing:
        raise PointError(f"the landscape centre needs a value for {', '.join(missing)}")
    loss = sp.lambdify([game.params], owner.loss, modules="numpy")
    base = np.array([float(center[n]) for n in names])
    idx = [names.index(a) for a in axes]
    lines = [np.linspace(base[i] - half_width, base[i] + half_width, grid) for i in idx]
    mesh = np.meshgrid(*lines)
    states = np.repeat(base[:, None], mesh[0].size, axis=1)
    for i, m in zip(idx, mesh):
        states[i] = m.ravel()
    values = np.broadcast_to(np.asarray(loss(list(states)), dtype=float), mesh[0].size).reshape(mesh[0].shape)
    symbols = [game.params[i] for i in idx]
    hessian = sp.hessian(owner.loss, symbols).subs(dict(zip(game.params, base)))
    curvatures, vectors = np.linalg.eigh(np.array(hessian.evalf().tolist(), dtype=float))
    directions = tuple((vectors[:, k], float(curvatures[k])) for k in range(len(idx)))
    fixed = {n: float(base[i]) for i, n in enumerate(names) if n not in axes}
    return Landscape(player, axes, tuple(base[idx]), tuple(lines), values, directions, fixed, game.name)

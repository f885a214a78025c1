"""Path-angle (Berard et al. 2020, eq. (7)) along the straight path between two states.

``c(alpha) = <w' - w, -v_alpha> / (||w' - w|| ||v_alpha||)`` (the orientation of the paper's
figures: pure attraction gives +1 before the end state and -1 past it) with
``v_alpha = v(alpha w' + (1 - alpha) w)``, for alpha in [a, b] (default [-0.1, 1.1], 100 points:
extrapolation past the end state shows the rotation "bump" and the attraction sign switch).
The field is evaluated here with torch; the cosine (NaN where ``v_alpha = 0``), the quartiles
over end states and the JSON document are those of the one path-angle core,
``gametheory.dynamics.pathangle`` (sign convention there). Along the path also: the path-norm
``||v_alpha||``, each player's gradient norm and loss. With several end states (close-by good
checkpoints), the median and interquartile range over them (App. C.3). Optional WGAN
weight-clipping filter (eq. (24)): a clipped player's gradient coordinate is dropped where
``|phi_j| = c`` and ``sign(grad_j) = -sign(phi_j)`` (a step followed by clipping would not
move it).

Several alpha points are evaluated per pass with ``vmap`` over ``functional_call`` in chunks of
``chunk`` (bounding memory). ``chunk=1`` evaluates one point per pass, which is faster on
CPU (bench/RESULTS.md), so it is the CPU default: along the line of the game's fast path where
it has one (``NeuralGame.fast_path``; the MoG closed form forms the generator's pre-activations,
linear in alpha, once per path), else with eager autograd pruned per player. A game sharded
under torchrun (``neural.sharding``) is evaluated one point at a time through
``NeuralGame.mean_field_and_losses`` (the batches of every rank), without the line.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch.func import vmap

from gametheory.dynamics import pathangle
from gametheory.errors import OptionError, PointError
from neural.game import NeuralGame
from neural.plugins import Unsupported

PathProgress = Callable[[int], None]  # called with the number of alpha points just done


@dataclass(frozen=True, eq=False)
class PathAngle(pathangle.PathAngle):
    """The core's path-angle and path-norm plus each player's gradient norm and loss along
    the paths (arrays (end states, alpha points)) and the clip filter applied. JSON: the core's
    document with ``clip`` after ``ends``, and ``grad_norms`` and ``losses`` per player as
    ``{"median", "q25", "q75"}``."""

    grad_norms: dict[str, np.ndarray]
    losses: dict[str, np.ndarray]
    clip: dict[str, float]

    def to_dict(self) -> dict:
        document = super().to_dict()
        return {"alphas": document.pop("alphas"), "ends": document.pop("ends"),
                "clip": dict(self.clip), **document,
                "grad_norms": {p: pathangle.summary(v) for p, v in self.grad_norms.items()},
                "losses": {p: pathangle.summary(v) for p, v in self.losses.items()}}


def clip_filter(game: NeuralGame, omega: torch.Tensor, field: torch.Tensor,
                clip: Mapping[str, float]) -> torch.Tensor:
    """Eq. (24): zero the coordinates of clipped players that a clipped step would not move.
    Works on a single state or a batch of states (leading dimensions)."""
    if not clip:
        return field
    keep = torch.ones_like(field, dtype=torch.bool)
    for name, c in clip.items():
        part = game.slices[name]
        phi, grad = omega[..., part], field[..., part]
        at_bound = phi.abs() >= c * (1 - 1e-6)
        keep[..., part] = ~(at_bound & (torch.sign(grad) == -torch.sign(phi)))
    return torch.where(keep, field, torch.zeros_like(field))


def _default_chunk(game: NeuralGame) -> int:
    return 16 if game.device.type == "cuda" else 1


def path_angle(game: NeuralGame, start: torch.Tensor, ends: Sequence[torch.Tensor], *,
               a: float = -0.1, b: float = 1.1, points: int = 100, chunk: int | None = None,
               clip: Mapping[str, float] | None = None,
               progress: PathProgress | None = None) -> PathAngle:
    """Path-angle from ``start`` to each of ``ends`` at ``points`` alphas in [a, b]."""
    if points < 2:
        raise OptionError(f"--points must be at least 2, got {points}")
    if not (a < b and math.isfinite(a) and math.isfinite(b)):
        raise OptionError(f"the alpha range needs finite A < B, got [{a}, {b}]")
    if not ends:
        raise OptionError("path-angle needs at least one end state")
    clip = dict(clip or {})
    for name, c in clip.items():
        game.player_index(name)
        if c <= 0:
            raise OptionError(f"clip value of {name!r} must be positive, got {c}")
    chunk = _default_chunk(game) if chunk is None else chunk
    if chunk < 1:
        raise OptionError(f"chunk must be at least 1, got {chunk}")
    sharded = game.world_size > 1
    chunk = 1 if sharded else chunk
    names, slices = game.player_names, list(game.slices.values())
    alphas = torch.linspace(a, b, points, dtype=game.dtype, device=game.device)
    start = start.detach().to(game.device, game.dtype)

    def average(evaluate, omega):
        """(field, losses) at omega, averaged over the evaluation batches."""
        field = losses = 0
        for batch in game.batches:
            f, l = evaluate(omega, batch)
            field, losses = field + f, losses + l
        return field / len(game.batches), losses / len(game.batches)

    batched = vmap(lambda alpha, s, d: average(game.functional_field, s + alpha * d),
                   in_dims=(0, None, None))
    fast = None if sharded else game.fast_path()

    def at_point(alpha: torch.Tensor, delta: torch.Tensor, line):
        """(field, losses) at start + alpha delta, averaged over the batches."""
        if line is not None:
            try:
                return average(lambda _, batch: line(float(alpha), batch), None)
            except Unsupported:  # e.g. non-finite samples there: autograd
                pass
        return game.mean_field_and_losses(start + alpha * delta)

    rows = {"inner": [], "norm": [], "grads": [], "losses": []}
    delta_norms = []
    for end in ends:
        delta = end.detach().to(game.device, game.dtype) - start
        delta_norm = torch.linalg.vector_norm(delta)
        if delta_norm == 0:
            raise PointError("the start and end states coincide: the path has no direction")
        delta_norms.append(float(delta_norm))
        fields, losses = [], []
        line = fast.line(start, delta) if fast is not None else None
        for i in range(0, points, chunk):
            part = alphas[i:i + chunk]
            if len(part) == 1:
                f, l = at_point(part[0], delta, line)
                f, l = f[None], l[None]
            else:
                f, l = batched(part, start, delta)
            states = start + part[:, None] * delta
            fields.append(clip_filter(game, states, f.detach(), clip))
            losses.append(l.detach())
            if progress:
                progress(len(part))
        field, loss = torch.cat(fields), torch.cat(losses)
        rows["inner"].append(field @ delta)
        rows["norm"].append(torch.linalg.vector_norm(field, dim=1))
        rows["grads"].append(torch.stack([torch.linalg.vector_norm(field[:, s], dim=1)
                                          for s in slices]))
        rows["losses"].append(loss.T)

    def as_numpy(tensors):
        return torch.stack(tensors).cpu().numpy().astype(np.float64)

    grads, losses, norms = as_numpy(rows["grads"]), as_numpy(rows["losses"]), as_numpy(rows["norm"])
    cosines = np.stack([pathangle.cosine(inner, norm, size)
                        for inner, norm, size in zip(as_numpy(rows["inner"]), norms, delta_norms)])
    return PathAngle(
        alphas.cpu().numpy().astype(np.float64), cosines, norms,
        {n: grads[:, i] for i, n in enumerate(names)}, {n: losses[:, i] for i, n in enumerate(names)},
        clip)

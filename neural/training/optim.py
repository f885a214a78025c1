"""Game optimisers as torch optimisers, plus the game gradient and parameter averaging.

Every player minimises its own loss, so a game optimiser is handed param groups that each name
their ``player``; the ``closure`` evaluates the game at the current parameters and writes each
active player's gradient of ITS OWN loss into ``.grad`` (``fill_game_gradients`` does that),
i.e. the game vector field v(omega) (or consensus' v + gamma J^T v). A method of the shared
vocabulary (:mod:`gametheory.dynamics.vocabulary`) is an update scheme over a direction d(g)
(``gradient``: d = g; ``adam``: bias-corrected m / (sqrt(v) + eps)), step size lr per group:

- scheme ``simgd``: omega <- P[omega - lr d(v(omega))]
- scheme ``eg``:    omega' = P[omega - lr d(v(omega))], omega <- P[omega - lr d(v(omega'))];
                    with Adam the moments are updated at both the extrapolation and the update
                    gradient (ExtraAdam, Gidel et al. 2019a, Alg. 4)
- scheme ``ogd``:   omega <- P[omega - lr (2 d_t - d_{t-1})], d_{-1} = 0 (Daskalakis et al. 2018;
                    the symbolic map starts with d_{-1} = d_0 instead)

``GD``, ``Extragradient`` and ``OptimisticGD`` step along the gradient (methods simgd, eg, ogd);
``Adam``, ``ExtraAdam`` and ``OptimisticAdam`` along Adam's direction (adam, extraadam,
optimistic-adam).

P clips a group's parameters to [-clip, clip] when the group has ``clip`` (WGAN weight
clipping; applied after every update, extrapolations included). ``step(closure, players)``
moves only the groups of ``players`` (default: all), which is how alternating updates and
critic steps are written; simultaneous updates pass all players to one step.
"""
from __future__ import annotations

from typing import Callable, Iterable, Mapping, Sequence

import torch
from torch import nn

from gametheory.dynamics.vocabulary import NAMES, resolve_method, spec
from gametheory.errors import OptionError

SCHEMES = ("simgd", "eg", "ogd")
"""The update schemes a game optimiser implements."""
METHODS = tuple(n.name for n in NAMES if n.scheme in SCHEMES)
"""Canonical names of the methods this layer trains with (aliases such as gd, extragradient accepted)."""


def player_groups(modules: Mapping[str, nn.Module], lr: Mapping[str, float],
                  clip: Mapping[str, float | None] | None = None) -> list[dict]:
    """Param groups in player order: {"params", "player", "lr", "clip"} per player."""
    clip = clip or {}
    groups = []
    for name, module in modules.items():
        if lr[name] <= 0:
            raise OptionError(f"learning rate of player {name} must be > 0, got {lr[name]}")
        groups.append({"params": [p for p in module.parameters() if p.requires_grad],
                       "player": name, "lr": float(lr[name]), "clip": clip.get(name)})
    return groups


class GameOptimizer(torch.optim.Optimizer):
    """Base of the game optimisers: a ``step`` over the active players' groups with one of the
    :data:`SCHEMES`; subclasses give the direction."""

    scheme = "simgd"

    def __init__(self, params, defaults: dict):
        super().__init__(params, defaults)
        for group in self.param_groups:
            group.setdefault("player", None)
            group.setdefault("clip", None)
            group.setdefault("step", 0)

    def _directions(self, group: dict) -> list[torch.Tensor]:
        """Update direction of every parameter of ``group`` from its ``.grad`` (may update
        the optimiser state)."""
        raise NotImplementedError

    def _active(self, players: Sequence[str] | None) -> list[dict]:
        if players is None:
            return self.param_groups
        return [g for g in self.param_groups if g["player"] in players]

    @staticmethod
    def _project(group: dict) -> None:
        if group["clip"] is not None:
            for p in group["params"]:
                p.clamp_(-group["clip"], group["clip"])

    def _move(self, group: dict, origin: list[torch.Tensor] | None = None) -> None:
        """params <- P[origin - lr d] (origin defaults to the current params)."""
        group["step"] += 1
        directions = self._directions(group)
        params = group["params"]
        if origin is not None:
            torch._foreach_copy_(params, origin)
        if self.scheme == "ogd":
            previous = [self.state[p].get("previous_direction", torch.zeros_like(p))
                        for p in params]
            for p, d in zip(params, directions):
                self.state[p]["previous_direction"] = d.clone()
            directions = torch._foreach_sub(torch._foreach_mul(directions, 2.0), previous)
        torch._foreach_add_(params, directions, alpha=-group["lr"])
        self._project(group)

    @torch.no_grad()
    def step(self, closure: Callable[[], object] | None = None,
             players: Sequence[str] | None = None):
        """One update of the groups of ``players``; returns the closure's value at the point
        where the step started."""
        if closure is None:
            raise OptionError(f"{type(self).__name__}.step needs a closure")
        groups = self._active(players)
        with torch.enable_grad():
            result = closure()
        if self.scheme == "eg":
            origins = [[p.clone() for p in g["params"]] for g in groups]
            for group in groups:
                self._move(group)
            with torch.enable_grad():
                closure()
            for group, origin in zip(groups, origins):
                self._move(group, origin)
        else:
            for group in groups:
                self._move(group)
        return result


class GD(GameOptimizer):
    """Simultaneous gradient descent, direction d = g."""

    def __init__(self, params, lr: float = 1e-2):
        super().__init__(params, {"lr": lr})

    def _directions(self, group):
        return [p.grad for p in group["params"]]


class Extragradient(GD):
    """Extragradient (Korpelevich 1976) with GD directions."""

    scheme = "eg"


class OptimisticGD(GD):
    """Optimistic GD (Daskalakis et al. 2018): omega <- omega - lr (2 g_t - g_{t-1})."""

    scheme = "ogd"


class Adam(GameOptimizer):
    """Adam directions: m <- b1 m + (1-b1) g, v <- b2 v + (1-b2) g^2,
    d = (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps), t counting this group's updates."""

    def __init__(self, params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8):
        if not (0 <= betas[0] < 1 and 0 <= betas[1] < 1):
            raise OptionError(f"Adam betas must lie in [0, 1), got {tuple(betas)}")
        super().__init__(params, {"lr": lr, "betas": tuple(betas), "eps": eps})

    def _directions(self, group):
        beta1, beta2 = group["betas"]
        params = group["params"]
        for p in params:
            if "exp_avg" not in self.state[p]:
                self.state[p]["exp_avg"] = torch.zeros_like(p)
                self.state[p]["exp_avg_sq"] = torch.zeros_like(p)
        grads = [p.grad for p in params]
        m = [self.state[p]["exp_avg"] for p in params]
        v = [self.state[p]["exp_avg_sq"] for p in params]
        torch._foreach_lerp_(m, grads, 1 - beta1)
        torch._foreach_mul_(v, beta2)
        torch._foreach_addcmul_(v, grads, grads, value=1 - beta2)
        t = group["step"]
        denominator = torch._foreach_sqrt(v)
        torch._foreach_div_(denominator, (1 - beta2 ** t) ** 0.5)
        torch._foreach_add_(denominator, group["eps"])
        directions = torch._foreach_div(m, denominator)
        torch._foreach_div_(directions, 1 - beta1 ** t)
        return directions


class ExtraAdam(Adam):
    """Extragradient with Adam directions (Gidel et al. 2019a)."""

    scheme = "eg"


class OptimisticAdam(Adam):
    """Optimistic Adam (Daskalakis et al. 2018): omega <- omega - lr (2 d_t - d_{t-1})."""

    scheme = "ogd"


OPTIMIZERS = {cls.scheme: cls for cls in (GD, Extragradient, OptimisticGD)}
ADAM_OPTIMIZERS = {cls.scheme: cls for cls in (Adam, ExtraAdam, OptimisticAdam)}


def make_optimizer(method: str, groups: list[dict], betas=(0.5, 0.999), eps: float = 1e-8
                   ) -> GameOptimizer:
    """Optimiser of ``method`` (one of METHODS or an alias) over player param groups."""
    name = spec(resolve_method(method, METHODS))
    if name.direction == "adam":
        return ADAM_OPTIMIZERS[name.scheme](groups, betas=betas, eps=eps)
    return OPTIMIZERS[name.scheme](groups)


def fill_game_gradients(losses: Mapping[str, torch.Tensor],
                        params: Mapping[str, Sequence[torch.Tensor]],
                        players: Iterable[str], consensus: float = 0.0) -> None:
    """Write each player's gradient of its own loss into ``.grad`` (v(omega), the game vector
    field), or with ``consensus`` gamma > 0 the consensus field w = v + gamma J^T v
    = v + gamma grad(|v|^2 / 2) (Mescheder et al. 2017; J^T v needs v of every player)."""
    players = list(players)
    if consensus:
        everyone = list(params)
        flat = [p for name in everyone for p in params[name]]
        field = []
        for name in everyone:
            field += torch.autograd.grad(losses[name], params[name], create_graph=True,
                                         allow_unused=True, materialize_grads=True)
        half_norm = sum(g.pow(2).sum() for g in field) / 2
        correction = torch.autograd.grad(half_norm, flat, allow_unused=True,
                                         materialize_grads=True)
        for p, g, c in zip(flat, field, correction):
            p.grad = (g + consensus * c).detach()
        return
    for i, name in enumerate(players):
        grads = torch.autograd.grad(losses[name], params[name], retain_graph=i < len(players) - 1,
                                    allow_unused=True, materialize_grads=True)
        for p, g in zip(params[name], grads):
            p.grad = g


class ParameterAverage:
    """Uniform and exponential moving averages of parameters (Yazici et al. 2019), kept
    alongside training: after update t, uniform = mean of the t iterates,
    ema <- beta ema + (1 - beta) theta_t (ema starts at the first iterate)."""

    def __init__(self, modules: Mapping[str, nn.Module], beta: float = 0.999):
        if not 0 <= beta < 1:
            raise OptionError(f"averaging beta must lie in [0, 1), got {beta}")
        self.modules = dict(modules)
        self.beta = beta
        self.count = 0
        self.uniform = {n: [p.detach().clone() for p in m.parameters()]
                        for n, m in self.modules.items()}
        self.ema = {n: [p.detach().clone() for p in m.parameters()]
                    for n, m in self.modules.items()}

    @torch.no_grad()
    def update(self) -> None:
        self.count += 1
        for name, module in self.modules.items():
            current = [p.detach() for p in module.parameters()]
            torch._foreach_lerp_(self.uniform[name], current, 1.0 / self.count)
            torch._foreach_lerp_(self.ema[name], current, 1.0 if self.count == 1
                                 else 1.0 - self.beta)

    def state_dict(self) -> dict:
        return {"count": self.count, "beta": self.beta, "uniform": self.uniform,
                "ema": self.ema}

    def load_state_dict(self, state: dict) -> None:
        self.count, self.beta = int(state["count"]), float(state["beta"])
        for kind in ("uniform", "ema"):
            for name, tensors in getattr(self, kind).items():
                for tensor, saved in zip(tensors, state[kind][name]):
                    tensor.copy_(saved)  # saved tensors may live on another device

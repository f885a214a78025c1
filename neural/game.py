"""A neural game: players are PyTorch modules, every quantity is a function of the joint omega.

Convention (docs/design.md): every player minimises its own loss; ``omega`` concatenates the players'
trainable parameters in player order; the game vector field is
``v(omega) = [grad_{theta_1} L_1, ..., grad_{theta_n} L_n]``.

The modules themselves are never modified: their parameters and buffers are copied once (to the
requested device and dtype) and every evaluation goes through ``torch.func.functional_call`` with
tensors derived from a flat ``omega``. Buffers are cloned for every evaluation, so a module that
updates state in its forward (batch-norm running statistics in train mode, spectral-norm power
iteration vectors) cannot change later evaluations: the same product computed twice is identical.
For torch.func transforms (vmap in path-angle) put such modules in ``eval()`` mode.

Where a registered plug-in offers a fast path for the game (``neural.plugins``) and it reproduces
autograd at the game's state, the field, ``J u`` and the path-angle line go through it.

Batch averages go through the game's ``shard`` (:class:`AllBatches` in one process): every
average of a per-batch quantity is a local sum over the batches this process holds, reduced by
``shard.mean``, and every entry point that computes one first calls ``shard.announce`` so that
the serving ranks of a sharded game run it too (``neural.sharding``: the batches split over the
ranks of a torchrun, products summed with an all-reduce).
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch.func import functional_call, vjp
from torch.overrides import TorchFunctionMode
from torch.utils._pytree import tree_map

from neural import plugins
from neural.plugins import FastPath, Unsupported

LossFn = Callable[[Mapping[str, Callable[..., Any]], Any], Mapping[str, torch.Tensor]]


class ParameterPlayer(torch.nn.Module):
    """A player that is one explicit parameter tensor; calling it returns that tensor."""

    def __init__(self, value: torch.Tensor):
        super().__init__()
        self.value = torch.nn.Parameter(torch.as_tensor(value).detach().clone())

    def forward(self) -> torch.Tensor:
        return self.value


@dataclass(frozen=True)
class _PlayerLayout:
    """Where one player's trainable parameters live inside omega, and its frozen state."""

    name: str
    module: torch.nn.Module
    names: tuple[str, ...]
    shapes: tuple[torch.Size, ...]
    offset: int
    size: int
    constants: dict[str, torch.Tensor]  # buffers and frozen parameters, never differentiated

    @property
    def slice(self) -> slice:
        return slice(self.offset, self.offset + self.size)


class BoundPlayer:
    """A player module evaluated at given parameters: ``player(*args)`` is
    ``functional_call(module, params + cloned buffers, args)``; ``player.module`` is the module."""

    def __init__(self, module: torch.nn.Module, tensors: dict[str, torch.Tensor]):
        self.module = module
        self._tensors = tensors

    def __call__(self, *args, **kwargs):
        return functional_call(self.module, self._tensors, args, kwargs)


class _ConstantMaskReLU(torch.autograd.Function):
    """``relu`` (``slope == 0``) or ``leaky_relu(x, slope)`` whose backward multiplies by a
    constant mask: ``threshold_backward`` / ``leaky_relu_backward`` of the incoming gradient and
    the *detached* input. Same values as autograd's own formulas; the difference is in
    second-order graphs: autograd's double backward of these activations also differentiates
    the mask, materialising a zero tensor of the activation's size (and adding it up) in every
    product, although their second derivative is zero almost everywhere."""

    @staticmethod
    def forward(ctx, x, slope):
        ctx.slope = slope
        out = torch.relu(x) if slope == 0 else torch.nn.functional.leaky_relu(x, slope)
        ctx.save_for_backward(x)
        return out

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        x = x.detach()
        if ctx.slope == 0:
            return torch.ops.aten.threshold_backward(grad, x, 0), None
        return torch.ops.aten.leaky_relu_backward(grad, x, ctx.slope, False), None


class _PiecewiseLinearMode(TorchFunctionMode):
    """While active, (leaky) ReLU calls (``nn.ReLU``, ``F.relu``, ``torch.relu``,
    ``Tensor.relu``, ``nn.LeakyReLU``, ``F.leaky_relu``) go through ``_ConstantMaskReLU``.
    Used only where a differentiable gradient graph is built (``field_graph``); in-place
    variants and every other function run unchanged."""

    _RELU = {torch.relu, torch.nn.functional.relu, torch.Tensor.relu}
    _LEAKY = {torch.nn.functional.leaky_relu}

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if func in self._RELU and 1 <= len(args) <= 2 and set(kwargs) <= {"inplace"}:
            inplace = args[1] if len(args) > 1 else kwargs.get("inplace", False)
            if not inplace and isinstance(args[0], torch.Tensor) and args[0].requires_grad:
                return _ConstantMaskReLU.apply(args[0], 0.0)
        if func in self._LEAKY and 1 <= len(args) <= 3 and set(kwargs) <= {"negative_slope", "inplace"}:
            slope = args[1] if len(args) > 1 else kwargs.get("negative_slope", 0.01)
            inplace = args[2] if len(args) > 2 else kwargs.get("inplace", False)
            if not inplace and isinstance(args[0], torch.Tensor) and args[0].requires_grad:
                return _ConstantMaskReLU.apply(args[0], float(slope))
        return func(*args, **kwargs)


def _move_batch(batch: Any, device: torch.device, dtype: torch.dtype) -> Any:
    """Floating tensors of a batch pytree to (device, dtype); other tensors to device only."""

    def move(leaf):
        if isinstance(leaf, torch.Tensor):
            if leaf.is_floating_point():
                return leaf.detach().to(device=device, dtype=dtype)
            return leaf.detach().to(device=device)
        return leaf

    return tree_map(move, batch)


class AllBatches:
    """Every evaluation batch in this process (no process group, world size 1): a batch average
    is the local sum over ``total`` batches divided by ``total``; nothing is announced."""

    rank, world_size, is_driver = 0, 1, True

    def __init__(self, total: int):
        self.total = total

    def announce(self, target: int, method: str, *args) -> None:
        """No other rank runs this process's calls."""

    def expose(self, obj) -> None:
        """No other rank mirrors this process's operators."""

    def mean(self, sums: Sequence[torch.Tensor]) -> list[torch.Tensor]:
        """Each local sum over the batches divided by their number."""
        return [s / self.total for s in sums]

    def agree(self, flag: bool) -> bool:
        return flag


class NeuralGame:
    """Players (modules or parameter tensors), a loss map and fixed evaluation batches.

    ``loss(modules, batch)`` receives ``{name: BoundPlayer}`` (callables behaving like the player
    modules at the current omega) and one evaluation batch (any pytree of tensors, drawn once
    from a seed by the caller), and returns ``{name: scalar loss that player minimises}``.
    Quantities are averaged over ``batches``; products are accumulated batch by batch, so memory
    is that of one batch. ``fast=False``: autograd only (no fast path is asked for).
    """

    def __init__(
        self,
        players: Mapping[str, torch.nn.Module | torch.Tensor],
        loss: LossFn,
        batches: Sequence[Any],
        *,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
        fast: bool = True,
    ):
        if not players:
            raise ValueError("a neural game needs at least one player")
        if len(batches) == 0:
            raise ValueError("a neural game needs at least one evaluation batch (use [None] for none)")
        modules = {
            name: (player if isinstance(player, torch.nn.Module) else ParameterPlayer(player))
            for name, player in players.items()
        }
        first = next((p for m in modules.values() for p in m.parameters()), None)
        if first is None:
            raise ValueError("the players have no parameters")
        self.device = torch.device(device) if device is not None else first.device
        self.dtype = dtype if dtype is not None else (
            first.dtype if first.is_floating_point() else torch.get_default_dtype())

        layouts, chunks, offset = [], [], 0
        for name, module in modules.items():
            names, shapes, constants = [], [], {}
            for pname, param in module.named_parameters():
                if param.requires_grad:
                    names.append(pname)
                    shapes.append(param.shape)
                    chunks.append(param.detach().reshape(-1).to(self.device, self.dtype))
                else:
                    constants[pname] = param.detach().to(self.device, self.dtype)
            for bname, buffer in module.named_buffers():
                buffer = buffer.detach().to(self.device)
                constants[bname] = buffer.to(self.dtype) if buffer.is_floating_point() else buffer
            size = sum(int(torch.Size(s).numel()) for s in shapes)
            if size == 0:
                raise ValueError(f"player {name!r} has no trainable parameters")
            layouts.append(_PlayerLayout(name, module, tuple(names), tuple(shapes), offset, size,
                                         constants))
            offset += size
        self._layouts = tuple(layouts)
        self._omega = torch.cat(chunks)
        self.loss_fn = loss
        self.batches = tuple(_move_batch(b, self.device, self.dtype) for b in batches)
        self.shard = AllBatches(len(self.batches))
        self._fast: FastPath | None | bool = False if fast else None  # False: not decided yet

    def keep_batches(self, shard, batches: Sequence[Any]) -> None:
        """Keep only ``batches`` (this rank's share of the evaluation batches) and average
        through ``shard`` (``neural.sharding``) from now on."""
        self.batches, self.shard = tuple(batches), shard

    @property
    def world_size(self) -> int:
        """How many processes hold the evaluation batches (1 unless sharded under torchrun)."""
        return self.shard.world_size

    # --- layout -------------------------------------------------------------------------------
    @property
    def player_names(self) -> tuple[str, ...]:
        return tuple(layout.name for layout in self._layouts)

    @property
    def param_count(self) -> int:
        return int(self._omega.numel())

    @property
    def slices(self) -> dict[str, slice]:
        """Player name -> slice of omega holding that player's parameters."""
        return {layout.name: layout.slice for layout in self._layouts}

    def modules(self) -> dict[str, torch.nn.Module]:
        return {layout.name: layout.module for layout in self._layouts}

    def omega(self) -> torch.Tensor:
        """A copy of the flat joint parameter vector (the state the game was built at)."""
        return self._omega.clone()

    def set_omega(self, omega: torch.Tensor) -> None:
        """Move the game's state to ``omega`` (copied; the modules are not touched)."""
        omega = torch.as_tensor(omega, device=self.device, dtype=self.dtype).reshape(-1)
        if omega.numel() != self.param_count:
            raise ValueError(f"omega has {omega.numel()} entries, the game {self.param_count}")
        self._omega = omega.clone()

    def state_dicts(self, omega: torch.Tensor | None = None) -> dict[str, dict[str, torch.Tensor]]:
        """Player name -> {parameter name: tensor} at ``omega`` (default: the game's state), as
        views of omega."""
        omega = self._omega if omega is None else omega
        return {layout.name: self._unflatten(layout, omega[layout.slice]) for layout in self._layouts}

    @staticmethod
    def _unflatten(layout: _PlayerLayout, block: torch.Tensor) -> dict[str, torch.Tensor]:
        """One player's parameter tensors as views of its flat block of omega."""
        out, start = {}, 0
        for name, shape in zip(layout.names, layout.shapes):
            n = int(torch.Size(shape).numel())
            out[name] = block[start:start + n].view(shape)
            start += n
        return out

    def _resolve(self, omega: torch.Tensor | None) -> torch.Tensor:
        return self._omega if omega is None else omega

    def player_index(self, name: str) -> int:
        try:
            return self.player_names.index(name)
        except ValueError:
            raise KeyError(f"no player {name!r}; players are {', '.join(self.player_names)}") from None

    # --- functions of omega (pure: usable under torch.func transforms) ------------------------
    def _loss_terms(self, params: Mapping[str, dict[str, torch.Tensor]], batch: Any
                    ) -> list[torch.Tensor]:
        """The players' losses from each player's {parameter name: tensor} on one batch, as
        separate scalars in player order (separate, so that differentiating one never walks the
        others' graphs); buffers are cloned for every call."""
        bound = {}
        for layout in self._layouts:
            tensors = dict(params[layout.name])
            tensors.update({k: v.clone() for k, v in layout.constants.items()})
            bound[layout.name] = BoundPlayer(layout.module, tensors)
        values = self.loss_fn(bound, batch)
        missing = [name for name in self.player_names if name not in values]
        if missing:
            raise ValueError(f"the loss function returned no loss for player(s) {missing}")
        out = []
        for name in self.player_names:
            value = values[name]
            if not isinstance(value, torch.Tensor) or value.numel() != 1:
                raise ValueError(f"the loss of player {name!r} must be a scalar tensor")
            out.append(value.reshape(()))
        return out

    def losses_at(self, omega: torch.Tensor, batch: Any) -> torch.Tensor:
        """The players' losses at ``omega`` on one batch, stacked in player order (shape (n,))."""
        return torch.stack(self._loss_terms(self.state_dicts(omega), batch))

    def functional_field(self, omega: torch.Tensor, batch: Any,
                         players: Sequence[str] | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """``(v, losses)`` on one batch: the selected players' own-loss gradients
        ``[grad_{theta_i} L_i]`` (default all, in player order) and all players' losses.
        Pure torch.func (one forward, one pullback per player), so it composes with vmap, jvp
        and jacfwd; eager callers use the faster ``field_and_losses``."""
        chosen = self._chosen(players)
        losses, pullback = vjp(lambda w: self.losses_at(w, batch), omega)
        eye = torch.eye(len(self._layouts), device=omega.device, dtype=losses.dtype)
        parts = [pullback(eye[i])[0][self._layouts[i].slice] for i in chosen]
        return torch.cat(parts), losses

    def _own_gradients(self, omega: torch.Tensor, batch: Any, players: Sequence[str] | None,
                       create_graph: bool):
        """Autograd: each selected player's loss differentiated w.r.t. its own parameter leaves
        only, so autograd prunes what that loss does not need (no gradient of the other
        players' weights). Returns ``(v, leaves by player, losses)``."""
        params = {name: {k: t.detach().clone().requires_grad_() for k, t in tensors.items()}
                  for name, tensors in self.state_dicts(omega).items()}
        if create_graph:
            with _PiecewiseLinearMode():
                losses = self._loss_terms(params, batch)
        else:
            losses = self._loss_terms(params, batch)
        chosen, parts = self._chosen(players), []
        for n, i in enumerate(chosen):
            own = list(params[self._layouts[i].name].values())
            grads = torch.autograd.grad(losses[i], own, create_graph=create_graph,
                                        retain_graph=create_graph or n < len(chosen) - 1,
                                        allow_unused=True, materialize_grads=True)
            parts += [g.reshape(-1) for g in grads]
        return torch.cat(parts), {name: list(p.values()) for name, p in params.items()}, losses

    def field_and_losses(self, omega: torch.Tensor, batch: Any) -> tuple[torch.Tensor, torch.Tensor]:
        """``(v, losses)`` on one batch, detached: through the game's fast path where it has one
        (``fast_path``), else eager autograd pruned per player."""
        fast = self.fast_path()
        if fast is not None:
            try:
                return fast.field_and_losses(omega.detach(), batch)
            except Unsupported:  # e.g. non-finite samples at this state
                pass
        return self.autograd_field_and_losses(omega, batch)

    def autograd_field_and_losses(self, omega: torch.Tensor, batch: Any
                                  ) -> tuple[torch.Tensor, torch.Tensor]:
        """``(v, losses)`` on one batch by autograd alone: the reference a fast path is checked
        against."""
        with torch.enable_grad():
            field, _, losses = self._own_gradients(omega, batch, None, create_graph=False)
        return field.detach(), torch.stack([l.detach() for l in losses])

    def fast_path(self) -> FastPath | None:
        """The first fast path a registered plug-in offers for this game (``neural.plugins``)
        that reproduces autograd's field and losses on every evaluation batch at the game's
        state (``plugins.agrees``); else None. Decided once per game."""
        if self._fast is False:
            offers = (provider.for_game(self) for provider in plugins.providers())
            self._fast = next((f for f in offers if f is not None and self._reproduces(f)), None)
        return self._fast

    def _reproduces(self, fast: FastPath) -> bool:
        """On every batch of every rank (``shard.agree``: a sharded game decides collectively)."""
        return self.shard.agree(all(self._reproduces_on(fast, batch) for batch in self.batches))

    def _reproduces_on(self, fast: FastPath, batch: Any) -> bool:
        try:
            field, losses = fast.field_and_losses(self._omega, batch)
        except Exception:  # noqa: BLE001 - whatever the plug-in cannot serve: autograd
            return False
        ref_field, ref_losses = self.autograd_field_and_losses(self._omega, batch)
        return plugins.agrees(field, ref_field) and plugins.agrees(losses, ref_losses)

    def field_graph(self, omega: torch.Tensor, batch: Any, players: Sequence[str] | None = None
                    ) -> tuple[torch.Tensor, dict[str, list[torch.Tensor]]]:
        """The selected players' own-loss gradients on one batch as a differentiable autograd
        graph: ``(v, leaves)`` with ``leaves[name]`` that player's parameter tensors (leaves
        requiring grad, in omega's order). Products with the Jacobian are backward passes
        through this graph (see ``neural.operators``). (Leaky) ReLUs are built with a
        constant-mask backward (``_PiecewiseLinearMode``): same products bit for bit, without a
        zero second-derivative tensor per activation per product."""
        field, leaves, _ = self._own_gradients(omega, batch, players, create_graph=True)
        return field, leaves

    def _chosen(self, players: Sequence[str] | None) -> list[int]:
        if players is None:
            return list(range(len(self._layouts)))
        return [self.player_index(p) for p in players]

    # --- batch-averaged quantities (entry points of a sharded game's serving ranks) -----------
    def losses(self, omega: torch.Tensor | None = None) -> dict[str, float]:
        """Each player's loss averaged over the evaluation batches (autograd stays on: a gradient
        penalty differentiates the discriminator in its input)."""
        omega = self._resolve(omega).detach()
        self.shard.announce(0, "losses", omega)
        with torch.enable_grad():
            total, = self.shard.mean([sum(self.losses_at(omega, b).detach() for b in self.batches)])
        return dict(zip(self.player_names, total.tolist()))

    def vector_field(self, omega: torch.Tensor | None = None) -> torch.Tensor:
        """The game vector field v(omega), averaged over batches (detached)."""
        omega = self._resolve(omega).detach()
        self.shard.announce(0, "vector_field", omega)
        return self.shard.mean([sum(self.field_and_losses(omega, b)[0] for b in self.batches)])[0]

    def mean_field_and_losses(self, omega: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(v, losses)`` at ``omega`` averaged over the evaluation batches (detached)."""
        omega = omega.detach()
        self.shard.announce(0, "mean_field_and_losses", omega)
        pairs = [self.field_and_losses(omega, b) for b in self.batches]
        field, losses = self.shard.mean([sum(f for f, _ in pairs), sum(l for _, l in pairs)])
        return field, losses

    def __repr__(self) -> str:
        sizes = ", ".join(f"{l.name}: {l.size}" for l in self._layouts)
        return (f"NeuralGame({sizes}; {self.param_count} parameters, {len(self.batches)} batch(es), "
                f"{self.dtype}, {self.device})")

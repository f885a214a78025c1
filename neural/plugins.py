"""Fast paths as plug-ins: one protocol for computing a game's products without autograd graphs.

The operator core asks for a fast path by capability, never by importing one: every registered
``Provider`` looks at a game (its modules, loss, layout and device) and offers a ``FastPath`` or
None, and at a trainer's players and loss and offers a ``GradientFill`` or None. The core uses
an offer only after it reproduced autograd (``agrees``) on the game's batches (analysis) or on
the first training batch (training); autograd is the default. Any method may raise
``Unsupported`` for one evaluation (e.g. non-finite samples at that state): the caller then
computes that evaluation with autograd.

Discovery works like an entry-point group: the modules named in ``PLUGINS`` are imported on the
first lookup and call ``register``. The core names them only there, as strings; it never imports
them and runs unchanged without them.
"""
from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

import torch

PLUGINS = ("neural.fastpath",)

JacobianProduct = Callable[[torch.Tensor, Sequence[str], Sequence[str]], torch.Tensor]
Line = Callable[[float, Any], tuple[torch.Tensor, torch.Tensor]]


class Unsupported(Exception):
    """A fast path cannot serve this evaluation; the caller uses autograd for it."""


class FastPath(Protocol):
    """A game's field, Jacobian products and path-angle line, in the core's conventions (flat
    omega in player order, ``v = [grad_{theta_i} L_i]``, losses stacked in player order)."""

    name: str

    def field_and_losses(self, omega: torch.Tensor, batch: Any) -> tuple[torch.Tensor, torch.Tensor]:
        """``(v, losses)`` on one batch, detached (as ``NeuralGame.field_and_losses``)."""

    def linearize(self, omega: torch.Tensor, batch: Any) -> JacobianProduct:
        """``(u, cols, rows) -> rows`` of ``J u`` at omega on one batch, for a tangent u of
        omega's size that is zero outside the players ``cols``."""

    def line(self, start: torch.Tensor, delta: torch.Tensor) -> Line:
        """``(alpha, batch) -> (v, losses)`` at ``start + alpha delta`` (the path-angle line)."""


class GradientFill(Protocol):
    """Training's use of a fast path: ``fill(batch, players)`` writes each listed player's
    gradient of its own loss into its parameters' ``.grad`` and returns every player's loss
    (detached), or returns None having written nothing (autograd serves that batch)."""

    name: str

    def __call__(self, batch: Any, players: Sequence[str]) -> Mapping[str, torch.Tensor] | None:
        ...


class Provider(Protocol):
    """What a plug-in registers: offers for a game and for a trainer's players (or None)."""

    def for_game(self, game) -> FastPath | None:
        ...

    def for_training(self, players: Mapping[str, torch.nn.Module], loss: Callable
                     ) -> GradientFill | None:
        ...


_registered: list[Provider] = []
_discovered = False


def register(provider: Provider) -> None:
    """Add a provider (once); the core asks providers in registration order."""
    if provider not in _registered:
        _registered.append(provider)


def discover(names: Sequence[str]) -> None:
    """Import the plug-in modules ``names`` (each registers its providers); a module that is
    not installed is skipped, one that fails while importing raises."""
    for name in names:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as error:
            if error.name != name:
                raise


def providers() -> tuple[Provider, ...]:
    """The registered providers, after discovering the ``PLUGINS`` on the first call."""
    global _discovered
    if not _discovered:
        _discovered = True
        discover(PLUGINS)
    return tuple(_registered)


def agrees(ours: torch.Tensor, reference: torch.Tensor) -> bool:
    """Same shape and ``|ours - reference| <= tol max|reference|`` entrywise, ``tol`` 1e-8 in
    float64 and 1e-3 otherwise (rounding, and ReLU units within rounding of their boundary)."""
    if ours.shape != reference.shape:
        return False
    tol = 1e-8 if reference.dtype == torch.float64 else 1e-3
    scale = float(reference.abs().max()) if reference.numel() else 0.0
    return bool(((ours - reference).abs() <= tol * scale + 1e-30).all())

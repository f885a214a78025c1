"""Closed-form game gradients of the MoG players in training (``neural.fastpath.closed_form``),
offered to the trainer as a ``neural.plugins.GradientFill``; the trainer checks it against
autograd on the first batch before use, and ``Trainer.fast_field = None`` forces autograd.

Why: at the paper's full batch (N = 10,000, 100 hidden units) an autograd iteration is bound by
memory passes over N x 100 activation matrices (about 37 per field evaluation, the paper-style
baseline about 45). The closed form needs one pass over the generator's activations per
operation and none over the discriminator's (its scalar-input ReLU layer is handled by sorted
thresholds), with the same mathematics (only float rounding differs from autograd).

Offered for: players with the MoG layout (``closed_form.mlp_layers``) on the CPU, whatever
their names or classes; a loss the stand-ins cannot serve (e.g. the gradient penalty, which
scores a transformed sample) makes every call return None. Consensus and data parallelism are
the trainer's to exclude.
"""
from __future__ import annotations

from typing import Callable, Mapping, Sequence

import torch
from torch import nn

from neural.fastpath.closed_form import MLP, ClosedFormUnsupported, MoGClosedForm


class MoGGradientFill:
    """Callable ``(batch, players) -> {name: loss}`` (detached) that writes each listed
    player's gradient of its own loss into ``.grad``, like the loss followed by
    ``neural.training.optim.fill_game_gradients``; None (nothing written) where the closed form
    does not serve this batch or state (e.g. non-finite samples): the caller uses autograd.
    With two role candidates (both players have one input) the first call the loss runs with
    settles the roles."""

    name = "closed-form"

    def __init__(self, players: Mapping[str, nn.Module], forms: Sequence[MoGClosedForm]):
        self.players, self.forms = players, list(forms)

    @classmethod
    def offer(cls, players: Mapping[str, nn.Module], loss: Callable) -> MoGGradientFill | None:
        """A fill for these players on the CPU whose layout admits the closed form, else None."""
        if not all(p.device.type == "cpu" for m in players.values() for p in m.parameters()):
            return None
        forms = MoGClosedForm.candidates(players, loss)
        return cls(players, forms) if forms else None

    def __call__(self, batch: Mapping[str, torch.Tensor], players: Sequence[str]) -> dict | None:
        with torch.no_grad():
            parts = {name: MLP.from_module(module) for name, module in self.players.items()}
        for form in self.forms:
            try:
                with torch.enable_grad():
                    point = form.point(parts[form.generator], parts[form.discriminator], batch)
            except ClosedFormUnsupported:
                continue
            self.forms = [form]
            with torch.no_grad():
                for name, grad in point.gradients(players).items():
                    for param, value in zip(self.players[name].parameters(), grad.tensors()):
                        param.grad = value.reshape(param.shape)
            return dict(point.losses)
        return None

"""Closed-form game gradients for the MoG players in training (``neural.fastpath.closed_form``), used by
the trainer instead of autograd where valid (``fast_path_applies``; the trainer falls back to
autograd elsewhere, and ``Trainer.fast_field = None`` forces autograd).

Why: at the paper's full batch (N = 10,000, 100 hidden units) an autograd iteration is bound by
memory passes over N x 100 activation matrices (about 37 per field evaluation, the paper-style
baseline about 45). The closed form needs one pass over the generator's activations per
operation and none over the discriminator's (its scalar-input ReLU layer is handled by sorted
thresholds), with the same mathematics (only float rounding differs from autograd).

Valid for: the exact ``MoGGenerator`` / ``MoGDiscriminator`` layout (``neural.fastpath.closed_form``),
losses 'nsgan', 'saturating', 'wgan' (and 'wgangp' with a zero penalty weight), no consensus
term, a single process. The gradient penalty needs autograd through D's input gradient and
always uses the autograd path.
"""
from __future__ import annotations

from typing import Callable, Mapping, Sequence

import torch
from torch import nn

from neural.fastpath.closed_form import MLP, ClosedFormUnsupported, MoGClosedForm
from neural.training.models import MoGDiscriminator, MoGGenerator

FAST_LOSSES = ("nsgan", "saturating", "wgan")


def fast_path_applies(players: Mapping[str, nn.Module], loss: Callable, consensus: float = 0.0
                      ) -> bool:
    """Can ``MoGFastField`` replace autograd for this game?"""
    kind = getattr(loss, "kind", None)
    gp_off = kind == "wgangp" and getattr(loss, "gp_weight", None) == 0
    on_cpu = all(p.device.type == "cpu" for m in players.values() for p in m.parameters())
    if not (on_cpu and consensus == 0 and (kind in FAST_LOSSES or gp_off) and set(players) == {"G", "D"}
            and type(players["G"]) is MoGGenerator and type(players["D"]) is MoGDiscriminator):
        return False
    form = MoGClosedForm.detect(players, loss)
    return form is not None and form.generator == "G"


class MoGFastField:
    """Callable ``(batch, players) -> {"G": L_G, "D": L_D}`` (detached) that writes each active
    player's gradient of its own loss into ``.grad``, like the loss followed by
    ``neural.training.optim.fill_game_gradients``; None (nothing written) where the closed form does not
    apply at this state (non-finite samples or weights): the caller then uses autograd."""

    def __init__(self, players: Mapping[str, nn.Module], loss: Callable):
        self.players = players
        self.form = MoGClosedForm.detect(players, loss)

    def __call__(self, batch: Mapping[str, torch.Tensor], players: Sequence[str]) -> dict | None:
        with torch.no_grad():
            parts = {name: MLP.from_module(self.players[name]) for name in ("G", "D")}
        try:
            with torch.enable_grad():
                point = self.form.point(parts["G"], parts["D"], batch)
        except ClosedFormUnsupported:
            return None
        with torch.no_grad():
            for name, grad in point.gradients(players).items():
                for param, value in zip(self.players[name].parameters(), grad.tensors()):
                    param.grad = value.reshape(param.shape)
        return dict(point.losses)

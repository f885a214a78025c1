"""Closed-form game gradients for the MoG players (one hidden ReLU layer each), used by the
trainer instead of autograd where valid (``fast_path_applies``; the trainer falls back to
autograd elsewhere, and ``Trainer.fast_field = None`` forces autograd).

Why: at the paper's full batch (N = 10,000, 100 hidden units) an iteration is bound by memory
passes over N x 100 activation matrices, not by arithmetic. By a count of those passes, autograd
makes about 37 per field evaluation (the paper-style baseline about 45); the code below makes
about 20, with the same mathematics (only float rounding differs from autograd).

Discriminator D(x) = v . relu(a x + b) + c with a scalar input x, on the real and fake samples
stacked (M = 2N rows). With h = relu(a x + b) (M x H), its 0/1 mask K = [h > 0] (ReLU's
derivative, 0 at 0 as in torch) and g_n = dL/dD(x_n):

    D(x_n) = (h v)_n + c,    dD/dx_n = (K (v*a))_n
    dL/dv = h^T g,   dL/dc = sum g,   dL/db_j = v_j (K^T g)_j,   dL/da_j = v_j (K^T (g*x))_j

so D needs h (then overwritten in place by K) and thin products with it.
Generator x = w . relu(W z + beta) + gamma: with h = relu(W z + beta), dy = dL/dx and
E = [h > 0] * dy (rows scaled, in place):  dL/dw = h^T dy, dL/dgamma = sum dy, and
[dL/dW | dL/dbeta] = diag(w) E^T [z | 1]  (one product with the latents and a ones column).

The losses are evaluated by the run's own loss function on the scores (the modules replaced by
callables returning the precomputed scores), so the loss formulas live in one place; the
derivative of the loss in the scores comes from autograd on those N-vectors (cheap).

Valid for: the exact ``MoGGenerator`` / ``MoGDiscriminator`` layout (Linear, ReLU, Linear with
biases, no hooks or parametrisations), losses 'nsgan', 'saturating', 'wgan' (and 'wgangp' with a
zero penalty weight), no consensus term. The gradient penalty needs autograd through D's input
gradient and always uses the autograd path.
"""
from __future__ import annotations

from typing import Callable, Mapping, Sequence

import torch
from torch import nn

from neural.models import MoGDiscriminator, MoGGenerator

FAST_LOSSES = ("nsgan", "saturating", "wgan")


def _plain_mlp(module: nn.Module, cls: type) -> bool:
    """Is ``module`` exactly ``cls`` with net = (Linear with bias, ReLU, Linear with bias) and
    nothing that changes its forward (hooks, parametrisations, frozen parameters)?"""
    if type(module) is not cls:
        return False
    net = getattr(module, "net", None)
    if not (isinstance(net, nn.Sequential) and len(net) == 3 and type(net[0]) is nn.Linear
            and type(net[1]) is nn.ReLU and type(net[2]) is nn.Linear
            and net[0].bias is not None and net[2].bias is not None
            and net[2].out_features == 1):
        return False
    for m in (module, *module.modules()):
        if (m._forward_hooks or m._forward_pre_hooks or m._backward_hooks
                or getattr(m, "parametrizations", None)):
            return False
    return all(p.requires_grad for p in module.parameters())


def fast_path_applies(players: Mapping[str, nn.Module], loss: Callable, consensus: float = 0.0
                      ) -> bool:
    """Can ``MoGFastField`` replace autograd for this game?"""
    kind = getattr(loss, "kind", None)
    gp_off = kind == "wgangp" and getattr(loss, "gp_weight", None) == 0
    return (consensus == 0 and (kind in FAST_LOSSES or gp_off)
            and set(players) == {"G", "D"}
            and _plain_mlp(players["G"], MoGGenerator)
            and _plain_mlp(players["D"], MoGDiscriminator)
            and players["D"].net[0].in_features == 1)


def _summed_in_blocks(vectors: torch.Tensor, matrix: torch.Tensor, rows: int = 1000
                      ) -> torch.Tensor:
    """vectors (k, M) @ matrix (M, H) with the sum over M taken in blocks of ``rows`` (one
    batched product, then a sum over blocks): same speed, but a long float32 dot product over
    M = 20,000 mixed-sign terms loses ~10x more accuracy than blocked sums (and than autograd)."""
    blocks = matrix.shape[0] // rows
    if blocks < 2:
        return vectors @ matrix
    head = blocks * rows
    k = vectors.shape[0]
    out = torch.bmm(vectors[:, :head].reshape(k, blocks, rows).transpose(0, 1),
                    matrix[:head].view(blocks, rows, matrix.shape[1])).sum(0)
    if head < matrix.shape[0]:
        out = out + vectors[:, head:] @ matrix[head:]
    return out


class MoGFastField:
    """Callable ``(batch, players) -> {"G": L_G, "D": L_D}`` (detached) that writes each active
    player's gradient of its own loss into ``.grad``, like the loss followed by
    ``neural.optim.fill_game_gradients``; see the module docstring."""

    def __init__(self, players: Mapping[str, nn.Module], loss: Callable):
        self.players, self.loss = players, loss
        self._z, self._z_version, self._z_ones = None, None, None

    def _latents_with_ones(self, z: torch.Tensor) -> torch.Tensor:
        """[z | 1], cached for the full batch (the same tensor every iteration; holding it
        keeps its memory from being reused by another batch)."""
        if self._z is not z or self._z_version != z._version:
            self._z_ones = torch.cat([z, z.new_ones(len(z), 1)], dim=1)
            self._z, self._z_version = z, z._version
        return self._z_ones

    def __call__(self, batch: Mapping[str, torch.Tensor], players: Sequence[str]) -> dict:
        generator, discriminator = self.players["G"], self.players["D"]
        g_first, g_last = generator.net[0], generator.net[2]
        d_first, d_last = discriminator.net[0], discriminator.net[2]
        real, z = batch["real"], batch["z"]
        n_real = len(real)
        with torch.no_grad():
            hidden = torch.addmm(g_first.bias, z, g_first.weight.t()).relu_()  # (N, H)
            w = g_last.weight[0]
            fake = (hidden.mv(w) + g_last.bias)[:, None]  # (N, 1)
            samples = torch.cat([real, fake])  # (M, 1), M = 2N
            a, b, v = d_first.weight[:, 0], d_first.bias, d_last.weight[0]
            d_hidden = torch.addcmul(b, samples, a).relu_()  # (M, H)
            scores = d_hidden.mv(v) + d_last.bias
        # the run's loss on the scores: modules replaced by callables returning them
        score_real = scores[:n_real].clone().requires_grad_(True)
        score_fake = scores[n_real:].clone().requires_grad_(True)
        fake_leaf = fake.clone()

        def score(x):
            if x is real:
                return score_real
            if x is fake_leaf:
                return score_fake
            raise RuntimeError("fast MoG field: unexpected discriminator input")

        with torch.enable_grad():
            losses = self.loss({"G": lambda _: fake_leaf, "D": score}, batch)
            upstream_g = upstream_d = None
            if "G" in players:
                (upstream_g,) = torch.autograd.grad(losses["G"], score_fake,
                                                    retain_graph="D" in players,
                                                    materialize_grads=True)
            if "D" in players:
                upstream_d = torch.autograd.grad(losses["D"], (score_real, score_fake),
                                                 allow_unused=True, materialize_grads=True)
        with torch.no_grad():
            if "D" in players:
                g = torch.cat(upstream_d)
                v_grad = _summed_in_blocks(g[None], d_hidden)[0]  # before it is the mask
            mask = d_hidden.sign_()  # ReLU's derivative (0 at 0, as torch's), in place
            if "D" in players:
                q = _summed_in_blocks(torch.stack([g, g * samples[:, 0]]), mask)  # (2, H)
                d_first.weight.grad = (v * q[1])[:, None]
                d_first.bias.grad = v * q[0]
                d_last.weight.grad = v_grad[None, :]
                d_last.bias.grad = g.sum().reshape(1)
            if "G" in players:
                dy = upstream_g * mask[n_real:].mv(v * a)  # dL_G / d fake, (N,)
                g_last.weight.grad = _summed_in_blocks(dy[None], hidden)
                g_last.bias.grad = dy.sum().reshape(1)
                scaled = hidden.sign_().mul_(dy[:, None])  # [h > 0] * dy, in place
                r = scaled.t() @ self._latents_with_ones(z)  # (H, latent + 1)
                g_first.weight.grad = w[:, None] * r[:, :-1]
                g_first.bias.grad = w * r[:, -1]
        return {"G": losses["G"].detach(), "D": losses["D"].detach()}

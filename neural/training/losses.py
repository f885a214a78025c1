"""GAN losses as two-player games in which every player MINIMISES its own loss.

A loss function has the shape ``loss(modules, batch) -> {"G": L_G, "D": L_D}``: ``modules``
maps player names to callables (the generator and discriminator, or anything behaving like
them) and ``batch`` carries everything random, so the same function serves training and the
deterministic analysis of ``neural.game.NeuralGame``::

    batch = {"real": x (N, ...), "z": latent (N, latent_dim), "eps": (N,) uniform in [0, 1]}

``eps`` are the gradient-penalty interpolation weights. With D's score s (a logit for the
(NS)GAN losses, a critic value for the WGANs), x ~ data, x~ = G(z):

- ``nsgan``:       L_D = softplus(-s(x)) + softplus(s(x~)),  L_G = softplus(-s(x~))
- ``saturating``:  L_D as nsgan,                              L_G = -softplus(s(x~))
                   (= log(1 - sigmoid(s(x~))), the minimax generator)
- ``wgan``:        L_D = s(x~) - s(x),                         L_G = -s(x~)
                   (the weight clipping that makes it a WGAN is the optimiser's projection)
- ``wgangp``:      wgan plus lambda * (||grad_x^ s(x^)|| - 1)^2 on L_D, at the points x^ of
                   GP_POINTS: "interpolates" x^ = eps x + (1 - eps) x~ (Gulrajani et al.; x~ not
                   detached, so L_D is a function of both players), or "data" x^ = x (the
                   paper's released MoG code; the penalty is then a function of D alone)

All terms are averages over the batch.

A one-player run (``discriminator_alone``) keeps only L_D, with fixed samples
``batch["fake"]`` in place of G(z): a plain minimisation in the same loss family.

The penalty's norm: ``(||g|| - 1)^2 = ||g||^2 - 2 ||g|| + 1`` is not differentiable at ``g = 0``
(a critic with zero output weights, or with every unit off around a sample), and autograd's
double backward of ``torch.norm`` there is NaN (0/0), which poisoned every Jacobian product.
``_norm`` is the same function away from 0 and takes, at exactly 0, the minimal-norm
subgradient 0 of ``||.||`` with zero curvature (the norm's Hessian ``(I - n n^T)/||g||`` is
replaced by 0): at such a sample the penalty's value is 1 and its gradient and Hessian in g
are 0 (it is NOT ``||g||^2 + 1``: ``(_norm - 1)^2`` has no curvature there), finite to every
order.
"""
from __future__ import annotations

import math
from typing import Callable, Mapping

import torch
import torch.nn.functional as F

from gametheory.errors import OptionError

LOSSES = ("nsgan", "saturating", "wgan", "wgangp")
#: Where the gradient penalty is evaluated (module docstring).
GP_POINTS = ("interpolates", "data")

GameLoss = Callable[[Mapping[str, Callable], Mapping[str, torch.Tensor]], dict]


def gradient_penalty(discriminator: Callable, real: torch.Tensor, fake: torch.Tensor,
                     eps: torch.Tensor, at: str = "interpolates") -> torch.Tensor:
    """Mean of (||grad_x^ D(x^)||_2 - 1)^2 at x^ = eps real + (1 - eps) fake (Gulrajani et al.
    2017), or at x^ = real when ``at == "data"``, differentiable in the players' parameters
    (create_graph); finite derivatives where the gradient is exactly zero (module docstring)."""
    if at == "data":
        mixed = real
    else:
        eps = eps.view(-1, *([1] * (real.dim() - 1)))
        mixed = eps * real + (1 - eps) * fake
    if not mixed.requires_grad:
        mixed = mixed.detach().requires_grad_(True)
    (grad,) = torch.autograd.grad(discriminator(mixed).sum(), mixed, create_graph=True)
    return (_norm(grad.flatten(1)) - 1).pow(2).mean()


def _norm(rows: torch.Tensor) -> torch.Tensor:
    """Euclidean norm of each row, with finite derivatives of every order at a zero row (module
    docstring): ``sqrt`` sees 1 instead of 0 there and ``where`` passes no gradient to it."""
    squares = rows.pow(2).sum(dim=1)
    zero = squares == 0
    return torch.where(zero, torch.zeros_like(squares),
                       torch.where(zero, torch.ones_like(squares), squares).sqrt())


def gan_loss(kind: str, gp_weight: float = 10.0, gp_at: str = "interpolates") -> GameLoss:
    """The loss function of GAN formulation ``kind`` (one of LOSSES), its penalty at the points
    ``gp_at`` (one of GP_POINTS); see the module docstring."""
    if kind not in LOSSES:
        raise OptionError(f"unknown loss {kind!r}; choose one of {', '.join(LOSSES)}")
    if gp_at not in GP_POINTS:
        raise OptionError(f"unknown penalty points {gp_at!r}; choose one of {', '.join(GP_POINTS)}")
    if not (gp_weight >= 0 and math.isfinite(gp_weight)):
        raise OptionError(f"gradient-penalty weight must be >= 0, got {gp_weight}")

    def loss(modules: Mapping[str, Callable], batch: Mapping[str, torch.Tensor]) -> dict:
        generator, discriminator = modules["G"], modules["D"]
        real = batch["real"]
        fake = generator(batch["z"])
        score_real, score_fake = discriminator(real), discriminator(fake)
        if kind in ("nsgan", "saturating"):
            loss_d = F.softplus(-score_real).mean() + F.softplus(score_fake).mean()
            sign = 1.0 if kind == "nsgan" else -1.0
            loss_g = (sign * F.softplus(-sign * score_fake)).mean()
        else:
            loss_d = score_fake.mean() - score_real.mean()
            loss_g = -score_fake.mean()
            if kind == "wgangp" and gp_weight > 0:
                loss_d = loss_d + gp_weight * gradient_penalty(discriminator, real, fake,
                                                               batch["eps"], gp_at)
        return {"G": loss_g, "D": loss_d}

    loss.kind = kind
    loss.gp_weight = gp_weight if kind == "wgangp" else 0.0
    return loss


def discriminator_alone(loss: GameLoss) -> GameLoss:
    """``{"D": L_D}`` of the game ``loss`` with the fixed samples ``batch["fake"]`` standing
    in for G(z): one player minimising one loss, so its Jacobian is D's Hessian (symmetric)."""
    def one_player(modules: Mapping[str, Callable], batch: Mapping[str, torch.Tensor]) -> dict:
        held = {"G": lambda z: batch["fake"], "D": modules["D"]}
        return {"D": loss(held, batch)["D"]}

    one_player.kind, one_player.gp_weight = loss.kind, loss.gp_weight
    return one_player

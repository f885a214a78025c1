"""Baseline for bench_neural_train.py: MoG full-batch extragradient (NSGAN) written the way the
paper-era research code does it: separate forward passes for the generator and discriminator
losses, ``.backward()`` into ``.grad``, and optimisers looping over parameters in Python and
updating ``.data`` one tensor at a time (extrapolation saves a copy, the step restores it).
Same mathematics as ``neural.training.trainer.Trainer`` with method 'extragradient'."""
from __future__ import annotations

import torch.nn.functional as F


class LoopExtragradient:
    """Per-parameter extragradient on ``.data``: ``extrapolation()`` then ``step()``."""

    def __init__(self, params, lr: float):
        self.params, self.lr, self.saved = list(params), lr, None

    def extrapolation(self) -> None:
        self.saved = [p.data.clone() for p in self.params]
        for p in self.params:
            p.data.add_(p.grad.data, alpha=-self.lr)

    def step(self) -> None:
        for p, saved in zip(self.params, self.saved):
            p.data.copy_(saved)
            p.data.add_(p.grad.data, alpha=-self.lr)


def compute_gradients(generator, discriminator, real, z) -> None:
    """Both players' gradients at the current point: the generator's loss first (its backward
    also writes into D's .grad, which the discriminator's zero_grad then clears)."""
    generator.zero_grad()
    loss_g = F.softplus(-discriminator(generator(z))).mean()
    loss_g.backward()
    discriminator.zero_grad()
    fake = generator(z).detach()
    loss_d = F.softplus(-discriminator(real)).mean() + F.softplus(discriminator(fake)).mean()
    loss_d.backward()


def baseline_iteration(generator, discriminator, opt_g, opt_d, real, z) -> None:
    compute_gradients(generator, discriminator, real, z)
    opt_g.extrapolation()
    opt_d.extrapolation()
    compute_gradients(generator, discriminator, real, z)
    opt_g.step()
    opt_d.step()

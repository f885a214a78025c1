"""Periodic sample-quality evaluation during training: Inception Score with the project's LeNet
on MNIST; FID and IS with a supplied Inception network on CIFAR10. An evaluator is called by the
trainer with a ``generate(z)`` function and returns metrics to log."""
from __future__ import annotations

import torch

from neural.training.metrics import classifier_probabilities, inception_metrics, inception_score


def _latents(count: int, latent_dim: int, seed: int) -> torch.Tensor:
    return torch.randn(count, latent_dim, generator=torch.Generator().manual_seed(seed))


def _generate_all(generate, z: torch.Tensor, batch_size: int = 500) -> torch.Tensor:
    return torch.cat([generate(chunk) for chunk in z.split(batch_size)])


class LeNetInceptionScore:
    """IS of ``count`` generated digits under the LeNet classifier (fixed latents)."""

    def __init__(self, classifier, latent_dim: int, seed: int, count: int = 5000):
        self.classifier, self.z = classifier, _latents(count, latent_dim, seed)

    def __call__(self, generate) -> dict[str, float]:
        probs = classifier_probabilities(self.classifier, _generate_all(generate, self.z))
        return {"inception_score": inception_score(probs, splits=10)[0]}


class InceptionFID:
    """FID against ``real`` images and IS of ``len(real)`` generated images (fixed latents)."""

    def __init__(self, net, real: torch.Tensor, latent_dim: int, seed: int, device="cpu"):
        self.net, self.real, self.device = net.to(device), real, device
        self.z = _latents(len(real), latent_dim, seed)

    def __call__(self, generate) -> dict[str, float]:
        return inception_metrics(self.net, _generate_all(generate, self.z), self.real,
                                 device=self.device)

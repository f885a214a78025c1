"""Sample-quality metrics: 1-D Wasserstein and Kolmogorov-Smirnov distances (MoG), Inception
Score with a classifier (LeNet on MNIST, Inception on CIFAR10), and the Frechet distance (FID).
"""
from __future__ import annotations

import warnings
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from gametheory.errors import GameError
from neural.training.checkpoint import first_line


class MetricError(GameError):
    """A metric cannot be computed with what was supplied (e.g. no Inception weights)."""


def wasserstein_1d(x, y) -> float:
    """W1 between the empirical distributions of samples ``x`` and ``y``: the integral of
    |F_x(t) - F_y(t)| dt, exact for step CDFs."""
    x, y = np.sort(np.ravel(x)).astype(np.float64), np.sort(np.ravel(y)).astype(np.float64)
    grid = np.sort(np.concatenate([x, y]))
    cdf_x = np.searchsorted(x, grid[:-1], side="right") / len(x)
    cdf_y = np.searchsorted(y, grid[:-1], side="right") / len(y)
    return float(np.sum(np.abs(cdf_x - cdf_y) * np.diff(grid)))


def ks_statistic(x, cdf: Callable[[np.ndarray], np.ndarray]) -> float:
    """One-sample Kolmogorov-Smirnov statistic sup_t |F_n(t) - F(t)| of samples ``x`` against
    the exact CDF ``cdf``."""
    x = np.sort(np.ravel(x)).astype(np.float64)
    n = len(x)
    values = cdf(x)
    above = np.arange(1, n + 1) / n - values
    below = values - np.arange(n) / n
    return float(max(above.max(), below.max()))


def inception_score(probs: torch.Tensor, splits: int = 1) -> tuple[float, float]:
    """IS = exp(E_x KL(p(y|x) || p(y))) from class probabilities (N, classes); mean and
    standard deviation over ``splits`` equal parts (std 0 for one split)."""
    probs = probs.double().clamp_min(1e-12)
    scores = []
    for part in probs.chunk(splits):
        marginal = part.mean(0, keepdim=True)
        kl = (part * (part.log() - marginal.log())).sum(1).mean()
        scores.append(float(kl.exp()))
    return float(np.mean(scores)), float(np.std(scores))


def frechet_distance(mu1, sigma1, mu2, sigma2) -> float:
    """Frechet distance of N(mu1, sigma1) and N(mu2, sigma2):
    |mu1 - mu2|^2 + tr(sigma1 + sigma2 - 2 (sigma1 sigma2)^(1/2)), with
    tr (sigma1 sigma2)^(1/2) = sum sqrt(eig(sigma1^(1/2) sigma2 sigma1^(1/2))) (symmetric PSD)."""
    mu1, mu2 = np.asarray(mu1, dtype=np.float64), np.asarray(mu2, dtype=np.float64)
    sigma1, sigma2 = np.asarray(sigma1, dtype=np.float64), np.asarray(sigma2, dtype=np.float64)
    eigvals, eigvecs = np.linalg.eigh((sigma1 + sigma1.T) / 2)
    root1 = (eigvecs * np.sqrt(np.clip(eigvals, 0, None))) @ eigvecs.T
    middle = root1 @ sigma2 @ root1
    cross = np.sqrt(np.clip(np.linalg.eigvalsh((middle + middle.T) / 2), 0, None)).sum()
    return float(np.sum((mu1 - mu2) ** 2) + np.trace(sigma1) + np.trace(sigma2) - 2 * cross)


def feature_statistics(features: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    """Mean and (unbiased) covariance of features (N, d)."""
    f = features.double().cpu().numpy()
    return f.mean(0), np.cov(f, rowvar=False)


@torch.no_grad()
def classifier_probabilities(classifier: torch.nn.Module, images: torch.Tensor,
                             batch_size: int = 500) -> torch.Tensor:
    """Softmax class probabilities of a classifier returning logits, in eval mode."""
    classifier.eval()
    device = next(classifier.parameters()).device
    return torch.cat([classifier(chunk.to(device)).softmax(1).cpu()
                      for chunk in images.split(batch_size)])


# --- Inception network (CIFAR10 FID and IS) ----------------------------------------------------

INCEPTION_HELP = ("FID/IS on CIFAR10 need the standard Inception network: pass --inception FILE, "
                  "a TorchScript export taking uint8 NCHW images (e.g. the "
                  "inception-2015-12-05.pt used by StyleGAN2-ADA's metrics)")


def load_inception(path: str | Path | None) -> torch.jit.ScriptModule:
    """Load the TorchScript Inception network; a clear error when it is not supplied.

    Interface assumed: ``net(images_uint8, return_features=True)`` -> (N, 2048) pool features;
    ``net(images_uint8)`` -> (N, classes) probabilities."""
    if path is None or not Path(path).is_file():
        where = f" ({path} not found)" if path is not None else ""
        raise MetricError(INCEPTION_HELP + where)
    try:
        with warnings.catch_warnings():  # torch.jit is deprecated, the exported file is not
            warnings.simplefilter("ignore", DeprecationWarning)
            return torch.jit.load(str(path), map_location="cpu").eval()
    except (RuntimeError, ValueError) as error:
        raise MetricError(f"cannot load Inception network {path}: "
                          f"{first_line(error)}") from None


def to_uint8(images: torch.Tensor) -> torch.Tensor:
    """Images in [-1, 1] -> uint8 in [0, 255]."""
    return ((images.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)


@torch.no_grad()
def inception_metrics(net, fake: torch.Tensor, real: torch.Tensor, batch_size: int = 250,
                      device="cpu") -> dict[str, float]:
    """FID between ``fake`` and ``real`` images and IS of ``fake`` (images in [-1, 1]); the
    network runs on ``device``."""
    def run(images, **kwargs):
        return torch.cat([net(to_uint8(c).to(device), **kwargs).double().cpu()
                          for c in images.split(batch_size)])

    fid = frechet_distance(*feature_statistics(run(fake, return_features=True)),
                           *feature_statistics(run(real, return_features=True)))
    score, _ = inception_score(run(fake))
    return {"fid": fid, "is": score}

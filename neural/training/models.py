"""Generators and discriminators of the paper's three experiments (App. C).

- MoG: one hidden layer of 100 ReLU units for both players (App. C.1).
- MNIST: DCGAN (Radford et al. 2016) for 28x28 images; the discriminator uses spectral
  normalisation instead of batch norm (App. C.2).
- CIFAR10: SNGAN-style ResNets (Miyato et al. 2018) for 32x32 images.

A generator maps latent vectors (N, latent_dim) to samples; a discriminator maps samples to one
real score per sample, shape (N,). Scores are logits (NSGAN) or critic values (WGAN).
"""
from __future__ import annotations

from torch import nn
from torch.nn.utils.parametrizations import spectral_norm


class MoGGenerator(nn.Module):
    """z (N, latent_dim) -> x (N, 1) through one hidden ReLU layer."""

    def __init__(self, latent_dim: int = 100, hidden: int = 100):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(latent_dim, hidden), nn.ReLU(), nn.Linear(hidden, 1))

    def forward(self, z):
        return self.net(z)


class MoGDiscriminator(nn.Module):
    """x (N, 1) -> score (N,) through one hidden ReLU layer."""

    def __init__(self, hidden: int = 100):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(1, hidden), nn.ReLU(), nn.Linear(hidden, 1))

    def forward(self, x):
        return self.net(x).squeeze(1)


class DCGANGenerator(nn.Module):
    """DCGAN generator for 28x28 single-channel images: z -> 4x4 -> 7x7 -> 14x14 -> 28x28,
    transposed convolutions with batch norm and ReLU, tanh output in [-1, 1]."""

    def __init__(self, latent_dim: int = 100, width: int = 64, channels: int = 1):
        super().__init__()
        w = width
        self.net = nn.Sequential(
            nn.ConvTranspose2d(latent_dim, 4 * w, 4, 1, 0, bias=False), nn.BatchNorm2d(4 * w),
            nn.ReLU(),
            nn.ConvTranspose2d(4 * w, 2 * w, 3, 2, 1, bias=False), nn.BatchNorm2d(2 * w),
            nn.ReLU(),
            nn.ConvTranspose2d(2 * w, w, 4, 2, 1, bias=False), nn.BatchNorm2d(w), nn.ReLU(),
            nn.ConvTranspose2d(w, channels, 4, 2, 1), nn.Tanh(),
        )

    def forward(self, z):
        return self.net(z.view(z.shape[0], -1, 1, 1))


class DCGANDiscriminator(nn.Module):
    """DCGAN discriminator for 28x28 images with spectral normalisation on every layer in
    place of batch norm (paper App. C.2): 28 -> 14 -> 7 -> 4 -> score."""

    def __init__(self, width: int = 64, channels: int = 1):
        super().__init__()
        w = width
        self.net = nn.Sequential(
            spectral_norm(nn.Conv2d(channels, w, 4, 2, 1)), nn.LeakyReLU(0.2),
            spectral_norm(nn.Conv2d(w, 2 * w, 4, 2, 1)), nn.LeakyReLU(0.2),
            spectral_norm(nn.Conv2d(2 * w, 4 * w, 3, 2, 1)), nn.LeakyReLU(0.2),
            spectral_norm(nn.Conv2d(4 * w, 1, 4, 1, 0)),
        )

    def forward(self, x):
        return self.net(x).flatten()


class _GeneratorBlock(nn.Module):
    """Pre-activation residual block that doubles the resolution (BN, ReLU, upsample, conv)."""

    def __init__(self, channels: int):
        super().__init__()
        self.residual = nn.Sequential(
            nn.BatchNorm2d(channels), nn.ReLU(), nn.Upsample(scale_factor=2),
            nn.Conv2d(channels, channels, 3, 1, 1), nn.BatchNorm2d(channels), nn.ReLU(),
            nn.Conv2d(channels, channels, 3, 1, 1),
        )
        self.shortcut = nn.Upsample(scale_factor=2)

    def forward(self, x):
        return self.residual(x) + self.shortcut(x)


class _DiscriminatorBlock(nn.Module):
    """Residual block with spectrally normalised convolutions, optionally halving the
    resolution; the first block of the network skips the leading ReLU (SNGAN's optimised
    block)."""

    def __init__(self, in_channels: int, out_channels: int, downsample: bool, first: bool):
        super().__init__()
        layers = [] if first else [nn.ReLU()]
        layers += [spectral_norm(nn.Conv2d(in_channels, out_channels, 3, 1, 1)), nn.ReLU(),
                   spectral_norm(nn.Conv2d(out_channels, out_channels, 3, 1, 1))]
        shortcut = []
        if in_channels != out_channels or downsample:
            shortcut.append(spectral_norm(nn.Conv2d(in_channels, out_channels, 1)))
        if downsample:
            layers.append(nn.AvgPool2d(2))
            shortcut.append(nn.AvgPool2d(2))
        if first:  # pool before the 1x1 conv, as in SNGAN's optimised first block
            shortcut.reverse()
        self.residual = nn.Sequential(*layers)
        self.shortcut = nn.Sequential(*shortcut)

    def forward(self, x):
        return self.residual(x) + self.shortcut(x)


class ResNetGenerator(nn.Module):
    """SNGAN ResNet generator for 32x32 RGB: linear to 4x4, three up-blocks, BN-ReLU-conv-tanh."""

    def __init__(self, latent_dim: int = 128, width: int = 128, channels: int = 3):
        super().__init__()
        self.width = width
        self.linear = nn.Linear(latent_dim, 4 * 4 * width)
        self.blocks = nn.Sequential(*(_GeneratorBlock(width) for _ in range(3)))
        self.out = nn.Sequential(nn.BatchNorm2d(width), nn.ReLU(),
                                 nn.Conv2d(width, channels, 3, 1, 1), nn.Tanh())

    def forward(self, z):
        return self.out(self.blocks(self.linear(z).view(-1, self.width, 4, 4)))


class ResNetDiscriminator(nn.Module):
    """SNGAN ResNet discriminator for 32x32 RGB: four residual blocks (two downsampling),
    ReLU, global sum pooling, spectrally normalised linear score."""

    def __init__(self, width: int = 128, channels: int = 3):
        super().__init__()
        self.blocks = nn.Sequential(
            _DiscriminatorBlock(channels, width, downsample=True, first=True),
            _DiscriminatorBlock(width, width, downsample=True, first=False),
            _DiscriminatorBlock(width, width, downsample=False, first=False),
            _DiscriminatorBlock(width, width, downsample=False, first=False),
            nn.ReLU(),
        )
        self.linear = spectral_norm(nn.Linear(width, 1))

    def forward(self, x):
        return self.linear(self.blocks(x).sum(dim=(2, 3))).squeeze(1)


class LeNet(nn.Module):
    """LeNet-5 style MNIST classifier (28x28 -> 10 logits), the paper's Inception-Score
    network on MNIST (App. C.2)."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        )
        self.classifier = nn.Sequential(nn.Linear(16 * 5 * 5, 120), nn.ReLU(),
                                        nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))

    def forward(self, x):
        return self.classifier(self.features(x).flatten(1))


def build_players(dataset: str, latent_dim: int, width: int | None = None
                  ) -> dict[str, nn.Module]:
    """Generator and discriminator of ``dataset`` in player order {"G": ..., "D": ...}.

    ``width`` is the hidden size (MoG) or base channel count (images); None means the paper's
    value (100 hidden units for MoG, 64 for DCGAN, 128 for the ResNets)."""
    if dataset == "mog":
        hidden = width or 100
        return {"G": MoGGenerator(latent_dim, hidden), "D": MoGDiscriminator(hidden)}
    if dataset == "mnist":
        width = width or 64
        return {"G": DCGANGenerator(latent_dim, width), "D": DCGANDiscriminator(width)}
    if dataset == "cifar10":
        width = width or 128
        return {"G": ResNetGenerator(latent_dim, width), "D": ResNetDiscriminator(width)}
    raise ValueError(f"unknown data set {dataset!r}")

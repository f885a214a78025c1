"""Named training setups carrying the hyper-parameters of the paper's appendix C.

MoG (App. C.1): full batch of 10,000, 30,000 iterations, extragradient; NSGAN lr 0.1 / 0.1,
WGAN-GP lr_G 1e-2, lr_D 1e-1, penalty 1e-3. MNIST (App. C.2): batch 100; NSGAN lr_G 2e-4,
lr_D 5e-5, 100,000 iterations; WGAN-GP lr 8.6e-5 both, penalty 10, 5 critic steps, 200,000
iterations; beta1 = 0.5 with Adam, 0.9 with ExtraAdam. The appendix gives no beta2 (we keep
Adam's 0.999) and no CIFAR10 values: the CIFAR10 presets use the SNGAN ResNet setup of Miyato
et al. 2018 (batch 64, lr 2e-4, betas (0, 0.9), 5 critic steps for WGAN-GP), an assumption.
Image presets keep the newest 10 checkpoints (plus the initial state) to bound disk use.
Every value can be overridden by an option.
"""
from __future__ import annotations

from gametheory.errors import OptionError
from neural.training.config import TrainConfig

_MOG = {"dataset": "mog", "method": "extragradient", "batch_size": 10_000,
        "mog_samples": 10_000, "iterations": 30_000, "latent_dim": 100,
        "checkpoint_every": 1000, "log_every": 100, "sample_every": 5000}
_MNIST = {"dataset": "mnist", "batch_size": 100, "latent_dim": 100, "checkpoint_every": 5000,
          "keep_checkpoints": 10, "log_every": 100, "sample_every": 5000}
_MNIST_NSGAN = {**_MNIST, "loss": "nsgan", "iterations": 100_000, "lr_g": 2e-4, "lr_d": 5e-5}
_MNIST_WGANGP = {**_MNIST, "loss": "wgangp", "iterations": 200_000, "lr_g": 8.6e-5,
                 "lr_d": 8.6e-5, "gp_weight": 10.0, "n_critic": 5}
_CIFAR10 = {"dataset": "cifar10", "method": "extraadam", "batch_size": 64, "latent_dim": 128,
            "lr_g": 2e-4, "lr_d": 2e-4, "beta1": 0.0, "beta2": 0.9, "iterations": 100_000,
            "checkpoint_every": 5000, "keep_checkpoints": 10, "log_every": 100,
            "sample_every": 5000}

PRESETS: dict[str, dict] = {
    "mog-nsgan-eg": {**_MOG, "loss": "nsgan", "lr_g": 1e-1, "lr_d": 1e-1},
    "mog-wgangp-eg": {**_MOG, "loss": "wgangp", "lr_g": 1e-2, "lr_d": 1e-1, "gp_weight": 1e-3},
    "mnist-nsgan-adam": {**_MNIST_NSGAN, "method": "adam", "beta1": 0.5},
    "mnist-nsgan-extraadam": {**_MNIST_NSGAN, "method": "extraadam", "beta1": 0.9},
    "mnist-wgangp-adam": {**_MNIST_WGANGP, "method": "adam", "beta1": 0.5},
    "mnist-wgangp-extraadam": {**_MNIST_WGANGP, "method": "extraadam", "beta1": 0.9},
    "cifar10-nsgan-extraadam": {**_CIFAR10, "loss": "nsgan", "n_critic": 1},
    "cifar10-wgangp-extraadam": {**_CIFAR10, "loss": "wgangp", "gp_weight": 10.0,
                                 "n_critic": 5},
}

#: Preset used when a data set is trained without --preset.
DEFAULT_PRESET = {"mog": "mog-nsgan-eg", "mnist": "mnist-nsgan-extraadam",
                  "cifar10": "cifar10-wgangp-extraadam"}


def resolve_config(dataset: str, preset: str | None = None, **overrides) -> TrainConfig:
    """The validated config of ``preset`` (default: the data set's default preset) with the
    non-None ``overrides`` applied."""
    preset = preset or DEFAULT_PRESET.get(dataset)
    if preset not in PRESETS:
        raise OptionError(f"unknown preset {preset!r}; choose one of {', '.join(PRESETS)}")
    values = dict(PRESETS[preset])
    if values["dataset"] != dataset:
        raise OptionError(f"preset {preset!r} is for {values['dataset']}, not {dataset}")
    values.update({k: v for k, v in overrides.items() if v is not None})
    values["preset"] = preset
    return TrainConfig.from_dict(values).validate()

"""The full configuration of a training run: plain JSON-able data, stored in every checkpoint.

One iteration = ``n_critic`` discriminator updates and one generator update. The last
discriminator update and the generator update are simultaneous (both players move from the
same point, one optimiser step over both) unless ``alternating``, in which case the generator
steps after the discriminator, at the new discriminator. With n_critic = 1 and simultaneous
updates an iteration is one step of the method on the joint parameters omega.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

from gametheory.dynamics.vocabulary import resolve_method
from gametheory.errors import OptionError
from neural.training.data import MOG_MIXTURES
from neural.training.losses import GP_POINTS, LOSSES
from neural.training.optim import METHODS

DATASETS = ("mog", "mnist", "cifar10")
#: "both": the GAN; "D": the discriminator alone against the initial generator's samples.
PLAYERS = ("both", "D")

#: Fields that may differ between a run and its resumption (they do not change the trajectory).
RESUMABLE_FIELDS = ("iterations", "checkpoint_every", "keep_checkpoints", "log_every",
                    "sample_every", "data_dir")


@dataclass
class TrainConfig:
    dataset: str = "mog"
    loss: str = "nsgan"
    method: str = "extragradient"  # a name of neural.training.optim.METHODS or an alias, kept as given
    alternating: bool = False
    iterations: int = 1000
    lr_g: float = 1e-2
    lr_d: float = 1e-2
    beta1: float = 0.5
    beta2: float = 0.999
    n_critic: int = 1
    gp_weight: float = 10.0
    gp_at: str = "interpolates"  # one of GP_POINTS: where the gradient penalty is evaluated
    clip: float = 0.01  # WGAN weight clipping bound (loss 'wgan' only)
    consensus: float = 0.0  # gamma of the consensus regulariser; 0 = off
    batch_size: int = 10_000
    latent_dim: int = 100
    width: int | None = None  # None = the paper's architecture size
    mog_samples: int = 10_000
    mog_mixture: str = "paper"  # a key of MOG_MIXTURES
    ema_beta: float = 0.999
    seed: int = 0
    checkpoint_every: int = 1000
    keep_checkpoints: int = 0  # keep the newest N (plus the initial state); 0 = keep all
    log_every: int = 100
    sample_every: int = 1000
    data_dir: str | None = None  # None: data/<dataset> (neural.training.data.data_directory)
    preset: str | None = None
    players: str = "both"  # one of PLAYERS

    def validate(self) -> "TrainConfig":
        """Raise OptionError on the first out-of-range value; return self."""
        choices = {"dataset": DATASETS, "loss": LOSSES, "players": PLAYERS, "gp_at": GP_POINTS,
                   "mog_mixture": tuple(MOG_MIXTURES)}
        for name, allowed in choices.items():
            if getattr(self, name) not in allowed:
                raise OptionError(f"unknown {name} {getattr(self, name)!r}; "
                                  f"choose one of {', '.join(allowed)}")
        resolve_method(self.method, METHODS)
        positive = ("lr_g", "lr_d", "iterations", "n_critic", "batch_size", "latent_dim",
                    "mog_samples", "checkpoint_every", "log_every", "sample_every", "clip")
        for name in positive:
            if not (getattr(self, name) > 0 and math.isfinite(getattr(self, name))):
                raise OptionError(f"--{name.replace('_', '-')} must be > 0 and finite, got "
                                  f"{getattr(self, name)}")
        for name in ("beta1", "beta2", "ema_beta"):
            if not 0 <= getattr(self, name) < 1:
                raise OptionError(f"--{name.replace('_', '-')} must lie in [0, 1), got "
                                  f"{getattr(self, name)}")
        for name in ("gp_weight", "consensus", "keep_checkpoints"):
            if not (getattr(self, name) >= 0 and math.isfinite(getattr(self, name))):
                raise OptionError(f"--{name.replace('_', '-')} must be >= 0 and finite, got "
                                  f"{getattr(self, name)}")
        if self.width is not None and self.width <= 0:
            raise OptionError(f"--width must be > 0, got {self.width}")
        if self.one_player and self.alternating:
            raise OptionError("--alternating orders the generator after the discriminator; a "
                              "one-player run (--players D) has no generator step")
        if self.one_player and self.n_critic != 1:
            raise OptionError(f"--n-critic counts discriminator steps per generator step; a "
                              f"one-player run (--players D) needs 1, got {self.n_critic}")
        if self.dataset == "mog" and self.batch_size > self.mog_samples:
            raise OptionError(f"--batch-size {self.batch_size} exceeds the {self.mog_samples} "
                              "MoG samples")
        return self

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "TrainConfig":
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise OptionError(f"unknown configuration keys: {', '.join(unknown)}")
        return cls(**data)

    @property
    def one_player(self) -> bool:
        """The discriminator trained alone: a plain minimisation of one loss."""
        return self.players == "D"

    @property
    def full_batch(self) -> bool:
        """MoG with the whole sample as one batch reused every iteration (paper App. C.1)."""
        return self.dataset == "mog" and self.batch_size == self.mog_samples

"""The GAN trainer: iterations of a game optimiser, checkpoints, metrics, samples.

Conventions: every player minimises its own loss (``neural.training.losses``); an iteration is
``n_critic`` discriminator updates and one generator update (see ``neural.training.config``).
Randomness: model initialisation uses ``torch.manual_seed(seed)``; MoG samples come from
``seed``, the fixed full batch (latents, penalty weights) from ``seed + 1``, minibatches from a
dedicated generator seeded ``seed + 2`` whose state is checkpointed, evaluation latents from
``seed + 3``. On CPU a run is deterministic and a resumed run is bit-identical to an
uninterrupted one.

A one-player run (``TrainConfig.players`` "D") trains the discriminator alone against the
fixed samples of the generator held at its initial state (``frozen_generator``): the same
seeds, so its D starts where the GAN run's does, and its checkpoints hold D only.

Gradients: autograd, or a registered plug-in's gradient fill (``neural.plugins``, e.g. the MoG
closed form) that reproduced autograd's field and losses on the first batch at start-up; every
metrics record says which (``gradient_path``: ``"closed-form"``, ``"autograd"``, ...).
"""
from __future__ import annotations

import json
import math
import signal
import threading
import time
from pathlib import Path

import torch

from gametheory.dynamics.vocabulary import resolve_method
from gametheory.errors import GameError, OptionError
from neural import plugins
from neural.devices import parse_device
from neural.game import NeuralGame
from neural.training.checkpoint import (CheckpointError, atomic_write, checkpoint_path, first_line,
                                        list_checkpoints, load_checkpoint, load_latest_readable,
                                        save_checkpoint, set_aside)
from neural.training.data import GANBatches, load_images, mog_sample
from neural.training.losses import discriminator_alone, gan_loss
from neural.training.models import build_players
from neural.training.optim import ParameterAverage, fill_game_gradients, make_optimizer, player_groups
from neural.training.config import RESUMABLE_FIELDS, TrainConfig

EVAL_SAMPLES = {"mog": 10_000, "mnist": 64, "cifar10": 64}


class TrainingDiverged(GameError):
    """A loss or gradient became NaN or infinite."""


def build_game_parts(config: TrainConfig | dict):
    """(config, trained players' modules initialised from the seed, loss function) of a run:
    {"G", "D"} and the game's losses, or for a one-player run {"D"} and D's loss alone."""
    if isinstance(config, dict):
        config = TrainConfig.from_dict(config)
    torch.manual_seed(config.seed)
    players = build_players(config.dataset, config.latent_dim, config.width)
    loss = gan_loss(config.loss, config.gp_weight, config.gp_at)
    if config.one_player:
        return config, {"D": players["D"]}, discriminator_alone(loss)
    return config, players, loss


def frozen_generator(config: TrainConfig) -> torch.nn.Module | None:
    """The generator a one-player run holds fixed (its initial state from the seed, in eval
    mode, no trainable parameters), or None for a game."""
    if not config.one_player:
        return None
    torch.manual_seed(config.seed)
    generator = build_players(config.dataset, config.latent_dim, config.width)["G"]
    return generator.requires_grad_(False).eval()


def real_samples(config: TrainConfig) -> torch.Tensor:
    """The training samples: MoG drawn from the seed, or the image data set from disk."""
    if config.dataset == "mog":
        return mog_sample(config.mog_samples, torch.Generator().manual_seed(config.seed),
                          config.mog_mixture)
    return load_images(config.dataset, config.data_dir)


def build_batches(config: TrainConfig, eval_size: int | None = None) -> list[dict]:
    """Fixed evaluation batches for analysis: the MoG full batch (as trained on), or for images
    ``eval_size`` (default 500) samples drawn once from the seed, in training-size batches;
    with a one-player run's fixed generated samples."""
    real, frozen = real_samples(config), frozen_generator(config)
    if config.dataset == "mog":
        return [GANBatches(real, config.latent_dim, len(real), fixed=True,
                           seed=config.seed + 1, frozen=frozen).next(None)]
    size = min(eval_size or 500, len(real))
    per_batch = min(config.batch_size, size)
    source = GANBatches(real, config.latent_dim, per_batch, fixed=False, seed=config.seed,
                        frozen=frozen)
    generator = torch.Generator().manual_seed(config.seed + 3)
    return [source.draw(generator, per_batch) for _ in range(size // per_batch)]


def load_neural_game(path: str | Path, device=None, dtype=None, eval_size: int | None = None,
                     average: str | None = None):
    """The ``NeuralGame`` at a checkpoint's parameters (a one-player run: D alone), plus metadata.

    ``path`` is a checkpoint file or a run directory (its latest checkpoint). The players are
    the generator and discriminator in eval mode (batch norm uses its running statistics,
    spectral norm its stored power-iteration vectors, so the game is a fixed function of the
    parameters). The evaluation batches are drawn once from the run's seed: for MoG the
    training full batch itself; for images ``eval_size`` samples (default 500) in batches of
    the training batch size. ``average`` ('uniform' or 'ema') puts the players at the
    checkpoint's parameter average instead of the last iterate. Returns
    (game, {"config", "iteration", "path", "average"})."""
    if average not in (None, "uniform", "ema"):
        raise OptionError(f"unknown parameter average {average!r}; choose uniform or ema")
    state = load_checkpoint(path, map_location="cpu")
    try:
        config, players, loss = build_game_parts(TrainConfig.from_dict(state["config"]).validate())
    except (GameError, TypeError, ValueError) as error:
        raise CheckpointError(f"{state['path']}: invalid stored config ({first_line(error)})") from None
    for name, module in players.items():
        try:
            module.load_state_dict(state["players"][name])
            if average is not None:
                with torch.no_grad():
                    for param, value in zip(module.parameters(),
                                            state["averages"][average][name], strict=True):
                        param.copy_(value)
        except (KeyError, RuntimeError, ValueError) as error:
            raise CheckpointError(f"{state['path']}: parameters of player {name} do not match "
                                  f"its config ({first_line(error)})") from None
        module.eval()
    batches = build_batches(config, eval_size=eval_size)
    meta = {"config": config.to_dict(), "iteration": int(state["iteration"]),
            "path": state["path"], "average": average}
    return NeuralGame(players, loss, batches, device=device, dtype=dtype), meta


class Trainer:
    """Trains the GAN of a ``TrainConfig`` in ``run_dir``; ``distributed`` is a
    ``neural.training.distributed.DataParallel`` (or None for one process); ``real`` replaces the data
    set's training samples (same shape per sample)."""

    def __init__(self, config: TrainConfig, run_dir: str | Path, device=None, distributed=None,
                 real: torch.Tensor | None = None):
        self.config, players, self.loss = build_game_parts(config.validate())
        self.run_dir = Path(run_dir)
        self.device = parse_device(device)
        self.distributed = distributed
        if distributed is not None and config.consensus:
            raise OptionError("consensus optimisation needs the full vector field and is not "
                              "supported with data-parallel training")
        self.players = {name: module.to(self.device) for name, module in players.items()}
        frozen = frozen_generator(self.config)
        frozen = None if frozen is None else frozen.to(self.device)
        #: the generator of the samples: trained, or held fixed by a one-player run
        self.sampler = self.players["G"] if frozen is None else frozen
        self.params = {name: [p for p in m.parameters() if p.requires_grad]
                       for name, m in self.players.items()}
        clip = {"D": config.clip} if config.loss == "wgan" else {}
        groups = player_groups(self.players, {"G": config.lr_g, "D": config.lr_d}, clip)
        self.optimizer = make_optimizer(config.method, groups, (config.beta1, config.beta2))
        self.averages = ParameterAverage(self.players, config.ema_beta)
        shard = (distributed.rank, distributed.world_size) if distributed else (0, 1)
        real = real_samples(config) if real is None else real
        self.batches = GANBatches(real, config.latent_dim, config.batch_size,
                                  fixed=config.full_batch, seed=config.seed + 1, shard=shard,
                                  device=self.device, frozen=frozen)
        self.generator = torch.Generator().manual_seed(config.seed + 2)
        eval_generator = torch.Generator().manual_seed(config.seed + 3)
        self.eval_z = torch.randn(EVAL_SAMPLES[config.dataset], config.latent_dim,
                                  generator=eval_generator).to(self.device)
        self.iteration = 0
        self.stats: dict[str, torch.Tensor] = {}
        self._stop_requested = False  # set by Ctrl-C or request_stop (this process)
        self._stop_agreed = False  # under data parallelism: some rank asked to stop
        self.last_checkpoint: Path | None = None
        self.evaluator = None  # optional: generate -> {metric: value}, run with the samples
        #: why an offered gradient fill is not used (None: none offered, or it is used)
        self.gradient_note: str | None = None
        #: a plug-in's gradient fill checked against autograd (``_checked_gradient_fill``), or
        #: None for autograd; set to None to force the autograd path
        self.fast_field = self._checked_gradient_fill()

    @property
    def gradient_path(self) -> str:
        """How the players' gradients are computed: the fill's name or ``"autograd"``."""
        return "autograd" if self.fast_field is None else self.fast_field.name

    def _checked_gradient_fill(self) -> plugins.GradientFill | None:
        """The first gradient fill a plug-in offers for these players and loss whose field
        and losses agree with autograd's (``plugins.agrees``) on the run's first batch at the
        initial state (drawn from a copy of the batch generator, so the run is unchanged);
        None where none does, or with consensus or data parallelism (their gradients need
        autograd)."""
        if self.distributed is not None or self.config.consensus:
            return None
        names = tuple(self.players)
        copy = torch.Generator().set_state(self.generator.get_state())
        batch = self.batches.next(copy)

        def field(fill):
            for p in (p for n in names for p in self.params[n]):
                p.grad = None
            losses = fill(batch, names)
            if losses is None:
                return None
            return (torch.cat([p.grad.reshape(-1) for n in names for p in self.params[n]]),
                    torch.stack([losses[n].detach() for n in names]))

        def autograd(batch, players):
            losses = self.loss(self.players, batch)
            fill_game_gradients(losses, self.params, players)
            return losses

        chosen, reference = None, None
        for provider in plugins.providers():
            fill = provider.for_training(self.players, self.loss)
            if fill is None:
                continue
            reference = reference or field(autograd)
            try:
                ours = field(fill)
            except Exception:  # noqa: BLE001 - whatever the plug-in cannot serve: autograd
                ours = None
            if ours is not None and all(map(plugins.agrees, ours, reference)):
                chosen, self.gradient_note = fill, None
                break
            failure = "cannot serve this loss" if ours is None else "do not reproduce autograd's"
            self.gradient_note = (f"the {fill.name} gradients {failure} on the first batch: "
                                  "training with autograd")
        for p in (p for n in names for p in self.params[n]):
            p.grad = None
        return chosen

    # --- one iteration ------------------------------------------------------------------------
    @property
    def is_main(self) -> bool:
        return self.distributed is None or self.distributed.is_main

    def _closure(self, batch: dict, players: tuple[str, ...]):
        """Evaluate the game on ``batch``, write the players' gradients (all-reduced under data
        parallelism), stop on a non-finite value; returns losses and gradient norms."""
        def closure():
            losses = self.fast_field(batch, players) if self.fast_field is not None else None
            if losses is None:
                losses = self.loss(self.players, batch)
                fill_game_gradients(losses, self.params, players, self.config.consensus)
            names = tuple(self.players)
            values = torch.stack([losses[n].detach() for n in names])
            if self.distributed is not None:  # the stop flag rides along: all ranks agree
                flag = torch.tensor([float(self._stop_requested)], device=values.device)
                self.distributed.average_([values, flag] + [p.grad for n in players
                                                            for p in self.params[n]])
                self._stop_agreed = self._stop_agreed or bool(flag > 0)
            norms = {n: torch.linalg.vector_norm(torch.stack(
                torch._foreach_norm([p.grad for p in self.params[n]]))) for n in players}
            if not bool(torch.isfinite(torch.cat([values, torch.stack(list(norms.values()))]))
                        .all()):
                bad = [k for k, v in {**{f"loss {n}": v for n, v in zip(names, values)},
                                      **{f"gradient {n}": v for n, v in norms.items()}}.items()
                       if not torch.isfinite(v)]
                raise TrainingDiverged(
                    f"training diverged: non-finite {', '.join(bad)} in iteration "
                    f"{self.iteration + 1}; last good checkpoint: "
                    f"{self.last_checkpoint or 'none written'}")
            return {**{f"loss_{n}": v for n, v in zip(names, values)},
                    **{f"grad_norm_{n}": v for n, v in norms.items()}}
        return closure

    def train_iteration(self) -> None:
        """n_critic - 1 discriminator steps, then the joint step of the trained players (or D
        then G if alternating).
        ``stats`` keeps the losses and gradient norms at the point each step started from (for
        the extragradient family: the iterate, not the extrapolation)."""
        def step(batch, players):
            closure = self._closure(batch, players)
            self.stats.update(self.optimizer.step(closure, players=players))

        for _ in range(self.config.n_critic - 1):
            step(self.batches.next(self.generator), ("D",))
        batch = self.batches.next(self.generator)
        if self.config.alternating:
            step(batch, ("D",))
            step(batch, ("G",))
        else:
            step(batch, tuple(self.players))
        self.iteration += 1
        self.averages.update()

    # --- state ----------------------------------------------------------------------------------
    def state_dict(self) -> dict:
        return {
            "config": self.config.to_dict(),
            "iteration": self.iteration,
            "players": {n: m.state_dict() for n, m in self.players.items()},
            "optimizer": self.optimizer.state_dict(),
            "averages": self.averages.state_dict(),
            "rng": {"torch": torch.get_rng_state(), "batches": self.generator.get_state()},
        }

    def load_state_dict(self, state: dict) -> None:
        try:
            for name, module in self.players.items():
                module.load_state_dict(state["players"][name])
            self.optimizer.load_state_dict(state["optimizer"])
            self.averages.load_state_dict(state["averages"])
            torch.set_rng_state(state["rng"]["torch"])
            self.generator.set_state(state["rng"]["batches"])
            self.iteration = int(state["iteration"])
        except (KeyError, RuntimeError, ValueError, TypeError) as error:
            raise CheckpointError(f"checkpoint {state.get('path', '')} does not fit this run: "
                                  f"{first_line(error)}") from None

    def save(self) -> Path:
        """Checkpoint the current iteration (rank 0 writes; every rank waits for it)."""
        path = checkpoint_path(self.run_dir, self.iteration)
        finite = all(bool(torch.isfinite(p).all()) for ps in self.params.values() for p in ps)
        if not finite:  # an update overflowed: never checkpoint it
            raise TrainingDiverged(f"training diverged: non-finite parameters after iteration "
                                   f"{self.iteration}; last good checkpoint: "
                                   f"{self.last_checkpoint or 'none written'}")
        if self.is_main:
            save_checkpoint(self.state_dict(), path)
            self._prune_checkpoints()
        if self.distributed is not None:
            self.distributed.barrier()
        self.last_checkpoint = path
        return path

    def _prune_checkpoints(self) -> None:
        """Delete all but the newest ``keep_checkpoints`` (the initial state always stays)."""
        keep = self.config.keep_checkpoints
        if keep:
            later = [path for iteration, path in list_checkpoints(self.run_dir) if iteration > 0]
            for path in later[:-keep]:
                path.unlink(missing_ok=True)

    # --- evaluation and logging -------------------------------------------------------------------
    @torch.no_grad()
    def generate(self, z: torch.Tensor | None = None) -> torch.Tensor:
        """Samples of the current generator (eval mode; a one-player run's frozen one) on
        latents ``z``, by default the fixed evaluation latents; on the CPU."""
        generator = self.sampler
        was_training = generator.training
        generator.eval()
        try:
            z = self.eval_z if z is None else z.to(self.device)
            return generator(z).float().cpu()
        finally:
            generator.train(was_training)

    def record(self) -> dict:
        """The metrics of the current iteration as plain floats, and the gradient path; for a
        MoG generator in training also its W1 and KS distances to the data."""
        record = {"iteration": self.iteration, "gradient_path": self.gradient_path}
        record.update({k: float(v) for k, v in self.stats.items()})
        if self.config.dataset == "mog" and "G" in self.players:
            from neural.training.data import mog_cdf
            from neural.training.metrics import ks_statistic, wasserstein_1d

            fake = self.generate().flatten().numpy()
            record["w1"] = wasserstein_1d(fake, self.batches.real.flatten().numpy())
            record["ks"] = ks_statistic(fake, lambda x: mog_cdf(x, self.config.mog_mixture))
        return record

    def save_samples(self) -> Path:
        from neural.render.training import save_samples

        path = self.run_dir / "samples" / f"iter_{self.iteration:08d}.png"
        save_samples(self.config.dataset, self.generate(), path, self.iteration,
                     real=self.batches.real if self.config.dataset == "mog" else None,
                     mixture=self.config.mog_mixture)
        return path

    # --- the loop --------------------------------------------------------------------------------
    def request_stop(self) -> None:
        """Finish the current iteration, checkpoint, and return from ``run``."""
        self._stop_requested = True

    def _should_stop(self) -> bool:
        """Stop at this iteration boundary? Ranks decide together (the flag is all-reduced
        with the gradients), so they all stop after the same iteration."""
        return self._stop_agreed if self.distributed is not None else self._stop_requested

    def _on_sigint(self, signum, frame):
        if self._stop_requested:  # a second Ctrl-C: stop right away
            raise KeyboardInterrupt
        self.request_stop()

    def run(self, reporter=None) -> dict:
        """Train up to ``config.iterations``; returns a summary. Ctrl-C (or ``request_stop``)
        ends the run cleanly at an iteration boundary with a checkpoint."""
        config = self.config
        self.run_dir.mkdir(parents=True, exist_ok=True)
        metrics_file = self.run_dir / "metrics.jsonl"
        install = threading.current_thread() is threading.main_thread()
        previous = signal.signal(signal.SIGINT, self._on_sigint) if install else None
        if reporter is not None:
            reporter.start(config.iterations, self.iteration)
        started, start_iteration = time.perf_counter(), self.iteration
        last_record = None
        try:
            if self.iteration == 0 and self.last_checkpoint is None:
                self.save()  # the initial state: the start point of path-angle plots
            while self.iteration < config.iterations and not self._should_stop():
                self.train_iteration()
                it = self.iteration
                if self.is_main and (it % config.log_every == 0 or it == config.iterations):
                    elapsed = time.perf_counter() - started
                    last_record = self.record()
                    last_record["it_per_s"] = (it - start_iteration) / max(elapsed, 1e-9)
                    with open(metrics_file, "a") as handle:
                        handle.write(json.dumps(last_record) + "\n")
                if self.is_main and it % config.sample_every == 0:
                    self.save_samples()
                    if self.evaluator is not None:
                        with open(metrics_file, "a") as handle:
                            evaluation = {"iteration": it, **self.evaluator(self.generate)}
                            handle.write(json.dumps(evaluation) + "\n")
                if it % config.checkpoint_every == 0:
                    self.save()
                if reporter is not None:
                    reporter.advance(it, last_record)
            if self.is_main and self.iteration > start_iteration and self.iteration % config.sample_every:
                self.save_samples()  # every run ends with a sample figure, however short
            if self.last_checkpoint != checkpoint_path(self.run_dir, self.iteration):
                self.save()
        finally:
            if install:
                signal.signal(signal.SIGINT, previous)
            if reporter is not None:
                reporter.finish()
        if self.is_main and last_record is None and self.iteration > 0:
            last_record = self.record()
        return {"iteration": self.iteration, "interrupted": self.iteration < config.iterations,
                "checkpoint": str(self.last_checkpoint), "run_dir": str(self.run_dir),
                "last": last_record, "gradient_path": self.gradient_path,
                "gradient_note": self.gradient_note}


# --- starting and resuming runs ---------------------------------------------------------------


def start_run(config: TrainConfig, run_dir: str | Path, device=None, distributed=None
              ) -> Trainer:
    """A trainer for a new run in ``run_dir``; refuses a directory holding another run."""
    run_dir = Path(run_dir)
    if run_dir.exists() and not run_dir.is_dir():
        raise CheckpointError(f"--out {run_dir} is a file, not a run directory")
    if list_checkpoints(run_dir) or (run_dir / "config.json").exists():
        raise CheckpointError(f"{run_dir} already holds a run; continue it with --resume "
                              f"{run_dir} or choose another --out")
    if distributed is not None:  # every rank has checked before rank 0 writes
        distributed.barrier()
    trainer = Trainer(config, run_dir, device, distributed)
    if trainer.is_main:
        run_dir.mkdir(parents=True, exist_ok=True)
        text = json.dumps(config.to_dict(), indent=2) + "\n"
        atomic_write(run_dir / "config.json", lambda handle: handle.write(text.encode()))
    return trainer


def _same(field: str, requested, stored) -> bool:
    """Whether a requested config value names the stored one (method aliases count as equal)."""
    if field == "method":
        return resolve_method(requested) == resolve_method(stored)
    return requested == stored


def resume_run(run_dir: str | Path, dataset: str | None = None, preset: str | None = None,
               device=None, distributed=None, notify=None, **overrides) -> Trainer:
    """A trainer continuing the latest readable checkpoint of ``run_dir``. Newer checkpoints that
    cannot be deserialised are kept, renamed by ``set_aside`` (so that the run neither lists nor
    overwrites them), the metric records after the resumed iteration are moved next to the
    newest of them (``<name>.corrupt.metrics.jsonl``), and ``notify(line)`` says which
    checkpoint the run resumes from. A checkpoint that cannot be read at all (permissions, I/O)
    stops the resume with its reason and changes nothing.
    Explicit options must agree with the stored config except the RESUMABLE_FIELDS (e.g. more
    iterations)."""
    run_dir = Path(run_dir)
    state, unreadable = load_latest_readable(run_dir, map_location="cpu")
    stored = TrainConfig.from_dict(state["config"])
    requested = {"dataset": dataset, "preset": preset, **overrides}
    conflicts = [f"{k}={v!r} (run has {getattr(stored, k)!r})" for k, v in requested.items()
                 if v is not None and k not in RESUMABLE_FIELDS and not _same(k, v, getattr(stored, k))]
    if conflicts:
        raise CheckpointError(f"{run_dir} holds another run's config: {', '.join(conflicts)}")
    config = TrainConfig.from_dict({**stored.to_dict(),
                                    **{k: v for k, v in overrides.items()
                                       if v is not None and k in RESUMABLE_FIELDS}}).validate()
    trainer = Trainer(config, run_dir, device, distributed)
    trainer.load_state_dict(state)
    trainer.last_checkpoint = Path(state["path"])
    if trainer.is_main:
        kept = [set_aside(path) for path in unreadable]
        tail = kept[0].with_name(kept[0].name + ".metrics.jsonl") if kept else None
        dropped = _truncate_metrics(run_dir / "metrics.jsonl", trainer.iteration, tail)
        if kept and notify is not None:
            moved = f"; metric records after iteration {trainer.iteration} kept in {tail.name}" if dropped else ""
            notify(f"cannot read {', '.join(p.name for p in unreadable)} (corrupt or not "
                   f"written by gametheory; kept as {', '.join(p.name for p in kept)}): resuming from "
                   f"{trainer.last_checkpoint.name} (iteration {trainer.iteration}){moved}")
    return trainer


def _truncate_metrics(path: Path, iteration: int, tail: Path | None = None) -> int:
    """Drop the metric lines written after ``iteration`` (records of the lost tail, and lines
    cut short by the interruption) from ``path``; when ``tail`` is given they are first written
    there (a fallback past a corrupt checkpoint loses nothing). Returns how many were dropped."""
    if not path.exists():
        return 0
    kept, dropped = [], []
    for line in path.read_text().splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            record = None
        if isinstance(record, dict) and record.get("iteration", math.inf) <= iteration:
            kept.append(line)
        else:
            dropped.append(line)
    if dropped and tail is not None:
        lost = "".join(line + "\n" for line in dropped)
        atomic_write(tail, lambda handle: handle.write(lost.encode()))
    text = "".join(line + "\n" for line in kept)
    atomic_write(path, lambda handle: handle.write(text.encode()))
    return len(dropped)

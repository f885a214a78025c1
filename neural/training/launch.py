"""One entry point from options to a finished (or interrupted) run, shared by the CLI and
``torchrun``: device (``neural.devices.parse_device``), data download, new run or resume, evaluators, process group."""
from __future__ import annotations

import os
import time
from pathlib import Path

import torch

from gametheory.errors import OptionError
from neural.devices import parse_device
from neural.training import distributed as dist_tools
from neural.training.config import DATASETS
from neural.training.presets import DEFAULT_PRESET, resolve_config
from neural.training.trainer import Trainer, resume_run, start_run


def _attach_evaluator(trainer: Trainer, classifier: str | None, inception: str | None
                      ) -> str | None:
    """Set the trainer's sample-quality evaluator; returns a note when one is unavailable."""
    config = trainer.config
    seed = config.seed + 4
    if config.one_player and config.dataset != "mog":
        return "no sample-quality score: a one-player run trains no generator"
    if config.dataset == "mnist":
        from neural.training.data import data_directory
        from neural.training.classifier import default_classifier_path, load_classifier
        from neural.training.evaluation import LeNetInceptionScore

        path = (Path(classifier) if classifier else
                default_classifier_path(data_directory(config.dataset, config.data_dir)))
        if classifier is None and not path.is_file():
            return (f"no Inception Score: no classifier at {path} (run `gametheory neural "
                    "train-classifier mnist` first)")
        net = load_classifier(path, trainer.device)
        trainer.evaluator = LeNetInceptionScore(net, config.latent_dim, seed)
    elif config.dataset == "cifar10":
        from neural.training.metrics import INCEPTION_HELP, load_inception
        from neural.training.evaluation import InceptionFID

        if inception is None:
            return f"no FID/IS: {INCEPTION_HELP}"
        real = trainer.batches.real[torch.randperm(
            len(trainer.batches.real), generator=torch.Generator().manual_seed(seed))[:5000]]
        trainer.evaluator = InceptionFID(load_inception(inception), real, config.latent_dim,
                                         seed, trainer.device)
    return None


def launch_training(dataset: str, preset: str | None = None, overrides: dict | None = None,
                    out: str | None = None, resume: str | None = None, device: str | None = None,
                    download: bool = False, classifier: str | None = None,
                    inception: str | None = None, reporter=None, notify=None) -> dict:
    """Train (or resume) a run and return the trainer's summary. Under ``torchrun`` with
    WORLD_SIZE > 1 this joins the process group and trains data-parallel. ``notify(text)``
    receives one-line notes (e.g. why a metric is skipped)."""
    if dataset not in DATASETS:
        raise OptionError(f"unknown data set {dataset!r}; choose one of {', '.join(DATASETS)}")
    overrides = {k: v for k, v in (overrides or {}).items() if v is not None}
    distributed, device = dist_tools.from_environment(parse_device(device))
    try:
        if resume is not None:
            if out is not None and Path(out) != Path(resume):
                raise OptionError("--out and --resume name different run directories")
            trainer = resume_run(resume, dataset, preset, device, distributed, notify,
                                 **overrides)
        else:
            config = resolve_config(dataset, preset, **overrides)
            if distributed is not None and out is None:
                raise OptionError("data-parallel runs need an explicit --out RUN_DIR")
            if download and dataset != "mog":
                if distributed is None or distributed.is_main:
                    from neural.training.data import download as fetch_data

                    fetch_data(dataset, config.data_dir)
                if distributed is not None:
                    distributed.barrier()
            stamp = time.strftime("%Y%m%d-%H%M%S")
            name = config.preset or DEFAULT_PRESET[dataset]
            name += "-D-alone" if config.one_player else ""
            out = out or os.path.join("runs", f"{name}-{stamp}")
            trainer = start_run(config, out, device, distributed)
        note = _attach_evaluator(trainer, classifier, inception) if trainer.is_main else None
        if note and notify is not None:
            notify(note)
        summary = trainer.run(reporter if trainer.is_main else None)
        summary["is_main"] = trainer.is_main
        summary["device"] = str(trainer.device)
        return summary
    finally:
        dist_tools.shutdown()

"""MoG full-batch extragradient iterations per second: the trainer (neural.training.trainer) against the
paper-style baseline (bench_neural_train_baseline.py), same models, data and initialisation,
interleaved in one run; also the trainer with its closed-form MoG gradients switched off
(``fast_field = None``: autograd, as for every other game). Checks that all three compute the
same iterates (to float tolerance: the closed form rounds differently from autograd).

    python bench/bench_neural_train.py [--device cpu|cuda] [--iterations N] [--repeats R]
        [--threads T] [--samples N] [--dcgan]

Prints one JSON document and a short table. ``--dcgan`` adds DCGAN (MNIST-shaped random data,
batch 100, ExtraAdam) iterations per second of the trainer.
"""
from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
from statistics import median
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_neural_train_baseline import LoopExtragradient, baseline_iteration  # noqa: E402
from neural.training.presets import resolve_config  # noqa: E402
from neural.training.trainer import Trainer  # noqa: E402


def synchronise(device):
    if torch.device(device).type == "cuda":
        torch.cuda.synchronize()


def time_loop(step, iterations: int, device) -> float:
    synchronise(device)
    start = time.perf_counter()
    for _ in range(iterations):
        step()
    synchronise(device)
    return iterations / (time.perf_counter() - start)


def mog_pair(device, samples: int = 10_000):
    config = resolve_config("mog", "mog-nsgan-eg", mog_samples=samples, batch_size=samples)
    trainer = Trainer(config, tempfile.mkdtemp(), device)
    plain = Trainer(config, tempfile.mkdtemp(), device)  # same seed: same init and batch
    plain.fast_field = None  # the autograd path
    baseline = Trainer(config, tempfile.mkdtemp(), device)
    generator, discriminator = baseline.players["G"], baseline.players["D"]
    opt_g = LoopExtragradient(generator.parameters(), config.lr_g)
    opt_d = LoopExtragradient(discriminator.parameters(), config.lr_d)
    batch = baseline.batches.next(None)

    def baseline_step():
        baseline_iteration(generator, discriminator, opt_g, opt_d, batch["real"], batch["z"])

    return trainer, plain, baseline, baseline_step


def max_difference(a: Trainer, b: Trainer) -> float:
    return max(float((p - q).detach().abs().max()) for n in ("G", "D")
               for p, q in zip(a.players[n].parameters(), b.players[n].parameters()))


def dcgan_rate(device, iterations: int) -> float:
    """Trainer iterations per second of the mnist-nsgan-extraadam DCGAN on random data."""
    config = resolve_config("mnist", "mnist-nsgan-extraadam")
    real = torch.rand(1000, 1, 28, 28, generator=torch.Generator().manual_seed(0)) * 2 - 1
    trainer = Trainer(config, tempfile.mkdtemp(), device, real=real)
    trainer.train_iteration()  # warm-up
    return time_loop(trainer.train_iteration, iterations, device)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--iterations", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--samples", type=int, default=10_000,
                        help="MoG full-batch size (the paper: 10000)")
    parser.add_argument("--dcgan", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    trainer, plain, baseline, theirs = mog_pair(args.device, args.samples)
    ours, autograd = trainer.train_iteration, plain.train_iteration
    for _ in range(3):  # warm-up, and the same number of iterations on every side
        ours()
        autograd()
        theirs()
    agreement = max_difference(trainer, baseline)
    autograd_agreement = max_difference(plain, baseline)
    ours_rates, autograd_rates, baseline_rates = [], [], []
    for _ in range(args.repeats):  # interleaved so all see the same machine load
        ours_rates.append(time_loop(ours, args.iterations, args.device))
        autograd_rates.append(time_loop(autograd, args.iterations, args.device))
        baseline_rates.append(time_loop(theirs, args.iterations, args.device))
    best_ours, best_baseline = max(ours_rates), max(baseline_rates)
    median_ours, median_baseline = median(ours_rates), median(baseline_rates)
    result = {
        "benchmark": "mog-full-batch-extragradient",
        "samples": args.samples, "device": args.device, "threads": args.threads, "torch": torch.__version__,
        "python": platform.python_version(), "machine": platform.machine(),
        "iterations_per_repeat": args.iterations, "repeats": args.repeats,
        "closed_form_gradients": trainer.fast_field is not None,
        "ours_it_per_s": ours_rates, "autograd_trainer_it_per_s": autograd_rates,
        "baseline_it_per_s": baseline_rates,
        "speedup_best": best_ours / best_baseline,
        "speedup_median": median_ours / median_baseline,
        "autograd_trainer_speedup_best": max(autograd_rates) / best_baseline,
        "autograd_trainer_speedup_median": median(autograd_rates) / median_baseline,
        "max_parameter_difference_after_warmup": agreement,
        "autograd_trainer_max_parameter_difference_after_warmup": autograd_agreement,
    }
    if args.dcgan:
        result["dcgan_extraadam_it_per_s"] = dcgan_rate(args.device,
                                                        max(5, args.iterations // 5))
    print(json.dumps(result, indent=2))
    print(f"\n{'':>24}{'best it/s':>12}{'median it/s':>14}")
    print(f"{'trainer (neural.training.trainer)':>24}{best_ours:>12.1f}{median_ours:>14.1f}")
    print(f"{'trainer, autograd path':>24}{max(autograd_rates):>12.1f}"
          f"{median(autograd_rates):>14.1f}")
    print(f"{'paper-style baseline':>24}{best_baseline:>12.1f}{median_baseline:>14.1f}")
    print(f"speed-up (best): {result['speedup_best']:.2f}x   "
          f"(median): {result['speedup_median']:.2f}x   "
          f"max |parameter difference| after 3 iterations: {agreement:.1e}")
    if args.dcgan:
        print(f"DCGAN ExtraAdam, batch 100: {result['dcgan_extraadam_it_per_s']:.1f} it/s")


if __name__ == "__main__":
    main()

"""Benchmark: top-20 eigenvalues of the game Jacobian at trained MoG checkpoints, end to end,
ours against the paper's App. B recipe on the same weights and data (ratio of medians).

Each side runs in a fresh process with one torch thread (``OMP_NUM_THREADS=1`` and
``torch.set_num_threads(1)``), so start-up (imports, loading the checkpoint) is counted on both:

- ours: ``python -m cli neural eigs CKPT --k 20 --json`` (the CLI as a user runs it);
- baseline: this script with ``--baseline-child CKPT``: the checkpoint's players, loss and
  evaluation batch (``neural.training.trainer.load_neural_game``, the data ours analyses), then
  ``bench_neural_ops_baseline.baseline_eigs`` (gradient graph with create_graph, one
  double-backward product per call, scipy ``eigs`` with ``tol=0``, seeded start vector).

Rounds interleave the two (the machine may be shared); times are medians over ``--repeats``
rounds. Each side also reports its products and the seconds of its solve alone (ours: a third
process, ``--ours-child``, timing the CLI's library calls phase by phase; its ``fast_path`` says
whether the operator still used the closed form after the solve, i.e. no product fell back to
autograd). The eigenvalues must agree: each of ours within a relative 1e-3 of one of the
baseline's (``same_eigenvalues``).

Checkpoints: a 300-step MoG NSGAN run trained here (``gametheory neural train mog --iterations
300``, into a temporary folder) plus any ``--checkpoint PATH`` given (read only).

Usage: python bench/bench_eigen_trained.py [--checkpoint PATH ...] [--repeats 3] [--json]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
K = 20
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
       "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "bench")])}


def baseline_child(checkpoint: str) -> dict:
    """The App. B recipe on the checkpoint's game (run in a fresh process)."""
    import torch

    torch.set_num_threads(1)
    from bench_neural_ops_baseline import baseline_eigs
    from neural.training.trainer import load_neural_game

    game, _ = load_neural_game(checkpoint, device="cpu")
    v0 = np.random.default_rng(0).standard_normal(game.param_count).astype(np.float32)
    start = time.perf_counter()
    values, products = baseline_eigs(game.modules(), game.loss_fn, list(game.batches), K, v0)
    return {"solve_s": time.perf_counter() - start, "products": products,
            "eigenvalues": [[float(np.real(l)), float(np.imag(l))] for l in values]}


def ours_child(checkpoint: str) -> dict:
    """The library calls of ``neural eigs CKPT --k 20``, timed phase by phase."""
    start = time.perf_counter()
    import torch

    torch.set_num_threads(1)
    from neural.analysis.eigen import top_eigenvalues
    from neural.targets import block_operator, resolve_target

    imported = time.perf_counter()
    op = block_operator(resolve_target(checkpoint, device="cpu").game, "game")
    loaded = time.perf_counter()
    result = top_eigenvalues(op, k=K)
    return {"import_s": imported - start, "load_s": loaded - imported,
            "solve_s": time.perf_counter() - loaded, "products": result.products,
            "fast_path": op.uses_fast_path, "max_residual": result.max_residual}


def run(command: list[str]) -> tuple[float, dict]:
    """Wall seconds of ``command`` (a fresh process) and the JSON it printed."""
    start = time.perf_counter()
    out = subprocess.run(command, capture_output=True, text=True, env=ENV, cwd=ROOT, check=True)
    return time.perf_counter() - start, json.loads(out.stdout)


def same_eigenvalues(ours, theirs, rel=1e-3) -> bool:
    theirs = np.asarray(theirs)
    return all(np.min(np.abs(theirs - l)) <= rel * abs(l) for l in ours)


def as_complex(pairs) -> list[complex]:
    return [complex(re, im) for re, im in pairs]


def bench_checkpoint(checkpoint: str, repeats: int) -> dict:
    me = [sys.executable, str(Path(__file__).resolve())]
    commands = {"ours": [sys.executable, "-m", "cli", "neural", "eigs", checkpoint, "--k", str(K), "--json"],
                "baseline": me + ["--baseline-child", checkpoint],
                "phases": me + ["--ours-child", checkpoint]}
    times = {name: [] for name in commands}
    outputs = {}
    for _ in range(repeats):
        for name, command in commands.items():
            seconds, outputs[name] = run(command)
            times[name].append(seconds)
    ours, base, phases = outputs["ours"], outputs["baseline"], outputs["phases"]
    ours_values, base_values = as_complex(ours["eigenvalues"]), as_complex(base["eigenvalues"])
    median = {name: float(np.median(t)) for name, t in times.items()}
    return {
        "checkpoint": checkpoint,
        "baseline_s": median["baseline"], "ours_s": median["ours"],
        "speedup": median["baseline"] / median["ours"],
        "baseline_times_s": times["baseline"], "ours_times_s": times["ours"],
        "baseline_products": base["products"], "ours_products": ours["products"],
        "baseline_solve_s": base["solve_s"], "ours_solve_s": phases["solve_s"],
        "ours_import_s": phases["import_s"], "ours_load_s": phases["load_s"],
        "fast_path": phases["fast_path"], "ours_converged": ours["converged"],
        "ours_max_residual": max(ours["residuals"]),
        "same_eigenvalues_rel_1e-3": same_eigenvalues(ours_values, base_values),
        "max_relative_difference": max(float(np.min(np.abs(np.asarray(base_values) - l)) / abs(l))
                                       for l in ours_values)}


def train_300(folder: str) -> str:
    subprocess.run([sys.executable, "-m", "cli", "neural", "train", "mog", "--iterations", "300",
                    "--checkpoint-every", "300", "--out", folder, "--quiet"],
                   env=ENV, cwd=ROOT, check=True, capture_output=True)
    return str(Path(folder) / "checkpoints" / "ckpt_00000300.pt")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", action="append", default=[])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--baseline-child")
    parser.add_argument("--ours-child")
    args = parser.parse_args()
    if args.baseline_child or args.ours_child:
        child = baseline_child if args.baseline_child else ours_child
        print(json.dumps(child(args.baseline_child or args.ours_child)))
        return

    with tempfile.TemporaryDirectory() as folder:
        rows = [bench_checkpoint(c, args.repeats) for c in [train_300(folder)] + args.checkpoint]
    if args.json:
        print(json.dumps({"k": K, "threads": 1, "repeats": args.repeats, "checkpoints": rows}, indent=2))
        return
    print(f"top-{K} LM of J at trained MoG checkpoints, 1 thread, medians of {args.repeats} "
          "interleaved rounds, end to end (fresh process each)")
    for r in rows:
        print(f"{Path(r['checkpoint']).name}: baseline {r['baseline_s']:.2f} s "
              f"({r['baseline_products']} products, solve {r['baseline_solve_s']:.2f} s)  "
              f"ours {r['ours_s']:.2f} s ({r['ours_products']} products, solve {r['ours_solve_s']:.2f} s, "
              f"import {r['ours_import_s']:.2f} s, load {r['ours_load_s']:.2f} s)  "
              f"speedup {r['speedup']:.2f}x  same eigenvalues: {r['same_eigenvalues_rel_1e-3']} "
              f"(max rel. diff {r['max_relative_difference']:.1e})")


if __name__ == "__main__":
    main()

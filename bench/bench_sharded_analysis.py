"""Memory per rank of analysis under torchrun (``neural.sharding``): a float64 MLP GAN with
``--batches`` evaluation batches, retained products (each rank keeps its own batches' gradient
graphs), an ARPACK solve of ``--products`` products; N gloo processes on CPU for each N of
``--ranks``. Per rank: the peak resident memory the solve adds over the rank's memory before it
(``/proc/self/clear_refs`` resets the peak), and the wall time; the leading eigenvalue on rank 0
(equal for every N). Linux only.

    python bench/bench_sharded_analysis.py --ranks 1 2 4
"""
from __future__ import annotations

import argparse
import gc
import os
import socket
import sys
import time

import torch
import torch.multiprocessing as mp

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from neural.analysis.eigen import top_eigenvalues  # noqa: E402
from neural.game import NeuralGame  # noqa: E402
from neural.operators import JacobianOperator  # noqa: E402
from neural.sharding import serve, shard_game  # noqa: E402
from neural.training.distributed import from_environment, shutdown  # noqa: E402


def game(batches: int, samples: int, width: int) -> NeuralGame:
    """A seeded MLP GAN (NSGAN losses), latent 8 -> data 2."""
    torch.manual_seed(0)
    act = torch.nn.Tanh
    gen = torch.nn.Sequential(torch.nn.Linear(8, width), act(), torch.nn.Linear(width, width), act(),
                              torch.nn.Linear(width, 2))
    disc = torch.nn.Sequential(torch.nn.Linear(2, width), act(), torch.nn.Linear(width, width), act(),
                               torch.nn.Linear(width, 1))
    data = [(torch.randn(samples, 8), torch.randn(samples, 2)) for _ in range(batches)]

    def loss(players, batch):
        z, x = batch
        real, fake = players["D"](x), players["D"](players["G"](z))
        soft = torch.nn.functional.softplus
        return {"G": soft(-fake).mean(), "D": soft(-real).mean() + soft(fake).mean()}

    return NeuralGame({"G": gen, "D": disc}, loss, data, dtype=torch.float64)


def _kib(field: str) -> int:
    with open("/proc/self/status") as handle:
        return next(int(line.split()[1]) for line in handle if line.startswith(field + ":"))


def _worker(rank, world_size, port, args, queue):
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), RANK=str(rank),
                      WORLD_SIZE=str(world_size), LOCAL_RANK=str(rank))
    torch.set_num_threads(1)
    from_environment("cpu")
    built = game(args.batches, args.samples, args.width)
    try:
        shard = shard_game(built) if world_size > 1 else None  # one process: no group
        gc.collect()
        _reset_peak()  # measured from here: before the sharding every rank built all batches
        if shard is None or shard.is_driver:
            start = time.perf_counter()
            op = JacobianOperator(built, transpose=True, retain=True)
            result = top_eigenvalues(op, k=2, which="LM", dense_below=0, dense_fallback=0,
                                     max_products=args.products)
            queue.put(("lead", time.perf_counter() - start, result.eigenvalues[0].real))
            if shard is not None:
                shard.stop()
        else:
            serve(built)
        queue.put(("rank", rank, len(built.batches), _kib("VmHWM") - baseline[0]))
    finally:
        shutdown()


baseline = [0]


def _reset_peak() -> None:
    with open("/proc/self/clear_refs", "w") as handle:
        handle.write("5")
    baseline[0] = _kib("VmRSS")


def run(ranks: int, args) -> dict:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    queue = mp.get_context("fork").SimpleQueue()
    mp.start_processes(_worker, args=(ranks, port, args, queue), nprocs=ranks, start_method="fork")
    rows = [queue.get() for _ in range(ranks + 1)]
    lead = next(r for r in rows if r[0] == "lead")
    peaks = sorted(r[1:] for r in rows if r[0] == "rank")
    return {"ranks": ranks, "seconds": lead[1], "eigenvalue": lead[2], "per_rank": peaks}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ranks", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--batches", type=int, default=8)
    parser.add_argument("--samples", type=int, default=2048)
    parser.add_argument("--width", type=int, default=128)
    parser.add_argument("--products", type=int, default=60)
    args = parser.parse_args()
    print(f"{args.batches} batches of {args.samples} samples, width {args.width}, "
          f"{game(1, 1, args.width).param_count} parameters, float64, retained products")
    print("| processes | batches per rank | added peak RSS per rank (MiB) | wall (s) | leading eigenvalue |")
    print("|---|---|---|---|---|")
    for ranks in args.ranks:
        row = run(ranks, args)
        print(f"| {ranks} | {', '.join(str(b) for _, b, _ in row['per_rank'])} | "
              f"{', '.join(f'{kib / 1024:.0f}' for _, _, kib in row['per_rank'])} | "
              f"{row['seconds']:.1f} | {row['eigenvalue']:.10g} |", flush=True)


if __name__ == "__main__":
    main()

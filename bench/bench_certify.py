"""Benchmark of ``neural classify --certify`` on a checkpoint: the dense proof of a whole game.

Runs ``neural.analysis.classify.classify_state(certify=True)`` once on the checkpoint and times
its phases by wrapping the library functions it calls (the code path is the real one):

1. build J: ``dense_jacobian`` (operator products in column blocks),
2. Schur form: ``SchurForm`` (LAPACK real Schur decomposition of J),
3. eigenpairs: ``SchurForm.eigen_result`` (top and leftmost eigenvalues with residuals),
4. stability proof: ``stability_certificate`` (blocked Bartels-Stewart candidate, J^T P + P J,
   Rump-verified Cholesky factors),
5. Hessian proofs: ``symmetric_extremes`` and ``hessian_certificate`` for every player.

Threads: the BLAS (OpenBLAS/MKL/OpenMP environment variables, set before numpy is imported) gets
``--threads``, torch ``--torch-threads`` (default: the same; the closed-form products that build
J are small, and on a loaded machine one torch thread builds J faster than two). Peak memory: the
process's maximum resident set (``resource.getrusage``), after loading and after the run.

Usage: python bench/bench_certify.py CHECKPOINT [--threads 2] [--torch-threads 1] [--max-memory 4G]
       [--dtype auto|float32|float64] [--json]
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoint")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--torch-threads", type=int, default=None)
    parser.add_argument("--max-memory", default="4G")
    parser.add_argument("--dtype", default="auto", help="the products' dtype (auto: the checkpoint's)")
    parser.add_argument("--json", action="store_true")
    return parser.parse_args()


def _peak_bytes() -> int:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: KiB


def main() -> None:
    args = _arguments()
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[name] = str(args.threads)
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import torch

    torch_threads = args.threads if args.torch_threads is None else args.torch_threads
    torch.set_num_threads(torch_threads)
    import neural.analysis.classify as classify
    import neural.analysis.dense as dense
    from neural.targets import resolve_target

    phases: dict[str, float] = {}

    def timed(phase, function):
        def wrapper(*a, **k):
            start = time.perf_counter()
            try:
                return function(*a, **k)
            finally:
                phases[phase] = phases.get(phase, 0.0) + time.perf_counter() - start
        return wrapper

    classify.dense_jacobian = timed("build J", classify.dense_jacobian)
    classify.SchurForm = timed("Schur form", classify.SchurForm)
    dense.SchurForm.eigen_result = timed("eigenpairs", dense.SchurForm.eigen_result)
    classify.stability_certificate = timed("stability proof", classify.stability_certificate)
    classify.symmetric_extremes = timed("Hessian extremes", classify.symmetric_extremes)
    classify.hessian_certificate = timed("Hessian proofs", classify.hessian_certificate)

    resolved = resolve_target(args.checkpoint, None, device="cpu", dtype=args.dtype)
    game = resolved.game
    loaded = _peak_bytes()
    start = time.perf_counter()
    report = classify.classify_state(game, certify=True, max_memory=args.max_memory)
    total = time.perf_counter() - start
    results = {
        "checkpoint": args.checkpoint, "parameters": game.param_count, "dtype": str(game.dtype),
        "threads": args.threads, "torch_threads": torch_threads, "torch": torch.__version__,
        "seconds": round(total, 1),
        "phases_s": {k: round(v, 1) for k, v in phases.items()},
        "peak_rss_bytes": _peak_bytes(), "rss_after_loading_bytes": loaded,
        "memory_estimate": dense.memory_estimate(game.param_count).to_dict(),
        "stable_linearisation": report.stable_linearisation,
        "stability_certified": report.stability_certified,
        "certificate": report.certificate.to_dict(), "grad_norm": report.grad_norm,
        "leftmost_eigenvalue": [report.leftmost_eigenvalue.real, report.leftmost_eigenvalue.imag],
        "players": {p.name: {"verdict": p.verdict, "certified": p.certified,
                             "certificate": p.certificate.kind,
                             "min_eigenvalue": p.min_eigenvalue} for p in report.players},
    }
    if args.json:
        print(json.dumps(results, indent=1))
        return
    print(f"{game.param_count} parameters ({game.dtype}), {args.threads} BLAS / {torch_threads} torch "
          f"thread(s): "
          f"{total:.1f} s, peak RSS {results['peak_rss_bytes'] / 2**30:.2f} GiB")
    for phase, seconds in phases.items():
        print(f"  {phase}: {seconds:.1f} s")
    print(f"stable: {report.stable_linearisation} (certified {report.stability_certified}; "
          f"{report.certificate.kind}: {report.certificate.reason})")
    for p in report.players:
        print(f"player {p.name}: {p.verdict} (certified {p.certified}, {p.certificate.kind})")


if __name__ == "__main__":
    main()

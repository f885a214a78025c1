"""``neural analyze`` end to end on a 10,502-parameter MoG run against the separate commands it
replaces (``neural classify``, ``neural eigs`` of J and of each player's Hessian, ``neural
path-angle`` over the same end checkpoints), each a fresh CLI process (start-up included), one
torch thread on both sides, in the same run of this script.

    python bench/bench_analyze.py [--run RUN_DIR] [--iterations N] [--end-points K] [--k K]
        [--at iterate|extrapolated|average]

Without ``--run`` a run is trained first with the mog-nsgan-eg preset (``--iterations``, default
300, a checkpoint every 50). The run directory is only read: the analysis goes to a temporary
folder. Prints one JSON document (the wall time of every command, analyze's own step times) and a
short table; wall and CPU seconds of every command (CPU time is the steadier measure where other
processes share the cores).
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def cli(*args: str) -> tuple[float, float, str]:
    """Wall seconds and CPU seconds (user + system: steadier than wall time on a shared machine)
    of ``python -m cli ARGS`` in a fresh process, and its stdout."""
    start, cpu = time.perf_counter(), _children_cpu()
    done = subprocess.run([sys.executable, "-m", "cli", *args], cwd=ROOT, env=ENV, capture_output=True,
                          text=True)
    seconds, cpu = time.perf_counter() - start, _children_cpu() - cpu
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed: {done.stderr.strip()}")
    return seconds, cpu, done.stdout


def train(iterations: int) -> Path:
    """A mog-nsgan-eg run of ``iterations`` in a temporary directory (one torch thread)."""
    run_dir = Path(tempfile.mkdtemp(prefix="bench-analyze-run-"))
    cli("neural", "train", "mog", "--preset", "mog-nsgan-eg", "--iterations", str(iterations),
        "--checkpoint-every", "50", "--log-every", "50", "--sample-every", str(iterations), "--out", str(run_dir), "--quiet",
        "--device", "cpu")
    return run_dir


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", help="an existing run directory (read only)")
    parser.add_argument("--iterations", type=int, default=300)
    parser.add_argument("--end-points", type=int, default=5)
    parser.add_argument("--k", type=int, default=20)
    parser.add_argument("--at", default="iterate")
    args = parser.parse_args()
    run_dir = Path(args.run) if args.run else train(args.iterations)
    out = Path(tempfile.mkdtemp(prefix="bench-analyze-out-"))
    seconds, cpu, stdout = cli("neural", "analyze", str(run_dir), "--out", str(out), "--end-points",
                          str(args.end_points), "--k", str(args.k), "--at", args.at, "--json")
    report = json.loads(stdout)
    separate, separate_cpu = {}, {}
    for command in report["commands"][1:]:  # the analysis itself first, then the separate ones
        words = command.split()[1:]  # drop "gametheory"
        name = " ".join(w for w in words if not Path(w).exists())
        separate[name], separate_cpu[name], _ = cli(*words, "--json")
    result = {
        "run": str(run_dir), "param_count": report["param_count"], "end_iteration": report["end_iteration"],
        "end_points": len(report["end_iterations"]), "k": args.k, "at": args.at, "threads": 1,
        "analyze_seconds": seconds, "analyze_cpu_seconds": cpu, "analyze_steps": report["timings"],
        "separate_seconds": separate, "separate_total": sum(separate.values()),
        "separate_cpu_seconds": separate_cpu, "separate_cpu_total": sum(separate_cpu.values()),
        "separate_total_without_hessians": sum(v for c, v in separate.items() if "--block" not in c),
        "grad_norm": report["grad_norm"], "leftmost_eigenvalue": report["leftmost_eigenvalue"],
    }
    print(json.dumps(result, indent=2))
    print(f"\n{report['param_count']} parameters, end point iteration {report['end_iteration']}, "
          f"{len(report['end_iterations'])} end points, one torch thread", file=sys.stderr)
    print(f"{'command':<48} {'wall':>8}   {'cpu':>8}", file=sys.stderr)
    print(f"{'neural analyze (all steps, figures, reports)':<48} {seconds:8.2f} s {cpu:8.2f} s", file=sys.stderr)
    for step, value in report["timings"].items():
        print(f"  {step:<46} {value:8.2f} s", file=sys.stderr)
    for command, value in separate.items():
        print(f"{command:<48} {value:8.2f} s {separate_cpu[command]:8.2f} s", file=sys.stderr)
    print(f"{'sum of the separate commands':<48} {result['separate_total']:8.2f} s "
          f"{result['separate_cpu_total']:8.2f} s", file=sys.stderr)
    print(f"{'  without the Hessian eigs':<48} {result['separate_total_without_hessians']:8.2f} s", file=sys.stderr)


if __name__ == "__main__":
    main()

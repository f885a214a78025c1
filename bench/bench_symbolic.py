"""Symbolic-layer benchmarks, each against a baseline measured in the same run.

1. Start-up: wall time of ``gametheory classify example1`` against ``python -c "import sympy"``.
2. Exact classification of random dense polynomial games with 4, 8 and 12 parameters at a
   rational stationary point, against sympy's ``Matrix.eigenvals()`` on the same Jacobian
   (run in a subprocess with a time-out).

Run: python bench/bench_symbolic.py [--repeats 5] [--timeout 60]. Prints JSON, then a table.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import sympy as sp

from gametheory import Game, Player, classify_point
from timing import time_in_child


def median_wall(cmd: list[str], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def random_game(n_params: int, seed: int) -> tuple[Game, dict]:
    """Two players splitting ``n_params`` parameters; dense losses of degree 2 and 3 in the
    shifted coordinates ``omega - omega*``, so the rational ``omega*`` is stationary."""
    rng = random.Random(seed)
    symbols = sp.symbols(f"w0:{n_params}", real=True)
    star = {s: sp.Rational(rng.randint(-5, 5), rng.randint(1, 4)) for s in symbols}
    shifted = [s - star[s] for s in symbols]

    def loss():
        quad = sum(rng.randint(-3, 3) * a * b for i, a in enumerate(shifted) for b in shifted[i:])
        cubic = sum(rng.randint(-2, 2) * shifted[rng.randrange(n_params)] * a * b
                    for i, a in enumerate(shifted) for b in shifted[i:i + 2])
        return sp.expand(quad + cubic + sum(a**2 for a in shifted))

    half = n_params // 2
    game = Game(Player("G", symbols[:half], loss()), Player("D", symbols[half:], loss()))
    return game, star


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--timeout", type=float, default=60.0)
    args = parser.parse_args()
    beside = Path(sys.executable).parent / "gametheory"
    exe = str(beside) if beside.exists() else shutil.which("gametheory") or "gametheory"
    results = {"machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"}

    baseline = median_wall([sys.executable, "-c", "import sympy"], args.repeats)
    classify = median_wall([exe, "classify", "example1"], args.repeats)
    results["startup"] = {"import_sympy_s": baseline, "classify_example1_s": classify,
                          "difference_s": classify - baseline}

    rows = []
    for n in (4, 8, 12):
        game, star = random_game(n, seed=n)
        start = time.perf_counter()
        report = classify_point(game, star)
        ours = time.perf_counter() - start
        assert report.stationary and report.stability_method == "exact"
        theirs = time_in_child(sp.Matrix.eigenvals, report.jacobian, args.timeout)
        rows.append({"params": n, "classify_exact_s": ours, "verdict": report.stability,
                     "sympy_eigenvals_s": theirs, "speedup": None if theirs is None else theirs / ours,
                     "sympy_timed_out_after_s": None if theirs is not None else args.timeout})
    results["exact_classification"] = rows
    print(json.dumps(results, indent=2))

    print(f"\nstart-up: import sympy {baseline:.3f} s, classify example1 {classify:.3f} s, "
          f"difference {classify - baseline:.3f} s")
    print(f"{'params':>6} {'classify (s)':>13} {'eigenvals (s)':>14} {'ratio':>8}  verdict")
    for r in rows:
        theirs = f"{r['sympy_eigenvals_s']:.3f}" if r["sympy_eigenvals_s"] is not None else f">{args.timeout:.0f}"
        ratio = f"{r['speedup']:.1f}x" if r["speedup"] is not None else f">{args.timeout / r['classify_exact_s']:.0f}x"
        print(f"{r['params']:>6} {r['classify_exact_s']:>13.3f} {theirs:>14} {ratio:>8}  {r['verdict']}")


if __name__ == "__main__":
    main()

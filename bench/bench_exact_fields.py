"""Exact classification over algebraic fields, each against a baseline in the same run: the
earlier computation over expressions (before the field-aware one), re-created here, in a
subprocess with a time-out.

1. A polynomial game with N parameters (two players) whose stationary point has every
   coordinate at the golden ratio, so J has entries in Q(sqrt 5) and is dense; the point is an
   LSSP, so Lemma 4 runs too. Ours: ``classify_point`` (characteristic polynomials of J and both
   Hessians in the field, DomainMatrix). Baseline: ``Matrix.charpoly`` with simplification
   followed by ``Poly(..., extension=True)`` on J alone (what ``characteristic_polynomial`` did).
2. A 3-parameter game at x = sqrt(2 + sqrt 3) with a triangular Jacobian. Ours:
   ``classify_point``. Baseline: sympy's closed-form roots and ``radsimp(2 Re(1/l))`` for each
   (the old Lemma 4 exact expression), after the old characteristic polynomial.

Run: python bench/bench_exact_fields.py [--repeats 3] [--timeout 300] [--params 8 12].
Prints JSON, then a table.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import time

import sympy as sp

from gametheory import Game, Player, classify_point
from gametheory.analysis.spectrum import high_precision_roots
from timing import time_in_child

X = sp.Symbol("x_")


def golden_game(n: int, seed: int = 5) -> tuple[Game, dict]:
    """Two players of n/2 parameters; ``g_i = x_i^2 - x_i - 1`` vanishes at the golden ratio
    phi = (1 + sqrt 5)/2. Player losses: ``sum_i (x_i^3/3 - x_i^2/2 - x_i + 3 n g_i^2)`` plus
    ``c g_i g_m`` inside the player's block and ``x_i g_j (c + d x_k)`` towards the other
    block: every partial vanishes at x = phi, J is dense with entries in Q(sqrt 5)."""
    rng = random.Random(seed)
    xs = sp.symbols(f"x0:{n}")
    g = [x**2 - x - 1 for x in xs]
    half = n // 2
    blocks = (range(half), range(half, n))
    players = []
    for name, own, other in (("G", blocks[0], blocks[1]), ("D", blocks[1], blocks[0])):
        loss = sum(xs[i]**3 / 3 - xs[i]**2 / 2 - xs[i] + 3 * n * g[i]**2 for i in own)
        loss += sum(sp.Rational(rng.randint(-3, 3), 2) * g[i] * g[m] for i in own for m in own if m > i)
        loss += sum(xs[i] * g[j] * (sp.Rational(rng.randint(-3, 3), 4)
                                    + sp.Rational(rng.randint(-2, 2), 5) * xs[rng.randrange(n)])
                    for i in own for j in other)
        players.append(Player(name, [xs[i] for i in own], sp.expand(loss)))
    return Game(*players, name=f"golden{n}"), {x: (1 + sp.sqrt(5)) / 2 for x in xs}


def nested_game() -> tuple[Game, dict]:
    x, y, z = sp.symbols("x y z")
    game = Game(Player("P", x, x**5 / 5 - sp.Rational(4, 3) * x**3 + x), Player("Q", y, y**2 / 2 * x + y * z * x),
                Player("R", z, z**2 * x**2 / 2), name="nested")
    return game, {x: sp.sqrt(2 + sp.sqrt(3)), y: 0, z: 0}


def old_charpoly(jacobian: sp.Matrix) -> sp.Poly:
    """The earlier ``characteristic_polynomial``: Matrix.charpoly, then the domain."""
    return sp.Poly(jacobian.charpoly(X).as_expr(X), X, extension=True)


def old_lemma4_exact(jacobian: sp.Matrix):
    """The earlier exact Lemma 4 expression: closed-form roots, then 2 Re(1/l) each."""
    found = sp.roots(old_charpoly(jacobian), cubics=False, quartics=False, quintics=False)
    candidates = [sp.radsimp(sp.expand(2 * sp.re(sp.expand_complex(1 / sp.radsimp(l))))) for l in found]
    return min(candidates, key=lambda e: sp.N(e, 30))


def ours(game: Game, point: dict, repeats: int):
    """Median wall time of ``classify_point`` (our root cache cleared before each run; sympy's
    own caches are warm after the first run, so the first run is reported too)."""
    times, report = [], None
    for _ in range(repeats):
        high_precision_roots.cache_clear()
        start = time.perf_counter()
        report = classify_point(game, point)
        times.append(time.perf_counter() - start)
    return statistics.median(times), times[0], report


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=300.0)
    parser.add_argument("--params", type=int, nargs="+", default=[8, 12])
    args = parser.parse_args()
    results = {"machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
                          f"sympy {sp.__version__}", "cases": []}
    cases = [(f"golden, {n} params, Q(sqrt 5)", *golden_game(n), old_charpoly) for n in args.params]
    cases.append(("nested radical sqrt(2 + sqrt 3), 3 params", *nested_game(), old_lemma4_exact))
    for name, game, point, baseline in cases:
        seconds, first, report = ours(game, point, args.repeats)
        theirs = time_in_child(baseline, report.jacobian, args.timeout)
        results["cases"].append({
            "case": name, "classify_s": seconds, "classify_first_run_s": first,
            "stability": report.stability, "method": report.stability_method,
            "field": str(report.characteristic_polynomial.domain), "max_step_size": report.step.max_step_size,
            "max_step_size_exact": None if report.step.exact is None else sp.sstr(report.step.exact),
            "baseline": baseline.__name__, "baseline_s": theirs,
            "baseline_timed_out_after_s": None if theirs is not None else args.timeout,
            "speedup": None if theirs is None else theirs / seconds})
    print(json.dumps(results, indent=2))
    print(f"\n{'case':<44} {'classify (s)':>12} {'first run (s)':>13} {'baseline (s)':>13} {'ratio':>8}  verdict")
    for r in results["cases"]:
        theirs = f"{r['baseline_s']:.2f}" if r["baseline_s"] is not None else f">{args.timeout:.0f}"
        ratio = f"{r['speedup']:.0f}x" if r["speedup"] is not None else f">{args.timeout / r['classify_s']:.0f}x"
        print(f"{r['case']:<44} {r['classify_s']:>12.2f} {r['classify_first_run_s']:>13.2f} {theirs:>13} {ratio:>8}  "
              f"{r['stability']} ({r['method']})")


if __name__ == "__main__":
    sys.setrecursionlimit(10000)
    main()

"""Benchmark of ``gametheory plot example1 portrait`` (30x30 arrows, 10 trajectories).

Measured, each the best of --repeats runs:

1. the whole command in a fresh process (Python start-up, imports, exact classification of
   Example 1, field, trajectories, rendering), against ``gametheory list`` in a fresh process
   (start-up and imports only) as the baseline in the same run;
2. in-process stages of the recipe: choosing the point (exact classification), the portrait
   data (field on the grid + 10 flow trajectories), rendering the PNG;
3. the field on the 30x30 grid through lambdified numpy (what the recipe does) against the
   forbidden baseline, sympy ``subs`` + ``evalf`` point by point, with the same values checked.

Usage: python bench/bench_portrait.py [--repeats 3] [--json]
"""
from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gametheory import zoo  # noqa: E402

from gametheory.render import figures
from gametheory.dynamics.simulate import portrait  # noqa: E402
from gametheory.dynamics.methods import numeric_field  # noqa: E402
from gametheory.render.plots import reference_point  # noqa: E402


def best(fn, repeats: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return min(times), out


def command(args: list[str]) -> None:
    subprocess.run(args, check=True, capture_output=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    exe = shutil.which("gametheory") or str(Path(sys.executable).parent / "gametheory")
    game = zoo.get("example1")
    with tempfile.TemporaryDirectory() as tmp:
        png = str(Path(tmp) / "portrait.png")
        t_cli, _ = best(lambda: command([exe, "plot", "example1", "portrait", "-o", png, "--grid", "30",
                                         "--trajectories", "10"]), args.repeats)
        t_startup, _ = best(lambda: command([exe, "list"]), args.repeats)
        t_point, (played, point) = best(lambda: reference_point(game), args.repeats)
        t_data, data = best(lambda: portrait(played, "phi", "theta1", {"theta2": 1.0}, (-1, 1), (0, 2), 30, 10),
                            args.repeats)
        t_render, _ = best(lambda: figures.portrait(data, png), args.repeats)

    xs, ys = np.meshgrid(np.linspace(-1, 1, 30), np.linspace(0, 2, 30))
    states = np.vstack([ys.ravel(), np.ones(xs.size), xs.ravel()])
    field = numeric_field(game)
    t_lambdify, fast = best(lambda: field(states), args.repeats)
    theta1, theta2, phi = game.params

    def subs_loop():
        return np.array([[float(c.subs({theta1: a, theta2: b, phi: c_}).evalf()) for c in game.vector_field]
                         for a, b, c_ in states.T]).T

    t_subs, slow = best(subs_loop, 1)
    assert np.allclose(fast, slow)
    results = {
        "command_s": t_cli, "startup_baseline_s": t_startup, "command_over_startup": t_cli / t_startup,
        "stage_point_s": t_point, "stage_portrait_data_s": t_data, "stage_render_s": t_render,
        "field_grid_lambdify_s": t_lambdify, "field_grid_subs_s": t_subs, "subs_over_lambdify": t_subs / t_lambdify,
        "repeats": args.repeats,
    }
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(f"{'measure':<46}{'seconds':>10}")
    for key in ("command_s", "startup_baseline_s", "stage_point_s", "stage_portrait_data_s", "stage_render_s",
                "field_grid_lambdify_s", "field_grid_subs_s"):
        print(f"{key:<46}{results[key]:>10.4f}")
    print(f"command / start-up: {results['command_over_startup']:.2f}x; "
          f"sympy subs / lambdify on the grid: {results['subs_over_lambdify']:.0f}x")


if __name__ == "__main__":
    main()

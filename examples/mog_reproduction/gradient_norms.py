"""The paper's Figure 7 from this project's runs: the gradient norm ||v|| against the iteration,
one line per run. ``LABEL=RUN_DIR`` draws what `neural train` logged: ||v|| = (||v_G||^2 +
||v_D||^2)^(1/2) at the iterate, on the training batch (the full batch, or one mini-batch).
``LABEL=RUN_DIR@WHICH`` recomputes ||v|| on the run's evaluation batch at every checkpoint, at the
point WHICH of `--at` (``extrapolated``: extragradient's look-ahead, the point the paper's code
saved).

Usage: python examples/mog_reproduction/gradient_norms.py OUT.png "LABEL=RUN_DIR[@WHICH]" ...
"""
import math
import sys

from neural.analysis.report import metric_series
from neural.render.figures import gradient_norm_figure
from neural.targets import load_checkpoint_game, state_omega
from neural.training.checkpoint import list_checkpoints, load_checkpoint


def logged(run_dir: str) -> dict[int, float]:
    g, d = metric_series(run_dir, "grad_norm_G"), metric_series(run_dir, "grad_norm_D")
    return {i: math.hypot(g[i], d[i]) for i in g if i in d}


def at_checkpoints(run_dir: str, at: str) -> dict[int, float]:
    checkpoints = list_checkpoints(run_dir)
    game, _ = load_checkpoint_game(str(checkpoints[-1][1]))
    return {i: float(game.vector_field(state_omega(game, load_checkpoint(path), at)[0]).norm())
            for i, path in checkpoints}


if __name__ == "__main__":
    out, curves = sys.argv[1], {}
    for argument in sys.argv[2:]:
        label, run = argument.split("=", 1)
        run, _, at = run.partition("@")
        curves[label] = at_checkpoints(run, at) if at else logged(run)
    gradient_norm_figure(curves, "MoG NSGAN: gradient norm over training", out)
    print(f"wrote {out}")

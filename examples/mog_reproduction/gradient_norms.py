"""The paper's Figure 7 from this project's runs: the gradient norm ||v|| = (||v_G||^2 +
||v_D||^2)^(1/2) that `neural train` logs (at the iterate, on the training batch: the full batch,
or one mini-batch), against the iteration, one line per run.

Usage: python examples/mog_reproduction/gradient_norms.py OUT.png "LABEL=RUN_DIR" ...
"""
import math
import sys

from neural.analysis.report import metric_series
from neural.render.figures import gradient_norm_figure


def norms(run_dir: str) -> dict[int, float]:
    g, d = metric_series(run_dir, "grad_norm_G"), metric_series(run_dir, "grad_norm_D")
    return {i: math.hypot(g[i], d[i]) for i in g if i in d}


if __name__ == "__main__":
    out, runs = sys.argv[1], [argument.split("=", 1) for argument in sys.argv[2:]]
    gradient_norm_figure({label: norms(run) for label, run in runs},
                         "MoG NSGAN: gradient norm over training", out)
    print(f"wrote {out}")

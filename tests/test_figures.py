"""Figures: written in the format of the file's extension, from precomputed data; matplotlib lazy."""
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from gametheory import zoo

from gametheory.render import figures
from gametheory.errors import OptionError
from gametheory.dynamics.methods import numeric_field
from gametheory.dynamics.pathangle import ends_near, path_angle_spread
from gametheory.render.plots import plot


@pytest.mark.parametrize("suffix, magic", [("png", b"\x89PNG"), ("pdf", b"%PDF"), ("svg", b"<?xml")])
def test_format_follows_the_extension(tmp_path, suffix, magic):
    spread = path_angle_spread(numeric_field(zoo.get("rotation")), [2.0, 1.5], ends_near([0, 0], 5, 0.05),
                               np.linspace(0, 1.5, 50))
    out = tmp_path / f"f.{suffix}"
    figures.path_angle(spread, "rotation", out)
    assert out.read_bytes()[:len(magic)] == magic


def test_bad_figure_paths(tmp_path):
    spread = path_angle_spread(numeric_field(zoo.get("rotation")), [2.0, 1.5], ends_near([0, 0], 3, 0.05),
                               np.linspace(0, 1.5, 20))
    with pytest.raises(OptionError, match="must end in"):
        figures.path_angle(spread, "x", tmp_path / "f.jpeg")
    with pytest.raises(OptionError, match="does not exist"):
        figures.path_angle(spread, "x", tmp_path / "missing" / "f.png")


def test_portrait_of_example1_defaults_to_the_paper_slice(tmp_path):
    out = plot("portrait", zoo.get("example1"), tmp_path / "p.png", grid=10, trajectories=2)
    assert out.stat().st_size > 10_000


def test_landscape_of_a_one_parameter_player(tmp_path):
    out = plot("landscape", zoo.get("dirac-gan-r1"), tmp_path / "l.png", player="D")
    assert out.stat().st_size > 10_000


def test_importing_figures_does_not_import_matplotlib():
    code = "import sys, gametheory.render.figures, gametheory.render.plots; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


FIGURES_IN_A_FRESH_PROCESS = """
import os, sys
import matplotlib
import numpy as np, torch

backend = dict.__getitem__(matplotlib.rcParams, "backend")  # the raw value: reading it never selects one

from gametheory import zoo
from gametheory.dynamics.methods import Method
from gametheory.dynamics.simulate import iterate
from gametheory.render import figures, plots
from neural.analysis.eigen import EigenResult
from neural.analysis.path_angle import PathAngle
from neural.render.figures import eigen_figure, path_angle_figure
from neural.render.training import save_samples

out = sys.argv[1]
game = zoo.get("example1")
for kind, options in [("portrait", dict(grid=6, trajectories=1, t_max=2.0)), ("landscape", {}),
                      ("eigs", dict(method=Method("simgd"))), ("radius", dict(methods=[Method("simgd")], samples=20)),
                      ("path-angle", dict(ends=2, samples=11))]:
    plots.plot(kind, game, os.path.join(out, kind + ".png"), **options)
figures.trajectory([iterate(game, Method("simgd", h=0.1), [1.0, 1.0, 0.5], 20)], None, "t", os.path.join(out, "t.png"))
eigen_figure(EigenResult("LM", 2, (1 + 2j, 1 - 2j), (0.0, 0.0), True, "dense", 2).eigenvalues, "e", os.path.join(out, "e.png"))
alphas = np.linspace(0, 1, 5)
path_angle_figure(PathAngle(alphas, np.zeros((2, 5)), np.ones((2, 5)), {}, {}, {}), "a", os.path.join(out, "a.png"))
save_samples("mog", torch.zeros(20, 1), os.path.join(out, "mog.png"), 1, torch.ones(20, 1))
save_samples("mnist", torch.zeros(4, 1, 4, 4), os.path.join(out, "mnist.png"), 1)
print(sorted(os.listdir(out)), "matplotlib.pyplot" in sys.modules, dict.__getitem__(matplotlib.rcParams, "backend") == backend)
"""


def test_figures_leave_pyplot_and_the_backend_alone(tmp_path):
    """Every figure function draws on a detached ``Figure``: after all of them ran, pyplot was
    never imported and the backend setting is what it was (with MPLBACKEND unset: matplotlib's
    automatic default, not yet resolved)."""
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[1])
    out = subprocess.run([sys.executable, "-c", FIGURES_IN_A_FRESH_PROCESS, str(tmp_path)], capture_output=True,
                         text=True, env=env, check=True)
    files = ["a.png", "e.png", "eigs.png", "landscape.png", "mnist.png", "mog.png", "path-angle.png", "portrait.png",
             "radius.png", "t.png"]
    assert out.stdout.split("\n")[-2] == f"{files} False True"

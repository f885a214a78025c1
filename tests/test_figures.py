"""Figures: written in the format of the file's extension, from precomputed data; matplotlib lazy."""
import subprocess
import sys

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
    out = figures.path_angle(spread, "rotation", tmp_path / f"f.{suffix}")
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

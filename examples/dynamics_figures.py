"""The papers' figures for small games, written to a folder (default: ./figures).

Run: python examples/dynamics_figures.py [FOLDER]
"""
import sys
from pathlib import Path

import sympy as sp

from gametheory import zoo
from gametheory.dynamics.methods import Method
from gametheory.render.plots import plot

out = Path(sys.argv[1] if len(sys.argv) > 1 else "figures")
out.mkdir(exist_ok=True)
example1 = zoo.get("example1")
print(plot("portrait", example1, out / "fig1a_portrait.png", xlim=(-1, 1), ylim=(0, 2)))  # Berard et al. Fig. 1a
print(plot("landscape", example1, out / "fig1b_landscape.png"))  # Fig. 1b
for name in ("attraction", "rotation", "attraction-rotation"):  # Fig. 2
    print(plot("path-angle", zoo.get(name), out / f"fig2_{name}.png", start=[2.0, 1.5]))
print(plot("eigs", zoo.get("bilinear"), out / "eigs_bilinear_eg.png", method=Method("eg")))
methods = [Method(n) for n in ("simgd", "altgd", "eg", "ogd")] + [Method("consensus", gamma=1)]
print(plot("radius", example1, out / "radius_example1.png", methods=methods))
print(plot("radius", zoo.get("bilinear"), out / "radius_bilinear.png",
           methods=[Method("eg"), Method("ogd"), Method("altgd", beta=sp.Rational(-1, 2))]))

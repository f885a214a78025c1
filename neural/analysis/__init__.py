"""Algorithms on a neural game: Krylov eigen-solvers, certificates, classification of a state, path-angle."""
from neural.render.latex import register as _register_notebook_display

_register_notebook_display()  # results of this package show themselves in notebooks

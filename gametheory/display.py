"""Notebook display of results: a result's ``_repr_latex_`` asks :func:`latex` for the LaTeX
of its type, and the render layers register one renderer per type (:func:`register_latex`,
keyed by the class's dotted name, so that a registry entry never imports the result's module).

Results sit below the render layers and never import them; the packages' ``__init__`` register
the renderers, so they are registered whenever a result can exist. A type without a renderer
gives ``None``, and Jupyter falls back to the plain repr.
"""
from __future__ import annotations

from collections.abc import Callable

_LATEX: dict[str, Callable[[object], str]] = {}


def register_latex(renderers: dict[str, Callable[[object], str]]) -> None:
    """Register ``{"module.Class": render}``: ``render(result) -> str`` draws that class's
    results in LaTeX."""
    _LATEX.update(renderers)


def latex(result) -> str | None:
    """The LaTeX of ``result`` from the renderer registered for its class, else None."""
    kind = type(result)
    render = _LATEX.get(f"{kind.__module__}.{kind.__qualname__}")
    return None if render is None else render(result)

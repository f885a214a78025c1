"""Figures of neural analysis results (PNG and the other formats matplotlib infers from the file's
extension), drawn from the frozen results: the spectrum of J and the path-angle (Berard et al.
Fig. 3). ``matplotlib.figure.Figure`` objects only: no pyplot state, no backend switch. Each
function returns its ``Figure`` (a notebook shows it inline), writes it to ``path`` when given
(:func:`gametheory.render.figures.save_figure`) and draws into ``ax`` when given."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from gametheory.render.figures import save_figure
from neural.analysis.eigen import EigenResult
from neural.analysis.path_angle import PathAngle


def new_figure(width: float, height: float):
    """A detached ``Figure`` of ``width`` x ``height`` inches (matplotlib imported on first use)."""
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height))


def _axes(ax, width: float, height: float):
    """``ax`` and its figure, or the one axes of a new figure."""
    if ax is not None:
        return ax.figure, ax
    figure = new_figure(width, height)
    return figure, figure.add_subplot()


def eigen_figure(result: EigenResult, title: str, path: str | Path | None = None, *, ax=None):
    """Eigenvalues in the complex plane, the imaginary axis (marginal stability) marked."""
    figure, axes = _axes(ax, 6, 5)
    lam = np.array(result.eigenvalues, dtype=complex)
    axes.axvline(0.0, color="grey", linewidth=0.8)
    axes.axhline(0.0, color="grey", linewidth=0.8)
    axes.scatter(lam.real, lam.imag, s=18, color="tab:blue", zorder=3)
    axes.set_xlabel("Re(l)  (> 0: stable direction)")
    axes.set_ylabel("Im(l)  (rotation)")
    axes.set_title(title, fontsize=10)
    return _done(figure, path, ax)


def _done(figure, path, ax):
    """``figure``, laid out (unless drawn into a given ``ax``) and written to ``path`` if given."""
    if ax is None:
        figure.tight_layout()
    if path is not None:
        figure.set_dpi(120)
        save_figure(figure, path)
    return figure


def path_angle_figure(result: PathAngle, title: str, path: str | Path | None = None, *, ax=None):
    """The paper's Fig. 3 layout: path-angle (right axis, blue) and path-norm (left, orange),
    medians with interquartile bands over end states."""
    figure, norm_axes = _axes(ax, 7, 4)
    angle_axes = norm_axes.twinx()
    spread = result.spread()
    angle_label = r"path-angle $c(\alpha) = \cos(\omega' - \omega, -v_\alpha)$"
    for axes, (low, mid, high), color, label in ((norm_axes, spread.norm, "tab:orange", r"path-norm $\|v_\alpha\|$"),
                                                 (angle_axes, spread.cosine, "tab:blue", angle_label)):
        axes.plot(result.alphas, mid, color=color, label=label)
        if result.ends > 1:
            axes.fill_between(result.alphas, low, high, color=color, alpha=0.25, linewidth=0)
        axes.set_ylabel(label, color=color)
    if np.all(result.path_norm > 0):
        norm_axes.set_yscale("log")
    angle_axes.axhline(0.0, color="tab:blue", linewidth=0.6, linestyle=":")
    for x in (0.0, 1.0):
        norm_axes.axvline(x, color="grey", linewidth=0.6, linestyle="--")
    norm_axes.set_xlabel("alpha (0: start, 1: end)")
    norm_axes.set_title(title, fontsize=10)
    return _done(figure, path, ax)

"""Figures of neural analysis results (PNG and the other formats matplotlib infers from the file's
extension), drawn from the frozen results: the spectrum of J (Berard et al. Fig. 4), the
path-angle (Fig. 3), the players' Hessian spectra (Figs. 5-6), the landscape over training and
the gradient norm of several runs over training (Fig. 7).
``matplotlib.figure.Figure`` objects only: no pyplot state, no backend switch. Each function returns its ``Figure`` (a
notebook shows it inline), writes it to ``path`` when given
(:func:`gametheory.render.figures.save_figure`) and, where it has one panel, draws into ``ax``
when given. Titles name what is drawn, never a file."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from gametheory.render.figures import save_figure
from neural.analysis.path_angle import PathAngle
from neural.analysis.timeline import Timeline
from neural.render.rows import complex_text

DPI = 150


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


def _done(figure, path, ax=None):
    """``figure``, laid out (unless drawn into a given ``ax``) and written to ``path`` if given."""
    if ax is None:
        figure.tight_layout()
    if path is not None:
        figure.set_dpi(DPI)
        save_figure(figure, path)
    return figure


def eigen_figure(eigenvalues: Sequence[complex], title: str, path: str | Path | None = None, *,
                 leftmost: complex | None = None, residual: float | None = None, ax=None):
    """Eigenvalues of J in the complex plane (Fig. 4), the imaginary axis (Re l = 0: marginal
    stability) drawn and, when given, the leftmost eigenvalue marked with its residual."""
    figure, axes = _axes(ax, 6, 5)
    lam = np.array(eigenvalues, dtype=complex)
    axes.axvline(0.0, color="black", linewidth=0.9, label=r"imaginary axis, $\mathrm{Re}\,\lambda = 0$")
    axes.axhline(0.0, color="grey", linewidth=0.6)
    axes.scatter(lam.real, lam.imag, s=22, color="tab:blue", zorder=3, label=r"eigenvalues $\lambda$ of $J$")
    if leftmost is not None:
        text = f"leftmost {complex_text(leftmost)}" + ("" if residual is None else f" (residual {residual:.1e})")
        axes.scatter([leftmost.real], [leftmost.imag], s=90, facecolors="none", edgecolors="tab:red",
                     linewidths=1.6, zorder=4, label=text)
    axes.set_xlabel(r"$\mathrm{Re}\,\lambda$  (> 0: attracting direction)")
    axes.set_ylabel(r"$\mathrm{Im}\,\lambda$  (rotation)")
    axes.legend(loc="best", fontsize=8)
    axes.set_title(title, fontsize=10)
    axes.tick_params(labelsize=9)
    return _done(figure, path, ax)


def path_angle_figure(result: PathAngle, title: str, path: str | Path | None = None, *, ax=None):
    """The paper's Fig. 3 layout: path-angle c(alpha) (right axis, blue) and path-norm ||v||
    (left, orange, log scale when positive), medians with interquartile bands over end states,
    alpha = 0 (start) and 1 (end point) marked; an undefined c (v = 0) leaves a gap."""
    figure, norm_axes = _axes(ax, 7, 4.4)
    angle_axes = norm_axes.twinx()
    spread = result.spread()
    band = " (median, IQR band)" if result.ends > 1 else ""
    lines = []
    for axes, (low, mid, high), color, label, axis_label in (
            (norm_axes, spread.norm, "tab:orange", r"path-norm $\|v(\omega_\alpha)\|$" + band,
             r"path-norm $\|v(\omega_\alpha)\|$"),
            (angle_axes, spread.cosine, "tab:blue", r"path-angle $c(\alpha)$" + band,
             r"path-angle $c(\alpha) = \cos(\omega' - \omega, -v_\alpha)$")):
        lines += axes.plot(result.alphas, mid, color=color, label=label)
        if result.ends > 1:
            axes.fill_between(result.alphas, low, high, color=color, alpha=0.25, linewidth=0)
        axes.set_ylabel(axis_label, color=color)
        axes.tick_params(labelsize=9)
    if np.all(result.path_norm > 0):
        norm_axes.set_yscale("log")
    angle_axes.axhline(0.0, color="tab:blue", linewidth=0.6, linestyle=":")
    for x in (0.0, 1.0):
        norm_axes.axvline(x, color="grey", linewidth=0.6, linestyle="--")
    norm_axes.set_xlabel(r"$\alpha$  ($\omega_\alpha = \omega + \alpha(\omega' - \omega)$; 0: start, 1: end point)")
    norm_axes.legend(lines, [line.get_label() for line in lines], loc="upper center", fontsize=8,
                     bbox_to_anchor=(0.5, -0.16), ncol=2, frameon=False)
    norm_axes.set_title(title, fontsize=10)
    return _done(figure, path, ax)


def hessian_figure(spectra: Mapping[str, tuple[Sequence[float], float]], title: str,
                   path: str | Path | None = None):
    """Each player's Hessian (Figs. 5-6): its top-k eigenvalues in descending order of
    magnitude, then its smallest eigenvalue, a zero line drawn; one panel per player.
    ``spectra``: player -> (top-k eigenvalues, smallest eigenvalue)."""
    figure = new_figure(3.8 * max(len(spectra), 1) + 0.6, 4.2)
    panels = figure.subplots(1, len(spectra), squeeze=False)[0]
    for axes, (name, (top, smallest)) in zip(panels, spectra.items()):
        top = np.array(sorted(top, key=abs, reverse=True), dtype=float)
        index = np.arange(1, len(top) + 1)
        axes.axhline(0.0, color="black", linewidth=0.8)
        axes.bar(index, top, color=np.where(top < 0, "tab:red", "tab:blue"), width=0.7,
                 label=r"top-$k$ $\lambda_i$ by $|\lambda_i|$")
        axes.scatter([len(top) + 1.5], [smallest], marker="v", s=60, color="tab:red", zorder=3,
                     label=rf"smallest $\lambda_{{\min}} = {smallest:.3g}$")
        axes.set_xlabel(r"index $i$ (descending $|\lambda_i|$)")
        axes.set_ylabel(rf"eigenvalue $\lambda_i$ of $\nabla^2_{{\theta_{{{name}}}}} L_{{{name}}}$")
        axes.set_title(f"player {name}", fontsize=10)
        axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2, fontsize=8, frameon=False)
        axes.tick_params(labelsize=9)
    figure.suptitle(title, fontsize=10)
    return _done(figure, path)


def gradient_norm_figure(curves: Mapping[str, Mapping[int, float]], title: str,
                         path: str | Path | None = None, *, ax=None):
    """The gradient norm ``||v||`` of several runs against the iteration, log scale (Fig. 7:
    extragradient against gradient descent). ``curves``: label -> {iteration: ||v||}."""
    figure, axes = _axes(ax, 6.4, 4.6)
    for label, series in curves.items():
        iterations = sorted(series)
        axes.plot(iterations, [series[i] for i in iterations], linewidth=1.0, label=label)
    axes.set_yscale("log")
    axes.set_xlabel("iteration")
    axes.set_ylabel(r"gradient norm $\|v(\omega_t)\|$")
    axes.set_title(title, fontsize=10)
    axes.grid(True, which="major", alpha=0.3)
    axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2, fontsize=8, frameon=False)
    return _done(figure, path, ax)


def _signed_scale(axes, values) -> None:
    """A symmetric log scale on ``axes`` when the nonzero |values| span more than two decades
    (signs stay visible near zero), linear otherwise."""
    size = np.abs(np.asarray(values, dtype=float))
    size = size[np.isfinite(size) & (size > 0)]
    if size.size and size.max() > 100 * size.min():
        axes.set_yscale("symlog", linthresh=10.0 ** np.floor(np.log10(size.min())))


def timeline_figure(timeline: Timeline, title: str, path: str | Path | None = None):
    """The landscape over training, four panels sharing the iteration axis: ``||v||`` (log
    scale when positive); Re of the leftmost eigenvalue of J (bars: its residual) with the zero
    line (> 0: stable linearisation, an LSSP once v = 0); the largest |Im l / Re l| (an
    unbounded one, l on the imaginary axis, a triangle at the top); each player's smallest
    Hessian eigenvalue with the zero line (< 0: not a minimum of its own loss). The signed
    panels are on a symmetric log scale where their magnitudes span decades."""
    rows = timeline.rows
    x = np.array([row.iteration for row in rows], dtype=float)
    figure = new_figure(7, 9)
    norm, left, rotation, hessian = figure.subplots(4, 1, sharex=True)
    grad = np.array([row.grad_norm for row in rows])
    norm.plot(x, grad, marker="o", color="tab:orange", label=r"$\|v(\omega)\|$")
    if np.all(grad > 0):
        norm.set_yscale("log")
    norm.set_ylabel(r"$\|v(\omega)\|$")
    real = np.array([row.leftmost.real for row in rows])
    left.axhline(0.0, color="black", linewidth=0.8, label=r"$\mathrm{Re}\,\lambda = 0$")
    left.errorbar(x, real, yerr=[row.residual for row in rows], marker="o", color="tab:blue",
                  capsize=3, label=r"leftmost $\mathrm{Re}\,\lambda_{\min}$ of $J$ ($\pm$ residual)")
    left.set_ylabel(r"$\mathrm{Re}\,\lambda_{\min}(J)$")
    _signed_scale(left, real)
    ratio = np.array([row.max_rotation_ratio for row in rows])
    shown = np.isfinite(ratio)
    rotation.plot(x[shown], ratio[shown], marker="o", color="tab:purple",
                  label=r"$\max |\mathrm{Im}\,\lambda / \mathrm{Re}\,\lambda|$ (computed $\lambda$)")
    if (~shown).any():
        rotation.plot(x[~shown], np.full((~shown).sum(), 0.95), marker="^", linestyle="none",
                      color="tab:purple", transform=rotation.get_xaxis_transform(),
                      label=r"unbounded ($\mathrm{Re}\,\lambda \approx 0$)")
    if shown.any() and np.all(ratio[shown] > 0):
        rotation.set_yscale("log")
    rotation.set_ylabel(r"$\max |\mathrm{Im}\,\lambda / \mathrm{Re}\,\lambda|$")
    hessian.axhline(0.0, color="black", linewidth=0.8, label=r"$\lambda = 0$")
    smallest = {name: [row.player_min_eigenvalues[name] for row in rows] for name in rows[0].player_min_eigenvalues}
    for name, values in smallest.items():
        hessian.plot(x, values, marker="o", label=rf"$\lambda_{{\min}}(\nabla^2_{{\theta_{{{name}}}}} L_{{{name}}})$")
    _signed_scale(hessian, [value for values in smallest.values() for value in values])
    hessian.set_ylabel(r"$\lambda_{\min}(\nabla^2_{\theta_i} L_i)$")
    hessian.set_xlabel("iteration")
    for axes in (norm, left, rotation, hessian):
        axes.legend(loc="best", fontsize=8)
        axes.tick_params(labelsize=9)
        axes.grid(alpha=0.3, linewidth=0.5)
    figure.suptitle(title, fontsize=10)
    return _done(figure, path)

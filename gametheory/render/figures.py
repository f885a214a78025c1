"""Figures of small games, drawn from precomputed results (rendering never recomputes):
``portrait`` (Berard et al. Fig. 1a), ``landscape`` (Fig. 1b), ``eigs`` (eigenvalues and the
stable region of a method), ``radius`` (spectral radius against h), ``path_angle`` (Fig. 2).

Each function returns its matplotlib ``Figure`` (no pyplot state, no GUI backend; a notebook
shows it inline) and writes it to ``path`` when one is given, in the format of the file's
extension. The one-panel figures draw into ``ax`` when given (to compose panels), else into a
new figure. matplotlib is imported inside the functions, so importing this module costs nothing.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from ..errors import OptionError

FORMATS = ("png", "pdf", "svg")


def _figure(width: float, height: float):
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained", dpi=110)


def _axes(ax, width: float, height: float):
    """``ax`` and its figure, or the one axes of a new ``width`` x ``height`` figure."""
    if ax is not None:
        return ax.figure, ax
    fig = _figure(width, height)
    return fig, fig.add_subplot()


def _done(fig, path: str | Path | None):
    """``fig``, written to ``path`` first when one is given."""
    if path is not None:
        save_figure(fig, path)
    return fig


def save_figure(fig, path: str | Path) -> Path:
    """Write ``fig`` to ``path`` in the format of its extension (png, pdf or svg); a bad
    extension or a missing folder is an OptionError."""
    path = Path(path)
    suffix = path.suffix.lower().lstrip(".")
    if suffix not in FORMATS:
        raise OptionError(f"figure file {str(path)!r} must end in one of: {', '.join('.' + f for f in FORMATS)}")
    if not path.parent.exists():
        raise OptionError(f"folder {str(path.parent)!r} does not exist")
    fig.savefig(path)
    return path


def portrait(data, path: str | Path | None = None, *, ax=None):
    """Arrows of the descent direction ``-v`` on the slice, coloured by ``||v||`` on the slice,
    flow trajectories (started on the slice, projected) and the stationary points on it."""
    fig, ax = _axes(ax, 6.4, 5.4)
    speed = np.hypot(data.u, data.w)
    scale = np.where(speed > 0, speed, 1.0)
    from matplotlib import colormaps
    from matplotlib.colors import ListedColormap

    greys = ListedColormap(colormaps["Greys"](np.linspace(0.35, 1.0, 256)))  # the slowest arrows stay visible
    quiver = ax.quiver(data.xs, data.ys, data.u / scale, data.w / scale, speed, cmap=greys, angles="xy",
                       pivot="mid", width=0.0032, headwidth=3.5)
    fig.colorbar(quiver, ax=ax, label=r"$\|v\|$ on the slice (arrows: direction of $-v$)")
    for k, path_xy in enumerate(data.trajectories):
        ax.plot(path_xy[:, 0], path_xy[:, 1], color="tab:blue", lw=1.1, alpha=0.85,
                label="flow trajectories (projected)" if k == 0 else None)
        ax.plot(*path_xy[0], "o", color="tab:blue", ms=3.5)
    for k, (x, y) in enumerate(data.points):
        ax.plot(x, y, "*", color="tab:red", ms=13, mec="black", label="stationary point" if k == 0 else None)
    ax.set_xlim(data.xs[0], data.xs[-1])
    ax.set_ylim(data.ys[0], data.ys[-1])
    ax.set_xlabel(data.x_name)
    ax.set_ylabel(data.y_name)
    fixed = ", ".join(f"{k} = {v:g}" for k, v in data.fixed.items())
    ax.set_title(f"{data.game_name}: game vector field on the slice {fixed}" if fixed else
                 f"{data.game_name}: game vector field")
    ax.legend(loc="upper right", fontsize=8, framealpha=0.9)
    return _done(fig, path)


def landscape(data, path: str | Path | None = None, *, ax=None):
    """Contours of one player's loss (others fixed) with its Hessian's descent (negative
    curvature) and ascent (positive curvature) directions through the centre."""
    fig, ax = _axes(ax, 6.2, 5.2)
    fixed = ", ".join(f"{k} = {v:g}" for k, v in data.fixed.items())
    if len(data.axes) == 1:
        ax.plot(data.grid[0], data.loss, color="tab:blue")
        ax.axvline(data.center[0], color="grey", ls=":")
        ax.set_xlabel(data.axes[0])
        ax.set_ylabel(f"loss of {data.player}")
        (_, curvature), = data.directions
        shape = "a minimum" if curvature > 0 else ("a maximum: descent either way" if curvature < 0 else "flat")
        ax.set_title(f"{data.game_name}: loss of {data.player} ({fixed})\ncurvature {curvature:.3g} at the centre: {shape}")
        return _done(fig, path)
    x, y = np.meshgrid(*data.grid)
    filled = ax.contourf(x, y, data.loss, levels=30, cmap="viridis")
    ax.contour(x, y, data.loss, levels=15, colors="white", linewidths=0.4, alpha=0.6)
    fig.colorbar(filled, ax=ax, label=f"loss of {data.player}")
    cx, cy = data.center
    reach = 0.45 * (data.grid[0][-1] - data.grid[0][0])
    styles = {"descent": ("tab:red", "descent direction (negative curvature)"),
              "ascent": ("lightgrey", "ascent direction (positive curvature)")}
    for vector, curvature in data.directions:
        kind = "descent" if curvature < 0 else "ascent"
        colour, label = styles[kind]
        for sign in (1, -1):
            ax.annotate("", xy=(cx + sign * reach * vector[0], cy + sign * reach * vector[1]), xytext=(cx, cy),
                        arrowprops=dict(arrowstyle="-|>", color=colour, lw=2))
        ax.plot([], [], color=colour, lw=2, label=f"{label}: {curvature:.3g}")
    ax.plot(cx, cy, "*", color="tab:red", ms=12, mec="black", label="centre")
    ax.set_xlabel(data.axes[0])
    ax.set_ylabel(data.axes[1])
    ax.set_aspect("equal")
    ax.set_title(f"{data.game_name}: loss of {data.player} with {fixed}" if fixed else
                 f"{data.game_name}: loss of {data.player}")
    ax.legend(loc="lower left", fontsize=8, framealpha=0.9)
    return _done(fig, path)


def eigs(eigenvalues: Sequence[complex], update_eigenvalues: Sequence[complex], method_label: str, h: float,
         window: tuple[np.ndarray, np.ndarray], rho: np.ndarray | None, title: str, path: str | Path | None = None):
    """Left: J's eigenvalues in the complex plane ``window = (re, im)`` over the region
    ``{l : rho < 1}`` of the method at step h (``rho`` on the window's grid, or None where the
    method is not per-eigenvalue). Right: the update map's eigenvalues against the unit circle.
    The legends sit below the panels, where they cover no eigenvalue."""
    fig = _figure(11.0, 5.6)
    left, right = fig.add_subplot(1, 2, 1), fig.add_subplot(1, 2, 2)
    values = np.asarray(eigenvalues, dtype=complex)
    re, im = window
    if rho is not None:
        left.contourf(re, im, rho, levels=[0, 1], colors=["#cde8cd"])
        left.contour(re, im, rho, levels=[1], colors=["tab:green"], linewidths=1.2)
        left.plot([], [], color="tab:green", lw=6, alpha=0.4, label=f"stable region of {method_label}, h = {h:.4g}")
    else:
        left.text(0.02, 0.02, f"{method_label}: stability is not a per-eigenvalue property\n(see the update map's "
                  "spectrum on the right)", transform=left.transAxes, fontsize=8, va="bottom")
    left.set_xlim(re[0], re[-1])
    left.set_ylim(im[0], im[-1])
    left.axhline(0, color="grey", lw=0.6)
    left.axvline(0, color="grey", lw=0.6)
    left.plot(values.real, values.imag, "x", color="tab:blue", ms=9, mew=2, label="eigenvalues of J")
    left.set_aspect("equal")
    left.set_xlabel("Re")
    left.set_ylabel("Im")
    left.set_title("Jacobian eigenvalues\n(LSSP: all Re > 0)")
    _legend_below(left)
    t = np.linspace(0, 2 * np.pi, 400)
    update = np.asarray(update_eigenvalues, dtype=complex)
    radius = float(np.abs(update).max()) if update.size else 0.0
    right.plot(np.cos(t), np.sin(t), color="tab:green", lw=1.2, label="unit circle")
    right.plot(update.real, update.imag, "o", color="tab:orange", ms=6, label="eigenvalues of the update map")
    right.set_aspect("equal")
    span = max(1.15, 1.1 * radius)
    right.set_xlim(-span, span)
    right.set_ylim(-span, span)
    right.set_xlabel("Re")
    right.set_ylabel("Im")
    verdict = "converges" if radius < 1 else ("diverges" if radius > 1 else "marginal")
    right.set_title(f"{method_label}, h = {h:.4g}\nspectral radius {radius:.4f}: {verdict}")
    _legend_below(right)
    fig.suptitle(title)
    return _done(fig, path)


def _legend_below(ax) -> None:
    """The legend under the axes' x label, outside the data area."""
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), fontsize=8, framealpha=0.9, ncols=2)


#: Line styles of successive curves, so that curves lying on top of each other stay apart.
STYLES = ("-", "--", "-.", ":")


def radius(steps: np.ndarray, curves: Mapping[str, np.ndarray], optima: Mapping[str, tuple[float, float] | None],
           title: str, path: str | Path | None = None, *, ax=None):
    """Spectral radius of each method's update map against the step size h (one curve per
    method, each in its own colour and line style, drawn over the thin reference line rho = 1 so
    that a curve at rho = 1 stays visible), with each method's optimal (h, rho)."""
    fig, ax = _axes(ax, 7.2, 4.8)
    ax.axhline(1.0, color="0.55", lw=0.8, ls=(0, (1, 2)), zorder=1, label=r"$\rho = 1$")
    for k, (label, values) in enumerate(curves.items()):
        colour = f"C{k % 10}"
        ax.plot(steps, values, color=colour, lw=2.0, ls=STYLES[k % len(STYLES)], zorder=3 + k, label=label)
        best = optima.get(label)
        if best is not None:
            ax.plot(*best, "o", color=colour, ms=6, mec="black", zorder=20)
    ax.plot([], [], "o", color="white", mec="black", label="optimal h")
    lowest = min(float(np.nanmin(v)) for v in curves.values())
    bottom = max(0.0, lowest - 0.15 * (1 - lowest)) if lowest < 1 else 0.9
    ax.set_ylim(bottom, 1 + max(0.05, 0.6 * (1 - bottom)))
    ax.set_xlim(0, steps[-1])
    ax.set_xlabel("step size h")
    ax.set_ylabel(r"spectral radius $\rho$ of the update map")
    ax.set_title(title)
    ax.legend(fontsize=8, framealpha=0.9, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return _done(fig, path)


def path_angle(spread, title: str, path: str | Path | None = None, *, ax=None):
    """Figure 2 style: path-norm (log scale, left axis, orange) and path-angle c(alpha) (right
    axis, blue), medians with interquartile bands over the end points."""
    fig, left = _axes(ax, 6.6, 4.4)
    right = left.twinx()
    alphas = spread.alphas
    left.fill_between(alphas, spread.norm[0], spread.norm[2], color="tab:orange", alpha=0.25, lw=0)
    left.plot(alphas, spread.norm[1], color="tab:orange", lw=1.6, label=r"path-norm $\|v_\alpha\|$")
    left.set_yscale("log")
    left.set_ylabel(r"$\|v_\alpha\|$ (log scale)", color="tab:orange")
    left.tick_params(axis="y", colors="tab:orange")
    right.fill_between(alphas, spread.cosine[0], spread.cosine[2], color="tab:blue", alpha=0.2, lw=0)
    right.plot(alphas, spread.cosine[1], color="tab:blue", lw=1.6, label=r"path-angle $c(\alpha)$")
    right.set_ylim(-1.05, 1.05)
    right.set_ylabel(r"path-angle $c(\alpha) = \cos(\omega' - \omega, -v_\alpha)$", color="tab:blue")
    right.tick_params(axis="y", colors="tab:blue")
    left.axvline(1.0, color="grey", lw=0.8, ls=":")
    right.axhline(0.0, color="tab:blue", lw=0.5, alpha=0.5)
    left.set_xlabel(r"$\alpha$ (0: start, 1: end point)")
    left.set_xlim(alphas[0], alphas[-1])
    left.set_title(f"{title}\nmedian and interquartile range over {spread.count} end points")
    handles = left.get_legend_handles_labels()[0] + right.get_legend_handles_labels()[0]
    left.legend(handles=handles, loc="lower left", fontsize=8, framealpha=0.9)
    return _done(fig, path)


def trajectory(runs, target, title: str, path: str | Path | None = None, *, ax=None):
    """``||v||`` (and the distance to ``target`` when given) along each run, log scale."""
    fig, ax = _axes(ax, 6.8, 4.4)
    unit = "time t" if runs[0].method == "flow" else "step t"
    for k, run in enumerate(runs):
        colour = f"C{k % 10}"
        ax.semilogy(run.times, run.field_norms, color=colour, lw=1.4, label=r"$\|v\|$" if k == 0 else None)
        if target is not None:
            distance = np.linalg.norm(run.states - np.asarray(target), axis=1)
            ax.semilogy(run.times, distance, color=colour, lw=1.0, ls="--",
                        label="distance to the stationary point" if k == 0 else None)
    ax.set_xlabel(unit)
    ax.set_ylabel("norm (log scale)")
    ax.set_title(title)
    ax.legend(fontsize=8, framealpha=0.9)
    return _done(fig, path)

"""How training is shown: sample figures (PNG, detached matplotlib ``Figure``) and the rich progress bar."""
from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import torch

from neural.render.figures import new_figure
from neural.training.checkpoint import atomic_write


def _save_figure(figure, path: Path) -> None:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100)
    atomic_write(path, lambda handle: handle.write(buffer.getvalue()))


def save_mog_histogram(fake: torch.Tensor, real: torch.Tensor, path: str | Path,
                       title: str, mixture: str = "paper"):
    """Histogram of generated samples over the real ones and the exact density of ``mixture``;
    returns the ``Figure``."""
    from neural.training.data import mog_pdf

    fake, real = fake.flatten().numpy(), real.flatten().numpy()
    lo = min(fake.min(), real.min(), -6.0)
    hi = max(fake.max(), real.max(), 6.0)
    bins = np.linspace(lo, hi, 121)
    figure = new_figure(6, 3.5)
    axes = figure.add_subplot()
    axes.hist(real, bins=bins, density=True, alpha=0.35, color="tab:gray", label="real samples")
    axes.hist(fake, bins=bins, density=True, alpha=0.6, color="tab:blue", label="generated")
    grid = np.linspace(lo, hi, 600)
    axes.plot(grid, mog_pdf(grid, mixture), color="black", lw=1.2, label="mixture density")
    axes.set_xlabel("x")
    axes.set_ylabel("density")
    axes.set_title(title)
    axes.legend(loc="upper left", fontsize=8)
    figure.tight_layout()
    _save_figure(figure, Path(path))
    return figure


def image_grid(images: torch.Tensor, columns: int = 8, pad: int = 2) -> np.ndarray:
    """Tile images (N, C, H, W) in [-1, 1] into one (rows*H', columns*W', C) array in [0, 1]."""
    n, channels, height, width = images.shape
    rows = -(-n // columns)
    grid = np.ones((rows * (height + pad) + pad, columns * (width + pad) + pad, channels))
    pictures = ((images.clamp(-1, 1) + 1) / 2).permute(0, 2, 3, 1).numpy()
    for index, picture in enumerate(pictures):
        r, c = divmod(index, columns)
        top, left = pad + r * (height + pad), pad + c * (width + pad)
        grid[top:top + height, left:left + width] = picture
    return grid


def save_image_grid(images: torch.Tensor, path: str | Path, title: str):
    """The images tiled by :func:`image_grid` (grey scale for one channel), titled; returns the
    ``Figure``."""
    grid = image_grid(images)
    figure = new_figure(6, 6 * grid.shape[0] / grid.shape[1] + 0.4)
    axes = figure.add_subplot()
    axes.imshow(grid[..., 0] if grid.shape[2] == 1 else grid, cmap="gray", vmin=0, vmax=1)
    axes.set_axis_off()
    axes.set_title(title)
    figure.tight_layout()
    _save_figure(figure, Path(path))
    return figure


def save_samples(dataset: str, fake: torch.Tensor, path: str | Path, iteration: int,
                 real: torch.Tensor | None = None, mixture: str = "paper"):
    """The data set's sample figure, MoG histogram (over the density of ``mixture``) or image
    grid, written and returned."""
    title = f"{dataset} samples, iteration {iteration}"
    if dataset == "mog":
        return save_mog_histogram(fake, real, path, title, mixture)
    return save_image_grid(fake, path, title)


class RichReporter:
    """Progress bar with losses and throughput (iterations per second)."""

    def __init__(self, description: str = "training"):
        from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn,
                                   TimeElapsedColumn)

        self._progress = Progress(
            TextColumn("[bold]{task.description}"), BarColumn(bar_width=16),
            MofNCompleteColumn(), TextColumn("{task.fields[speed]}"), TimeElapsedColumn(),
            TextColumn("{task.fields[losses]}"),
            transient=False,
        )
        self._description = description
        self._task = None

    def start(self, total: int, completed: int) -> None:
        self._progress.start()
        self._task = self._progress.add_task(self._description, total=total,
                                             completed=completed, losses="", speed="")

    def advance(self, iteration: int, record: dict | None) -> None:
        fields = {}
        if record is not None:
            shown = {k: v for k, v in record.items()
                     if k.startswith("loss_") or k in ("w1", "ks")}
            fields["losses"] = "  ".join(f"{k} {v:.4g}" for k, v in shown.items())
            if "it_per_s" in record:
                fields["speed"] = f"{record['it_per_s']:.1f} it/s"
        self._progress.update(self._task, completed=iteration, **fields)

    def finish(self) -> None:
        self._progress.stop()

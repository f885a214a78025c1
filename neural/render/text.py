"""Rendering of neural analysis results as text: rich tables and progress bars (figures:
:mod:`neural.render.figures`). Rendering never recomputes: it reads the frozen results."""
from __future__ import annotations

import contextlib
from pathlib import Path

import numpy as np

from gametheory.dynamics.pathangle import quartiles
from gametheory.render.text import escape
from neural.analysis.classify import NeuralClassification
from neural.analysis.eigen import EigenResult
from neural.analysis.path_angle import PathAngle
from neural.render.rows import classification_rows, complex_text, rich_markup


@contextlib.contextmanager
def progress_bar(description: str, console, total: int | None = None):
    """A transient rich progress bar on ``console`` (stderr); yields ``advance(n, status=None)``
    (a status, e.g. an eigen-solve's pairs converged, is shown after the description). Nothing
    is drawn when the console is not a terminal (pipes and files stay clean)."""
    if not console.is_terminal:
        yield lambda n, status=None: None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = [TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()]
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task(escape(description), total=total)

        def advance(n: int, status: str | None = None) -> None:
            progress.advance(task, n)
            if status:
                progress.update(task, description=escape(f"{description}, {status}"))

        yield advance


@contextlib.contextmanager
def step_bar(description: str, console, steps: tuple[str, ...]):
    """A transient rich progress bar over named ``steps`` on ``console`` (stderr); yields
    ``start(name)``, called as each step starts (the previous one is then done). Nothing is drawn
    when the console is not a terminal."""
    with progress_bar(description, console, len(steps)) as advance:
        started = []

        def start(name: str) -> None:
            if started:
                advance(1)
            started.append(name)

        yield start


def print_analysis(document: dict, out_dir: str, console) -> None:
    """The few lines ``neural analyze`` prints: verdicts, timings and where the files are."""
    left = document["leftmost_eigenvalue"]
    console.print(f"[bold]{escape(document['run'])}[/] at iteration {document['end_iteration']} "
                  f"({escape(document['at'])}): ||v|| = {document['grad_norm']:.3g}, leftmost eigenvalue "
                  f"{complex_text(complex(*left))} (residual {document['leftmost_residual']:.1e}), "
                  f"LSSP {document['lssp']}, DNE {document['dne']}")
    console.print("players: " + escape(", ".join(f"{p['name']} {p['verdict']}" for p in document["players"])))
    console.print("wall time: " + ", ".join(f"{k} {v:.1f}s" for k, v in document["timings"].items()))
    console.print(f"wrote {escape(', '.join(Path(f).name for f in document['files'].values()))} to {escape(out_dir)}")


def print_eigen(result: EigenResult, label: str, block: str, console) -> None:
    from rich.table import Table

    title = {"LM": "largest magnitude", "LI": "largest imaginary part", "SR": "smallest real part"}
    table = Table(title=escape(f"{label}: {block}, {len(result.eigenvalues)} eigenvalues of "
                               f"{title.get(result.which, result.which)} ({result.method})"))
    table.add_column("#", justify="right", no_wrap=True, overflow="fold")
    table.add_column("eigenvalue", overflow="fold")
    table.add_column("|l|", justify="right", no_wrap=True, overflow="fold")
    table.add_column("residual", justify="right", no_wrap=True, overflow="fold")
    for i, (lam, res) in enumerate(zip(result.eigenvalues, result.residuals), 1):
        color = "red" if lam.real < -res else "yellow" if abs(lam.real) <= res else ""
        value = f"[{color}]{complex_text(lam)}[/]" if color else complex_text(lam)
        table.add_row(str(i), value, f"{abs(lam):.4g}", f"{res:.2e}")
    console.print(table)
    status = "converged" if result.converged else "[red]NOT converged[/]"
    console.print(f"{status}; {result.products} operator products"
                  + (f"; spectral shift {result.shift:.4g}" if result.shift else "")
                  + (f"; start vector seed {result.seed}" if result.seed is not None else ""))
    if result.transform:
        console.print(f"leftmost confirmed on {escape(result.transform)} (real-part resolution "
                      f"{result.resolution:.3g})")
    for note in result.notes:
        console.print(f"[yellow]note:[/] {escape(note)}")


def print_classification(report: NeuralClassification, label: str, console) -> None:
    from rich.table import Table

    console.print(f"[bold]{escape(label)}[/]")
    table = Table(show_header=False)
    table.add_column("quantity", overflow="fold")
    table.add_column("value", overflow="fold")
    for quantity, value in classification_rows(report, rich_markup):
        table.add_row(escape(quantity), value)
    console.print(table)
    for note in report.notes:
        console.print(f"[yellow]note:[/] {escape(note)}")


def print_path_angle(result: PathAngle, console, rows: int = 13) -> None:
    from rich.table import Table

    table = Table(title=f"path-angle over {result.ends} end state(s)"
                        + (" (median [IQR])" if result.ends > 1 else ""))
    table.add_column("alpha", justify="right", no_wrap=True, overflow="fold")
    table.add_column("cos angle c(alpha)", justify="right", overflow="fold")
    table.add_column("||v||", justify="right", overflow="fold")
    for name in result.losses:
        table.add_column(f"loss {name}", justify="right", overflow="fold")
    q = {key: quartiles(values, ignore_nan=key == "c") for key, values in
         [("c", result.cosine), ("n", result.path_norm)] + [(n, v) for n, v in result.losses.items()]}

    def cell(key, j):
        low, mid, high = q[key][:, j]
        return f"{mid:.4g}" if result.ends == 1 else escape(f"{mid:.4g} [{low:.3g}, {high:.3g}]")

    for j in np.unique(np.linspace(0, len(result.alphas) - 1, rows).round().astype(int)):
        table.add_row(f"{result.alphas[j]:.3f}", cell("c", j), cell("n", j),
                      *[cell(name, j) for name in result.losses])
    console.print(table)

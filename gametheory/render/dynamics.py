"""Rendering of game-dynamics results (step-size analyses, regions, simulations): JSON
documents and rich text. Rendering never recomputes: it reads the frozen results."""
from __future__ import annotations

import sympy as sp

from ..analysis.classify import GameReport
from ..dynamics.convergence import StepAnalysis
from ..dynamics.simulate import Trajectory
from ..dynamics.methods import Method
from ..dynamics.regions import Region
from .text import add_point_column, escape, point_label


def _plain_simgd(method: Method) -> bool:
    return method.name == "simgd" and method.ratio == 1


def stepsize_document(base: dict, report: GameReport, method: Method, analyses: list[StepAnalysis | None]) -> dict:
    """The ``stepsize --json`` document of the symbolic layer (``base``), each point extended by
    the method's analysis; ``max_step_size`` becomes the upper end of the stable interval."""
    entries = base["stationary_points"]
    for entry, analysis in zip(entries, analyses):
        entry["method"] = method.label
        if analysis is None:
            entry.update({"stable_interval": None, "optimal_step_size": None, "optimal_spectral_radius": None})
            continue
        entry.update(analysis.to_dict())
        entry["method"] = method.label
        if _plain_simgd(method):
            continue  # Lemma 4 already fills max_step_size, its exact value and the binding eigenvalue
        hi = analysis.stable_interval
        entry["max_step_size"] = None if hi is None else hi[1]
        exact = analysis.intervals_exact
        entry["max_step_size_exact"] = sp.sstr(exact[0][1]) if exact else None
        entry["binding_eigenvalue"] = None
        entry["step_size_reason"] = analysis.how
    return base


def print_step_analyses(report: GameReport, method: Method, analyses: list[StepAnalysis | None], console) -> None:
    from rich.table import Table

    console.print(f"[bold]{escape(report.game.name)}[/]: {escape(method.label)}, local convergence iff the update "
                  "map's spectral radius is < 1")
    table = Table(show_lines=True)
    add_point_column(table)
    for column in ("stability", "stable step sizes h", "optimal h", "rate at optimum", "how"):
        table.add_column(column, overflow="fold")
    for p, a in zip(report.points, analyses):
        point = point_label(p, "\n")
        if a is None:
            table.add_row(point, "not stationary", "-", "-", "-", "-")
            continue
        intervals = " U ".join(f"({lo:.6g}, {hi:.6g})" for lo, hi in a.intervals) or "none"
        if a.intervals_exact:
            intervals += "\n= " + escape(" U ".join(f"({sp.sstr(lo)}, {sp.sstr(hi)})" for lo, hi in a.intervals_exact))
        best = "-" if a.optimal_step_size is None else f"{a.optimal_step_size:.6g}"
        rate = "-" if a.optimal_spectral_radius is None else f"{a.optimal_spectral_radius:.6g}"
        table.add_row(point, escape(p.stability), intervals, best, rate, "exact" if a.exact else "numeric")
    console.print(table)
    reasons = {a.how for a in analyses if a is not None}
    for reason in sorted(reasons):
        console.print(f"  [dim]{escape(reason)}[/]")


def print_regions(report: GameReport, regions: list[dict[str, Region | str]], console) -> None:
    console.print("[bold]Parametric regions[/]")
    for p, found in zip(report.points, regions):
        point = escape(", ".join(f"{s.name}={sp.sstr(v)}" for s, v in zip(p.params, p.values)))
        for spec, region in found.items():
            if isinstance(region, str):
                console.print(f"  at ({point}) {escape(spec)}: [yellow]{escape(region)}[/]")
                continue
            shown = f"  [dim](set {escape(sp.sstr(region.set))})[/]" if region.set is not None else ""
            console.print(f"  at ({point}) {escape(spec)} iff {escape(sp.sstr(region.condition))}{shown}",
                          soft_wrap=True)
            console.print(f"    [dim]{escape(region.note)}[/]")


def simulation_document(game_name: str, params, runs: list[Trajectory], target) -> dict:
    return {"game": game_name, "target": None if target is None else dict(zip([s.name for s in params], map(float, target))),
            "runs": [r.to_dict(params) for r in runs]}


def print_simulation(game_name: str, params, runs: list[Trajectory], target, console) -> None:
    from rich.table import Table

    where = "" if target is None else " towards (" + ", ".join(f"{s.name}={t:.6g}" for s, t in zip(params, target)) + ")"
    console.print(f"[bold]{escape(game_name)}[/]: {escape(runs[0].method + where)}")
    table = Table()
    for column in ("start", "end", "steps", "verdict", "rate", "final ||v||"):
        table.add_column(column, overflow="fold")
    unit = "per unit time" if runs[0].method == "flow" else "per step"
    for r in runs:
        start = ", ".join(f"{x:.4g}" for x in r.states[0])
        end = ", ".join(f"{x:.4g}" for x in r.states[-1])
        colour = {"converged": "green", "diverged": "red", "bounded": "yellow"}[r.verdict]
        rate = "-" if r.rate is None else f"{r.rate:.6g} {unit}"
        table.add_row(start, end, str(len(r.times) - 1), f"[{colour}]{r.verdict}[/]", rate, f"{r.field_norms[-1]:.3g}")
    console.print(table)
    for r in runs:
        console.print(f"  [dim]{escape(r.reason)}[/]")

"""Rendering of game-dynamics results (step-size analyses, regions, simulations) as rich text
(their JSON documents: :mod:`gametheory.render.documents`). Rendering never recomputes: it
reads the frozen results."""
from __future__ import annotations

import sympy as sp

from ..analysis.classify import GameReport
from ..dynamics.convergence import StepAnalysis
from ..dynamics.simulate import Trajectory
from ..dynamics.methods import Method
from ..dynamics.regions import Region
from .text import NUMBER_COLUMNS, add_point_column, escape, point_label, print_no_stationary


def print_step_analyses(report: GameReport, method: Method, analyses: list[StepAnalysis | None], console) -> None:
    from rich.table import Table

    console.print(f"[bold]{escape(report.game.name)}[/]: {escape(method.label)}, local convergence iff the update "
                  "map's spectral radius is < 1")
    if not report.points:
        print_no_stationary(report, console)
        return
    table = Table(show_lines=True)
    add_point_column(table)
    for column in ("stability", "stable step sizes h", "optimal h", "rate at optimum", "how"):
        table.add_column(column, overflow="fold", no_wrap=column in NUMBER_COLUMNS)
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


def print_simulation(game_name: str, params, runs: list[Trajectory], target, console) -> None:
    from rich.table import Table

    where = "" if target is None else " towards (" + ", ".join(f"{s.name}={t:.6g}" for s, t in zip(params, target)) + ")"
    console.print(f"[bold]{escape(game_name)}[/]: {escape(runs[0].method + where)}")
    table = Table()
    for column in ("start", "end", "steps", "verdict", "rate", "final ||v||"):
        table.add_column(column, overflow="fold", no_wrap=column in NUMBER_COLUMNS)
    unit = "per unit time" if runs[0].method == "flow" else "per step"
    for r in runs:
        start = ", ".join(f"{x:.4g}" for x in r.states[0])
        end = ", ".join(f"{x:.4g}" for x in r.states[-1])
        colour = {"converged": "green", "converging": "green", "diverged": "red", "bounded": "yellow"}[r.verdict]
        rate = "-" if r.rate is None else f"{r.rate:.6g} {unit}"
        table.add_row(start, end, str(len(r.times) - 1), f"[{colour}]{r.verdict}[/]", rate, f"{r.field_norms[-1]:.3g}")
    console.print(table)
    for r in runs:
        console.print(f"  [dim]{escape(r.reason)}[/]")

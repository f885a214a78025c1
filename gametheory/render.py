"""Rendering of classification reports: rich text for people, JSON documents, LaTeX.

Rendering never recomputes: it reads the frozen reports built in :mod:`gametheory.classify`.
"""
from __future__ import annotations

import math

import sympy as sp

from .classify import GameReport, PointReport
from .spectrum import poly_text

STEPSIZE_KEYS = ("point", "point_float", "exact", "stationary", "stability", "stability_method", "eigenvalues",
                 "max_step_size", "max_step_size_exact", "binding_eigenvalue", "step_size_reason")


def stepsize_dict(report: GameReport) -> dict:
    """The ``gametheory stepsize --json`` document: the Lemma 4 analysis of every point."""
    points = []
    for entry in report.to_dict()["stationary_points"]:
        points.append({k: entry[k] for k in STEPSIZE_KEYS} if "family" not in entry else entry)
    return {"game": report.game.name, "stationary_points": points}


def _complex(l: complex, digits: int = 4) -> str:
    re, im = f"{l.real:.{digits}g}", f"{abs(l.imag):.{digits}g}"
    if l.imag == 0:
        return re
    if l.real == 0:
        return f"{'-' if l.imag < 0 else ''}{im}i"
    return f"{re} {'-' if l.imag < 0 else '+'} {im}i"


def _point_label(p: PointReport, sep: str = ", ") -> str:
    return sep.join(f"{s.name}={sp.sstr(v) if p.exact else f'{float(v):.6g}'}" for s, v in zip(p.params, p.values))


def _ratio(p: PointReport) -> str:
    ratios = [abs(l.imag / l.real) if l.real != 0 else math.inf for l in p.eigenvalues if l.imag != 0]
    if not ratios:
        return "0 (no rotation)"
    worst = max(ratios)
    return "inf (pure rotation)" if worst == math.inf else f"{worst:.3g}"


def _stability_cell(p: PointReport) -> str:
    if not p.stationary:
        return f"[yellow]not stationary[/] (||v||={p.residual:.2e})"
    color = {"LSSP": "green", "unstable": "red", "marginal": "yellow", "undecided": "magenta"}[p.stability]
    return f"[{color}]{p.stability}[/] ({p.stability_method})"


def _step_cell(p: PointReport) -> str:
    s = p.step
    if s.max_step_size is None:
        return "none"
    if s.exact is not None and s.exact.is_Rational:
        return f"h < {sp.sstr(s.exact)}"
    exact = f" = {sp.sstr(s.exact)}" if s.exact is not None else ""
    return f"h < {s.max_step_size:.6g}{exact}"


def print_game_report(report: GameReport, console, *, header: bool = True) -> None:
    """The human-readable ``gametheory classify`` output."""
    from rich.table import Table

    game = report.game
    if header:
        console.print(f"[bold]{game.name}[/]" + (f": {game.description}" if game.description else ""))
        if game.source:
            console.print(f"[dim]source: {game.source}[/]")
        for player in game.players:
            params = ", ".join(s.name for s in player.params)
            console.print(f"  player [bold]{player.name}[/] ({params}) minimises  {sp.sstr(player.loss)}")
        if report.constants:
            console.print("  constants: " + ", ".join(f"{s.name} = {sp.sstr(v)}" for s, v in report.constants.items()))
        console.print(f"  zero-sum: {'yes' if game.zero_sum else 'no'}")
        console.print("[bold]Vector field v[/] (each player's gradient of its own loss)")
        for s, c in zip(game.params, game.vector_field):
            console.print(f"  dL/d{s.name} = {sp.sstr(sp.expand(c) if c.is_polynomial() else c)}")
        console.print(f"[bold]Jacobian J[/] = {sp.sstr(game.jacobian.tolist())}")
        console.print(f"[bold]Stationary points[/] [dim]({report.search.method})[/]")
    if not report.points and not report.families:
        console.print("  none: v = 0 has no real solution")
    for family in report.families:
        console.print(f"  family: {family.description}")
    if not report.points:
        return
    table = Table(show_lines=True)
    for column in ("point", "eigenvalues of J", "stability", "Nash", "max |Im/Re|", "SimGD step (Lemma 4)"):
        table.add_column(column)
    for p in report.points:
        eigs = "\n".join(_complex(l) for l in p.eigenvalues)
        nash = "[green]DNE[/]" if p.dne else "not DNE"
        table.add_row(_point_label(p, "\n"), eigs, _stability_cell(p), nash, _ratio(p), _step_cell(p))
    console.print(table)
    for p in report.points:
        console.print(f"[bold]at ({_point_label(p)})[/]")
        if p.characteristic_polynomial is not None:
            console.print(f"  det(xI - J) = {poly_text(p.characteristic_polynomial)}")
        if p.exact_eigenvalues is not None:
            console.print("  eigenvalues (exact): " + ", ".join(sp.sstr(e) for e in p.exact_eigenvalues))
        console.print(f"  stability: {p.stability_reason}")
        console.print(f"  Nash: {p.nash.summary}")
        if p.step.binding_eigenvalue is not None:
            console.print(f"  step size: {p.step.reason}; bound set by eigenvalue {_complex(p.step.binding_eigenvalue, 6)}")


def print_stepsize(report: GameReport, console) -> None:
    """The human-readable ``gametheory stepsize`` output."""
    from rich.table import Table

    console.print(f"[bold]{report.game.name}[/]: simultaneous GD, omega <- omega - h v(omega) (Lemma 4)")
    table = Table()
    for column in ("point", "stability", "max step size", "binding eigenvalue"):
        table.add_column(column)
    for p in report.points:
        b = p.step.binding_eigenvalue
        table.add_row(_point_label(p, "\n"), _stability_cell(p), _step_cell(p), "-" if b is None else _complex(b, 6))
    console.print(table)
    for family in report.families:
        console.print(f"  family: {family.description} (not analysed)")


def game_report_latex(report: GameReport) -> str:
    """LaTeX of the losses, vector field, Jacobian and each point's analysis."""
    game = report.game
    lines = [f"% {game.name}"]
    for player in game.players:
        lines.append(f"\\mathcal{{L}}_{{{player.name}}} = {sp.latex(player.loss)}")
    field = game.vector_field.applyfunc(lambda c: sp.expand(c) if c.is_polynomial(*game.params) else c)
    lines.append(f"v = {sp.latex(field)}")
    lines.append(f"\\nabla v = {sp.latex(game.jacobian)}")
    for p in report.points:
        point = ", ".join(f"{sp.latex(s)} = {sp.latex(v)}" for s, v in zip(p.params, p.values))
        lines.append(f"% point ({point}): {p.stability}, {'DNE' if p.dne else 'not DNE'}")
        lines.append(f"\\nabla v({point}) = {sp.latex(p.jacobian)}")
        if p.characteristic_polynomial is not None:
            lines.append(f"\\chi(x) = {poly_text(p.characteristic_polynomial, latex=True)}")
        if p.exact_eigenvalues is not None:
            lines.append("\\mathrm{Sp} = \\left\\{" + ", ".join(sp.latex(e) for e in p.exact_eigenvalues) + "\\right\\}")
        if p.step.exact is not None:
            lines.append(f"h_{{\\max}} = {sp.latex(p.step.exact)}")
    for family in report.families:
        lines.append(f"% family: {family.description}")
    return "\n".join(lines)

"""Rendering of classification reports: rich text for people, LaTeX (JSON documents:
:mod:`gametheory.render.documents`).

Rendering never recomputes: it reads the frozen reports built in :mod:`gametheory.analysis.classify`.
Rich text: every string from a game, a user or sympy goes through :func:`escape` (rich would
read ``[x]`` as markup and drop it, and garble a trailing backslash); expressions are printed with ``soft_wrap`` so that rich never
breaks them across lines.
"""
from __future__ import annotations

import math

import sympy as sp
from rich.markup import escape as _rich_escape

from ..analysis.classify import GameReport, PointReport
from ..analysis.spectrum import poly_text

def escape(text: str) -> str:
    """``text`` as rich markup that prints verbatim wherever it is placed. rich's ``escape``
    doubles one trailing backslash (so that it cannot escape a following tag), but rich halves
    backslashes only before a tag: so a trailing run of n backslashes is written as 2n followed
    by an empty tag pair, which prints n whatever comes next."""
    body = text.rstrip("\\")
    trailing = len(text) - len(body)
    return _rich_escape(body) + ("\\" * 2 * trailing + "[bold][/bold]" if trailing else "")


def complex_text(l: complex, digits: int = 4) -> str:
    """``a + bi`` with ``digits`` significant digits (``a`` alone when real)."""
    re, im = f"{l.real:.{digits}g}", f"{abs(l.imag):.{digits}g}"
    if l.imag == 0:
        return re
    if l.real == 0:
        return f"{'-' if l.imag < 0 else ''}{im}i"
    return f"{re} {'-' if l.imag < 0 else '+'} {im}i"


def point_label(p: PointReport, sep: str = ", ") -> str:
    """The point's coordinates NAME=VALUE (exact, or 6 significant digits), markup-escaped."""
    return escape(sep.join(f"{s.name}={sp.sstr(v) if p.exact else f'{float(v):.6g}'}"
                           for s, v in zip(p.params, p.values)))


#: Table columns of numbers: never wrapped (one value a line; the columns of words give way).
NUMBER_COLUMNS = frozenset({"eigenvalues\nof J", "SimGD step\n(Lemma 4)", "max step size", "binding eigenvalue", "optimal h",
                            "rate at optimum", "final ||v||", "steps"})


def add_point_column(table) -> None:
    """A table's ``point`` column: one ``NAME=VALUE`` a line, never wrapped (the other columns
    give way first), so that no coordinate is split across lines."""
    table.add_column("point", no_wrap=True, overflow="fold")


def jacobian_lines(jacobian: sp.Matrix, params, width: int) -> list[str]:
    """``jacobian`` (rows and columns indexed by ``params``) as plain text lines: one row per
    line, columns aligned, when every row fits in ``width`` characters; otherwise one entry per
    line, ``J[row, column] = entry``."""
    cells = [[sp.sstr(entry) for entry in row] for row in jacobian.tolist()]
    widths = [max(len(row[j]) for row in cells) for j in range(jacobian.cols)]
    rows = ["[" + ", ".join(cell.rjust(w) for cell, w in zip(row, widths)) + "]" for row in cells]
    if max(map(len, rows)) <= width:
        return rows
    return [f"J[{r.name}, {c.name}] = {cells[i][j]}"
            for i, r in enumerate(params) for j, c in enumerate(params)]


def rotation_text(p: PointReport) -> str:
    """The largest ``|Im l / Re l|`` over J's eigenvalues (Proposition 1), in words at the extremes."""
    ratios = [abs(l.imag / l.real) if l.real != 0 else math.inf for l in p.eigenvalues if l.imag != 0]
    if not ratios:
        return "0 (no rotation)"
    worst = max(ratios)
    return "inf (pure rotation)" if worst == math.inf else f"{worst:.3g}"


def _stability_cell(p: PointReport) -> str:
    if not p.stationary:
        return f"[yellow]not stationary[/] (||v||={p.residual:.2e})"
    color = {"LSSP": "green", "unstable": "red", "marginal": "yellow", "undecided": "magenta"}[p.stability]
    return f"[{color}]{escape(p.stability)}[/] ({escape(p.stability_method)})"


def _step_cell(p: PointReport) -> str:
    s = p.step
    if s.max_step_size is None:
        return "none"
    if s.exact is not None and s.exact.is_Rational:
        return f"h < {sp.sstr(s.exact)}"
    exact = f" = {escape(sp.sstr(s.exact))}" if s.exact is not None else ""
    return f"h < {s.max_step_size:.6g}{exact}"


def no_points_text(search) -> str:
    """The line shown when a search reports no point and no family."""
    if not search.complete:
        return "  none found (the numeric search is not exhaustive)"
    if search.rejected:
        return "  none in the losses' real domain (every real solution of v = 0 lies outside it)"
    return "  none: v = 0 has no real solution"


def no_stationary_text(report: GameReport) -> str:
    """Why a step-size analysis of ``report`` has no row: it has no isolated stationary point."""
    search = report.search
    if report.families or search.curves:
        return "no isolated stationary point (only families or curves of them, not analysed)"
    if not search.complete:
        return "no stationary point found (the numeric search is not exhaustive)"
    if search.rejected:
        return "no stationary point in the losses' real domain"
    return "no stationary point: v = 0 has no real solution"


def print_game_report(report: GameReport, console, *, header: bool = True) -> None:
    """The human-readable ``gametheory classify`` output."""
    from rich.table import Table

    game = report.game
    if header:
        console.print(f"[bold]{escape(game.name)}[/]" + (f": {escape(game.description)}" if game.description else ""))
        if game.source:
            console.print(f"[dim]source: {escape(game.source)}[/]")
        for player in game.players:
            params = escape(", ".join(s.name for s in player.params))
            console.print(f"  player [bold]{escape(player.name)}[/] ({params}) minimises  "
                          f"{escape(sp.sstr(player.loss))}", soft_wrap=True)
        if report.constants:
            console.print("  constants: " + escape(", ".join(f"{s.name} = {sp.sstr(v)}"
                                                           for s, v in report.constants.items())))
        console.print(f"  zero-sum: {'yes' if game.zero_sum else 'no'}")
        console.print("[bold]Vector field v[/] (each player's gradient of its own loss)")
        for s, c in zip(game.params, game.vector_field):
            console.print(f"  dL/d{s.name} = {escape(sp.sstr(sp.expand(c) if c.is_polynomial() else c))}",
                          soft_wrap=True)
        order = escape(", ".join(s.name for s in game.params))
        console.print(f"[bold]Jacobian J = grad v[/] (rows and columns in the order {order})")
        for line in jacobian_lines(game.jacobian, game.params, console.width - 2):
            console.print(f"  {escape(line)}", soft_wrap=True)
        console.print(f"[bold]Stationary points[/] [dim]({escape(report.search.method)})[/]", soft_wrap=True)
    for curve in report.search.curves:
        console.print(f"  found (numeric): {escape(curve.text)}", soft_wrap=True)
    if not report.points and not report.families and not report.search.curves:
        console.print(no_points_text(report.search))
    for family in report.families:
        console.print(f"  family: {escape(family.description)}")
    if not report.points:
        return
    table = Table(show_lines=True)
    add_point_column(table)
    for column in ("eigenvalues\nof J", "stability", "Nash", "max\n|Im/Re|", "SimGD step\n(Lemma 4)"):
        table.add_column(column, overflow="fold", no_wrap=column in NUMBER_COLUMNS)
    for p in report.points:
        eigs = "\n".join(complex_text(l) for l in p.eigenvalues)
        nash = "[green]DNE[/]" if p.dne else "not DNE"
        table.add_row(point_label(p, "\n"), eigs, _stability_cell(p), nash, rotation_text(p), _step_cell(p))
    console.print(table)
    for p in report.points:
        console.print(f"[bold]at ({point_label(p)})[/]")
        if p.characteristic_polynomial is not None:
            console.print(f"  det(xI - J) = {escape(poly_text(p.characteristic_polynomial))}", soft_wrap=True)
        if p.exact_eigenvalues is not None:
            console.print("  eigenvalues (exact): " + escape(", ".join(sp.sstr(e) for e in p.exact_eigenvalues)),
                          soft_wrap=True)
        console.print(f"  stability: {escape(p.stability_reason)}")
        console.print(f"  Nash: {escape(p.nash.summary)}")
        if p.step.binding_eigenvalue is not None:
            console.print(f"  step size: {escape(p.step.reason)}; bound set by eigenvalue "
                          f"{complex_text(p.step.binding_eigenvalue, 6)}")


def print_stepsize(report: GameReport, console) -> None:
    """The human-readable ``gametheory stepsize`` output."""
    from rich.table import Table

    console.print(f"[bold]{escape(report.game.name)}[/]: simultaneous GD, omega <- omega - h v(omega) (Lemma 4)")
    table = Table()
    add_point_column(table)
    for column in ("stability", "max step size", "binding eigenvalue"):
        table.add_column(column, overflow="fold", no_wrap=column in NUMBER_COLUMNS)
    for p in report.points:
        b = p.step.binding_eigenvalue
        table.add_row(point_label(p, "\n"), _stability_cell(p), _step_cell(p), "-" if b is None else complex_text(b, 6))
    console.print(table)
    for family in report.families:
        console.print(f"  family: {escape(family.description)} (not analysed)")


def print_no_stationary(report: GameReport, console) -> None:
    """The step-size outputs' line for a game without an isolated stationary point."""
    console.print(f"  [yellow]{escape(no_stationary_text(report))}[/]")
    for family in report.families:
        console.print(f"  family: {escape(family.description)} (not analysed)")


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

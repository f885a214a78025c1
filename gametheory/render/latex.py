"""LaTeX of games and results for notebooks (``_repr_latex_``, registered in
:mod:`gametheory.display`): one display-math block per object, with the content of the text
output (losses, vector field, Jacobian, each point's verdict, eigenvalues and step-size bound).

Rendering never recomputes: it reads the frozen results. Words go through :func:`tex_text`,
which keeps characters that LaTeX reads as commands out of ``\\text{...}``.
"""
from __future__ import annotations

import sympy as sp

from ..display import register_latex
from .text import complex_text, no_points_text, no_stationary_text, rotation_text

#: Characters that are commands in LaTeX, written in math mode between ``\text{}`` pieces.
_SPECIAL = {"\\": r"\backslash", "{": r"\{", "}": r"\}", "$": r"\$", "%": r"\%", "&": r"\&",
            "#": r"\#", "_": r"\_", "^": r"\hat{}", "~": r"\sim"}


def tex_text(text: str) -> str:
    r"""``text`` as upright words in math mode: ``\text{...}`` pieces, special characters between.

    >>> tex_text("a_b 50%")
    '\\text{a}\\_\\text{b 50}\\%'
    """
    out, piece = [], []
    for char in str(text):
        if char in _SPECIAL:
            if piece:
                out.append(r"\text{" + "".join(piece) + "}")
                piece = []
            out.append(_SPECIAL[char])
        else:
            piece.append(char)
    if piece:
        out.append(r"\text{" + "".join(piece) + "}")
    return "".join(out)


def display(rows: list[str]) -> str:
    """``rows`` stacked, left-aligned, in one display-math block."""
    return "$$\\begin{array}{l}\n" + " \\\\\n".join(rows) + "\n\\end{array}$$"


def table(header: list[str], rows: list[list[str]]) -> str:
    """A ruled array (cells are math), header in words."""
    columns = "|".join("l" for _ in header)
    lines = [" & ".join(tex_text(h) for h in header) + r" \\ \hline"]
    lines += [" & ".join(row) + r" \\" for row in rows]
    return f"\\begin{{array}}{{{columns}}}\n" + "\n".join(lines) + "\n\\end{array}"


def stack(cells: list[str]) -> str:
    """Several values in one table cell, one a line."""
    return r"\begin{array}{l}" + r" \\ ".join(cells) + r"\end{array}" if len(cells) > 1 else "".join(cells)


def point_tex(p) -> str:
    """A point's coordinates ``(name = value, ...)`` (exact, or 6 significant digits)."""
    values = [sp.latex(v) if p.exact else f"{float(v):.6g}" for v in p.values]
    return r"\left(" + ", ".join(f"{sp.latex(s)} = {v}" for s, v in zip(p.params, values)) + r"\right)"


def _heading(text: str) -> str:
    return r"\large{" + tex_text(text) + "}"


def _stability(p) -> str:
    if not p.stationary:
        return tex_text(f"not stationary (||v||={p.residual:.2e})")
    return tex_text(f"{p.stability} ({p.stability_method})")


def _step(p) -> str:
    s = p.step
    if s.max_step_size is None:
        return tex_text("none")
    if s.exact is not None and s.exact.is_Rational:
        return f"h < {sp.latex(s.exact)}"
    return f"h < {s.max_step_size:.6g}" + (f" = {sp.latex(s.exact)}" if s.exact is not None else "")


def _eigenvalues(p) -> list[str]:
    if p.exact_eigenvalues is not None:
        return [sp.latex(e) for e in p.exact_eigenvalues]
    return [complex_text(l).replace("i", r"\,i") for l in p.eigenvalues]


def game_latex(game) -> str:
    """The game's players, each with its parameters and the loss it minimises, and its constants."""
    return display(_game_rows(game))


def _game_rows(game) -> list[str]:
    rows = [_heading(game.name + (f": {game.description}" if game.description else ""))]
    for player in game.players:
        params = ", ".join(sp.latex(s) for s in player.params)
        rows.append(f"\\mathcal{{L}}_{{{tex_text(player.name)}}}({params}) = {sp.latex(player.loss)}"
                    + r"\quad" + tex_text(f"(minimised by {player.name})"))
    if game.constants:
        rows.append(tex_text("constants: ") + ", ".join(f"{sp.latex(s)} = {sp.latex(v)}"
                                                      for s, v in game.constants.items()))
    return rows


def report_latex(report) -> str:
    """The ``classify`` output: losses, vector field, Jacobian, then every stationary point with
    its eigenvalues, stability verdict (and how it was decided), Nash verdict, rotation and
    Lemma 4 step-size bound, and the reasons."""
    game = report.game
    rows = _game_rows(game)
    if report.constants:
        rows.append(tex_text("constants: ") + ", ".join(f"{sp.latex(s)} = {sp.latex(v)}"
                                                      for s, v in report.constants.items()))
    field = game.vector_field.applyfunc(lambda c: sp.expand(c) if c.is_polynomial() else c)
    rows.append(f"v = {sp.latex(field)}" + r"\qquad " + f"J = \\nabla v = {sp.latex(game.jacobian)}")
    rows.append(_heading("Stationary points") + r"\ " + tex_text(f"({report.search.method})"))
    rows += [tex_text(f"found (numeric): {curve.text}") for curve in report.search.curves]
    if not report.points and not report.families and not report.search.curves:
        rows.append(tex_text(no_points_text(report.search).strip()))
    rows += [tex_text(f"family: {family.description}") for family in report.families]
    if report.points:
        rows.append(table(["point", "eigenvalues of J", "stability", "Nash", "max |Im/Re|", "SimGD step (Lemma 4)"],
                          [[point_tex(p), stack(_eigenvalues(p)), _stability(p), tex_text("DNE" if p.dne else "not DNE"),
                            tex_text(rotation_text(p)), _step(p)] for p in report.points]))
    for p in report.points:
        rows.append(tex_text("at ") + point_tex(p) + ":")
        if p.characteristic_polynomial is not None:
            rows.append(r"\quad \det(xI - J) = " + sp.latex(p.characteristic_polynomial.as_expr(sp.Symbol("x"))))
        rows.append(r"\quad " + tex_text(f"stability: {p.stability_reason}"))
        rows.append(r"\quad " + tex_text(f"Nash: {p.nash.summary}"))
        if p.step.binding_eigenvalue is not None:
            rows.append(r"\quad " + tex_text(f"step size: {p.step.reason}; bound set by eigenvalue "
                                             f"{complex_text(p.step.binding_eigenvalue, 6)}"))
    return display(rows)


def _intervals(analysis) -> str:
    shown = r" \cup ".join(f"({lo:.6g}, {hi:.6g})" for lo, hi in analysis.intervals) or tex_text("none")
    if analysis.intervals_exact:
        shown += r" = " + r" \cup ".join(f"\\left({sp.latex(lo)}, {sp.latex(hi)}\\right)"
                                           for lo, hi in analysis.intervals_exact)
    return shown


def stepsizes_latex(found) -> str:
    """The ``stepsize`` output: per point, the stable step sizes of the method, the optimal one
    and its rate (SimGD with ratio 1: Lemma 4's bound first)."""
    report, method = found.report, found.method
    rows = [_heading(f"{report.game.name}: {method.label}") + r"\quad "
            + tex_text("local convergence iff the update map's spectral radius is < 1")]
    if not report.points:
        rows.append(tex_text(f"{report.game.name}: {no_stationary_text(report)}"))
        return display(rows)
    if method.name == "simgd" and method.ratio == 1:
        rows.append(table(["point", "stability", "max step size (Lemma 4)", "binding eigenvalue"],
                          [[point_tex(p), _stability(p), _step(p),
                            "-" if p.step.binding_eigenvalue is None else complex_text(p.step.binding_eigenvalue, 6)]
                           for p in report.points]))
    body = []
    for p, a in zip(report.points, found.analyses):
        if a is None:
            body.append([point_tex(p), tex_text("not stationary"), "-", "-", "-", "-"])
            continue
        best = "-" if a.optimal_step_size is None else f"{a.optimal_step_size:.6g}"
        rate = "-" if a.optimal_spectral_radius is None else f"{a.optimal_spectral_radius:.6g}"
        body.append([point_tex(p), tex_text(p.stability), _intervals(a), best, rate,
                     tex_text("exact" if a.exact else "numeric")])
    rows.append(table(["point", "stability", "stable step sizes h", "optimal h", "rate at optimum", "how"], body))
    rows += [tex_text(reason) for reason in sorted({a.how for a in found.analyses if a is not None})]
    return display(rows)


def regions_latex(found) -> str:
    """Per point and region spec: the exact condition on the constants (and h, r), its set, and
    how it was obtained; or why it is out of reach."""
    rows = [_heading(f"{found.report.game.name}: parametric regions")]
    for p, regions in zip(found.report.points, found.regions):
        for spec, region in regions.items():
            where = tex_text("at ") + point_tex(p) + r"\ " + tex_text(spec)
            if isinstance(region, str):
                rows.append(where + r":\ " + tex_text(region))
                continue
            shown = r"\quad " + tex_text("set ") + sp.latex(region.set) if region.set is not None else ""
            rows.append(where + r"\iff " + sp.latex(region.condition) + shown)
            rows.append(r"\quad " + tex_text(region.note))
    return display(rows)


def register() -> None:
    """Register the renderers above for the notebook display of their classes."""
    register_latex({"gametheory.game.Game": game_latex,
                    "gametheory.analysis.classify.GameReport": report_latex,
                    "gametheory.dynamics.requests.StepSizes": stepsizes_latex,
                    "gametheory.dynamics.requests.Regions": regions_latex})

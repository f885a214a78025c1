"""``neural analyze``'s folder: the figures (path-angle, eigenvalues of J, players' Hessians and,
with ``--every``, the landscape over training),
``report.json`` (:func:`neural.render.documents.analysis_document`) and ``report.md``, a short
paper-style section that embeds the figures with a caption each. Rendering never recomputes:
everything is read from the frozen :class:`neural.analysis.report.AnalysisReport`."""
from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from pathlib import Path

from gametheory.render.documents import json_text
from neural.analysis.report import AnalysisReport
from neural.render.documents import analysis_document
from neural.render.figures import eigen_figure, hessian_figure, path_angle_figure, timeline_figure

FILES = ("path_angle.png", "eigenvalues.png", "hessians.png", "report.json", "report.md")
TIMELINE_FILE = "timeline.png"
"""Written besides :data:`FILES` when the report tracks the landscape over training."""
RENDER_STEPS = ("figures", "report")
"""The rendering steps of :func:`write_analysis`, after the analysis steps."""


def _c(value: complex) -> str:
    return f"{value.real:.4g}" if value.imag == 0 else f"{value.real:.4g} {'-' if value.imag < 0 else '+'} {abs(value.imag):.4g}i"


def _at_text(report: AnalysisReport) -> str:
    if report.at == "extrapolated":
        rates = ", ".join(f"eta_{n} = {r:g}" for n, r in report.at_detail.get("learning_rates", {}).items())
        return (f"the extrapolated point omega - eta d(v(omega)) of each end checkpoint ({rates}; "
                f"{report.at_detail.get('direction', 'gradient')} direction), the look-ahead of extragradient")
    if report.at == "average":
        return f"the exponential moving average of the parameters (beta = {report.at_detail.get('beta', float('nan')):g})"
    return "the stored parameters (the iterate) of each checkpoint"


def _verdict(value: bool | None, certified: bool) -> str:
    if value is None:
        return "undecided"
    return f"{'yes' if value else 'no'} ({'certified' if certified else 'indicative'})"


def _proof(certificate) -> str:
    """How a verdict was obtained, in words: the proof's name, or why there is none."""
    if certificate.kind == "none":
        return f"not proved: {certificate.reason}"
    return f"proved by {certificate.kind}"


def _setup(report: AnalysisReport) -> str:
    c, s = report.config, report.selection
    players = ", ".join(f"{n}: {count:,}" for n, count in report.param_counts.items())
    score = (f"; its {s.score['name']} is {s.score['value']:.4g} ({s.score['better']} is better)"
             if s.score else "")
    what = "a one-player minimisation" if report.minimisation else f"a {len(report.param_counts)}-player game"
    return (f"The run trains {what} on `{c.get('dataset')}` with the `{c.get('loss')}` loss and "
            f"`{c.get('method')}` for {c.get('iterations')} iterations ({sum(report.param_counts.values()):,} "
            f"parameters; {players}). The end point is the checkpoint of iteration {s.end[0]} "
            f"({s.reason}){score}. Analysed is {_at_text(report)}.")


def _stationarity(report: AnalysisReport) -> str:
    c = report.classification
    per_player = ", ".join(f"||v_{n}|| = {g:.3g}" for n, g in report.grad_norms.items())
    left = c.leftmost_eigenvalue
    residual = c.leftmost.residuals[0]
    if c.stationary:
        lssp = (f"The point is stationary within the tolerance {c.grad_tol:g}; it is "
                f"{'' if c.lssp else 'not '}a locally stable stationary point (LSSP: "
                f"{_verdict(c.lssp, c.lssp_certified)})")
    else:
        lssp = (f"The point is not stationary (||v|| > {c.grad_tol:g}), hence no LSSP; its "
                f"linearisation is {'stable' if c.stable_linearisation else 'unstable' if c.stable_linearisation is False else 'undecided'}"
                f" ({'certified' if c.stability_certified else 'indicative'})")
    dense = c.dense_proof
    built = (f" With --certify, J was built densely from {dense['products']:,} products and every "
             f"verdict proved on it ({dense['method']})." if dense else "")
    return (f"At the end point the gradient norm is ||v|| = {report.grad_norm:.3g} ({per_player}). "
            f"{lssp}: the leftmost eigenvalue of the Jacobian J is {_c(left)} with residual "
            f"{residual:.2g} ({c.leftmost.method}; stability {_proof(c.certificate)}).{built}")


def _players(report: AnalysisReport) -> str:
    c = report.classification
    if report.minimisation:
        p = c.players[0]
        return (f"Minimisation: no rotation expected (J is the Hessian of the one loss, symmetric). "
                f"The point is a {p.verdict} ({'certified' if p.certified else 'indicative'}): Hessian "
                f"eigenvalues in [{p.min_eigenvalue:.3g}, {p.max_eigenvalue:.3g}].")
    parts = [f"player {p.name} is at a {p.verdict} of its own loss ({'certified' if p.certified else 'indicative'}, "
             f"{_proof(p.certificate)}; "
             f"smallest Hessian eigenvalue {p.min_eigenvalue:.3g}, largest {p.max_eigenvalue:.3g})"
             for p in c.players]
    dne = _verdict(c.dne, c.dne_certified)
    ratio = "unbounded (an eigenvalue on the imaginary axis)" if math.isinf(c.max_rotation_ratio) else f"{c.max_rotation_ratio:.3g}"
    return (f"Each player's own curvature: {'; '.join(parts)}. Differential Nash equilibrium: {dne}. "
            f"Rotation (over the {len(report.eigenvalues)} computed eigenvalues of J): max |Im l / Re l| = "
            f"{ratio}, max |Im l| = {c.max_imag:.3g}, and {report.rotation_share:.0%} have |Im l| > |Re l|.")


def _figures(report: AnalysisReport) -> list[str]:
    s = report.selection
    ends = f"{len(s.ends)} end checkpoints (iterations {s.ends[0][0]}-{s.ends[-1][0]})" if len(s.ends) > 1 else "the end checkpoint"
    band = ", median and interquartile band over end points" if len(s.ends) > 1 else ""
    shape = ("no bump is expected for a minimisation" if report.minimisation else
             "a bump near alpha = 1 signals rotation, a switch from +1 to -1 attraction")
    return [
        "![path-angle and path-norm](path_angle.png)",
        f"*Figure 1. Path-angle c(alpha) = cos(omega' - omega, -v(omega_alpha)) and path-norm ||v|| on the "
        f"straight line from the initial checkpoint (alpha = 0) to {ends} (alpha = 1) and beyond{band}; {shape}.*",
        "",
        "![eigenvalues of the Jacobian](eigenvalues.png)",
        f"*Figure 2. The {len(report.classification.top.eigenvalues)} eigenvalues of J of largest magnitude "
        f"and its leftmost ones at the end point in the complex plane; the circled point is the leftmost "
        f"eigenvalue (residual {report.classification.leftmost.residuals[0]:.1e}); right of the "
        f"imaginary axis is attracting.*",
        "",
        "![Hessian eigenvalues of each player](hessians.png)",
        "*Figure 3. Top-k eigenvalues (by magnitude) of each player's Hessian of its own loss at the "
        "end point, in descending order of magnitude, and the smallest eigenvalue (triangle); a "
        "negative eigenvalue means a saddle.*",
    ]


def _timeline(report: AnalysisReport) -> list[str]:
    t = report.timeline
    rows = t.rows
    stable = t.stable_from
    entered = ("the leftmost real part stays positive (beyond its residual) from iteration "
               f"{stable} on" if stable is not None else
               "the leftmost real part is not positive (beyond its residual) at the last tracked checkpoint")
    players = []
    for name in rows[0].player_min_eigenvalues:
        negative = [row.iteration for row in rows if row.player_min_eigenvalues[name] < 0]
        players.append(f"player {name}'s smallest Hessian eigenvalue is negative (not a minimum) at "
                       f"{len(negative)} of {len(rows)} checkpoints"
                       + (f", the last at iteration {negative[-1]}" if negative else ""))
    return [
        f"The same classification at {len(rows)} checkpoints (those whose iteration is a multiple of "
        f"{t.every}, and the first and last; iterations {rows[0].iteration}-{rows[-1].iteration}), each "
        f"at its `{report.at}` point as above: "
        f"{entered}; {'; '.join(players)}. Away from v = 0 a positive real part says the "
        "linearisation is stable, not that the point is an LSSP; the eigenvalues come from the "
        "same solvers as above (indicative where they are Krylov solves).",
        "",
        f"![landscape over training]({TIMELINE_FILE})",
        "*Figure 4. Over training: the gradient norm ||v||; Re of the leftmost eigenvalue of J "
        "(bars: residual; above zero: stable linearisation); the largest |Im l / Re l| over the "
        "computed eigenvalues of J (rotation); each player's smallest Hessian eigenvalue (below "
        "zero: not a minimum of its own loss, a saddle when its largest is positive).*",
    ]


def report_markdown(report: AnalysisReport, timings: dict[str, float]) -> str:
    """``report.md``: a short paper-style section with the figures, then the reproducibility
    details (configuration, commands, versions, wall time of each step)."""
    name = Path(report.run_dir).resolve().name
    lines = [f"# Analysis of run `{name}`", "", _setup(report), "",
             "## Stationarity and stability", "", _stationarity(report), "",
             "## " + ("Minimisation" if report.minimisation else "Players and rotation"), "",
             _players(report), "", "## Figures", "", *_figures(report), ""]
    if report.timeline is not None:
        lines += ["## Landscape over training", "", *_timeline(report), ""]
    notes = list(report.notes) + list(report.classification.notes)
    if notes:
        lines += ["## Notes", "", *[f"- {note}" for note in notes], ""]
    lines += ["## Reproducibility", "", "Commands (the analysis, then the separate commands that "
              "compute the same quantities):", "", "```", *report.commands, "```", "",
              "Package versions: " + ", ".join(f"{k} {v}" for k, v in report.versions.items()) + ".", "",
              "| step | wall time (s) |", "| --- | ---: |",
              *[f"| {step} | {seconds:.2f} |" for step, seconds in timings.items()], "",
              "Run configuration:", "", "```json", json.dumps(report.config, indent=2), "```", ""]
    return "\n".join(lines)


def write_analysis(report: AnalysisReport, out_dir: str | Path,
                   progress: Callable[[str], None] | None = None) -> dict:
    """Write :data:`FILES` into ``out_dir`` (created); returns the ``report.json`` document
    (its ``timings`` include the rendering steps). ``progress``: told each rendering step."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    timings = dict(report.timings)
    started = time.perf_counter()
    if progress:
        progress("figures")
    c = report.classification
    path_angle_figure(report.path, "Path-angle and path-norm from the initial state to the end point",
                      out / "path_angle.png")
    eigen_figure(report.eigenvalues, f"Eigenvalues of the game Jacobian J at iteration {report.selection.end[0]}",
                 out / "eigenvalues.png", leftmost=c.leftmost_eigenvalue, residual=c.leftmost.residuals[0])
    spectra = {p.name: ([l.real for l in report.hessians[p.name].eigenvalues], p.min_eigenvalue) for p in c.players}
    hessian_figure(spectra, f"Eigenvalues of each player's Hessian at iteration {report.selection.end[0]}",
                   out / "hessians.png")
    files = FILES
    if report.timeline is not None:
        timeline_figure(report.timeline, f"Landscape over training, at the {report.at} point of each "
                        "checkpoint", out / TIMELINE_FILE)
        files = FILES + (TIMELINE_FILE,)
    timings["figures"] = time.perf_counter() - started
    if progress:
        progress("report")
    started = time.perf_counter()
    (out / "report.md").write_text(report_markdown(report, timings))
    timings["report"] = time.perf_counter() - started
    document = analysis_document(report, {name: str(out / name) for name in files}, timings)
    (out / "report.json").write_text(json_text(document) + "\n")
    return document

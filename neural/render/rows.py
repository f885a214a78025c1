"""Plain-text rows of neural analysis results, shared by the rich tables
(:mod:`neural.render.text`) and the notebook LaTeX (:mod:`neural.render.latex`). Rendering never
recomputes: it reads the frozen results."""
from __future__ import annotations

import math
from typing import TYPE_CHECKING

from gametheory.render.text import escape

if TYPE_CHECKING:
    from neural.analysis.certificates import Certificate
    from neural.analysis.classify import NeuralClassification


def complex_text(l: complex) -> str:
    """``a + bi`` with 6 significant digits (``a`` alone when real)."""
    if l.imag == 0:
        return f"{l.real:.6g}"
    return f"{l.real:.6g} {'-' if l.imag < 0 else '+'} {abs(l.imag):.6g}i"


def _plain(text: str, colour: str) -> str:
    return text


def rich_markup(text: str, colour: str) -> str:
    """``text`` as rich markup, in ``colour`` unless it is empty."""
    return f"[{colour}]{escape(text)}[/]" if colour else escape(text)


def _verdict(value: bool | None, certified: bool, yes: str, no: str, mark) -> str:
    if value is None:
        return mark("undecided (marginal or unresolved)", "yellow")
    text = mark(yes, "green") if value else mark(no, "red")
    return text + mark(f" ({'certified' if certified else 'indicative'})", "")


def _certificate(certificate: Certificate) -> str:
    """``kind: reason`` of a proof, or ``not certified: reason``."""
    kind = "not certified" if certificate.kind == "none" else f"{certificate.kind} proof (of J as evaluated)"
    return f"{kind}: {certificate.reason}"


def _dense_proof(proof: dict) -> str:
    """How ``certify`` built J and what it could hold."""
    from neural.analysis.dense import size_text

    estimate = proof["memory_estimate"]
    retries = "shifted retries allowed" if proof["shift_retries"] else "one shifted solve (memory)"
    return (f"J of {proof['parameters']} parameters from {proof['products']} products in blocks "
            f"of {proof['block']}; {proof['method']}; memory estimate {size_text(estimate['total'])} "
            f"({size_text(estimate['lean'])} lean), --max-memory {size_text(proof['max_memory'])}; "
            f"{retries}")


def classification_rows(report: NeuralClassification, mark=_plain) -> list[tuple[str, str]]:
    """The (quantity, value) rows of a classification; ``mark(text, colour)`` writes each piece
    of text (plain by default; colour "" for none)."""
    stationary = mark("yes", "") if report.stationary else mark("no", "yellow")
    left = report.leftmost_eigenvalue
    rows = [("gradient norm ||v||", mark(f"{report.grad_norm:.3e} (stationary: ", "") + stationary
             + mark(f", tol {report.grad_tol:.1e})", "")),
            ("leftmost eigenvalue of J", mark(f"{complex_text(left)} (residual "
                                              f"{report.leftmost.residuals[0] if report.leftmost.residuals else math.nan:.2e}, "
                                              f"{report.leftmost.method})", "")),
            ("linearisation", _verdict(report.stable_linearisation, report.stability_certified, "stable",
                                       "unstable", mark)),
            ("stability certificate", mark(_certificate(report.certificate), "")),
            ("LSSP", _verdict(report.lssp, report.lssp_certified, "yes", "no", mark))]
    for p in report.players:
        colour = {"minimum": "green", "marginal": "yellow", "undecided": "yellow"}.get(p.verdict, "red")
        rows.append((f"player {p.name} Hessian",
                     mark(p.verdict, colour)
                     + mark(f" ({'certified' if p.certified else 'indicative'}): eigenvalues in "
                            f"[{p.min_eigenvalue + 0.0:.4g}, {p.max_eigenvalue + 0.0:.4g}], "
                            f"residual {p.residual:.1e}; {_certificate(p.certificate)}", "")))
    rows.append(("DNE", _verdict(report.dne, report.dne_certified, "yes", "no", mark)))
    if report.dense_proof is not None:
        rows.append(("dense proof (--certify)", mark(_dense_proof(report.dense_proof), "")))
    ratio = "inf (pure rotation)" if math.isinf(report.max_rotation_ratio) else f"{report.max_rotation_ratio:.4g}"
    rows.append(("rotation (indicative)", mark(f"max |Im l| = {report.max_imag:.4g}, max |Im l / Re l| = {ratio}", "")))
    return rows

"""LaTeX of neural analysis results for notebooks (``_repr_latex_``, registered in
:mod:`gametheory.display`): the rows of the text output in one display-math block.
Rendering never recomputes: it reads the frozen results."""
from __future__ import annotations

from gametheory.display import register_latex
from gametheory.render.latex import display, table, tex_text
from neural.render.rows import classification_rows, complex_text

WHICH = {"LM": "largest magnitude", "LI": "largest imaginary part", "SR": "smallest real part"}


def eigen_latex(result) -> str:
    """Each eigenvalue with its modulus and residual, then how the solve went."""
    rows = [tex_text(f"{len(result.eigenvalues)} eigenvalues of {WHICH.get(result.which, result.which)} "
                     f"({result.method})")]
    rows.append(table(["#", "eigenvalue", "|l|", "residual"],
                      [[str(i), tex_text(complex_text(lam)), f"{abs(lam):.4g}", tex_text(f"{res:.2e}")]
                       for i, (lam, res) in enumerate(zip(result.eigenvalues, result.residuals), 1)]))
    rows.append(tex_text(f"{'converged' if result.converged else 'NOT converged'}; {result.products} operator products"
                         + (f"; spectral shift {result.shift:.4g}" if result.shift else "")))
    rows += [tex_text(f"note: {note}") for note in result.notes]
    return display(rows)


def classification_latex(report) -> str:
    """The verdicts (stationary, LSSP, each player's Hessian, DNE), each certified or
    indicative, with the leftmost eigenvalue, the certificates and the rotation."""
    rows = [table(["quantity", "value"], [[tex_text(q), tex_text(v)] for q, v in classification_rows(report)])]
    rows += [tex_text(f"note: {note}") for note in report.notes]
    return display(rows)


def register() -> None:
    """Register the renderers above for the notebook display of their classes."""
    register_latex({"neural.analysis.eigen.EigenResult": eigen_latex,
                    "neural.analysis.classify.NeuralClassification": classification_latex})

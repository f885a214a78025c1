"""Notebooks: games and results render themselves in LaTeX with the verdicts of the text output,
and examples/tour.ipynb (stored without outputs) executes (needs the ``notebook`` extra:
nbclient, nbformat, ipykernel; skipped without it)."""
from pathlib import Path

import pytest
import sympy as sp

from gametheory import classify_game, display, zoo
from gametheory.dynamics.requests import regions_request, stepsize_request

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "examples" / "tour.ipynb"


def balanced(tex: str) -> bool:
    depth = 0
    for i, char in enumerate(tex):
        if char in "{}" and (i == 0 or tex[i - 1] != "\\"):
            depth += 1 if char == "{" else -1
            if depth < 0:
                return False
    return depth == 0


def test_a_game_shows_its_players_and_losses():
    game = zoo.get("example1")
    tex = game._repr_latex_()
    assert tex.startswith("$$") and tex.endswith("$$") and balanced(tex)
    for player in game.players:
        assert f"\\mathcal{{L}}_{{\\text{{{player.name}}}}}" in tex
        assert sp.latex(player.loss) in tex
    assert "(minimised by D)" in tex


def test_a_classification_report_shows_field_jacobian_and_every_verdict():
    report = classify_game(zoo.get("example1"))
    tex = report._repr_latex_()
    assert balanced(tex)
    assert sp.latex(report.game.jacobian) in tex
    assert r"\left(\theta_{1} = \frac{45}{41}, \theta_{2} = \frac{36}{41}, \phi = - \frac{1}{9}\right)" in tex
    assert r"\text{LSSP (exact)}" in tex and r"\text{unstable (exact)}" in tex
    assert tex.count(r"\text{not DNE}") == 2
    assert "h < 0.0751787" in tex and r"\det(xI - J) = x^{3} - x^{2} + 11 x - 2" in tex
    assert "0.4078 + 3.269" in tex  # the eigenvalues as the table shows them


def test_step_sizes_and_regions_show_their_verdicts():
    eg = stepsize_request(zoo.get("example1"), method="eg")._repr_latex_()
    assert balanced(eg) and "(0, 0.364598)" in eg and "0.35305" in eg and "0.939155" in eg
    dirac = stepsize_request(zoo.get("dirac-gan"))._repr_latex_()
    assert r"\text{marginal (exact)}" in dirac and "no step size converges" in dirac
    empty = stepsize_request(zoo.get("example2-printed"))._repr_latex_()
    assert "no stationary point: v = 0 has no real solution" in empty
    regions = regions_request(zoo.get("dirac-gan-r1"), ["lssp", "simgd:h=1"])._repr_latex_()
    assert balanced(regions)
    assert r"\text{lssp}\iff 0 < \gamma" in regions
    assert r"\left(\frac{1}{4}, \frac{17}{8}\right)" in regions


def test_neural_results_show_their_verdicts():
    from neural.analysis.classify import classify_state
    from neural.analysis.eigen import top_eigenvalues
    from neural.bridge import compile_game
    from neural.targets import block_operator

    game = compile_game(zoo.get("attraction-rotation"), [0.0, 0.0])
    tex = classify_state(game)._repr_latex_()
    assert balanced(tex)
    assert r"\text{LSSP} & \text{yes (certified)}" in tex and r"\text{DNE} & \text{yes (certified)}" in tex
    eigen = top_eigenvalues(block_operator(game, "game"), k=2)._repr_latex_()
    assert r"\text{1 + 1i}" in eigen and r"\text{1 - 1i}" in eigen and "converged" in eigen


def test_text_is_kept_out_of_latex_commands():
    from gametheory.render.latex import tex_text

    assert tex_text("50% of a_b {x} & y") == r"\text{50}\%\text{ of a}\_\text{b }\{\text{x}\}\text{ }\&\text{ y}"
    assert display.latex(object()) is None  # no renderer: Jupyter shows the plain repr


def test_the_stored_notebook_has_no_outputs():
    nbformat = pytest.importorskip("nbformat")
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code and all(cell.outputs == [] and cell.execution_count is None for cell in code)


def test_the_notebook_executes():
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    nbclient.NotebookClient(notebook, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": str(ROOT)}}).execute()
    outputs = [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs]
    assert not [output for output in outputs if output.output_type == "error"]
    latex = "\n".join(output.data["text/latex"] for output in outputs if "text/latex" in output.get("data", {}))
    assert r"\text{LSSP (exact)}" in latex and r"\text{marginal (exact)}" in latex
    assert r"\text{LSSP} & \text{yes (certified)}" in latex
    assert sum("image/png" in output.get("data", {}) for output in outputs) == 2

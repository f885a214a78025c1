"""Eigen-solves end: a product budget per ARPACK solve, progress with pairs converged, the dense
fallback, and classification verdicts that a budget leaves undecided (never LSSP)."""
import json

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from cli import app
from neural.analysis.classify import classify_state
from neural.analysis.eigen import hessian_extremes, top_eigenvalues
from neural.operators import JacobianOperator, hessian_operator
from neural.render.documents import classification_document
from support.neural_games import planted_jacobian, quadratic_game, stable_rotating_pairs


def rotation_game(hidden_real: float, pairs: int = 150):
    """A quadratic game at its stationary point 0 whose Jacobian has ``pairs`` eigenvalue pairs
    x +- i y with x in [0.01, 0.02] and y in [99.9, 100.1] (rotations of modulus ~100), one of
    them with real part ``hidden_real``."""
    rng = np.random.default_rng(0)
    xs, ys = rng.uniform(0.01, 0.02, pairs), rng.uniform(99.9, 100.1, pairs)
    xs[0] = hidden_real
    jac = planted_jacobian(np.array([(x, y, -y, x) for x, y in zip(xs, ys)]), seed=3)
    game = quadratic_game(jac, pairs)
    game.set_omega(torch.zeros(2 * pairs, dtype=torch.float64))
    return game, jac


def test_a_solve_stops_at_its_budget_with_what_converged_and_says_so():
    jac = planted_jacobian(np.array(stable_rotating_pairs(150, np.random.default_rng(3))))
    op = JacobianOperator(quadratic_game(jac, 150))
    statuses = []
    with pytest.warns(RuntimeWarning, match="product budget of 30"):
        result = top_eigenvalues(op, k=10, which="LM", dense_below=0, max_products=30,
                                 dense_fallback=0,
                                 progress=lambda n, status=None: statuses.append(status))
    assert result.budget_spent and not result.converged and result.max_products == 30
    # ARPACK ends the iteration it is in (ncv = 21 products at most), then the residuals
    assert result.products <= 30 + 21 + 2 * 10
    assert len(result.eigenvalues) < 10 and len(result.residuals) == len(result.eigenvalues)
    exact = np.linalg.eigvals(jac)
    for lam, res in zip(result.eigenvalues, result.residuals):  # what converged is right
        assert np.min(np.abs(exact - lam)) <= res + 1e-8
    assert any("product budget" in n for n in result.notes)
    assert any(s and s.startswith("product budget reached") for s in statuses)
    document = result.to_dict()
    assert document["budget_spent"] is True and document["max_products"] == 30


def test_progress_reports_pairs_converged_and_products():
    jac = planted_jacobian(np.array(stable_rotating_pairs(150, np.random.default_rng(3))))
    op = JacobianOperator(quadratic_game(jac, 150))
    products, statuses = [0], []

    def progress(n, status=None):
        products[0] += n
        if status:
            statuses.append(status)

    result = top_eigenvalues(op, k=6, dense_below=0, progress=progress)
    assert result.converged and not result.budget_spent
    assert products[0] == result.products  # every product, the residuals' included
    assert statuses[-1] == "6 of 6 pairs converged"
    top_eigenvalues(op, k=6, dense_below=0, progress=lambda n: None)  # products-only callbacks


def test_a_spent_budget_falls_back_to_the_dense_solve_where_the_size_allows():
    jac = planted_jacobian(np.array(stable_rotating_pairs(150, np.random.default_rng(3))))
    op = JacobianOperator(quadratic_game(jac, 150))
    with pytest.warns(RuntimeWarning):
        result = top_eigenvalues(op, k=10, which="LM", dense_below=0, max_products=30)
    assert result.method == "dense" and result.converged and result.budget_spent
    assert result.products > 300  # the Krylov products, then one per column
    expected = sorted(np.abs(np.linalg.eigvals(jac)))[-10:]
    assert sorted(np.abs(result.eigenvalues)) == pytest.approx(expected, rel=1e-10)
    assert "solved densely instead" in result.notes[0]
    n = 40
    a = np.random.default_rng(1).standard_normal((n, n))
    game = quadratic_game(np.block([[a + a.T, np.ones((n, 2))], [np.ones((2, n)), np.eye(2)]]), n)
    with pytest.warns(RuntimeWarning):
        largest, smallest = hessian_extremes(hessian_operator(game, "G"), dense_below=0,
                                             max_products=5)
    exact = np.linalg.eigvalsh(a + a.T)
    assert (largest.method, largest.budget_spent) == ("dense", True)
    assert (largest.eigenvalues[0].real, smallest.eigenvalues[0].real) == pytest.approx(
        (exact[-1], exact[0]), abs=1e-10)


@pytest.mark.parametrize("hidden_real", [1e-4, -1e-4])
def test_classify_at_the_budget_is_undecided_never_lssp(hidden_real):
    """The hard case: a stationary point whose leftmost eigenvalue (real part +-1e-4) hides among
    rotations of modulus ~100. Past its product budget the classification ends, undecided."""
    game, jac = rotation_game(hidden_real)
    assert min(np.linalg.eigvals(jac).real) == pytest.approx(hidden_real, abs=1e-12)
    with pytest.warns(RuntimeWarning, match="product budget"):
        report = classify_state(game, dense_budget=0, max_products=5)
    assert report.stationary and report.lssp is not True and report.stable_linearisation is not True
    assert report.leftmost.budget_spent or report.top.budget_spent
    if hidden_real > 0:
        assert report.lssp is None and not report.lssp_certified
        assert report.certificate.reason.startswith("undecided")
        assert "product budget" in report.certificate.reason
    document = json.loads(json.dumps(classification_document(report, "planted"), default=str))
    assert document["lssp"] is not True
    assert any("product budget" in note for note in document["notes"])


def test_max_products_on_the_command_line(tmp_path):
    from neural.training.presets import resolve_config
    from neural.training.trainer import start_run

    config = resolve_config("mog", "mog-nsgan-eg", mog_samples=200, batch_size=200, log_every=10,
                            checkpoint_every=5, sample_every=1000, latent_dim=8, width=32,
                            iterations=5)
    start_run(config, tmp_path, "cpu").run()
    runner = CliRunner()
    result = runner.invoke(app, ["neural", "eigs", str(tmp_path), "--k", "20", "--dense-budget", "0",
                                 "--max-products", "5", "--json"])
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["budget_spent"] is True and document["max_products"] == 5
    assert document["method"] == "dense" and len(document["eigenvalues"]) == 20  # 418 parameters
    result = runner.invoke(app, ["neural", "classify", str(tmp_path), "--dense-budget", "0",
                                 "--max-products", "5", "--json"])
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["top"]["max_products"] == document["leftmost"]["max_products"] == 5
    result = runner.invoke(app, ["neural", "eigs", str(tmp_path), "--max-products", "0"])
    assert result.exit_code == 2

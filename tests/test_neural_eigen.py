"""Eigen-solvers on game operators: against dense eigenvalues, residuals, the planted case."""
import numpy as np
import pytest
import torch

from neural.analysis.eigen import hessian_extremes, leftmost_eigenvalues, top_eigenvalues
from neural.operators import JacobianOperator, hessian_operator
from support.neural_games import (fingerprint, float32_game, planted_jacobian, quadratic_game, solves,
                                  stable_rotating_pairs)


def test_top_k_by_magnitude_and_imaginary_part_match_dense():
    rng = np.random.default_rng(3)
    jac = planted_jacobian(np.array(stable_rotating_pairs(150, rng)))
    op = JacobianOperator(quadratic_game(jac, 150))
    exact = np.linalg.eigvals(jac)
    for which, key in (("LM", lambda l: -abs(l)), ("LI", lambda l: -abs(l.imag))):
        result = top_eigenvalues(op, k=8, which=which, dense_below=0)
        assert result.method == "arpack" and result.converged
        expected = sorted(exact, key=key)[:8]
        assert sorted(np.abs(result.eigenvalues)) == pytest.approx(sorted(np.abs(expected)), rel=1e-8)
        assert max(result.residuals) < 1e-7


def test_leftmost_finds_the_small_unstable_eigenvalue_that_top_k_misses():
    rng = np.random.default_rng(4)
    pairs = stable_rotating_pairs(149, rng) + [(-0.01, 0.0, 0.0, 5.0)]  # eigenvalues -0.01 and 5
    jac = planted_jacobian(np.array(pairs), seed=2)
    op = JacobianOperator(quadratic_game(jac, 150))
    top = top_eigenvalues(op, k=20, which="LM", dense_below=0)
    assert min(l.real for l in top.eigenvalues) > 0.5  # top-k by magnitude sees only stable ones
    left = leftmost_eigenvalues(op, k=3, dense_below=0, exp_budget=0)  # the shifted solve alone
    assert left.method == "arpack" and left.converged and left.shift > 0 and left.resolution is None
    assert left.eigenvalues[0] == pytest.approx(-0.01, abs=1e-8)
    assert left.residuals[0] < 1e-7
    dense_left = sorted(np.linalg.eigvals(jac), key=lambda l: l.real)[:3]
    assert np.real(left.eigenvalues) == pytest.approx(np.real(dense_left), abs=1e-8)


@pytest.mark.parametrize("seed", range(4))
def test_leftmost_sign_agrees_with_dense_on_random_games(seed):
    rng = np.random.default_rng(seed)
    n = 120
    jac = rng.standard_normal((2 * n, 2 * n)) / np.sqrt(n) + rng.uniform(-0.5, 1.5) * np.eye(2 * n)
    jac[:n, :n] = (jac[:n, :n] + jac[:n, :n].T) / 2
    jac[n:, n:] = (jac[n:, n:] + jac[n:, n:].T) / 2
    op = JacobianOperator(quadratic_game(jac, n))
    left = leftmost_eigenvalues(op, k=4, dense_below=0)
    exact = min(np.linalg.eigvals(jac).real)
    assert left.converged
    assert left.eigenvalues[0].real == pytest.approx(exact, abs=1e-7)
    assert (left.eigenvalues[0].real > 0) == (exact > 0)


def test_dense_and_krylov_agree_on_the_same_operator():
    rng = np.random.default_rng(5)
    jac = planted_jacobian(np.array(stable_rotating_pairs(100, rng)), seed=1)
    op = JacobianOperator(quadratic_game(jac, 100))
    dense, krylov = top_eigenvalues(op, k=6), top_eigenvalues(op, k=6, dense_below=0)
    assert (dense.method, krylov.method) == ("dense", "arpack")
    assert dense.products == 200 and krylov.products > 0
    assert np.allclose(sorted(np.abs(dense.eigenvalues)), sorted(np.abs(krylov.eigenvalues)), rtol=1e-9)


def test_small_operators_are_solved_densely_with_residuals():
    jac = np.array([[1.0, 0.5], [2.0, 0.5]])
    op = JacobianOperator(quadratic_game(jac, 1))
    result = leftmost_eigenvalues(op, k=2)
    assert result.method == "dense"
    assert [l.real for l in result.eigenvalues] == pytest.approx(
        sorted([(3 - np.sqrt(17)) / 4, (3 + np.sqrt(17)) / 4]), abs=1e-14)
    assert max(result.residuals) < 1e-14


def test_hessian_extremes_by_lanczos_match_dense():
    rng = np.random.default_rng(7)
    n = 220
    a = rng.standard_normal((n, n))
    a = (a + a.T) / 2
    jac = np.block([[a, rng.standard_normal((n, 3))], [rng.standard_normal((3, n)), np.eye(3)]])
    game = quadratic_game(jac, n)
    largest, smallest = hessian_extremes(hessian_operator(game, "G"), dense_below=0)
    exact = np.linalg.eigvalsh(a)
    assert largest.method == smallest.method == "lanczos"
    assert largest.eigenvalues[0].real == pytest.approx(exact[-1], abs=1e-8)
    assert smallest.eigenvalues[0].real == pytest.approx(exact[0], abs=1e-8)
    assert smallest.residuals[0] < 1e-7


def test_non_convergence_returns_what_converged_with_a_warning():
    rng = np.random.default_rng(3)
    jac = planted_jacobian(np.array(stable_rotating_pairs(150, rng)))
    op = JacobianOperator(quadratic_game(jac, 150))
    with pytest.warns(RuntimeWarning, match="did not converge"):
        result = top_eigenvalues(op, k=10, which="LM", maxiter=1, ncv=12, dense_below=0)
    assert not result.converged
    assert len(result.eigenvalues) == len(result.residuals) < 10
    assert result.notes


def test_same_solve_twice_is_identical():
    rng = np.random.default_rng(3)
    jac = planted_jacobian(np.array(stable_rotating_pairs(150, rng)))
    game = quadratic_game(jac, 150)
    first = top_eigenvalues(JacobianOperator(game), k=5, dense_below=0)
    second = top_eigenvalues(JacobianOperator(game), k=5, dense_below=0)
    assert first == second


def test_arpack_restarts_are_seeded():
    """J = I: every Krylov space is invariant after one step, so ARPACK restarts from vectors it
    draws at random (scipy >= 1.17 asks Python for them); seeded, the solve repeats exactly."""
    game = quadratic_game(np.eye(40), 20)
    results = {top_eigenvalues(JacobianOperator(game), k=4, dense_below=0) for _ in range(8)}
    assert len(results) == 1
    (result,) = results
    assert np.allclose(result.eigenvalues, 1.0, atol=1e-12)


def test_float32_krylov_solves_are_a_function_of_the_operator():
    """Our contract, not a third-party behaviour: the same Krylov solves of a float32 game give
    bit-identical eigenvalues, residuals and product counts whatever ran before them in the
    process (repeated, in the other order) and in a fresh process; the start vector's seed is
    recorded. (scipy >= 1.17 draws ARPACK's restart vectors from an OS-seeded generator unless
    given one: without ``rng`` this failed on a fresh machine.)"""
    import os
    import subprocess
    import sys
    from pathlib import Path

    from neural.analysis.eigen import SEED

    game = float32_game()
    assert game.dtype == torch.float32
    first = {key: fingerprint(r) for key, r in solves(game).items()}
    op = lambda: JacobianOperator(game, transpose=True)  # noqa: E731
    reverse_top = fingerprint(top_eigenvalues(op(), k=4, dense_below=0))  # the other order
    reverse_left = fingerprint(leftmost_eigenvalues(op(), k=2, dense_below=0, exp_budget=300))
    assert first == {"left": reverse_left, "top": reverse_top}
    assert first["left"][3] == first["top"][3] == SEED
    root = Path(__file__).resolve().parent.parent
    script = ("from support.neural_games import fingerprint, float32_game, solves\n"
              "print({k: fingerprint(r) for k, r in solves(float32_game()).items()})")
    fresh = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                           cwd=root, env={**os.environ, "PYTHONPATH": os.pathsep.join([str(root), str(root / "tests")])},
                           timeout=300, check=True)
    assert fresh.stdout.strip() == repr(first)

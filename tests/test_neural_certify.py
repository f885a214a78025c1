"""Certified verdicts at any size (``classify_state(certify=True)``, ``neural classify --certify``):
the same proofs as the dense path from a block-built J and one Schur form, checked against exact
verdicts (the bridge on the zoo) and planted Jacobians."""
import json

import numpy as np
import pytest
import scipy.linalg
import torch

from gametheory import classify_game, zoo
from neural.analysis.classify import classify_state
from neural.analysis.certificates import verify_lyapunov
from neural.analysis.dense import SchurForm, dense_jacobian, memory_estimate, parse_size
from neural.bridge import compile_game
from neural.operators import JacobianOperator, spectrum_operator
from tests.support.cli_checks import assert_one_line_error, run
from tests.support.neural_games import planted_jacobian, quadratic_game, stable_rotating_pairs

ZOO = [(name, index) for name in ("example1", "example2", "dirac-gan", "dirac-gan-r1", "bilinear",
                                  "attraction", "rotation", "attraction-rotation")
       for index in range(len(classify_game(zoo.get(name)).points))]


@pytest.mark.parametrize("name, index", ZOO)
def test_certified_verdicts_agree_with_exact_ones_through_the_bridge(name, index):
    report = classify_game(zoo.get(name))
    point = report.points[index]
    neural = classify_state(compile_game(report.game, dict(zip(report.game.params, point.values))),
                            certify=True)
    expected = {"LSSP": True, "unstable": False, "marginal": None}[point.stability]
    assert neural.certificate.verdict is expected
    assert neural.stability_certified is (expected is not None)
    assert neural.certificate.kind == ("none" if expected is None else "lyapunov")
    if neural.dne_certified:
        assert neural.dne is point.dne
    assert neural.dense_proof["parameters"] == len(point.values)


def rotating_game(pairs, dtype=torch.float64):
    return quadratic_game(planted_jacobian(np.array(pairs, dtype=float), seed=3), len(pairs), dtype)


@pytest.mark.parametrize("real", [-1e-2, -1e-4, -1e-6])
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_a_hidden_slightly_negative_eigenvalue_among_rotations_is_never_certified_stable(real, dtype):
    """In float64, and in float32 where the proofs allow for the products' larger rounding."""
    rng = np.random.default_rng(7)
    pairs = [(x, y, -y, x) for x, y in zip(rng.uniform(0.01, 0.1, 60), rng.uniform(80, 120, 60))]
    pairs[17] = (real, 100.0, -100.0, real)  # eigenvalues real +- 100 i
    report = classify_state(rotating_game(pairs, dtype), certify=True, dense_budget=0, grad_tol=np.inf)
    assert report.stable_linearisation is not True and report.lssp is not True
    if report.stability_certified:
        assert report.certificate.kind == "lyapunov" and report.certificate.verdict is False
    assert report.leftmost_eigenvalue.real == pytest.approx(real, rel=1e-3, abs=1e-9 if dtype == torch.float64 else 1e-4)
    if real <= (-1e-4 if dtype == torch.float64 else -1e-2):  # far enough for the shifted proof
        assert report.stability_certified and report.lssp_certified


def test_certify_above_the_dense_budget_uses_the_dense_proof():
    pairs = stable_rotating_pairs(30, np.random.default_rng(2))
    game = rotating_game(pairs)
    krylov = classify_state(game, dense_budget=0, grad_tol=np.inf)
    proved = classify_state(game, dense_budget=0, certify=True, grad_tol=np.inf)
    assert krylov.certificate.kind == "none" and "certify" not in krylov.to_dict()
    assert proved.leftmost.method == "dense" and proved.certificate.kind == "lyapunov"
    assert proved.lssp is True and proved.lssp_certified and proved.dne_certified
    planted = min(x for x, *_ in pairs)
    assert proved.leftmost_eigenvalue.real == pytest.approx(planted, rel=1e-10)
    assert proved.to_dict()["certify"]["memory_estimate"]["total"] == 5 * 8 * 60**2
    assert proved.to_dict()["stability_certificate"]["of"].startswith("the Jacobian as evaluated")


def jordan_game(real: float, coupling: float, copies: int = 10):
    """Copies of the 2x2 Jordan block [[real, coupling], [0, real]] (G coordinate, D coordinate):
    every eigenvalue equals ``real``; P of the Lyapunov equation grows like coupling^2 / real^3."""
    return rotating_game([(real, coupling, 0.0, real)] * copies)


def test_a_stable_but_ill_conditioned_jacobian_is_refused_not_faked():
    report = classify_state(jordan_game(1e-3, 1e4), certify=True, grad_tol=np.inf)
    assert report.certificate.kind == "none" and report.certificate.verdict is None
    assert not report.stability_certified and not report.lssp_certified
    assert "not verified positive definite" in report.certificate.reason
    control = classify_state(jordan_game(1e-3, 1e-3), certify=True, grad_tol=np.inf)
    assert control.certificate.verdict is True and control.stability_certified


def test_the_schur_form_gives_eigenpairs_and_a_lyapunov_candidate():
    rng = np.random.default_rng(0)
    j = rng.standard_normal((300, 300)) / np.sqrt(300) * 3 + 3.5 * np.eye(300)
    schur = SchurForm(j)
    assert np.allclose(np.sort_complex(schur.eigenvalues), np.sort_complex(np.linalg.eigvals(j)))
    for which in ("LM", "SR"):
        assert max(schur.eigen_result(j, 5, which).residuals) < 1e-12
    p = schur.lyapunov(0.25)
    shifted = j + 0.25 * np.eye(300)
    assert np.allclose(p, scipy.linalg.solve_continuous_lyapunov(shifted.T, np.eye(300)), rtol=1e-9)


def test_the_block_built_jacobian_equals_the_dense_operator():
    game = rotating_game(stable_rotating_pairs(7, np.random.default_rng(4)))
    expected = JacobianOperator(game).to_dense().numpy()
    for op in (spectrum_operator(game), JacobianOperator(game, transpose=True)):
        assert np.array_equal(dense_jacobian(op, block=3), expected)


def test_memory_sizes_parse_and_add_up():
    assert (parse_size("4G"), parse_size("500M"), parse_size("2048"), parse_size("1.5GiB")) == (
        4 * 2**30, 500 * 2**20, 2048, 3 * 2**29)
    estimate = memory_estimate(10_502)
    assert estimate.total == 5 * 8 * 10_502**2 and estimate.lean == 4 * 8 * 10_502**2


def test_cli_certify_refuses_beyond_max_memory_in_one_line():
    for size in ("100", "4Q"):
        assert_one_line_error(run("neural", "classify", "dirac-gan-r1", "--certify",
                                  "--max-memory", size), "--max-memory")


def test_cli_certify_json_names_the_certificate():
    result = run("neural", "classify", "dirac-gan-r1", "--certify", "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["lssp"] is True and document["lssp_certified"] is True
    assert document["stability_certificate"]["kind"] == "lyapunov"
    assert document["certify"]["parameters"] == 2
    assert "memory estimate" in result.stderr
    plain = json.loads(run("neural", "classify", "dirac-gan-r1", "--json").stdout)
    assert "certify" not in plain


def test_a_budget_below_the_full_estimate_proves_with_one_shifted_solve():
    rng = np.random.default_rng(7)
    pairs = [(x, y, -y, x) for x, y in zip(rng.uniform(0.01, 0.1, 60), rng.uniform(80, 120, 60))]
    pairs[5] = (-0.05, 100.0, -100.0, -0.05)
    estimate = memory_estimate(120)
    report = classify_state(rotating_game(pairs), certify=True, grad_tol=np.inf,
                            max_memory=(estimate.lean + estimate.total) // 2)
    assert report.dense_proof["shift_retries"] is False
    assert report.certificate.verdict is False and "Re < -0.025" in report.certificate.reason


def test_the_norm_bound_of_p_is_proved_and_tight():
    """P = I / 2 + a rank-one bump: ||P||_2 is far below ||P||_F; the bound lies between."""
    from neural.analysis.certificates import norm_bound

    n = 400
    rng = np.random.default_rng(5)
    u = rng.standard_normal(n)
    p = np.eye(n) / 2 + 3 * np.outer(u, u) / (u @ u)
    exact = np.abs(np.linalg.eigvalsh(p)).max()
    from neural.analysis.certificates import symmetric_extremes

    bound = norm_bound(p.copy(), symmetric_extremes(p)[0])
    assert exact <= bound <= 1.05 * exact < np.linalg.norm(p) / 2


def test_the_perturbation_allowance_uses_the_spectral_norm_of_p():
    """J = I, P = I / 2, Q = I: every J + E with ||E||_2 <= 0.2 keeps Q - 2 * 0.2 * ||P||_2 I > 0,
    so the proof goes through; with ||P||_F = 10 in place of ||P||_2 it could not."""
    n = 400
    j, p = np.eye(n), np.eye(n) / 2
    assert verify_lyapunov(j, p.copy(), perturbation=0.2).verdict is True
    assert verify_lyapunov(j, p.copy(), perturbation=1.1).verdict is None  # 2 * 1.1 * 0.5 > 1


@pytest.mark.parametrize("n", [150, 400])  # the tridiagonal reduction, then Lanczos
def test_symmetric_extremes_on_a_planted_spectrum(n):
    from neural.analysis.certificates import symmetric_extremes

    rng = np.random.default_rng(n)
    q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    spectrum = np.concatenate([[-0.637, 2.5], rng.uniform(-0.5, 2.0, n - 2)])
    h = (q * spectrum) @ q.T
    values, vectors = symmetric_extremes(h)
    assert values == pytest.approx([-0.637, 2.5], rel=1e-10)
    for i in (0, 1):
        assert np.linalg.norm(h @ vectors[:, i] - values[i] * vectors[:, i]) < 1e-10

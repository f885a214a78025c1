"""The bridge: compiled zoo games reproduce the symbolic vector field, Jacobian and spectrum."""
import numpy as np
import pytest
import sympy as sp
import torch

from gametheory import Game, Player, zoo
from gametheory.errors import PointError
from neural.bridge import compile_game
from neural.analysis.eigen import hessian_extremes, leftmost_eigenvalues, top_eigenvalues
from neural.operators import JacobianOperator, dense_jacobian, hessian_operator

theta1, theta2, phi, theta = sp.symbols("theta1 theta2 phi theta", real=True)


def exact_spectrum(game, point):
    jac = game.jacobian.subs(point)
    x = sp.Symbol("x")
    return [complex(sp.N(r, 30)) for r in sp.Poly(jac.charpoly(x).as_expr(), x).all_roots()]


@pytest.mark.parametrize("name, point", [
    ("example1", {theta1: 1, theta2: 1, phi: 0}),
    ("example2", {theta: 0, phi: 1}),
    ("example2", {theta: 0, phi: -1}),
])
def test_operator_eigenvalues_match_the_symbolic_ones(name, point):
    game = zoo.get(name)
    point = {next(s for s in game.params if s.name == k.name): v for k, v in point.items()}
    neural = compile_game(game, point)
    assert float(torch.linalg.norm(neural.vector_field())) < 1e-15
    jac = np.array(game.jacobian.subs(point).evalf(), dtype=float)
    assert np.allclose(JacobianOperator(neural).to_dense().numpy(), jac, atol=1e-14)
    assert np.allclose(dense_jacobian(neural).numpy(), jac, atol=1e-14)
    exact = sorted(exact_spectrum(game, point), key=lambda l: (l.real, l.imag))
    for which in ("LM", "SR"):
        found = top_eigenvalues(JacobianOperator(neural), k=len(exact), which=which)
        got = sorted(found.eigenvalues, key=lambda l: (round(l.real, 6), l.imag))
        assert np.allclose(got, exact, atol=1e-8)
        assert max(found.residuals) < 1e-12


def test_example1_charpoly_and_player_hessians():
    game = zoo.get("example1")
    params = {s.name: s for s in game.params}
    neural = compile_game(game, {params["theta1"]: 1, params["theta2"]: 1, params["phi"]: 0})
    dense = JacobianOperator(neural).to_dense().numpy()
    assert np.allclose(dense, [[-1, 0, -1], [0, 2, -2], [5, 4, 0]], atol=1e-14)
    assert np.allclose(np.poly(dense), [1, -1, 11, -2], atol=1e-12)
    g_largest, g_smallest = hessian_extremes(hessian_operator(neural, "G"))
    assert g_smallest.eigenvalues[0].real == pytest.approx(-1.0, abs=1e-14)
    assert g_largest.eigenvalues[0].real == pytest.approx(2.0, abs=1e-14)
    assert leftmost_eigenvalues(JacobianOperator(neural), k=1).eigenvalues[0].real > 0


def test_functions_and_irrational_constants_compile():
    x, y = sp.symbols("x y", real=True)
    c = sp.Symbol("c")
    game = Game(Player("A", x, sp.sqrt(2) * sp.exp(x) * sp.cos(y) + sp.tanh(x * y) + c * x ** 2),
                Player("B", y, sp.log(1 + sp.exp(-x * y)) + sp.Abs(y) ** 3 + sp.sin(y) / 3),
                constants={c: sp.Rational(1, 2)})
    point = {x: 0.3, y: -0.7}
    neural = compile_game(game, point)
    exact = game.with_constants().vector_field.subs(point).evalf(30)
    assert np.allclose(neural.vector_field().numpy(), np.array(exact, dtype=float).ravel(), atol=1e-14)
    jac = np.array(game.with_constants().jacobian.subs(point).evalf(30), dtype=float)
    assert np.allclose(dense_jacobian(neural).numpy(), jac, atol=1e-13)
    override = compile_game(game, point, constants={c: 2})
    assert override.vector_field()[0] - neural.vector_field()[0] == pytest.approx(2 * 0.3 * 1.5)


def test_points_are_checked():
    game = zoo.get("example2")
    with pytest.raises(PointError, match="missing"):
        compile_game(game, {game.params[0]: 1})
    with pytest.raises(PointError, match="2 parameters"):
        compile_game(game, [1.0])
    assert compile_game(game, [0.5, 2]).omega().tolist() == [0.5, 2.0]

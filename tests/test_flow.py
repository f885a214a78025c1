"""Trajectories (continuous flow and discrete methods), Proposition 1 basis, Helmholtz split."""
import numpy as np
import pytest
import sympy as sp

from gametheory import classify_game, zoo
from gametheory.analysis.decompose import helmholtz, real_block_diagonal
from gametheory.errors import OptionError, PointError
from gametheory.dynamics.simulate import flow, iterate, parse_start, portrait, random_starts
from gametheory.dynamics.methods import Method, numeric_field


def test_flow_converges_to_example1_lssp_at_the_slowest_rate():
    run = flow(zoo.get("example1"), [1.1, 0.95, 0.05], t_max=100, target=[1, 1, 0])
    assert run.verdict == "converged"
    slowest = min(l.real for l in classify_game(zoo.get("example1")).points[0].eigenvalues)
    assert run.rate == pytest.approx(-slowest, rel=0.1)


def test_bilinear_flow_conserves_the_norm():
    run = flow(zoo.get("bilinear"), [1.0, 0.0], t_max=20, target=[0, 0])
    norms = np.linalg.norm(run.states, axis=1)
    assert np.allclose(norms, 1.0, atol=1e-6)
    assert run.verdict == "bounded"


def test_iterate_verdicts_and_blow_up():
    game = zoo.get("bilinear")
    run = iterate(game, Method("simgd", h=1.0), [1.0, 1.0], 10_000)
    assert run.verdict == "diverged" and len(run.times) < 10_001
    random = random_starts([0, 0], 5, 0.5, seed=3)
    assert random.shape == (5, 2) and np.all(np.abs(random) <= 0.5)
    for start in random:
        assert iterate(game, Method("eg", h=0.3), start, 2000, target=[0, 0]).verdict == "converged"
    with pytest.raises(OptionError):
        iterate(game, Method("simgd", h=0.1), [1.0, 1.0], 0)


def test_parse_start_requires_every_parameter():
    game = zoo.get("example1")
    assert list(parse_start(["theta1=1", "theta2=1/2", "phi=0"], game)) == [1.0, 0.5, 0.0]
    with pytest.raises(PointError, match="missing"):
        parse_start(["theta1=1"], game)


def test_portrait_of_example1_on_the_paper_slice():
    game = zoo.get("example1")
    data = portrait(game, "phi", "theta1", {"theta2": 1.0}, (-1, 1), (0, 2), grid=12, starts=4, t_max=20,
                    points=[{"theta1": 1, "theta2": 1, "phi": 0}])
    v = numeric_field(game)
    i, k = 3, 7  # row (theta1 index), column (phi index)
    expected = -v(np.array([data.ys[i], 1.0, data.xs[k]]))
    assert data.u[i, k] == pytest.approx(expected[2]) and data.w[i, k] == pytest.approx(expected[0])
    assert data.points == ((0.0, 1.0),)
    assert len(data.trajectories) == 4 and all(t.shape[1] == 2 for t in data.trajectories)
    with pytest.raises(OptionError, match="unknown parameter"):
        portrait(game, "phi", "theta1", {"theta3": 1.0}, (-1, 1), (0, 2))
    with pytest.raises(OptionError, match="not a parameter"):
        portrait(game, "psi", "theta1", {"theta2": 1.0}, (-1, 1), (0, 2))
    with pytest.raises(PointError, match="theta2"):
        portrait(game, "phi", "theta1", {}, (-1, 1), (0, 2))


@pytest.mark.parametrize("name", ["example1", "attraction-rotation", "bilinear", "attraction"])
def test_proposition1_blocks(name):
    j = classify_game(zoo.get(name)).points[0].jacobian
    decomposition = real_block_diagonal(j)
    jf = np.array(j.evalf().tolist(), float)
    assert decomposition.diagonalizable
    p = decomposition.basis
    assert np.allclose(p @ jf @ np.linalg.inv(p), decomposition.block_matrix, atol=1e-12)
    for block in decomposition.blocks:
        idx = list(block.coordinates)
        sub = decomposition.block_matrix[np.ix_(idx, idx)]
        a, b = block.attraction_rate, block.rotation_rate
        expected = np.array([[a]]) if len(idx) == 1 else np.array([[a, -b], [b, a]])
        assert np.allclose(sub, expected, atol=1e-10)
    off = decomposition.block_matrix.copy()
    for block in decomposition.blocks:
        idx = list(block.coordinates)
        off[np.ix_(idx, idx)] = 0
    assert np.allclose(off, 0, atol=1e-10)
    kinds = {b.kind for b in decomposition.blocks}
    assert kinds == {"example1": {"attraction and rotation", "attraction"}, "attraction-rotation": {"attraction and rotation"},
                     "bilinear": {"rotation"}, "attraction": {"attraction"}}[name]


def test_proposition1_solution_formula():
    """In the new coordinates the linear flow is exp(-a t) times the paper's rotation matrix."""
    j = np.array([[1.0, 2.0, 0.0], [-3.0, 0.5, 1.0], [0.0, 0.2, 0.7]])
    decomposition = real_block_diagonal(j)
    t, x0 = 0.7, np.array([0.3, -0.2, 0.5])
    from scipy.linalg import expm
    xt = expm(-j * t) @ x0
    c0, ct = decomposition.basis @ x0, decomposition.basis @ xt
    for block in decomposition.blocks:
        idx = list(block.coordinates)
        a, b = block.attraction_rate, block.rotation_rate
        if len(idx) == 1:
            assert ct[idx[0]] == pytest.approx(np.exp(-a * t) * c0[idx[0]])
        else:
            rot = np.array([[np.cos(b * t), np.sin(b * t)], [-np.sin(b * t), np.cos(b * t)]])
            assert np.allclose(ct[idx], np.exp(-a * t) * rot @ c0[idx])


def test_helmholtz_split():
    j = classify_game(zoo.get("example1")).points[0].jacobian
    split = helmholtz(j)
    assert split.exact and split.symmetric + split.antisymmetric == j
    assert split.symmetric == split.symmetric.T and split.antisymmetric == -split.antisymmetric.T
    assert split.potential + split.hamiltonian == pytest.approx(1.0)
    assert helmholtz(np.array([[0.0, 1.0], [-1.0, 0.0]])).hamiltonian == 1.0
    assert helmholtz(sp.eye(2)).potential == 1.0

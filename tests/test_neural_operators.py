"""Matrix-free operators: against the dense Jacobian (jacfwd), blocks, transposes, scipy adapter."""
import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

from gametheory.errors import OptionError
from neural.game import NeuralGame
from neural.operators import JacobianOperator, ShiftedOperator, dense_jacobian, hessian_operator
from support.neural_games import mlp_game


@settings(max_examples=6, deadline=None)
@given(seed=st.integers(0, 10_000), hidden=st.integers(1, 5), batches=st.integers(1, 3),
       retain=st.booleans())
def test_operator_on_identity_equals_dense_jacobian(seed, hidden, batches, retain):
    game = mlp_game(seed, hidden, batches)
    dense = dense_jacobian(game)
    assert torch.allclose(JacobianOperator(game, retain=retain).to_dense(), dense, atol=1e-12)
    assert torch.allclose(JacobianOperator(game, transpose=True, retain=retain).to_dense(),
                          dense.T, atol=1e-12)


@pytest.mark.parametrize("retain", [True, False])
@pytest.mark.parametrize("transpose", [True, False])
def test_batched_products_equal_one_product_per_column(retain, transpose):
    game = mlp_game(6, batches=2)
    columns = torch.randn(game.param_count, 5, dtype=torch.float64,
                          generator=torch.Generator().manual_seed(0))
    one = JacobianOperator(game, transpose=transpose, retain=retain, batched=False)
    many = JacobianOperator(game, transpose=transpose, retain=retain, batched=True)
    assert torch.allclose(many.matmat(columns), one.matmat(columns), atol=1e-13)
    assert many.products == one.products == 5
    block = JacobianOperator(game, rows=["G"], cols=["D"], retain=retain, batched=True)
    d = game.slices["D"]
    assert torch.allclose(block.matmat(columns[d]), dense_jacobian(game)[game.slices["G"], d] @ columns[d],
                          atol=1e-13)


@pytest.mark.parametrize("retain", [True, False])
def test_batched_products_with_an_unused_parameter(retain):
    """A WGAN critic's output bias has a constant gradient: it does not appear in v, and batched
    backward passes return an unbatched zero for it (the CUDA default path)."""
    torch.manual_seed(3)
    gen = torch.nn.Linear(2, 1)
    critic = torch.nn.Sequential(torch.nn.Linear(1, 3), torch.nn.Tanh(), torch.nn.Linear(3, 1))
    data = [(torch.randn(8, 2), torch.randn(8, 1))]

    def loss(players, batch):
        z, x = batch
        fake = players["D"](players["G"](z)).mean()
        return {"G": -fake, "D": fake - players["D"](x).mean()}

    game = NeuralGame({"G": gen, "D": critic}, loss, data, dtype=torch.float64)
    for transpose in (False, True):
        many = JacobianOperator(game, transpose=transpose, retain=retain, batched=True)
        dense = dense_jacobian(game)
        assert torch.allclose(many.to_dense(), dense.T if transpose else dense, atol=1e-12)


def test_blocks_are_hessians_and_couplings():
    game = mlp_game(1)
    dense = dense_jacobian(game)
    g, d = game.slices["G"], game.slices["D"]
    assert torch.allclose(hessian_operator(game, "G").to_dense(), dense[g, g], atol=1e-12)
    assert torch.allclose(hessian_operator(game, "D").to_dense(), dense[d, d], atol=1e-12)
    coupling = JacobianOperator(game, rows=["D"], cols=["G"])
    assert coupling.shape == (d.stop - d.start, g.stop - g.start)
    assert torch.allclose(coupling.to_dense(), dense[d, g], atol=1e-12)
    hessian = hessian_operator(game, "G").to_dense()
    assert hessian_operator(game, "G").symmetric
    assert torch.allclose(hessian, hessian.T, atol=1e-12)


def test_dense_jacobian_matches_finite_differences_of_the_field():
    game = mlp_game(2)
    omega = game.omega()
    u = torch.randn(game.param_count, dtype=torch.float64)
    eps = 1e-6
    fd = (game.vector_field(omega + eps * u) - game.vector_field(omega - eps * u)) / (2 * eps)
    assert torch.allclose(JacobianOperator(game).matvec(u), fd, atol=1e-7)


def test_products_repeat_bit_for_bit_and_batches_are_averaged():
    game = mlp_game(3, batches=3)
    u = torch.randn(game.param_count, dtype=torch.float64)
    for retain in (True, False):
        op = JacobianOperator(game, retain=retain)
        assert torch.equal(op.matvec(u), op.matvec(u))
    per_batch = [dense_jacobian(NeuralGame(game.modules(), game.loss_fn, [b], dtype=torch.float64))
                 for b in game.batches]
    assert torch.allclose(dense_jacobian(game), sum(per_batch) / 3, atol=1e-14)


def test_scipy_adapter_and_shift():
    game = mlp_game(4)
    op = JacobianOperator(game)
    dense = op.to_dense().numpy()
    x = np.random.default_rng(0).standard_normal(game.param_count)
    assert np.allclose(op.to_scipy() @ x, dense @ x, atol=1e-12)
    z = x + 1j * x[::-1]
    assert np.allclose(op.to_scipy() @ z, dense @ z, atol=1e-12)
    shifted = ShiftedOperator(op, 2.5).to_dense().numpy()
    assert np.allclose(shifted, dense - 2.5 * np.eye(len(x)), atol=1e-12)
    assert op.products > 0


def test_float32_operator_follows_the_game_dtype():
    game = mlp_game(5)
    game32 = NeuralGame(game.modules(), game.loss_fn, game.batches, dtype=torch.float32)
    op = JacobianOperator(game32)
    assert op.matvec(torch.ones(game32.param_count)).dtype == torch.float32
    assert torch.allclose(op.to_dense().double(), dense_jacobian(game), atol=1e-5)


def test_dense_jacobian_refuses_large_games():
    with pytest.raises(OptionError, match="too large"):
        dense_jacobian(mlp_game(0), max_size=5)


@pytest.mark.parametrize("activation", [
    torch.nn.ReLU, lambda: torch.nn.LeakyReLU(0.2), lambda: torch.nn.ReLU(inplace=True)])
def test_piecewise_linear_activations_same_products_bit_for_bit(activation, monkeypatch):
    """Retained graphs route (leaky) ReLU through a constant-mask backward (no zero second
    derivative materialised): the products equal autograd's own formulas bit for bit, and the
    dense Jacobian (jacfwd, no such routing) to rounding."""
    import contextlib

    import neural.game as game_module

    game = mlp_game(3, hidden=6, activation=activation)
    u = torch.randn(game.param_count, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    fast = [JacobianOperator(game, transpose=t).matvec(u) for t in (True, False)]
    monkeypatch.setattr(game_module, "_PiecewiseLinearMode", contextlib.nullcontext)
    plain = [JacobianOperator(game, transpose=t).matvec(u) for t in (True, False)]
    for a, b in zip(fast, plain):
        assert torch.equal(a, b)
    dense = dense_jacobian(game)
    assert torch.allclose(fast[0], dense.T @ u, atol=1e-12)
    assert torch.allclose(fast[1], dense @ u, atol=1e-12)

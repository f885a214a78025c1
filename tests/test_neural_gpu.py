"""The operators on CUDA (excluded from the default run; needs a GPU)."""
import pytest
import torch

from neural.analysis.eigen import top_eigenvalues
from neural.game import NeuralGame
from neural.operators import JacobianOperator, dense_jacobian
from support.neural_games import mlp_game

pytestmark = [pytest.mark.gpu,
              pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")]


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_cuda_products_match_the_cpu_dense_jacobian(dtype):
    cpu = mlp_game(0, batches=2)
    gpu = NeuralGame(cpu.modules(), cpu.loss_fn, cpu.batches, device="cuda", dtype=dtype)
    expected = dense_jacobian(cpu)
    for retain in (True, False):
        op = JacobianOperator(gpu, retain=retain)
        assert op.batched  # batched products are the CUDA default
        assert torch.allclose(op.to_dense().cpu().double(), expected,
                              atol=1e-5 if dtype == torch.float32 else 1e-12)
    result = top_eigenvalues(JacobianOperator(gpu, transpose=True), k=4, dense_below=0)
    assert result.converged and max(result.residuals) < (1e-4 if dtype == torch.float32 else 1e-9)

"""Small neural games shared by the tests: planted constant Jacobians, random MLP GANs."""
import numpy as np
import torch

from neural.analysis.eigen import leftmost_eigenvalues, top_eigenvalues
from neural.game import NeuralGame
from neural.operators import JacobianOperator

F = torch.nn.functional


def quadratic_game(jacobian: np.ndarray, n_first: int, dtype: torch.dtype = torch.float64) -> NeuralGame:
    """The two-player game with constant Jacobian ``J = [[A, B], [C, S]]`` (A, S symmetric):
    ``L_1 = theta^T A theta / 2 + theta^T B phi``, ``L_2 = phi^T S phi / 2 + phi^T C theta``,
    evaluated in ``dtype``."""
    m = torch.as_tensor(jacobian, dtype=dtype)
    a, b, c, s = m[:n_first, :n_first], m[:n_first, n_first:], m[n_first:, :n_first], m[n_first:, n_first:]

    def loss(players, batch):
        theta, phi = players["G"](), players["D"]()
        return {"G": theta @ a @ theta / 2 + theta @ b @ phi,
                "D": phi @ s @ phi / 2 + phi @ c @ theta}

    rng = np.random.default_rng(1)
    return NeuralGame({"G": torch.tensor(rng.standard_normal(n_first), dtype=dtype),
                       "D": torch.tensor(rng.standard_normal(len(m) - n_first), dtype=dtype)}, loss, [None])


def planted_jacobian(pairs: np.ndarray, seed: int = 0) -> np.ndarray:
    """A Jacobian with prescribed eigenvalue pairs and symmetric diagonal blocks: coordinate j of
    G and of D form a 2x2 block [[a, b], [c, d]] (given per pair as (a, b, c, d)), then a random
    block-orthogonal similarity diag(Q1, Q2) hides the structure."""
    n = len(pairs)
    m = np.zeros((2 * n, 2 * n))
    for j, (a, b, c, d) in enumerate(pairs):
        m[j, j], m[j, n + j], m[n + j, j], m[n + j, n + j] = a, b, c, d
    rng = np.random.default_rng(seed)
    q1, _ = np.linalg.qr(rng.standard_normal((n, n)))
    q2, _ = np.linalg.qr(rng.standard_normal((n, n)))
    t = np.block([[q1, np.zeros((n, n))], [np.zeros((n, n)), q2]])
    return t @ m @ t.T


def stable_rotating_pairs(n: int, rng) -> list:
    """Pairs with eigenvalues x +- i y, x in [1, 10], y in [0, 20]: [[x, y], [-y, x]]."""
    return [(x, y, -y, x) for x, y in zip(rng.uniform(1, 10, n), rng.uniform(0, 20, n))]


def mlp_game(seed: int, hidden: int = 4, batches: int = 1, activation=torch.nn.Tanh):
    """A random small MLP GAN (NSGAN losses, seeded data)."""
    torch.manual_seed(seed)
    gen = torch.nn.Sequential(torch.nn.Linear(2, hidden), activation(), torch.nn.Linear(hidden, 1))
    disc = torch.nn.Sequential(torch.nn.Linear(1, hidden), activation(), torch.nn.Linear(hidden, 1))
    data = [(torch.randn(10, 2), torch.randn(10, 1)) for _ in range(batches)]

    def loss(players, batch):
        z, x = batch
        real, fake = players["D"](x), players["D"](players["G"](z))
        return {"G": F.softplus(-fake).mean(),
                "D": F.softplus(-real).mean() + F.softplus(fake).mean()}

    return NeuralGame({"G": gen, "D": disc}, loss, data, dtype=torch.float64)


def float32_game():
    """A small ReLU MLP GAN in float32 (NSGAN losses, seeded data)."""
    torch.manual_seed(0)
    gen = torch.nn.Sequential(torch.nn.Linear(4, 20), torch.nn.ReLU(), torch.nn.Linear(20, 1))
    disc = torch.nn.Sequential(torch.nn.Linear(1, 20), torch.nn.ReLU(), torch.nn.Linear(20, 1))
    data = [(torch.randn(32, 4), torch.randn(32, 1))]
    softplus = torch.nn.functional.softplus

    def loss(players, batch):
        z, x = batch
        fake = players["D"](players["G"](z))
        return {"G": softplus(-fake).mean(),
                "D": softplus(-players["D"](x)).mean() + softplus(fake).mean()}

    return NeuralGame({"G": gen, "D": disc}, loss, data)

def solves(game):
    """A leftmost and a top-k Krylov solve of a game's Jacobian (determinism tests)."""
    op = lambda: JacobianOperator(game, transpose=True)
    return {"left": leftmost_eigenvalues(op(), k=2, dense_below=0, exp_budget=300),
            "top": top_eigenvalues(op(), k=4, dense_below=0)}

def fingerprint(result):
    """The bits of a solve's eigenvalues, residuals, product count and seed."""
    return ([(l.real.hex(), l.imag.hex()) for l in result.eigenvalues],
            [r.hex() for r in result.residuals], result.products, result.seed)

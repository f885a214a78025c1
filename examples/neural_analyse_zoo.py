"""Numeric analysis of games: a zoo game through the bridge, then a small PyTorch GAN.

Run: python examples/neural_analyse_zoo.py   (CPU, well under a minute; writes path_angle.png)

1. The paper's Example 2 compiled to torch: the matrix-free classifier reproduces the exact
   verdicts (at (0, 1): a DNE that is not an LSSP; at (0, -1): an LSSP that is not a DNE).
2. A tiny non-saturating GAN written as a NeuralGame: top eigenvalues of its Jacobian, the
   leftmost one (which decides LSSP), each player's Hessian extremes, and a path-angle plot.
"""
import torch

from gametheory import zoo
from neural.bridge import compile_game
from neural.analysis.classify import classify_state
from neural.analysis.eigen import top_eigenvalues
from neural.game import NeuralGame
from neural.operators import JacobianOperator
from neural.analysis.path_angle import path_angle
from neural.render.figures import path_angle_figure

# 1. A zoo game through the bridge ------------------------------------------------------------
example2 = zoo.get("example2")
theta, phi = example2.params
for point in ({theta: 0, phi: 1}, {theta: 0, phi: -1}):
    report = classify_state(compile_game(example2, point))
    print(f"example2 at {point}: LSSP={report.lssp} (certified={report.lssp_certified}), "
          f"DNE={report.dne}, leftmost eigenvalue {report.leftmost_eigenvalue:.4f}")

# 2. A small GAN ------------------------------------------------------------------------------
torch.manual_seed(0)
generator = torch.nn.Sequential(torch.nn.Linear(4, 16), torch.nn.ReLU(), torch.nn.Linear(16, 1))
discriminator = torch.nn.Sequential(torch.nn.Linear(1, 16), torch.nn.ReLU(), torch.nn.Linear(16, 1))
real = torch.cat([2 + 0.7 * torch.randn(256, 1), -2 + torch.randn(256, 1)])  # drawn once
latent = torch.randn(512, 4)                                                 # held fixed


def nsgan(players, batch):
    """Every player minimises its own loss (non-saturating GAN)."""
    z, x = batch
    fake = players["D"](players["G"](z))
    softplus = torch.nn.functional.softplus
    return {"G": softplus(-fake).mean(),
            "D": softplus(-players["D"](x)).mean() + softplus(fake).mean()}


game = NeuralGame({"G": generator, "D": discriminator}, nsgan, [(latent, real)], dtype=torch.float64)
print(game)
top = top_eigenvalues(JacobianOperator(game, transpose=True), k=6, which="LM", dense_below=0)
print("top-6 eigenvalues by magnitude:", [f"{l:.3f}" for l in top.eigenvalues])
report = classify_state(game, grad_tol=1e-3)
print(f"||v|| = {report.grad_norm:.3g}; leftmost eigenvalue {report.leftmost_eigenvalue:.4f} "
      f"(residual {report.leftmost.residuals[0]:.1e}); players: "
      + ", ".join(f"{p.name} {p.verdict} [{p.min_eigenvalue:.3g}, {p.max_eigenvalue:.3g}]"
                  for p in report.players))

start = game.omega()
ends = [start + 0.3 * torch.randn(game.param_count, dtype=torch.float64) for _ in range(3)]
angles = path_angle(game, start, ends, points=60)
path_angle_figure(angles, "small NSGAN: random init -> 3 perturbed states", "path_angle.png")
near_one = abs(angles.alphas - 1).argmin()
print(f"path-angle median at alpha = {angles.alphas[near_one]:.3f}: "
      f"{angles.to_dict()['cosine']['median'][near_one]:.4f} (figure in path_angle.png)")

"""Train the paper's MoG GAN (App. C.1: NSGAN, full-batch extragradient) and analyse where it
ends: the game Jacobian's eigenvalues, the LSSP/DNE verdict, and the path-angle from the
initial state to the last checkpoints (the paper's Fig. 3 and 4 for MoG).

    python examples/mog_train_and_analyse.py [--iterations 3000] [--samples 2000]
        [--out runs/mog-example]

The run directory must not exist yet (the trainer never overwrites a run). The paper trains
30,000 iterations on 10,000 samples; a few thousand on 2,000 already fit the mixture. Every
player minimises its own loss (docs/design.md).

What to expect: with the paper's step size 0.1, extragradient settles at a point omega whose
own field is large (|v(omega)| ~ 6) while its extrapolation omega - h v(omega) is nearly
stationary (|v| ~ 0.01): a fixed point of the extragradient map, v(omega - h v(omega)) = 0, is
not a stationary point of the game when h exceeds 1/L. So the analysis below looks at the
extrapolated point, which is the candidate stationary point the method has found.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import torch

from neural.training.checkpoint import list_checkpoints
from neural.analysis.classify import classify_state
from neural.analysis.eigen import top_eigenvalues
from neural.operators import JacobianOperator
from neural.analysis.path_angle import path_angle
from neural.training.presets import resolve_config
from neural.training.trainer import load_neural_game, start_run


def train(out: Path, iterations: int, samples: int) -> dict:
    config = resolve_config("mog", "mog-nsgan-eg", iterations=iterations, mog_samples=samples,
                            batch_size=samples, checkpoint_every=max(iterations // 10, 1),
                            log_every=100, sample_every=iterations)
    summary = start_run(config, out, device="cpu").run()
    print(f"trained {summary['iteration']} iterations: W1 {summary['last']['w1']:.3f}, "
          f"KS {summary['last']['ks']:.3f}; samples in {out / 'samples'}")
    return summary


def extrapolated(game, config: dict) -> torch.Tensor:
    """omega - h v(omega), each player with its own step size (an extragradient half-step)."""
    omega = game.omega()
    field = game.vector_field(omega)
    rates = {"G": config["lr_g"], "D": config["lr_d"]}
    for name, block in game.slices.items():
        omega[block] -= rates[name] * field[block]
    return omega


def analyse(out: Path) -> None:
    game, meta = load_neural_game(out)
    print(f"\n{game} at iteration {meta['iteration']}")
    half = extrapolated(game, meta["config"])
    print(f"|v| at the iterate {float(game.vector_field().norm()):.3g}, "
          f"at its extrapolation {float(game.vector_field(half).norm()):.3g}")
    game.set_omega(half)

    top = top_eigenvalues(JacobianOperator(game), k=6)
    print("top-6 eigenvalues of the game Jacobian (by magnitude):")
    for value in top.eigenvalues:
        print(f"  {value.real:+.4f} {value.imag:+.4f}i")
    verdict = classify_state(game, grad_tol=1e-1)
    print(f"|v| = {verdict.grad_norm:.2e}; LSSP: {verdict.lssp} "
          f"(certified {verdict.lssp_certified}); DNE: {verdict.dne}; "
          f"player min eigenvalues: "
          + ", ".join(f"{p.name} {p.min_eigenvalue:+.3g}" for p in verdict.players))

    checkpoints = list_checkpoints(out)
    start = load_neural_game(checkpoints[0][1])[0].omega()  # iteration 0: the initial state
    ends = []
    for _, path in checkpoints[-3:]:
        end_game, end_meta = load_neural_game(path)
        ends.append(extrapolated(end_game, end_meta["config"]))
    angle = path_angle(game, start, ends, points=41)
    cosine = angle.cosine.mean(0)
    print("path-angle cosine (mean over the last 3 checkpoints) around alpha = 1:")
    for alpha, value in zip(angle.alphas, cosine):
        if 0.8 <= alpha <= 1.1:
            print(f"  alpha {alpha:.3f}: {value:+.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=3000)
    parser.add_argument("--samples", type=int, default=2000,
                        help="full-batch size (the paper: 10000; analysis then takes minutes)")
    parser.add_argument("--out", type=Path, default=Path("runs/mog-example"))
    args = parser.parse_args()
    torch.set_num_threads(1)
    train(args.out, args.iterations, args.samples)
    analyse(args.out)


if __name__ == "__main__":
    main()

"""The minimisation control: a one-player run (the discriminator alone against fixed samples
of the initial generator) trains, checkpoints, resumes bit-identically and loads as a
one-player NeuralGame whose Jacobian is D's Hessian: symmetric, real spectrum, no rotation,
LSSP exactly where D is at a minimum; its path-angle switches sign without a rotation bump."""
import json

import numpy as np
import pytest
import torch

from gametheory.errors import OptionError
from neural.analysis.classify import classify_state
from neural.analysis.path_angle import path_angle
from neural.game import NeuralGame
from neural.operators import JacobianOperator
from neural.training.checkpoint import CheckpointError, checkpoint_path, load_checkpoint
from neural.training.presets import resolve_config
from neural.training.trainer import (build_batches, build_game_parts, frozen_generator,
                                     load_neural_game, resume_run, start_run)
from support.cli_checks import assert_one_line_error, run

torch.set_num_threads(1)

TINY = dict(players="D", mog_samples=200, batch_size=200, latent_dim=8, width=8,
            checkpoint_every=100, log_every=50, sample_every=10_000)


def one_player(**overrides):
    return resolve_config("mog", "mog-nsgan-eg", **{**TINY, **overrides})


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    """300 iterations of full-batch extragradient (the preset's lr 0.1) on D alone."""
    folder = tmp_path_factory.mktemp("one-player")
    start_run(one_player(iterations=300), folder, "cpu").run()
    return folder


def test_a_one_player_run_minimises_d_alone_and_checkpoints_it(tiny_run):
    log = [json.loads(line) for line in (tiny_run / "metrics.jsonl").read_text().splitlines()]
    assert [r["iteration"] for r in log] == [50, 100, 150, 200, 250, 300]
    recorded = {k for k in log[-1] if k.startswith(("loss_", "grad_norm_"))}
    assert recorded == {"loss_D", "grad_norm_D"}
    losses = [r["loss_D"] for r in log]
    assert losses == sorted(losses, reverse=True) and losses[-1] < 0.5 * losses[0]
    state = load_checkpoint(tiny_run)
    assert state["iteration"] == 300 and set(state["players"]) == {"D"}
    assert state["config"]["players"] == "D"


def test_its_game_is_the_gan_discriminator_block_at_the_initial_generator(tiny_run):
    """At iteration 0 the one-player game is the GAN game of the same seed with G frozen:
    same D, fake samples = G0(z) on the fixed batch, field = the GAN field's D part, and
    Hessian products = the D-block of the GAN Jacobian."""
    game, meta = load_neural_game(checkpoint_path(tiny_run, 0))
    assert game.player_names == ("D",) and meta["iteration"] == 0
    gan_config = resolve_config("mog", "mog-nsgan-eg", **{**TINY, "players": None})
    _, modules, loss = build_game_parts(gan_config)
    gan = NeuralGame(modules, loss, build_batches(gan_config))
    d = gan.slices["D"]
    assert torch.equal(game.omega(), gan.omega()[d])
    with torch.no_grad():
        expected = modules["G"](gan.batches[0]["z"])
    assert torch.equal(game.batches[0]["fake"], expected)
    torch.testing.assert_close(game.vector_field(), gan.vector_field()[d])
    u = torch.randn(game.param_count, generator=torch.Generator().manual_seed(1))
    block = JacobianOperator(gan, rows=["D"], cols=["D"]).matvec(u)
    torch.testing.assert_close(JacobianOperator(game).matvec(u), block)


def test_the_one_player_jacobian_is_symmetric_unlike_the_gan_one(tiny_run):
    game, _ = load_neural_game(tiny_run)
    u = torch.randn(game.param_count, generator=torch.Generator().manual_seed(2))
    ju = JacobianOperator(game).matvec(u)
    jtu = JacobianOperator(game, transpose=True).matvec(u)
    torch.testing.assert_close(ju, jtu, rtol=1e-5, atol=1e-7)
    gan_config = resolve_config("mog", "mog-nsgan-eg", **{**TINY, "players": None})
    _, modules, loss = build_game_parts(gan_config)
    gan = NeuralGame(modules, loss, build_batches(gan_config))
    w = torch.randn(gan.param_count, generator=torch.Generator().manual_seed(2))
    gap = JacobianOperator(gan).matvec(w) - JacobianOperator(gan, transpose=True).matvec(w)
    assert gap.norm() > 1e-2 * w.norm()


def test_classify_sees_no_rotation_and_its_verdicts_are_the_hessians(tiny_run):
    game, _ = load_neural_game(tiny_run)
    result = classify_state(game)
    doc = result.to_dict()
    assert doc["max_rotation_ratio"] == 0 and doc["max_imag"] == 0
    (player,) = doc["players"]
    assert player["name"] == "D"
    # one player: J is D's Hessian, so LSSP (stable J) == DNE (D at a minimum)
    assert doc["leftmost_eigenvalue"][0] == pytest.approx(player["min_eigenvalue"], abs=1e-9)
    assert doc["stable_linearisation"] == (player["verdict"] == "minimum")
    assert doc["player_min_eigenvalues"] == {"D": player["min_eigenvalue"]}


def test_the_path_angle_of_the_run_switches_sign_past_its_end(tiny_run):
    """Start to end of the run: -v points along the path before the end, against it well
    past the end (the run still descends slowly at its end, so the switch lies a little
    past alpha = 1)."""
    game, _ = load_neural_game(checkpoint_path(tiny_run, 0))
    end, _ = load_neural_game(tiny_run)
    result = path_angle(game, game.omega(), [end.omega()], a=0.0, b=1.5, points=16)
    cosine = result.cosine[0]
    assert (cosine[result.alphas <= 1.0] > 0.2).all()
    assert (cosine[result.alphas >= 1.3] < 0).all()


def test_a_planted_quadratic_minimisation_has_no_bump():
    """L(x) = x^T A x / 2 with A > 0, path from x0 to the minimum 0: -v(alpha) =
    -(1 - alpha) A x0, so c(alpha) = sign(1 - alpha) x0^T A x0 / (|x0| |A x0|) for every alpha,
    the same magnitude everywhere (no bump) and the attraction sign switch at alpha = 1."""
    a = torch.tensor([[2.0, 0.3], [0.3, 1.0]], dtype=torch.float64)
    x0 = torch.tensor([1.0, -2.0], dtype=torch.float64)
    game = NeuralGame({"x": x0}, lambda players, _: {"x": players["x"]() @ a @ players["x"]() / 2},
                      [None])
    result = path_angle(game, x0, [torch.zeros(2, dtype=torch.float64)], a=-0.5, b=2.0,
                        points=11)
    magnitude = float(x0 @ a @ x0 / (x0.norm() * (a @ x0).norm()))
    alphas, cosine = result.alphas, result.cosine[0]
    off = alphas != 1.0
    np.testing.assert_allclose(cosine[off], np.sign(1 - alphas[off]) * magnitude, rtol=1e-12)
    assert np.isnan(cosine[~off]).all()  # v = 0 at the minimum: undefined
    J = JacobianOperator(game).to_dense()
    assert torch.equal(J, J.T)


def test_a_one_player_run_resumes_bit_identically(tmp_path):
    options = dict(iterations=30, method="extraadam", lr_d=0.01, batch_size=50,
                   checkpoint_every=10, log_every=5)
    start_run(one_player(**options), tmp_path / "whole", "cpu").run()
    start_run(one_player(**{**options, "iterations": 13}), tmp_path / "split", "cpu").run()
    resume_run(tmp_path / "split", iterations=30, device="cpu").run()
    whole, split = load_checkpoint(tmp_path / "whole"), load_checkpoint(tmp_path / "split")
    assert whole["iteration"] == split["iteration"] == 30
    for key, value in whole["players"]["D"].items():
        assert torch.equal(value, split["players"]["D"][key]), key
    for kind in ("uniform", "ema"):
        for x, y in zip(whole["averages"][kind]["D"], split["averages"][kind]["D"], strict=True):
            assert torch.equal(x, y)
    for index, state in whole["optimizer"]["state"].items():
        for key, value in state.items():
            assert torch.equal(value, split["optimizer"]["state"][index][key])
    assert torch.equal(whole["rng"]["batches"], split["rng"]["batches"])
    with pytest.raises(CheckpointError, match=r"players='both' \(run has 'D'\)"):
        resume_run(tmp_path / "whole", players="both", device="cpu")


@pytest.mark.parametrize("overrides,fragment", [
    (dict(alternating=True), "--alternating orders the generator after the discriminator"),
    (dict(n_critic=5), "a one-player run (--players D) needs 1, got 5"),
    (dict(players="G"), "unknown players 'G'; choose one of both, D"),
])
def test_impossible_one_player_settings_are_refused(overrides, fragment):
    with pytest.raises(OptionError) as info:
        one_player(**overrides)
    assert fragment in str(info.value) and "\n" not in str(info.value)


def test_the_cli_refuses_critic_steps_with_one_player(tmp_path):
    result = run("neural", "train", "mog", "--players", "D", "--n-critic", "2",
                 "--out", str(tmp_path / "run"), "--quiet")
    assert_one_line_error(result, "a one-player run (--players D) needs 1, got 2")
    assert not (tmp_path / "run").exists()


def test_a_tiny_one_player_image_run_loads_with_the_frozen_generators_samples(tmp_path):
    from test_neural_train import write_tiny_image_data

    write_tiny_image_data(tmp_path / "data", "mnist")
    config = resolve_config("mnist", "mnist-wgangp-extraadam", players="D", n_critic=1,
                            iterations=3, batch_size=8, width=4, latent_dim=8,
                            checkpoint_every=3, log_every=1, sample_every=3,
                            data_dir=str(tmp_path / "data"))
    assert start_run(config, tmp_path / "run", "cpu").run()["iteration"] == 3
    game, _ = load_neural_game(tmp_path / "run", eval_size=16)
    assert game.player_names == ("D",) and len(game.batches) == 2
    with torch.no_grad():
        expected = [frozen_generator(config)(batch["z"]) for batch in game.batches]
    for batch, fake in zip(game.batches, expected):
        assert fake.shape == (8, 1, 28, 28) and torch.equal(batch["fake"], fake)
    assert torch.isfinite(game.vector_field()).all()


def test_krylov_instability_of_one_player_is_certified_by_the_residual():
    """One player: J is the symmetric Hessian, so a Krylov eigenpair with residual r proves an
    eigenvalue within r of it (a two-player J would leave it indicative)."""
    eigenvalues = torch.linspace(-1.0, 3.0, 40, dtype=torch.float64)
    q, _ = torch.linalg.qr(torch.randn(40, 40, dtype=torch.float64,
                                       generator=torch.Generator().manual_seed(3)))
    a = q @ torch.diag(eigenvalues) @ q.T
    x0 = torch.ones(40, dtype=torch.float64)
    game = NeuralGame({"x": x0}, lambda players, _: {"x": players["x"]() @ a @ players["x"]() / 2},
                      [None])
    result = classify_state(game, dense_budget=0).to_dict()
    assert result["stable_linearisation"] is False and result["stability_certified"] is True
    assert result["stability_certificate"]["kind"] == "residual"
    assert result["leftmost_eigenvalue"][0] == pytest.approx(-1.0, abs=1e-6)
    assert result["players"][0]["verdict"] == "saddle" and result["max_rotation_ratio"] == 0

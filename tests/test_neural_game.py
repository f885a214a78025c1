"""NeuralGame: layout of omega, own-loss gradients, determinism and untouched module state."""
import pytest
import torch

from neural.game import NeuralGame

F = torch.nn.functional


def small_gan(dtype=torch.float64, batches=1, batchnorm=False):
    """A tiny non-saturating GAN on fixed seeded data: G: R^2 -> R, D: R -> R."""
    torch.manual_seed(0)
    g_layers = [torch.nn.Linear(2, 4), torch.nn.Tanh(), torch.nn.Linear(4, 1)]
    if batchnorm:
        g_layers.insert(1, torch.nn.BatchNorm1d(4))
    gen = torch.nn.Sequential(*g_layers)
    disc = torch.nn.Sequential(torch.nn.Linear(1, 5), torch.nn.Tanh(), torch.nn.Linear(5, 1))
    data = [(torch.randn(12, 2), torch.randn(12, 1) + 1.0) for _ in range(batches)]

    def loss(players, batch):
        z, x = batch
        real, fake = players["D"](x), players["D"](players["G"](z))
        return {"G": F.softplus(-fake).mean(),
                "D": F.softplus(-real).mean() + F.softplus(fake).mean()}

    return NeuralGame({"G": gen, "D": disc}, loss, data, dtype=dtype), gen, disc, loss, data


def test_layout_and_vector_field_match_autograd():
    game, gen, disc, loss, data = small_gan()
    assert game.player_names == ("G", "D")
    assert game.param_count == (2 * 4 + 4 + 4 + 1) + (5 + 5 + 5 + 1)
    assert game.slices == {"G": slice(0, 17), "D": slice(17, 33)}
    ref_g, ref_d = gen.double(), disc.double()
    out = loss({"G": ref_g, "D": ref_d}, tuple(t.double() for t in data[0]))
    grad_g = torch.autograd.grad(out["G"], list(ref_g.parameters()), retain_graph=True)
    grad_d = torch.autograd.grad(out["D"], list(ref_d.parameters()))
    expected = torch.cat([t.reshape(-1) for t in grad_g + grad_d])
    assert torch.allclose(game.vector_field(), expected, atol=1e-14)
    assert game.losses() == pytest.approx({"G": out["G"].item(), "D": out["D"].item()}, abs=1e-14)


def test_batches_are_averaged_and_eager_equals_functional():
    game, *_ = small_gan(batches=3)
    omega = game.omega()
    per_batch = [game.functional_field(omega, b) for b in game.batches]
    assert torch.allclose(game.vector_field(), sum(f for f, _ in per_batch) / 3, atol=1e-15)
    for batch, (field, losses) in zip(game.batches, per_batch):
        eager_field, eager_losses = game.field_and_losses(omega, batch)
        assert torch.allclose(eager_field, field, atol=1e-15)
        assert torch.allclose(eager_losses, losses, atol=1e-15)
    only_d = game.functional_field(omega, game.batches[0], ["D"])[0]
    assert torch.equal(only_d, per_batch[0][0][game.slices["D"]])


def test_parameter_tensor_players():
    def loss(players, batch):
        x, y = players["P1"](), players["P2"]()
        return {"P1": (x * y).sum() + (x ** 2).sum(), "P2": -(x * y).sum()}

    game = NeuralGame({"P1": torch.tensor([1.0, 2.0]), "P2": torch.tensor([3.0, -1.0])}, loss,
                      [None], dtype=torch.float64)
    # v = [y + 2x, -x]
    assert game.vector_field().tolist() == [5.0, 3.0, -1.0, -2.0]


def test_state_is_never_mutated_and_products_repeat_bit_for_bit():
    game, gen, *_ = small_gan(batchnorm=True)
    gen.train()
    before = {k: v.clone() for k, v in gen.state_dict().items()}
    first, second = game.vector_field(), game.vector_field()
    assert torch.equal(first, second)
    for key, value in gen.state_dict().items():
        assert torch.equal(value, before[key]), key


def test_set_omega_and_state_dicts_roundtrip():
    game, gen, *_ = small_gan()
    omega = game.omega() + 1.0
    game.set_omega(omega)
    assert torch.equal(game.omega(), omega)
    state = game.state_dicts()["G"]
    assert torch.equal(state["0.weight"], (gen[0].weight.detach().double() + 1.0))
    with pytest.raises(ValueError):
        game.set_omega(torch.zeros(3))


def test_losses_work_with_a_gradient_penalty(tmp_path):
    """The WGAN-GP penalty differentiates D in its input: ``losses`` keeps autograd on and
    equals the losses of ``mean_field_and_losses``."""
    from neural.training.presets import resolve_config
    from neural.training.trainer import load_neural_game, start_run

    config = resolve_config("mog", "mog-wgangp-eg", iterations=2, mog_samples=200, batch_size=200, width=8,
                            latent_dim=4, checkpoint_every=1, sample_every=1000, log_every=1)
    start_run(config, tmp_path, "cpu").run()
    game, _ = load_neural_game(tmp_path)
    _, losses = game.mean_field_and_losses(game.omega())
    assert list(game.losses().values()) == pytest.approx(losses.tolist(), rel=1e-6)

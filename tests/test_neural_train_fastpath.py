"""The closed-form MoG game gradients (neural.fastpath.training) against the autograd path."""
import pytest
import torch

from neural.training.presets import resolve_config
from neural.training.trainer import Trainer, TrainingDiverged
from neural.fastpath.training import fast_path_applies

torch.set_num_threads(1)

SMALL = dict(mog_samples=500, batch_size=500, latent_dim=8, width=32)


def pair(tmp_path, **overrides):
    config = resolve_config("mog", "mog-nsgan-eg", **{**SMALL, **overrides})
    fast, plain = Trainer(config, tmp_path / "fast", "cpu"), Trainer(config, tmp_path / "plain",
                                                                      "cpu")
    plain.fast_field = None
    assert fast.fast_field is not None
    return fast, plain


def assert_close_gradients(fast, plain, players):
    for name in players:  # to float tolerance relative to the player's largest partial
        scale = max(float(q.grad.abs().max()) for q in plain.params[name])
        for p, q in zip(fast.params[name], plain.params[name]):
            assert torch.allclose(p.grad, q.grad, rtol=0, atol=1e-5 * scale), name


@pytest.mark.parametrize("loss", ["nsgan", "saturating", "wgan"])
@pytest.mark.parametrize("players", [("G", "D"), ("D",), ("G",)])
def test_fast_field_equals_autograd(tmp_path, loss, players):
    fast, plain = pair(tmp_path, loss=loss)
    for trainer in (fast, plain):
        for p in trainer.params["G"] + trainer.params["D"]:
            p.grad = None
    batch = fast.batches.next(None)
    a, b = fast._closure(batch, players)(), plain._closure(batch, players)()
    assert a.keys() == b.keys()
    for key in a:
        assert torch.allclose(a[key], b[key], rtol=1e-5, atol=1e-6), key
    assert_close_gradients(fast, plain, players)
    for name in {"G", "D"} - set(players):  # an inactive player's .grad is left alone
        assert all(p.grad is None for p in fast.params[name])


@pytest.mark.parametrize("method,alternating,n_critic,atol", [
    ("extragradient", False, 1, 1e-6),
    ("extraadam", True, 2, 5e-4),  # Adam's normalisation amplifies round-off in tiny partials
])
def test_fast_training_follows_autograd_training(tmp_path, method, alternating, n_critic, atol):
    fast, plain = pair(tmp_path, method=method, alternating=alternating, n_critic=n_critic,
                       lr_g=0.01, lr_d=0.01)
    for _ in range(20):
        fast.train_iteration()
        plain.train_iteration()
    for name in ("G", "D"):
        for p, q in zip(fast.params[name], plain.params[name]):
            assert torch.allclose(p, q, rtol=0, atol=atol)


def test_fast_path_only_where_valid(tmp_path):
    def applies(dataset="mog", **overrides):
        config = resolve_config(dataset, None, **overrides)
        trainer = Trainer(config, tmp_path, "cpu",
                          real=None if dataset == "mog" else torch.zeros(4, 1, 28, 28))
        return trainer.fast_field is not None

    assert applies(loss="nsgan") and applies(loss="wgan") and applies(loss="saturating")
    assert applies(loss="wgangp", gp_weight=0.0)
    assert not applies(loss="wgangp", gp_weight=10.0)  # the penalty needs autograd
    assert not applies(loss="nsgan", consensus=0.1)
    assert not applies("mnist", batch_size=4)
    fast, _ = pair(tmp_path)
    discriminator = fast.players["D"]
    handle = discriminator.register_forward_hook(lambda *args: None)
    assert not fast_path_applies(fast.players, fast.loss)
    handle.remove()
    assert fast_path_applies(fast.players, fast.loss)


def test_fast_path_stays_on_the_cpu(tmp_path):
    fast, _ = pair(tmp_path)
    on_meta = {name: module.to("meta") for name, module in fast.players.items()}
    assert not fast_path_applies(on_meta, fast.loss)


def test_overflowing_samples_stop_training_like_autograd(tmp_path):
    """Finite weights whose generated samples overflow: the closed form declines (no threshold
    order for infinite samples) and the iteration falls back to autograd, whose non-finite
    check stops training with the usual one-line error."""
    fast, _ = pair(tmp_path)
    with torch.no_grad():
        fast.players["G"].net[2].weight.fill_(3e38)
    with pytest.raises(TrainingDiverged, match="non-finite"):
        fast._closure(fast.batches.next(None), ("G", "D"))()

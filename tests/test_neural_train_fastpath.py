"""The closed-form MoG game gradients (neural.fastpath.training) against the autograd path, and
how the trainer chooses between them (start-up check, ``gradient_path`` in the metrics)."""
import json

import pytest
import torch

from neural.training.presets import resolve_config
from neural.training.trainer import Trainer, TrainingDiverged
from neural.fastpath import PROVIDER
from neural.fastpath.training import MoGGradientFill

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
    assert PROVIDER.for_training(fast.players, fast.loss) is None
    handle.remove()
    assert PROVIDER.for_training(fast.players, fast.loss) is not None


def test_fast_path_stays_on_the_cpu(tmp_path):
    fast, _ = pair(tmp_path)
    on_meta = {name: module.to("meta") for name, module in fast.players.items()}
    assert PROVIDER.for_training(on_meta, fast.loss) is None


def test_overflowing_samples_stop_training_like_autograd(tmp_path):
    """Finite weights whose generated samples overflow: the closed form declines (no threshold
    order for infinite samples) and the iteration falls back to autograd, whose non-finite
    check stops training with the usual one-line error."""
    fast, _ = pair(tmp_path)
    with torch.no_grad():
        fast.players["G"].net[2].weight.fill_(3e38)
    with pytest.raises(TrainingDiverged, match="non-finite"):
        fast._closure(fast.batches.next(None), ("G", "D"))()


def test_renamed_players_get_the_gradient_fill():
    """The fill goes by the players' layers: "gen"/"disc" and a loss keyed by those names."""
    from neural.training.losses import gan_loss
    from neural.training.models import MoGDiscriminator, MoGGenerator
    from neural.training.optim import fill_game_gradients

    torch.manual_seed(0)
    players = {"gen": MoGGenerator(8, 16), "disc": MoGDiscriminator(16)}
    base = gan_loss("nsgan")

    def loss(p, batch):
        values = base({"G": p["gen"], "D": p["disc"]}, batch)
        return {"gen": values["G"], "disc": values["D"]}

    gen = torch.Generator().manual_seed(1)
    batch = {"real": torch.randn(64, 1, generator=gen), "z": torch.randn(64, 8, generator=gen)}
    fill = PROVIDER.for_training(players, loss)
    assert fill is not None and fill.name == "closed-form"
    params = {n: list(m.parameters()) for n, m in players.items()}
    losses = fill(batch, ("gen", "disc"))
    ours = [p.grad.clone() for n in params for p in params[n]]
    reference = loss(players, batch)
    fill_game_gradients(reference, params, ("gen", "disc"))
    for name in ("gen", "disc"):
        assert torch.allclose(losses[name], reference[name].detach(), rtol=1e-6)
    scale = max(float(p.grad.abs().max()) for n in params for p in params[n])
    for a, p in zip(ours, (p for n in params for p in params[n])):
        assert torch.allclose(a, p.grad, rtol=0, atol=1e-5 * scale)


def test_metrics_say_closed_form_when_it_is_used(tmp_path):
    config = resolve_config("mog", "mog-nsgan-eg", iterations=2, log_every=1, **SMALL)
    trainer = Trainer(config, tmp_path, "cpu")
    assert trainer.gradient_path == "closed-form" and trainer.gradient_note is None
    summary = trainer.run()
    assert summary["gradient_path"] == "closed-form"
    records = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert [r["gradient_path"] for r in records] == ["closed-form", "closed-form"]


def test_a_fill_that_disagrees_with_autograd_falls_back(tmp_path, monkeypatch):
    """A plug-in whose gradients are 1% off: the start-up check rejects it, the run trains with
    autograd (same iterates as a forced-autograd run) and its metrics and summary say so."""
    class Skewed:
        name = "skewed"

        def __init__(self, fill):
            self.fill = fill

        def __call__(self, batch, players):
            losses = self.fill(batch, players)
            for module in self.fill.players.values():
                for p in module.parameters():
                    if p.grad is not None:
                        p.grad = 1.01 * p.grad
            return losses

    monkeypatch.setattr(PROVIDER, "for_training",
                        lambda players, loss: Skewed(MoGGradientFill.offer(players, loss)))
    config = resolve_config("mog", "mog-nsgan-eg", iterations=3, log_every=1, **SMALL)
    trainer = Trainer(config, tmp_path / "skewed", "cpu")
    assert trainer.fast_field is None and trainer.gradient_path == "autograd"
    assert trainer.gradient_note == ("the skewed gradients do not reproduce autograd's on the "
                                     "first batch: training with autograd")
    summary = trainer.run()
    assert summary["gradient_path"] == "autograd" and summary["gradient_note"] == trainer.gradient_note
    records = [json.loads(line) for line in
               (tmp_path / "skewed" / "metrics.jsonl").read_text().splitlines()]
    assert [r["gradient_path"] for r in records] == ["autograd"] * 3
    monkeypatch.undo()
    plain = Trainer(config, tmp_path / "plain", "cpu")
    plain.fast_field = None
    plain.run()
    for name in ("G", "D"):
        for p, q in zip(trainer.params[name], plain.params[name]):
            assert torch.equal(p, q)


def test_a_loss_the_fill_cannot_serve_is_said(tmp_path):
    config = resolve_config("mog", None, loss="wgangp", gp_weight=10.0, **SMALL)
    trainer = Trainer(config, tmp_path, "cpu")
    assert trainer.gradient_path == "autograd"
    assert trainer.gradient_note == ("the closed-form gradients cannot serve this loss on the "
                                     "first batch: training with autograd")

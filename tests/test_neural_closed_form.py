"""The closed-form MoG game (neural.fastpath.closed_form, neural.fastpath.scalar_relu) against autograd.

ReLUThresholds against the dense activation mask; the closed-form field, losses and J u against
``autograd_field_and_losses`` and ``dense_jacobian`` (jacfwd) for several losses and layouts;
detection by the players' layers (any names, other module classes) and the check against
autograd (a wrong forward or a wrong plug-in keeps autograd); fall-back to autograd where the
closed form does not apply; spectrum operator orientation; path-angle with and without the
closed form; non-finite states.
"""
import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st
from torch import nn

from neural.game import NeuralGame
from neural.training.models import MoGDiscriminator, MoGGenerator
from neural.operators import (JacobianOperator, NonFiniteProduct, dense_jacobian, hessian_operator,
                              spectrum_operator)
from neural.analysis.path_angle import path_angle
from neural.fastpath.scalar_relu import ReLUThresholds

F = nn.functional
torch.set_num_threads(1)

SAMPLES, LATENT = 200, 5


# --- ReLUThresholds -------------------------------------------------------------------------
def dense_mask(a, b, s):
    """K[i, j] = [a_j s_i + b_j > 0] (M x H, float64)."""
    return (np.outer(s, a) + b[None, :] > 0).astype(np.float64)


def check_thresholds(a, b, s, order=None, k=3, seed=0):
    a, b, s = (np.asarray(t, dtype=np.float64) for t in (a, b, s))
    mask = dense_mask(a, b, s)
    units = ReLUThresholds(a, b)
    at = units.locate(s, order)
    rng = np.random.default_rng(seed)
    f = rng.standard_normal((k, len(a)))
    g = rng.standard_normal((k, len(s)))
    np.testing.assert_allclose(units.rows(at, f), f @ mask.T, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(units.cols(at, g), g @ mask, rtol=1e-12, atol=1e-12)
    # 0/1 probes recover the mask itself exactly
    np.testing.assert_array_equal(units.rows(at, np.eye(len(a))), mask.T)
    np.testing.assert_array_equal(units.cols(at, np.eye(len(s))), mask)


def test_thresholds_special_units_ties_and_duplicates():
    # rising, falling, a = 0 with b > 0 (always on), a = 0 with b <= 0 (never on), duplicate
    # thresholds (1.5 rising twice, 1.5 falling, -1 rising and falling)
    a = np.array([2.0, 2.0, -2.0, 0.0, 0.0, 0.0, 1.0, -1.0, 4.0, -0.5])
    b = np.array([-3.0, -3.0, 3.0, 1.0, 0.0, -2.0, 1.0, -1.0, 0.0, 0.25])
    # samples on thresholds exactly (1.5, -1, 0, 0.5), duplicated samples, and in between
    s = np.array([1.5, -1.0, 0.0, 0.5, 1.5, 3.0, -4.0, -1.0, 0.75, 2.0, 1.5, -0.25])
    check_thresholds(a, b, s)
    # locate with a given argsort order (any valid one: stable, and reversed among ties)
    check_thresholds(a, b, s, order=np.argsort(s, kind="stable"))
    check_thresholds(a, b, s, order=np.lexsort((-np.arange(len(s)), s)))


def test_thresholds_degenerate_sizes():
    check_thresholds([0.0, 0.0], [1.0, -1.0], [0.3, -2.0, 5.0])  # no thresholds at all
    check_thresholds([1.0, 2.0, 3.0], [0.0, -2.0, 3.0], [1.0])  # one sample, all rising
    check_thresholds([-1.0, -2.0], [0.0, -2.0], [-1.0, 1.0, 0.0])  # all falling
    units = ReLUThresholds(np.array([1.0, -1.0, 0.0]), np.array([0.0, 0.0, 1.0]))
    at = units.locate(np.zeros(0))
    assert units.rows(at, np.ones((2, 3))).shape == (2, 0)
    np.testing.assert_array_equal(units.cols(at, np.zeros((2, 0))), np.zeros((2, 3)))


# dyadic values: a_j s_i + b_j and -b_j / a_j are exact in float64, so the dense mask and the
# threshold comparisons agree exactly, also on ties
DYADIC_A = st.sampled_from([-4.0, -2.0, -1.0, -0.5, -0.25, 0.0, 0.25, 0.5, 1.0, 2.0, 4.0])
QUARTERS = st.integers(-12, 12).map(lambda n: n / 4)


@settings(max_examples=25, deadline=None)
@given(a=st.lists(DYADIC_A, min_size=1, max_size=12),
       data=st.data(), s=st.lists(QUARTERS, min_size=1, max_size=30), seed=st.integers(0, 99))
def test_thresholds_property(a, data, s, seed):
    b = data.draw(st.lists(QUARTERS, min_size=len(a), max_size=len(a)))
    check_thresholds(a, b, s, seed=seed)
    s = np.asarray(s)
    check_thresholds(a, b, s, order=np.lexsort((-np.arange(len(s)), s)), seed=seed)


# --- MoG games --------------------------------------------------------------------------------
def nsgan(players, batch):
    z, x = batch
    fake = players["D"](players["G"](z))
    return {"G": F.softplus(-fake).mean(),
            "D": F.softplus(-players["D"](x)).mean() + F.softplus(fake).mean()}


def saturating(players, batch):
    z, x = batch
    fake = players["D"](players["G"](z))
    return {"G": -F.softplus(fake).mean(),
            "D": F.softplus(-players["D"](x)).mean() + F.softplus(fake).mean()}


def wgan(players, batch):
    z, x = batch
    fake = players["D"](players["G"](z)).mean()
    return {"G": -fake, "D": fake - players["D"](x).mean()}


def relativistic(players, batch):
    z, x = batch
    real, fake = players["D"](x), players["D"](players["G"](z))
    return {"G": F.softplus(real.mean() - fake).mean() + F.softplus(-(real - fake.mean())).mean(),
            "D": F.softplus(-(real - fake.mean())).mean() + F.softplus(fake - real.mean()).mean()}


def direct(players, batch):
    """NSGAN plus a term in the generated samples themselves."""
    z, x = batch
    sample = players["G"](z)
    fake = players["D"](sample)
    return {"G": F.softplus(-fake).mean() + 0.1 * sample.pow(2).mean(),
            "D": F.softplus(-players["D"](x)).mean() + F.softplus(fake).mean()}


LOSSES = {"nsgan": nsgan, "saturating": saturating, "wgan": wgan, "relativistic": relativistic,
          "direct": direct}


def mog_data(seed, batches=1, latent=LATENT, samples=SAMPLES):
    gen = torch.Generator().manual_seed(seed + 1000)
    mix = torch.rand(samples, 1, generator=gen) < 0.5
    real = torch.where(mix, 2 + 0.7 * torch.randn(samples, 1, generator=gen),
                       -2 + torch.randn(samples, 1, generator=gen))
    z = torch.randn(samples, latent, generator=gen)
    return [(zc, xc) for zc, xc in zip(z.chunk(batches), real.chunk(batches))]


def mog_players(seed, models=False, latent=LATENT, hidden_g=9, hidden_d=7):
    torch.manual_seed(seed)
    if models:
        return {"G": MoGGenerator(latent, hidden_g), "D": MoGDiscriminator(hidden_d)}
    return {"G": nn.Sequential(nn.Linear(latent, hidden_g), nn.ReLU(), nn.Linear(hidden_g, 1)),
            "D": nn.Sequential(nn.Linear(1, hidden_d), nn.ReLU(), nn.Linear(hidden_d, 1))}


def mog_game(seed=0, loss=nsgan, models=False, batches=1, latent=LATENT, fast=True, **hidden):
    return NeuralGame(mog_players(seed, models, latent, **hidden), loss,
                      mog_data(seed, batches, latent), dtype=torch.float64, fast=fast)


def assert_rel(ours, ref, rtol):
    scale = float(ref.abs().max())
    assert ours.shape == ref.shape
    err = float((ours - ref).abs().max())
    assert err <= rtol * max(scale, 1e-300), (err, scale)


def check_field(game, omega=None, rtol=1e-10):
    omega = game.omega() if omega is None else omega
    closed = game.fast_path()
    for batch in game.batches:
        field, losses = closed.field_and_losses(omega, batch)
        ref_field, ref_losses = game.autograd_field_and_losses(omega, batch)
        assert_rel(field, ref_field, rtol)
        assert_rel(losses, ref_losses, rtol)
        via_game = game.field_and_losses(omega, batch)
        assert_rel(via_game[0], ref_field, rtol)


def check_jacobian(game, retain=None, rtol=1e-9):
    dense = dense_jacobian(game)
    op = JacobianOperator(game, retain=retain)
    assert op.uses_fast_path  # the closed-form products
    assert_rel(op.to_dense(), dense, rtol)
    g, d = game.slices["G"], game.slices["D"]
    block = JacobianOperator(game, rows=["D"], cols=["G"], retain=retain)
    assert block.uses_fast_path
    assert_rel(block.to_dense(), dense[d, g], rtol)
    block = JacobianOperator(game, rows=["G"], cols=["D"], retain=retain)
    assert_rel(block.to_dense(), dense[g, d], rtol)
    for name, part in (("G", g), ("D", d)):
        hessian = hessian_operator(game, name, retain=retain)
        assert hessian.uses_fast_path
        ref = dense[part, part]
        if float(ref.abs().max()) == 0:  # WGAN: D's loss is linear in D's scores
            assert float(hessian.to_dense().abs().max()) == 0
        else:
            assert_rel(hessian.to_dense(), ref, rtol)
    return dense


@pytest.mark.parametrize("models", [False, True], ids=["sequential", "mog-models"])
@pytest.mark.parametrize("loss", list(LOSSES), ids=list(LOSSES))
def test_closed_form_field_and_jacobian(loss, models):
    game = mog_game(seed=3, loss=LOSSES[loss], models=models)
    assert game.fast_path() is not None
    check_field(game)
    # a second state, away from the one fast_path() was validated at
    omega = game.omega() + 0.05 * torch.randn(game.param_count, dtype=torch.float64,
                                              generator=torch.Generator().manual_seed(7))
    check_field(game, omega)
    check_jacobian(game)


@pytest.mark.parametrize("retain", [True, False])
@pytest.mark.parametrize("loss", ["nsgan", "relativistic"])
def test_closed_form_several_batches(loss, retain):
    game = mog_game(seed=11, loss=LOSSES[loss], batches=2)
    assert len(game.batches) == 2
    assert game.fast_path() is not None
    check_field(game)
    check_jacobian(game, retain=retain)
    # the batch-averaged field
    ref = sum(game.autograd_field_and_losses(game.omega(), b)[0]
              for b in game.batches) / len(game.batches)
    assert_rel(game.vector_field(), ref, 1e-10)


def test_closed_form_one_dimensional_latent():
    """Both players have one input: the loss tells the roles apart (the other assignment
    cannot run it)."""
    game = mog_game(seed=2, latent=1)
    closed = game.fast_path()
    assert closed is not None and closed.form.discriminator == "D"
    check_field(game)
    check_jacobian(game)


def test_closed_form_player_order_and_names():
    """The discriminator listed first, under another name: it is found by its one input."""
    players = mog_players(4)

    def loss(p, batch):
        return {"gen": nsgan({"G": p["gen"], "D": p["critic"]}, batch)["G"],
                "critic": nsgan({"G": p["gen"], "D": p["critic"]}, batch)["D"]}

    game = NeuralGame({"critic": players["D"], "gen": players["G"]}, loss, mog_data(4),
                      dtype=torch.float64)
    closed = game.fast_path()
    assert closed is not None and closed.form.discriminator == "critic"
    check_field(game)
    dense = dense_jacobian(game)
    assert_rel(JacobianOperator(game).to_dense(), dense, 1e-9)


def renamed(loss):
    """``loss`` for players named "gen" and "disc"."""
    def renamed_loss(p, batch):
        values = loss({"G": p["gen"], "D": p["disc"]}, batch)
        return {"gen": values["G"], "disc": values["D"]}
    return renamed_loss


class Critic(nn.Module):
    """The MoG discriminator written with named layers instead of an ``nn.Sequential``."""

    def __init__(self, hidden, scale=1.0):
        super().__init__()
        self.hidden, self.act, self.out = nn.Linear(1, hidden), nn.ReLU(), nn.Linear(hidden, 1)
        self.scale = scale

    def forward(self, x):
        return self.scale * self.out(self.act(self.hidden(x))).squeeze(1)


class Generator(nn.Sequential):
    """A subclass of ``nn.Sequential`` holding the generator's layers."""


def structured_players(seed, scale=1.0, latent=LATENT):
    torch.manual_seed(seed)
    return {"gen": Generator(nn.Linear(latent, 9), nn.ReLU(), nn.Linear(9, 1)),
            "disc": Critic(7, scale)}


@pytest.mark.parametrize("loss", ["nsgan", "wgan"])
def test_renamed_players_and_other_module_classes_get_the_closed_form(loss):
    """Detection reads the layers, not the players' names or classes: "gen"/"disc", a
    Sequential subclass and a module with named layers returning (N,)."""
    game = NeuralGame(structured_players(5), renamed(LOSSES[loss]), mog_data(5),
                      dtype=torch.float64)
    closed = game.fast_path()
    assert closed is not None and (closed.form.generator, closed.form.discriminator) == ("gen", "disc")
    assert closed.form.squeeze  # the critic returns (N,)
    omega, batch = game.omega(), game.batches[0]
    field, losses = game.field_and_losses(omega, batch)
    ref_field, ref_losses = game.autograd_field_and_losses(omega, batch)
    assert_rel(field, ref_field, 1e-10)
    assert_rel(losses, ref_losses, 1e-10)
    op = JacobianOperator(game)
    assert op.uses_fast_path
    assert_rel(op.to_dense(), dense_jacobian(game), 1e-9)


def test_a_forward_other_than_its_layers_is_caught_by_the_check():
    """Same layers, but the critic doubles its output: the closed form (which reads the layers)
    disagrees with autograd at the game's state, so the game keeps autograd."""
    game = NeuralGame(structured_players(5, scale=2.0), renamed(nsgan), mog_data(5),
                      dtype=torch.float64)
    assert game.fast_path() is None
    assert not JacobianOperator(game).uses_fast_path


class WrongField:
    """A plug-in whose fast path returns 1.01 times the closed form's field."""

    def __init__(self, fast):
        self.name, self.fast = "wrong", fast

    def field_and_losses(self, omega, batch):
        field, losses = self.fast.field_and_losses(omega, batch)
        return 1.01 * field, losses


def test_a_plugin_that_disagrees_with_autograd_is_not_used(monkeypatch):
    from neural import plugins
    from neural.fastpath import PROVIDER

    class Wrong:
        def for_game(self, game):
            return WrongField(PROVIDER.for_game(game))

    monkeypatch.setattr(plugins, "providers", lambda: (Wrong(),))
    game = mog_game(seed=3)
    assert game.fast_path() is None
    monkeypatch.setattr(plugins, "providers", lambda: (Wrong(), PROVIDER))  # the next offer
    assert mog_game(seed=3).fast_path().name == "closed-form"
    monkeypatch.setattr(plugins, "providers", lambda: ())  # no plug-ins: autograd
    game = mog_game(seed=3)
    assert game.fast_path() is None
    assert_rel(game.vector_field(), game.autograd_field_and_losses(game.omega(), game.batches[0])[0], 1e-15)


# --- unsupported uses fall back to autograd ---------------------------------------------------
def transformed_fake(players, batch):
    z, x = batch
    fake = players["D"](players["G"](z) * 2)
    return {"G": F.softplus(-fake).mean(),
            "D": F.softplus(-players["D"](x)).mean() + F.softplus(fake).mean()}


def two_latents(players, batch):
    z, x = batch
    one, two = players["D"](players["G"](z)), players["D"](players["G"](z.flip(0) * 0.5))
    return {"G": F.softplus(-one).mean() + F.softplus(-two).mean(),
            "D": F.softplus(-players["D"](x)).mean() + F.softplus(one).mean()
            + F.softplus(two).mean()}


def two_input_critic(players, batch):
    z, x = batch
    fake = players["D"](torch.cat([players["G"](z), z[:, :1]], 1))
    real = players["D"](torch.cat([x, z[:, 1:2]], 1))
    return {"G": F.softplus(-fake).mean(),
            "D": F.softplus(-real).mean() + F.softplus(fake).mean()}


def generator_under_no_grad(players, batch):
    """D's term sees the generated samples as constants through no_grad (not .detach()): the
    closed form's generator stand-in cannot tell, so it must decline."""
    z, x = batch
    with torch.no_grad():
        constant_fake = players["G"](z)
    fake = players["G"](z)
    return {"G": F.softplus(-players["D"](fake)).mean(),
            "D": F.softplus(-players["D"](x)).mean() + F.softplus(players["D"](constant_fake)).mean()}


def fallback_game(kind):
    data = mog_data(8)
    torch.manual_seed(8)
    if kind in ("transformed", "two-latents", "no-grad"):
        players = mog_players(8)
        loss = {"transformed": transformed_fake, "two-latents": two_latents,
                "no-grad": generator_under_no_grad}[kind]
    elif kind == "three-layers":
        players = mog_players(8)
        players["G"] = nn.Sequential(nn.Linear(LATENT, 6), nn.ReLU(), nn.Linear(6, 5), nn.ReLU(),
                                     nn.Linear(5, 1))
        loss = nsgan
    elif kind == "two-inputs":
        players = {"G": nn.Sequential(nn.Linear(LATENT, 6), nn.ReLU(), nn.Linear(6, 1)),
                   "D": nn.Sequential(nn.Linear(2, 6), nn.ReLU(), nn.Linear(6, 1))}
        loss = two_input_critic
    elif kind == "leaky":
        players = {"G": nn.Sequential(nn.Linear(LATENT, 6), nn.LeakyReLU(0.2), nn.Linear(6, 1)),
                   "D": nn.Sequential(nn.Linear(1, 6), nn.LeakyReLU(0.2), nn.Linear(6, 1))}
        loss = nsgan
    else:
        raise ValueError(kind)
    return NeuralGame(players, loss, data, dtype=torch.float64)


@pytest.mark.parametrize("kind", ["transformed", "two-latents", "no-grad", "three-layers",
                                  "two-inputs", "leaky"])
def test_unsupported_falls_back_to_autograd(kind):
    game = fallback_game(kind)
    assert game.fast_path() is None
    omega, batch = game.omega(), game.batches[0]
    field, losses = game.field_and_losses(omega, batch)
    ref_field, ref_losses = game.functional_field(omega, batch)
    assert_rel(field, ref_field.detach(), 1e-12)
    assert_rel(losses, ref_losses.detach(), 1e-12)
    op = JacobianOperator(game)
    assert not op.uses_fast_path
    if kind == "no-grad":  # jacfwd ignores no_grad: the references disagree; keep autograd's
        coupling = JacobianOperator(game, rows=["D"], cols=["G"]).to_dense()
        assert torch.equal(coupling, torch.zeros_like(coupling))  # D sees constant samples
    else:
        assert_rel(op.to_dense(), dense_jacobian(game), 1e-10)


# --- spectrum operator orientation ------------------------------------------------------------
def test_spectrum_operator_is_j_with_closed_form_and_jt_without():
    game = mog_game(seed=6)
    dense = dense_jacobian(game)
    assert not torch.allclose(dense, dense.T, atol=1e-6)  # J is not symmetric: tells J from J^T
    op = spectrum_operator(game)
    assert not op.transpose and op.uses_fast_path
    assert_rel(op.to_dense(), dense, 1e-9)
    # a player's block (symmetric) through the closed form too
    block = spectrum_operator(game, player="G")
    g = game.slices["G"]
    assert block.uses_fast_path
    assert_rel(block.to_dense(), dense[g, g], 1e-9)

    other = fallback_game("leaky")
    dense = dense_jacobian(other)
    assert not torch.allclose(dense, dense.T, atol=1e-6)
    op = spectrum_operator(other)
    assert op.transpose and not op.uses_fast_path
    assert_rel(op.to_dense(), dense.T, 1e-10)


# --- path-angle -------------------------------------------------------------------------------
@pytest.mark.parametrize("loss", ["nsgan", "direct"])
@pytest.mark.parametrize("batches", [1, 2])
def test_path_angle_closed_form_equals_autograd(loss, batches):
    closed_game = mog_game(seed=9, loss=LOSSES[loss], batches=batches)
    plain_game = mog_game(seed=9, loss=LOSSES[loss], batches=batches, fast=False)
    assert closed_game.fast_path() is not None and plain_game.fast_path() is None
    start = closed_game.omega()
    gen = torch.Generator().manual_seed(1)
    ends = [start + 0.3 * torch.randn(start.numel(), dtype=torch.float64, generator=gen)
            for _ in range(2)]
    ours = path_angle(closed_game, start, ends, points=7)
    ref = path_angle(plain_game, start, ends, points=7)
    np.testing.assert_allclose(ours.alphas, ref.alphas)
    np.testing.assert_allclose(ours.cosine, ref.cosine, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(ours.path_norm, ref.path_norm, rtol=1e-9, atol=1e-12)
    for name in ("G", "D"):
        np.testing.assert_allclose(ours.grad_norms[name], ref.grad_norms[name], rtol=1e-9,
                                   atol=1e-12)
        np.testing.assert_allclose(ours.losses[name], ref.losses[name], rtol=1e-9, atol=1e-12)


def test_line_equals_field_at_points():
    game = mog_game(seed=12, loss=relativistic)
    closed = game.fast_path()
    start = game.omega()
    delta = 0.2 * torch.randn(start.numel(), dtype=torch.float64,
                              generator=torch.Generator().manual_seed(3))
    line = closed.line(start, delta)
    batch = game.batches[0]
    for alpha in (-0.1, 0.0, 0.45, 1.1):
        with torch.enable_grad():
            field, losses = line(alpha, batch)
        ref_field, ref_losses = game.autograd_field_and_losses(start + alpha * delta, batch)
        assert_rel(field, ref_field, 1e-10)
        assert_rel(losses, ref_losses, 1e-10)


# --- non-finite states --------------------------------------------------------------------------
def test_nan_in_generator_output_bias_gives_nan():
    game = mog_game(seed=1)
    assert game.fast_path() is not None
    omega = game.omega()
    omega[game.slices["G"].stop - 1] = float("nan")  # G's output bias: every sample NaN
    field, losses = game.field_and_losses(omega, game.batches[0])
    ref_field, ref_losses = game.autograd_field_and_losses(omega, game.batches[0])
    assert torch.isnan(losses).all()
    assert torch.isnan(field).any()
    torch.testing.assert_close(field, ref_field, equal_nan=True)
    torch.testing.assert_close(losses, ref_losses, equal_nan=True)
    # the operator at that state falls back too: its autograd products are NaN, which is a
    # one-line error (never a NaN handed to ARPACK)
    u = torch.randn(game.param_count, dtype=torch.float64,
                    generator=torch.Generator().manual_seed(0))
    with pytest.raises(NonFiniteProduct, match="not finite"):
        JacobianOperator(game, omega).matvec(u)


def test_nan_in_discriminator_weight_gives_nan():
    """A NaN first-layer weight of D makes that unit neither rising nor falling; autograd gives
    NaN scores, so the closed form must not return a finite field."""
    game = mog_game(seed=1)
    assert game.fast_path() is not None
    omega = game.omega()
    omega[game.slices["D"].start] = float("nan")  # D's first-layer weight of unit 0
    batch = game.batches[0]
    field, losses = game.field_and_losses(omega, batch)
    ref_field, ref_losses = game.autograd_field_and_losses(omega, batch)
    assert torch.isnan(ref_losses).all()
    torch.testing.assert_close(losses, ref_losses, equal_nan=True)
    torch.testing.assert_close(field, ref_field, equal_nan=True)

"""GAN losses and presets: values on hand-computable discriminators; the paper's App. C."""
import math

import pytest
import torch

from gametheory.errors import OptionError
from neural.training.losses import gan_loss, gradient_penalty
from neural.training.presets import PRESETS, resolve_config


def batch(n=4):
    return {"real": torch.linspace(-1, 1, n).unsqueeze(1), "z": torch.ones(n, 1),
            "eps": torch.full((n,), 0.5)}


def modules(d_slope=0.0, g_value=3.0):
    return {"G": lambda z: torch.full_like(z, g_value), "D": lambda x: d_slope * x.squeeze(1)}


def test_nsgan_and_saturating_at_a_constant_discriminator():
    nsgan = gan_loss("nsgan")(modules(), batch())
    assert nsgan["D"].item() == pytest.approx(2 * math.log(2))
    assert nsgan["G"].item() == pytest.approx(math.log(2))
    assert gan_loss("saturating")(modules(), batch())["G"].item() == pytest.approx(-math.log(2))


def test_saturating_generator_loss_is_log_one_minus_d():
    losses = gan_loss("saturating")(modules(d_slope=0.4, g_value=2.0), batch())
    assert losses["G"].item() == pytest.approx(math.log(1 - torch.sigmoid(torch.tensor(0.8))))


def test_wgan_and_gradient_penalty():
    plain = gan_loss("wgan")(modules(d_slope=2.0), batch())
    assert plain["D"].item() == pytest.approx(2.0 * 3.0 - 0.0)  # mean real is 0
    assert plain["G"].item() == pytest.approx(-6.0)
    # D(x) = 2x has gradient norm 2 everywhere: penalty (2 - 1)^2 = 1
    gp = gan_loss("wgangp", gp_weight=10.0)(modules(d_slope=2.0), batch())
    assert gp["D"].item() == pytest.approx(6.0 + 10.0)
    assert gp["G"].item() == pytest.approx(-6.0)


def test_gradient_penalty_depends_on_the_generator():
    theta = torch.tensor(1.5, requires_grad=True)
    real = torch.zeros(3, 1)
    penalty = gradient_penalty(lambda x: (x ** 2).squeeze(1), real, theta * torch.ones(3, 1),
                               torch.full((3,), 0.5))
    # x^ = 0.75, |grad| = 1.5, penalty (1.5 - 1)^2; d/dtheta = 2 * 0.5 * 2 * 0.5 = 1
    assert penalty.item() == pytest.approx(0.25)
    (grad,) = torch.autograd.grad(penalty, theta)
    assert grad.item() == pytest.approx(1.0)


def test_gradient_penalty_at_the_data_ignores_the_generator():
    """``at="data"`` (the paper's released MoG code): the penalty at the real samples only."""
    theta = torch.tensor(1.5, requires_grad=True)
    real = torch.tensor([[0.25], [1.0], [-2.0]])
    penalty = gradient_penalty(lambda x: (x ** 2).squeeze(1), real, theta * torch.ones(3, 1),
                               torch.full((3,), 0.5), at="data")
    # |grad| = |2x| = 0.5, 2, 4: penalty mean of 0.25, 1, 9
    assert penalty.item() == pytest.approx((0.25 + 1 + 9) / 3)
    assert not penalty.requires_grad or torch.autograd.grad(penalty, theta, allow_unused=True)[0] is None
    with pytest.raises(OptionError, match="penalty points"):
        gan_loss("wgangp", gp_at="fake")


def test_unknown_loss():
    with pytest.raises(OptionError, match="unknown loss"):
        gan_loss("hinge")


def test_presets_carry_the_appendix_values():
    mog = resolve_config("mog", "mog-wgangp-eg")
    assert (mog.lr_g, mog.lr_d, mog.gp_weight, mog.batch_size, mog.iterations) == \
        (1e-2, 1e-1, 1e-3, 10_000, 30_000)
    assert mog.full_batch and mog.method == "extragradient"
    nsgan = resolve_config("mnist", "mnist-nsgan-adam")
    assert (nsgan.lr_g, nsgan.lr_d, nsgan.beta1, nsgan.batch_size) == (2e-4, 5e-5, 0.5, 100)
    wgan = resolve_config("mnist", "mnist-wgangp-extraadam")
    assert (wgan.lr_g, wgan.lr_d, wgan.beta1, wgan.n_critic, wgan.gp_weight,
            wgan.iterations) == (8.6e-5, 8.6e-5, 0.9, 5, 10.0, 200_000)
    for name, values in PRESETS.items():
        assert resolve_config(values["dataset"], name).preset == name


def test_preset_overrides_and_errors():
    config = resolve_config("mog", "mog-nsgan-eg", lr_g=0.5, iterations=7, loss=None)
    assert (config.lr_g, config.iterations, config.loss) == (0.5, 7, "nsgan")
    with pytest.raises(OptionError, match="unknown preset"):
        resolve_config("mog", "mog-magic")
    with pytest.raises(OptionError, match="is for mnist"):
        resolve_config("mog", "mnist-nsgan-adam")
    with pytest.raises(OptionError, match="--lr-d must be > 0"):
        resolve_config("mog", lr_d=-1.0)
    with pytest.raises(OptionError, match="--beta1"):
        resolve_config("mnist", beta1=1.0)

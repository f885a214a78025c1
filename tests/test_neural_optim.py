"""Game optimisers: exact one-step values on a bilinear game, Adam against torch's, projection,
consensus, parameter averaging."""
import pytest
import torch
from torch import nn

from gametheory.errors import OptionError
from neural.training.optim import (GD, METHODS, Adam, ExtraAdam, Extragradient, OptimisticAdam, OptimisticGD,
                                   ParameterAverage, fill_game_gradients, make_optimizer, player_groups)


class Scalar(nn.Module):
    def __init__(self, value):
        super().__init__()
        self.w = nn.Parameter(torch.tensor([float(value)], dtype=torch.float64))


def bilinear(x0=1.0, y0=1.0):
    """L_x = x y, L_y = -x y: v = (y, -x), a pure rotation with equilibrium 0."""
    players = {"x": Scalar(x0), "y": Scalar(y0)}
    params = {n: list(m.parameters()) for n, m in players.items()}

    def closure(active=("x", "y"), consensus=0.0):
        def evaluate():
            value = players["x"].w * players["y"].w
            losses = {"x": value.sum(), "y": -value.sum()}
            fill_game_gradients(losses, params, active, consensus)
            return losses
        return evaluate
    return players, closure


def point(players):
    return [players["x"].w.item(), players["y"].w.item()]


def test_simultaneous_gd_one_step_and_divergence():
    players, closure = bilinear()
    opt = GD(player_groups(players, {"x": 0.1, "y": 0.1}))
    opt.step(closure())
    assert point(players) == pytest.approx([0.9, 1.1])
    for _ in range(200):
        opt.step(closure())
    assert sum(v * v for v in point(players)) > 2.0  # SimGD spirals out on a bilinear game


def test_extragradient_one_step_and_convergence():
    players, closure = bilinear()
    opt = Extragradient(player_groups(players, {"x": 0.1, "y": 0.1}))
    opt.step(closure())
    # extrapolation to (0.9, 1.1); update from (1, 1) with v(0.9, 1.1) = (1.1, -0.9)
    assert point(players) == pytest.approx([1 - 0.1 * 1.1, 1 + 0.1 * 0.9])
    for _ in range(500):
        opt.step(closure())
    # each step multiplies |omega|^2 by (1 - h^2)^2 + h^2 < 1 (linear map, exact)
    contraction = (1 - 0.01) ** 2 + 0.01
    assert sum(v * v for v in point(players)) == pytest.approx(2 * contraction ** 501, rel=1e-9)


def test_alternating_steps_only_move_the_named_player():
    players, closure = bilinear()
    opt = GD(player_groups(players, {"x": 0.1, "y": 0.1}))
    opt.step(closure(("y",)), players=("y",))
    assert point(players) == pytest.approx([1.0, 1.1])
    opt.step(closure(("x",)), players=("x",))
    assert point(players) == pytest.approx([1 - 0.11, 1.1])


def test_adam_matches_torch_adam_on_a_quadratic():
    target = torch.tensor([1.0, -2.0, 3.0], dtype=torch.float64)
    ours = nn.Linear(3, 1).double()
    theirs = nn.Linear(3, 1).double()
    theirs.load_state_dict(ours.state_dict())
    opt = Adam(player_groups({"p": ours}, {"p": 0.05}), betas=(0.5, 0.99), eps=1e-8)
    reference = torch.optim.Adam(theirs.parameters(), lr=0.05, betas=(0.5, 0.99), eps=1e-8)
    params = {"p": list(ours.parameters())}

    def loss(module):
        return ((module.weight - target) ** 2).sum() + module.bias.pow(4).sum()

    for _ in range(20):
        opt.step(lambda: fill_game_gradients({"p": loss(ours)}, params, ["p"]))
        reference.zero_grad()
        loss(theirs).backward()
        reference.step()
    assert torch.allclose(ours.weight, theirs.weight, atol=1e-12)
    assert torch.allclose(ours.bias, theirs.bias, atol=1e-12)


def test_extra_adam_first_step_updates_moments_twice():
    players, closure = bilinear()
    opt = ExtraAdam(player_groups(players, {"x": 0.1, "y": 0.1}), betas=(0.9, 0.999), eps=0.0)
    opt.step(closure())
    # extrapolation: Adam's first direction is sign(g): (0.9, 1.1); g' = (1.1, -0.9)
    m = [0.9 * 0.1 * 1 + 0.1 * 1.1, 0.9 * 0.1 * -1 + 0.1 * -0.9]
    v = [0.999 * 0.001 * 1 + 0.001 * 1.21, 0.999 * 0.001 * 1 + 0.001 * 0.81]
    d = [(mi / (1 - 0.9 ** 2)) / (vi / (1 - 0.999 ** 2)) ** 0.5 for mi, vi in zip(m, v)]
    assert point(players) == pytest.approx([1 - 0.1 * d[0], 1 - 0.1 * d[1]], rel=1e-12)
    assert [g["step"] for g in opt.param_groups] == [2, 2]


def test_optimistic_adam_uses_twice_the_new_minus_the_old_direction():
    players, closure = bilinear()
    opt = OptimisticAdam(player_groups(players, {"x": 0.1, "y": 0.1}), betas=(0.0, 0.0),
                         eps=0.0)  # betas 0: direction = sign(g)
    opt.step(closure())
    assert point(players) == pytest.approx([1 - 0.2, 1 + 0.2])  # 2 d_1 - 0
    opt.step(closure())  # g = (1.2, -0.8): d_2 = (1, -1) = d_1, so the step is lr d_2
    assert point(players) == pytest.approx([0.8 - 0.1, 1.2 + 0.1])


def test_optimistic_gd_one_step_values():
    players, closure = bilinear()
    opt = OptimisticGD(player_groups(players, {"x": 0.1, "y": 0.1}))
    opt.step(closure())  # v = (1, -1), d_{-1} = 0: the first step is 2 lr v
    assert point(players) == pytest.approx([0.8, 1.2])
    opt.step(closure())  # v = (1.2, -0.8): 2 v - (1, -1) = (1.4, -0.6)
    assert point(players) == pytest.approx([0.8 - 0.14, 1.2 + 0.06])


@pytest.mark.parametrize("name", ["simgd", "eg", "ogd"])
def test_optimisers_iterate_the_symbolic_update_maps(name):
    """The same method name in both layers: on the bilinear game v = (y, -x) the optimiser's
    iterates are the symbolic map's (ogd from its second step: the optimiser starts with
    d_{-1} = 0, so the map starts at the state (omega_1, omega_0))."""
    import numpy as np

    from gametheory.dynamics.methods import Field, Method

    players, closure = bilinear(1.0, 0.5)
    opt = make_optimizer(name, player_groups(players, {"x": 0.1, "y": 0.1}))
    opt.step(closure())
    method = Method(name, h=0.1)
    field = Field.linear(np.array([[0.0, 1.0], [-1.0, 0.0]]), (slice(0, 1), slice(1, 2)))
    start = np.array([1.0, 0.5])
    z = np.concatenate([point(players), start]) if name == "ogd" else method.step(field, start)
    for _ in range(30):
        opt.step(closure())
        z = method.step(field, z)
        assert point(players) == pytest.approx(list(z[:2]), rel=1e-12, abs=1e-14)


def test_method_names_and_aliases():
    assert METHODS == ("simgd", "eg", "ogd", "adam", "extraadam", "optimistic-adam")
    players, _ = bilinear()
    kinds = {name: type(make_optimizer(name, player_groups(players, {"x": 0.1, "y": 0.1})))
             for name in ("gd", "simgd", "extragradient", "eg", "optimistic", "ogd", "adam", "extraadam",
                          "eg-adam", "optimistic-adam", "ogd-adam")}
    assert kinds == {"gd": GD, "simgd": GD, "extragradient": Extragradient, "eg": Extragradient,
                     "optimistic": OptimisticGD, "ogd": OptimisticGD, "adam": Adam, "extraadam": ExtraAdam,
                     "eg-adam": ExtraAdam, "optimistic-adam": OptimisticAdam, "ogd-adam": OptimisticAdam}
    with pytest.raises(OptionError, match="unknown method 'altgd'; choose one of simgd, eg, ogd, adam, "
                                          "extraadam, optimistic-adam"):
        make_optimizer("altgd", player_groups(players, {"x": 0.1, "y": 0.1}))


def test_config_keeps_the_name_given_and_accepts_aliases():
    from neural.training.config import TrainConfig

    for name in ("extragradient", "eg", "gd", "optimistic-adam", "ogd"):
        assert TrainConfig(method=name).validate().method == name
    with pytest.raises(OptionError, match="unknown method 'sgd'; choose one of simgd, eg, ogd"):
        TrainConfig(method="sgd").validate()


def test_weight_clipping_projects_after_every_update():
    players, closure = bilinear(0.5, 0.5)
    groups = player_groups(players, {"x": 1.0, "y": 1.0}, clip={"y": 0.3})
    opt = Extragradient(groups)
    opt.step(closure())
    assert abs(players["y"].w.item()) <= 0.3
    assert players["y"].w.item() == pytest.approx(0.3)


def test_consensus_field_on_bilinear_game():
    players, closure = bilinear(1.0, 2.0)
    closure(consensus=0.5)()
    # v = (y, -x); J^T v = (x, y); w = v + gamma J^T v
    assert players["x"].w.grad.item() == pytest.approx(2.0 + 0.5 * 1.0)
    assert players["y"].w.grad.item() == pytest.approx(-1.0 + 0.5 * 2.0)


def test_parameter_averages():
    module = Scalar(0.0)
    average = ParameterAverage({"p": module}, beta=0.5)
    for value in (1.0, 2.0, 6.0):
        module.w.data.fill_(value)
        average.update()
    assert average.uniform["p"][0].item() == pytest.approx(3.0)
    assert average.ema["p"][0].item() == pytest.approx(0.5 * (0.5 * 1 + 0.5 * 2) + 0.5 * 6)
    restored = ParameterAverage({"p": Scalar(0.0)}, beta=0.9)
    restored.load_state_dict(average.state_dict())
    assert restored.count == 3 and restored.ema["p"][0].item() == pytest.approx(3.75)


def test_bad_options():
    players, _ = bilinear()
    with pytest.raises(OptionError, match="learning rate"):
        player_groups(players, {"x": -0.1, "y": 0.1})
    with pytest.raises(OptionError, match="unknown method"):
        make_optimizer("rmsprop", player_groups(players, {"x": 0.1, "y": 0.1}))
    with pytest.raises(OptionError, match="closure"):
        GD(player_groups(players, {"x": 0.1, "y": 0.1})).step()

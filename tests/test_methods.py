"""Update maps: their Jacobians at stationary points against closed forms and finite differences."""
import numpy as np
import pytest
import sympy as sp

from gametheory import classify_game, zoo
from gametheory.dynamics.methods import update_jacobian
from gametheory.errors import OptionError
from gametheory.dynamics.methods import Field, Method, parse_order
from support.update_maps import finite_difference

h, beta, gamma, r = sp.symbols("h beta gamma r")


def _point(name, stability="LSSP"):
    report = classify_game(zoo.get(name))
    point = next(p for p in report.points if p.stability == stability)
    return report.game, point


METHODS = [Method("simgd", h=0.05), Method("simgd", h=0.05, ratio=2.5), Method("altgd", h=0.05),
           Method("altgd", h=0.05, order=(1, 0)), Method("altgd", h=0.05, beta=-0.4), Method("eg", h=0.05, ratio=0.5),
           Method("ogd", h=0.05), Method("momentum", h=0.05, beta=0.3), Method("consensus", h=0.05, gamma=0.7)]


@pytest.mark.parametrize("name", ["example1", "dirac-gan", "dirac-gan-r1"])
@pytest.mark.parametrize("method", METHODS, ids=lambda m: m.label)
def test_update_jacobian_matches_finite_differences(name, method):
    report = classify_game(zoo.get(name))
    point = report.points[0]
    game = report.game
    exact = update_jacobian(method, point.jacobian, game.slices)
    omega = [float(v) for v in point.values]
    fd = finite_difference(method, game, omega)
    assert np.allclose(np.array(exact.evalf().tolist(), float), fd, atol=1e-7)
    numeric = update_jacobian(method, np.array(point.jacobian.evalf().tolist(), float), game.slices)
    assert np.allclose(numeric, fd, atol=1e-7)


def test_symbolic_update_jacobians_match_closed_forms():
    game, point = _point("example1")
    j = point.jacobian
    eye = sp.eye(3)
    assert update_jacobian(Method("simgd", h=h), j, game.slices) == (eye - h * j).applyfunc(sp.expand)
    assert update_jacobian(Method("eg", h=h), j, game.slices) == (eye - h * j + h ** 2 * j ** 2).applyfunc(sp.expand)
    ogd = sp.Matrix(sp.BlockMatrix([[eye - 2 * h * j, h * j], [eye, sp.zeros(3)]]))
    assert update_jacobian(Method("ogd", h=h), j, game.slices) == ogd.applyfunc(sp.expand)
    mom = sp.Matrix(sp.BlockMatrix([[(1 + beta) * eye - h * j, -beta * eye], [eye, sp.zeros(3)]]))
    assert (update_jacobian(Method("momentum", h=h, beta=beta), j, game.slices) - mom).applyfunc(sp.expand) == sp.zeros(6)
    cons = eye - h * (j + gamma * j.T * j)
    assert (update_jacobian(Method("consensus", h=h, gamma=gamma), j, game.slices) - cons).applyfunc(sp.expand) == sp.zeros(3)


def test_two_time_scale_and_alternating_blocks():
    """Two players with blocks S1, B, A, S2: SimGD with h_D = r h, and AltGD (G first) whose
    D update sees the new G: M = [[I - h S1, -h B], [-r h A (I - h S1), I - r h S2 + r h^2 A B]]."""
    game, point = _point("example2")
    j = point.jacobian
    s1, b, a, s2 = j[0, 0], j[0, 1], j[1, 0], j[1, 1]
    simgd = update_jacobian(Method("simgd", h=h, ratio=r), j, game.slices)
    assert simgd == sp.Matrix([[1 - h * s1, -h * b], [-r * h * a, 1 - r * h * s2]]).applyfunc(sp.expand)
    alt = update_jacobian(Method("altgd", h=h, ratio=r), j, game.slices)
    expected = sp.Matrix([[1 - h * s1, -h * b], [-r * h * a * (1 - h * s1), 1 - r * h * s2 + r * h ** 2 * a * b]])
    assert (alt - expected).applyfunc(sp.expand) == sp.zeros(2)


def test_update_maps_fix_stationary_points():
    game, point = _point("example1")
    omega = np.array([float(v) for v in point.values])
    field = Field.of_game(game)
    for method in METHODS:
        z = method.initial_state(omega)
        assert np.allclose(method.step(field, z), z, atol=1e-14)


@pytest.mark.parametrize("kwargs, message", [
    (dict(name="simgd", h=-0.1), "step size h"),
    (dict(name="simgd", h=0.0), "step size h"),
    (dict(name="momentum", h=0.1, beta=1.0), "beta"),
    (dict(name="momentum", h=0.1, beta=-1.5), "beta"),
    (dict(name="eg", h=0.1, order=(1, 0)), "alternating methods only"),
    (dict(name="eg+altgd+eg", h=0.1), "eg more than once"),
    (dict(name="consensus", h=0.1, gamma=-1), "gamma"),
    (dict(name="simgd", h=0.1, ratio=0), "ratio"),
    (dict(name="adam", h=0.1), "unknown method"),
    (dict(name="eg+adam", h=0.1), "unknown method 'adam'"),
])
def test_bad_hyper_parameters_raise_option_errors(kwargs, message):
    with pytest.raises(OptionError, match=message):
        Method(**kwargs)


def test_parse_order():
    game = zoo.get("dirac-gan")
    assert parse_order("D,G", game) == (1, 0)
    assert parse_order("0,1", game) == (0, 1)
    with pytest.raises(OptionError):
        parse_order("G", game)
    with pytest.raises(OptionError):
        parse_order("G,X", game)

"""Compositions of method transformations: the update Jacobian of every composition against the
closed form of the composed linear recursion, finite differences of the composed map on nonlinear
games, and the spectral radius against simulated iterates; names and their aliases."""
from itertools import product

import numpy as np
import pytest
import sympy as sp

from gametheory import classify_game, zoo
from gametheory.dynamics.convergence import local_convergence, per_eigenvalue, spectral_radius
from gametheory.dynamics.methods import Field, Method, update_jacobian
from gametheory.dynamics.simulate import iterate
from gametheory.dynamics.vocabulary import resolve_method, spec
from gametheory.errors import OptionError
from support.update_maps import finite_difference

h, r, beta, gamma = sp.symbols("h r beta gamma")


def _point(name):
    report = classify_game(zoo.get(name))
    return report.game, report.points[0]


def _closed_form(j, slices, steps, order, lookahead, optimistic, b, g):
    """The update Jacobian from the rules: J_w = J + g J^T J, A = J_w (I - H J_w) with look-ahead;
    L = the blocks of A of players updated before each row's player; c = 2 with optimism;
    (I + c H L) x' = (I - c H U + (c - 1) H L + b I) x + ((c - 1) H U - b I) x_prev."""
    n = j.rows
    eye = sp.eye(n)
    hh = sp.diag(*steps)
    jw = j + g * j.T * j
    a = jw * (eye - hh * jw) if lookahead else jw
    rank = {player: k for k, player in enumerate(order)} if order else {}
    owner = [i for i, sl in enumerate(slices) for _ in range(sl.start, sl.stop)]
    lower = sp.Matrix(n, n, lambda p, q: a[p, q] if rank and rank[owner[q]] < rank[owner[p]] else 0)
    upper = a - lower
    c = 2 if optimistic else 1
    k_inv = (eye + c * hh * lower).inv()
    top = k_inv * (eye - c * hh * upper + (c - 1) * hh * lower + b * eye)
    back = k_inv * ((c - 1) * hh * upper - b * eye)
    if not (optimistic or b != 0):
        return top
    return sp.Matrix(sp.BlockMatrix([[top, back], [eye, sp.zeros(n)]]))


PARTS = ("altgd", "eg", "ogd")


@pytest.mark.parametrize("alternate, lookahead, optimistic, momentum, consensus",
                         list(product([False, True], repeat=5)))
def test_every_composition_has_the_closed_form_jacobian(alternate, lookahead, optimistic, momentum, consensus):
    game, point = _point("example2")
    j = point.jacobian
    names = [p for p, on in zip(PARTS, (alternate, lookahead, optimistic)) if on]
    method = Method("+".join(names) or "simgd", h=h, ratio=r, beta=beta if momentum else 0,
                    gamma=gamma if consensus else 0, order=(1, 0) if alternate else None)
    got = update_jacobian(method, j, game.slices)
    want = _closed_form(j, game.slices, [h, r * h], (1, 0) if alternate else None, lookahead, optimistic,
                        beta if momentum else 0, gamma if consensus else 0)
    assert got.shape == want.shape
    assert (got - want).applyfunc(lambda e: sp.simplify(sp.together(e))) == sp.zeros(*got.shape)


NEW = [Method("eg", h=0.05, beta=-0.3), Method("altgd+eg", h=0.05), Method("altgd+ogd", h=0.05, order=(1, 0)),
       Method("altgd", h=0.05, gamma=0.6, beta=0.2), Method("eg+ogd", h=0.05, ratio=0.5),
       Method("ogd", h=0.05, beta=0.4), Method("simgd", h=0.05, beta=0.3, gamma=0.5, ratio=2),
       Method("altgd+eg+ogd", h=0.05, beta=-0.2, gamma=0.3, ratio=1.5, order=(1, 0))]


@pytest.mark.parametrize("name", ["example1", "dirac-gan-r1"])
@pytest.mark.parametrize("method", NEW, ids=lambda m: m.label)
def test_composed_jacobian_matches_finite_differences_of_the_composed_map(name, method):
    game, point = _point(name)
    omega = [float(v) for v in point.values]
    fd = finite_difference(method, game, omega)
    exact = update_jacobian(method, point.jacobian, game.slices)
    assert np.allclose(np.array(exact.evalf().tolist(), float), fd, atol=1e-7)
    field = Field.of_game(game)
    z = method.initial_state(np.array(omega))
    assert np.allclose(method.step(field, z), z, atol=1e-14)  # the stationary point is fixed


@pytest.mark.parametrize("game_name, method", [
    ("bilinear", Method("eg", h=0.5, beta=-0.3)), ("bilinear", Method("eg", h=0.5, beta=0.3)),
    ("bilinear", Method("altgd+eg", h=0.5)), ("bilinear", Method("ogd", h=0.3, beta=-0.2)),
    ("bilinear", Method("altgd+ogd", h=0.3)), ("dirac-gan", Method("altgd", h=0.3, gamma=1)),
    ("dirac-gan", Method("altgd", h=0.3, gamma=0.1)), ("dirac-gan", Method("altgd+eg", h=0.4, gamma=0.5)),
    ("bilinear", Method("ogd", h=0.3, beta=0.5)), ("bilinear", Method("altgd+ogd", h=0.9)),
    ("dirac-gan", Method("eg", h=0.3, beta=0.9, gamma=1)),
], ids=lambda x: x if isinstance(x, str) else x.label)
def test_spectral_radius_below_one_iff_iterates_converge(game_name, method):
    game, point = _point(game_name)
    j = np.array(point.jacobian.tolist(), float)
    radius = spectral_radius(method, j, game.slices)
    assert abs(radius - 1) > 1e-3  # a clear-cut case
    run = iterate(game, method, [0.3, -0.2], 3000, target=[0, 0], tol=1e-9)
    assert (run.verdict == "converged") == (radius < 1)
    if radius < 1:
        assert run.rate == pytest.approx(radius, rel=1e-3)
    exact = local_convergence(Method(method.name, h=sp.nsimplify(method.h), beta=sp.nsimplify(method.beta),
                                     gamma=sp.nsimplify(method.gamma)), point.jacobian, game.slices)
    assert exact.exact and exact.verdict == ("converges" if radius < 1 else "diverges")


def test_extragradient_with_momentum_on_bilinear_planted_radius():
    """Bilinear J (J^2 = -I): the look-ahead direction has Jacobian A = J - h J^2 = J + h I, with
    eigenvalues a = h +- i; heavy ball on it has the per-eigenvalue polynomial
    x^2 - (1 + beta - h a) x + beta, whose largest root modulus is rho."""
    game, point = _point("bilinear")
    j = np.array(point.jacobian.tolist(), float)
    for step, b in ((0.5, -0.3), (0.5, 0.3), (0.2, -0.5)):
        a = step + 1j
        roots = np.roots([1, -(1 + b - step * a), b])
        radius = spectral_radius(Method("eg", h=step, beta=b), j, game.slices)
        assert radius == pytest.approx(max(abs(roots)), rel=1e-12)


def test_names_aliases_and_compositions():
    assert Method("gd").name == "simgd" and Method("extragradient").name == "eg" and Method("Optimistic").name == "ogd"
    assert Method("eg+altgd").name == "altgd+eg" and Method("simgd+eg").name == "eg"
    assert Method("simgd", beta=0.5).name == "momentum" and Method("simgd", gamma=1).name == "consensus"
    assert Method("simgd", beta=0.5, gamma=1).label == "momentum+consensus(beta=0.5, gamma=1)"
    assert Method("eg", beta=-0.5).label == "eg(beta=-0.5)" and Method("eg", beta=-0.5).memory == 2
    assert Method("momentum").memory == 2 and Method("altgd").memory == 1 and Method("altgd", beta=0.1).memory == 2
    assert Method("gd").plain and not Method("simgd", ratio=2).plain and not Method("consensus").plain
    assert per_eigenvalue(Method("eg+ogd", beta=0.2)) and not per_eigenvalue(Method("eg", gamma=1))
    assert not per_eigenvalue(Method("altgd+eg")) and not per_eigenvalue(Method("eg", ratio=2))
    assert resolve_method("GD") == "simgd" and spec("extraadam").scheme == "eg" and spec("adam").direction == "adam"
    with pytest.raises(OptionError, match="choose one of simgd, eg, ogd .*aliases: gd = simgd"):
        resolve_method("sgd", ("simgd", "eg", "ogd"))


def test_region_names_take_aliases_and_compositions():
    from gametheory.dynamics.regions import parse_region

    name, method = parse_region("gd:h=1/2")
    assert name == "simgd" and method.h == sp.Rational(1, 2)
    assert parse_region("eg+altgd:gamma=1")[0] == "altgd+eg"
    assert parse_region("simgd:gamma=1")[0] == "consensus"
    with pytest.raises(OptionError, match=r"unknown region 'eg\+stable'"):
        parse_region("eg+stable")

"""Parametric stability regions: exact conditions, checked against numeric spectra."""
import numpy as np
import pytest
import sympy as sp

from gametheory import Game, Player, classify_game, zoo
from gametheory.dynamics.convergence import spectral_radius
from gametheory.errors import OptionError
from gametheory.dynamics.methods import Method
from gametheory.analysis.criteria import hurwitz_conditions, unit_disk_conditions
from gametheory.dynamics.regions import H, R, point_region, real_set

gamma = sp.Symbol("gamma", real=True)
Q = sp.Rational


def _r1_point():
    game = zoo.get("dirac-gan-r1")
    report = classify_game(game)
    return game, dict(zip(report.game.params, report.points[0].values))


def _jacobian(game, point, values):
    return np.array(game.jacobian.subs({**point, **values}).evalf().tolist(), float)


def test_dirac_gan_r1_is_an_lssp_iff_gamma_positive():
    game, point = _r1_point()
    region = point_region(game, point, "lssp")
    assert region.set == sp.Interval.open(0, sp.oo)
    assert region.intervals() == [(0.0, float("inf"))] and region.to_dict()["interval"] == [[0.0, None]]
    assert sp.simplify(region.condition) == (gamma > 0)
    for value in (-1, -0.1, 0.0, 0.1, 3):
        eigs = np.linalg.eigvals(_jacobian(game, point, {gamma: value}))
        assert (min(eigs.real) > 0) == (value > 0)


def test_dirac_gan_r1_is_never_a_dne():
    game, point = _r1_point()
    region = point_region(game, point, "dne")
    assert region.set is sp.S.EmptySet and region.condition is sp.false


def test_simgd_region_for_a_given_step_matches_spectral_radius():
    game, point = _r1_point()
    region = point_region(game, point, "simgd", method=Method("simgd", h=Q(1, 2)))
    assert region.set == sp.Interval.open(Q(1, 8), Q(65, 16))
    for value in np.linspace(-1, 6, 57):
        j = _jacobian(game, point, {gamma: value})
        inside = bool(region.set.contains(sp.Rational(str(value))))
        radius = spectral_radius(Method("simgd", h=0.5), j, game.slices)
        if abs(radius - 1) > 1e-9:
            assert inside == (radius < 1), value


def test_two_variables_give_unreduced_exact_conditions():
    game, point = _r1_point()
    region = point_region(game, point, "simgd")  # h stays a variable
    assert region.variables == (gamma, H) and region.set is None
    rng = np.random.default_rng(1)
    for g, h in rng.uniform([-1, 0.01], [5, 6], size=(40, 2)):
        value = bool(region.condition.subs({gamma: sp.Rational(str(g)), H: sp.Rational(str(h))}))
        radius = spectral_radius(Method("simgd", h=h), _jacobian(game, point, {gamma: g}), game.slices)
        if abs(radius - 1) > 1e-9:
            assert value == (radius < 1)


def test_step_ratio_as_the_variable():
    game, point = _r1_point()
    region = point_region(game, point, "simgd", fixed={gamma: 1}, method=Method("simgd", h=1, ratio=R))
    assert region.variables == (R,)
    j = _jacobian(game, point, {gamma: 1})
    for r in (0.1, 0.5, 1.0, 2.0, 3.0, 5.0):
        radius = spectral_radius(Method("simgd", h=1, ratio=r), j, game.slices)
        assert bool(region.set.contains(sp.Rational(str(r)))) == (radius < 1)


def test_hand_written_game_with_a_constant():
    a, x, y = sp.symbols("a x y", real=True)
    game = Game(Player("P1", x, a * x ** 2 / 2 + x * y), Player("P2", y, -x * y), constants={a: 1})
    point = {x: 0, y: 0}
    assert point_region(game, point, "lssp").set == sp.Interval.open(0, sp.oo)
    assert point_region(game, point, "dne").set is sp.S.EmptySet
    eg = point_region(game, point, "eg", method=Method("eg", h=Q(1, 2)))
    for value in (-0.5, 0.0, 0.5, 1.0, 2.0, 4.0):
        j = np.array([[value, 1.0], [-1.0, 0.0]])
        radius = spectral_radius(Method("eg", h=0.5), j, game.slices)
        if abs(radius - 1) > 1e-9:
            assert bool(eg.set.contains(sp.Rational(str(value)))) == (radius < 1)


def test_hurwitz_and_schur_conditions_against_roots():
    rng = np.random.default_rng(0)
    for _ in range(200):
        coeffs = [Q(int(c), 4) for c in rng.integers(-8, 9, size=4)]
        if coeffs[0] == 0:
            continue
        roots = np.roots([float(c) for c in coeffs])
        if np.any(np.isclose(roots.real, 0, atol=1e-9)) or np.any(np.isclose(abs(roots), 1, atol=1e-9)):
            continue
        left = all(c > 0 for c in hurwitz_conditions(coeffs))
        assert left == bool(np.all(roots.real < 0))
        z = sp.Symbol("z")
        inside = all(c > 0 for c in unit_disk_conditions(sum(c * z ** (3 - i) for i, c in enumerate(coeffs)), z))
        assert inside == bool(np.all(abs(roots) < 1))


def test_real_set_excludes_roots_and_handles_unbounded_pieces():
    x = sp.Symbol("x", real=True)
    assert real_set([x ** 2 - 1], x) == sp.Union(sp.Interval.open(-sp.oo, -1), sp.Interval.open(1, sp.oo))
    assert real_set([(x - 2) ** 2], x) == sp.Union(sp.Interval.open(-sp.oo, 2), sp.Interval.open(2, sp.oo))
    assert real_set([x ** 3 - 2], x) == sp.Interval.open(sp.cbrt(2), sp.oo)


def test_region_errors():
    game, point = _r1_point()
    with pytest.raises(OptionError, match="unknown region"):
        point_region(game, point, "stable")
    with pytest.raises(OptionError, match="at least one variable"):
        point_region(game, point, "lssp", fixed={gamma: 2})

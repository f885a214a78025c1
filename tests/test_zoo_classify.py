"""The papers' stated values on the built-in games, decided exactly."""
import math

import numpy as np
import pytest
import sympy as sp

from gametheory import classify_game, classify_point, stationary_points, zoo
from gametheory.zoo import phi, psi, theta, theta1, theta2


def by_point(report):
    return {tuple(p.values): p for p in report.points}


def test_example1_matches_paper_appendix_a2():
    game = zoo.get("example1")
    v = game.vector_field
    # eq. (15)
    expected = sp.Matrix([(2 * phi**2 - 1) * theta1 - 3 * phi * theta2 + 2 * phi + 1,
                          (2 - phi**2) * theta2 - 3 * phi * theta1 - 2 + phi,
                          5 * theta1 + 4 * theta2 - 9])
    assert sp.simplify(v - expected) == sp.zeros(3, 1)
    report = classify_game(game)
    points = by_point(report)
    p = points[(1, 1, 0)]
    assert p.jacobian == sp.Matrix([[-1, 0, -1], [0, 2, -2], [5, 4, 0]])  # eq. (17)
    x = sp.Symbol("x")
    assert sp.expand(p.characteristic_polynomial.as_expr(x) - (x**3 - x**2 + 11 * x - 2)) == 0  # eq. (18)
    assert p.stability == "LSSP" and p.stability_method == "exact" and p.lssp
    assert not p.dne
    assert p.nash.players[0].inertia.status == "indefinite"  # generator at a saddle of L_G
    eig = np.linalg.eigvals(np.array([[-1, 0, -1], [0, 2, -2], [5, 4, 0]], dtype=float))
    assert p.step.max_step_size == pytest.approx(min(2 * l.real / abs(l) ** 2 for l in eig), rel=1e-12)
    assert abs(p.step.binding_eigenvalue.imag) > 3  # the rotating pair binds, not the real eigenvalue


def test_example1_second_stationary_point_is_unstable():
    points = by_point(classify_game(zoo.get("example1")))
    assert set(points) == {(1, 1, 0), (sp.Rational(45, 41), sp.Rational(36, 41), sp.Rational(-1, 9))}
    other = points[(sp.Rational(45, 41), sp.Rational(36, 41), sp.Rational(-1, 9))]
    assert other.stability == "unstable" and other.step.max_step_size is None


def test_example2_reproduces_eq23_and_conclusions():
    game = zoo.get("example2")
    points = by_point(classify_game(game))
    assert set(points) == {(0, 1), (0, -1)}
    plus, minus = points[(0, 1)], points[(0, -1)]
    half = sp.Rational(1, 2)
    assert plus.jacobian == sp.Matrix([[1, half], [2, half]])
    assert minus.jacobian == sp.Matrix([[1, -half], [2, -half]])
    assert plus.dne and not plus.lssp and plus.stability == "unstable"
    assert set(plus.exact_eigenvalues) == {(3 + sp.sqrt(17)) / 4, (3 - sp.sqrt(17)) / 4}
    assert minus.lssp and not minus.dne
    assert {sp.expand(e) for e in minus.exact_eigenvalues} == {sp.Rational(1, 4) + sp.sqrt(7) * sp.I / 4,
                                                               sp.Rational(1, 4) - sp.sqrt(7) * sp.I / 4}
    assert minus.step.exact == 1 and minus.step.max_step_size == 1.0


def test_example2_printed_has_no_real_stationary_point():
    game = zoo.get("example2-printed")
    assert game.jacobian == sp.Matrix([[8, phi], [4, 0]])
    report = classify_game(game)
    assert report.points == () and report.families == ()


@pytest.mark.parametrize("name", ["dirac-gan", "dirac-nsgan", "dirac-wgan", "bilinear", "rotation"])
def test_rotational_games_are_marginal_never_stable(name):
    report = classify_game(zoo.get(name))
    (p,) = report.points
    assert p.exact and tuple(p.values) == (0, 0)
    assert p.stability == "marginal" and not p.lssp
    assert all(l.real == 0.0 for l in p.eigenvalues)
    assert p.step.max_step_size is None


def test_dirac_gan_jacobian_and_zero_sum():
    assert zoo.get("dirac-gan").zero_sum and zoo.get("bilinear").zero_sum
    assert not zoo.get("dirac-nsgan").zero_sum and not zoo.get("dirac-gan-r1").zero_sum
    (p,) = classify_game(zoo.get("dirac-gan")).points
    assert p.jacobian == sp.Matrix([[0, sp.Rational(1, 2)], [-sp.Rational(1, 2), 0]])


@pytest.mark.parametrize("gamma,verdict", [(1, "LSSP"), (sp.Rational(1, 10), "LSSP"), (0, "marginal"), (-1, "unstable")])
def test_dirac_gan_r1_is_lssp_iff_gamma_positive(gamma, verdict):
    game = zoo.get("dirac-gan-r1")
    (gamma_symbol,) = game.constants
    (p,) = classify_game(game, {gamma_symbol: gamma}, {theta: 0, psi: 0}).points
    assert p.stability == verdict


def test_archetypes():
    att = classify_game(zoo.get("attraction")).points[0]
    assert att.lssp and att.dne and att.step.exact == 2
    both = classify_game(zoo.get("attraction-rotation")).points[0]
    assert both.lssp and both.dne and set(both.exact_eigenvalues) == {1 + sp.I, 1 - sp.I}
    assert both.step.exact == 1  # 2 Re / |l|^2 = 2 / 2


def test_transcendental_game_numeric_point_is_flagged():
    from gametheory import Game, Player
    a, b = sp.symbols("a b", real=True)
    game = Game(Player("P", a, (a - sp.cos(b)) ** 2 / 2), Player("Q", b, (b - a) ** 2 / 2))
    search = stationary_points(game)
    assert not search.complete and len(search.points) == 1
    (point,) = search.points
    assert not point.exact
    assert float(point.values[0]) == pytest.approx(0.7390851332151607, abs=1e-10)  # a = cos(a)
    report = classify_point(game, point.as_dict(game.params))
    assert report.stability_method == "numeric" and report.tolerance is not None
    assert report.stability == "LSSP"  # eigenvalues 1 +- i sqrt(sin a)
    assert report.eigenvalues[0].imag == pytest.approx(-math.sqrt(math.sin(0.7390851332151607)), abs=1e-8)


def test_family_of_stationary_points_is_reported_not_sampled():
    from gametheory import Game, Player
    a, b = sp.symbols("a b", real=True)
    game = Game(Player("P", a, (a - b) ** 2 / 2), Player("Q", b, (a - b) ** 2 / 2))
    search = stationary_points(game)
    assert search.points == () and len(search.families) == 1
    family = search.families[0]
    assert len(family.free) == 1 and "curve" in family.description


def test_given_point_not_stationary_still_reports_spectrum():
    report = classify_game(zoo.get("example1"), point={theta1: 1, theta2: 1, phi: sp.Rational(1, 2)})
    (p,) = report.points
    assert not p.stationary and not p.lssp and p.residual > 0
    assert len(p.eigenvalues) == 3 and p.step.max_step_size is None
    assert "not a stationary point" in p.stability_reason


def test_irrational_stationary_points_stay_exact():
    from gametheory import Game, Player
    a, b = sp.symbols("a b", real=True)
    game = Game(Player("P", a, a**3 / 3 - 2 * a), Player("Q", b, (b - a) ** 2 / 2))
    points = by_point(classify_game(game))
    root2 = sp.sqrt(2)
    assert set(points) == {(root2, root2), (-root2, -root2)}
    good, bad = points[(root2, root2)], points[(-root2, -root2)]
    assert good.lssp and good.dne and good.stability_method == "exact"
    assert good.step.exact == root2 / 2  # eigenvalues 2 sqrt(2) and 1: min(2/(2 sqrt 2), 2/1)
    assert bad.stability == "unstable" and not bad.dne


def test_three_players_cyclic_game_is_unstable():
    from gametheory import Game, Player
    a, b, c = sp.symbols("a b c", real=True)
    game = Game(Player("P", a, a * b), Player("Q", b, b * c), Player("R", c, c * a))
    (p,) = classify_game(game).points
    assert p.stability == "unstable"  # J is a cyclic permutation: eigenvalues are the cube roots of 1


def test_implicit_algebraic_point_is_decided_exactly():
    from gametheory import Game, Player
    a, b = sp.symbols("a b", real=True)
    # a^3 - a - 1 = 0 has one real root (about 1.3247), not expressible without a cubic formula
    game = Game(Player("P", a, a**4 / 4 - a**2 / 2 - a), Player("Q", b, (b - a) ** 2 / 2))
    (p,) = classify_game(game).points
    assert isinstance(p.values[0], sp.CRootOf) and p.exact
    assert p.stability == "LSSP" and p.stability_method == "exact" and p.dne
    assert float(p.values[0]) == pytest.approx(1.324717957244746)
    # eigenvalues 3a^2 - 1 (about 4.26) and 1: Lemma 4 binds at 2 / (3a^2 - 1)
    assert p.step.max_step_size == pytest.approx(2 / (3 * 1.324717957244746**2 - 1), rel=1e-12)

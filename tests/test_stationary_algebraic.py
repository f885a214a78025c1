"""The exact stationary-point solve over the coefficients' field, and the failures the fuzzer found in it.

Polynomial systems are solved over Q or one algebraic field K built once (never a tower of
extensions), split by irreducible factors over K; components that are beyond the size budget or
that have no supported exact form go to the numeric search with an explicit note, never a traceback.
Expected answers are planted (support/planting.py) or derived by hand in each test.
"""
import mpmath
import pytest
import sympy as sp

from gametheory import Game, Player
from gametheory.analysis import stationary_exact
from gametheory.analysis.stationary import stationary_points
from support.planting import Block, Plan, build

R = sp.Rational
S5 = sp.sqrt(5)
x, y = sp.symbols("x y", real=True)


def _planted_found_exactly(planted, search) -> bool:
    target = tuple(planted.point.values())
    return any(p.exact and all(sp.expand(v - t) == 0 for v, t in zip(p.values, target)) for p in search.points)


def test_a_quadratic_that_splits_over_q_sqrt5_gives_the_planted_point_in_q_sqrt5():
    # The lex basis has b0**2 + ... irreducible over Q but split over Q(sqrt 5): the planted
    # b0 = -1 + sqrt(5)/10**12 must come out as that number, not as a nested radical.
    plan = Plan(blocks=(Block("complex", (S5, R(10), S5 + R(5, 2), R(-1)), (1, 0)),
                        Block("real", (R(-3, 2) + S5 / 2,), (2,)), Block("real", (S5,), (2,))),
                skews=((), (), (R(-1),)), scales=(R(2), R(2), R(1, 3)),
                point=(R(5, 2) - S5, -1 + S5 / 10**12, 2 - S5, R(5, 2)),
                cubics=((R(-1), 0, 1, 0), (R(2), 0, 1, 0)))
    planted = build(plan)
    search = stationary_points(planted.game)
    assert search.complete and "over QQ<sqrt(5)>" in search.method
    assert _planted_found_exactly(planted, search)
    assert all(p.exact for p in search.points) and len(search.points) == 2
    for p in search.points:  # every reported point is a zero of v (50 digits)
        subs = p.as_dict(planted.game.params)
        assert all(abs(sp.N(c.subs(subs), 50)) < 1e-40 for c in planted.game.vector_field)


def test_a_component_not_in_shape_position_is_solved_through_a_separating_form():
    # v = (x**2 - 2, y**2 - 3): four points (+-sqrt 2, +-sqrt 3), y alone does not separate them.
    game = Game(Player("P", x, x**3 / 3 - 2 * x), Player("Q", y, y**3 / 3 - 3 * y))
    search = stationary_points(game)
    assert search.complete
    expected = {(sx * sp.sqrt(2), sy * sp.sqrt(3)) for sx in (-1, 1) for sy in (-1, 1)}
    got = {tuple(p.values) for p in search.points}
    assert len(got) == 4 and all(p.exact for p in search.points)
    assert {tuple(sp.nsimplify(sp.radsimp(v)) for v in q) for q in got} == expected


def test_a_cubic_factor_over_q_sqrt5_goes_to_the_numeric_search_with_a_note():
    # v_x = (x - 1)(x**3 + sqrt5 x - 1): the cubic is irreducible over Q(sqrt 5) and increasing,
    # so it has exactly one real root; (1, 0) stays exact.
    cubic = x**3 + S5 * x - 1
    game = Game(Player("P", x, sp.integrate(sp.expand((x - 1) * cubic), x)), Player("Q", y, y**2 / 2))
    search = stationary_points(game)
    assert not search.complete
    note = ("exact solve gave up on 1 component(s): real roots of a factor of degree 3 over QQ<sqrt(5)>; "
            "numeric search used for them")
    assert note in search.notes and note in search.method
    exact = [p.values for p in search.points if p.exact]
    assert exact == [(1, 0)]
    numeric = [p for p in search.points if not p.exact]
    with mpmath.workdps(50):
        root = [r.real for r in mpmath.polyroots([1, 0, mpmath.sqrt(5), -1]) if abs(r.imag) < 1e-30]
    assert len(root) == 1 and len(numeric) == 1
    assert float(numeric[0].values[0]) == pytest.approx(float(root[0]), rel=1e-15)
    assert numeric[0].values[1] == 0 or abs(float(numeric[0].values[1])) < 1e-15


def test_a_sympy_failure_in_the_exact_solve_is_a_note_not_a_traceback(monkeypatch):
    # The fuzzer's crash: primitive_element raised ValueError (4300-digit integer conversion).
    def fail(*args, **kwargs):
        raise ValueError("Exceeds the limit (4300 digits) for integer string conversion")

    monkeypatch.setattr(stationary_exact, "lex_basis", fail)
    game = Game(Player("P", x, (x - S5) ** 2 / 2), Player("Q", y, (y - 1) ** 2 / 2 + x * y))
    search = stationary_points(game)
    assert not search.complete
    assert any(n.startswith("exact solve gave up: ValueError in sympy (Exceeds the limit") and
               n.endswith("; numeric search used") for n in search.notes)
    # the numeric search still finds (sqrt 5, 1 - sqrt 5), snapped to its exact value
    assert [p.values for p in search.points] == [(S5, 1 - S5)] and search.points[0].exact


SIX = (Block("pair", (R(1), R(2), R(1), R(1)), (0, 1)), Block("complex", (R(1), R(2), R(0), R(1)), (0, 1)),
       Block("real", (R(3),), (0,)), Block("real", (R(-1),), (1,)))
SIX_CUBICS = ((R(1), 0, 1, 2), (R(-1), 3, 4, 5), (R(2), 1, 1, 5))


def _six(point) -> Plan:
    return Plan(SIX, ((R(1), R(1), R(1)), (R(1), R(1), R(1))), (R(1), R(1)), tuple(point), SIX_CUBICS)


def test_six_parameters_with_cubics_over_q_sqrt5_are_beyond_the_budget_not_a_crash():
    # Six quadratic equations over Q(sqrt 5) (Bezout bound 64): the fuzzer's primitive_element crash.
    planted = build(_six([1 + S5, R(1, 2), -S5, 2 - S5, R(1), S5 / 2]))
    search = stationary_points(planted.game)
    assert not search.complete
    assert "exact solve gave up: Bezout bound 64 > 16 over QQ<sqrt(5)>; numeric search used" in search.notes
    assert _planted_found_exactly(planted, search)  # found numerically, snapped to its exact value


@pytest.mark.slow
def test_six_parameters_with_cubics_at_a_rational_point():
    # Over Q: a grevlex basis and FGLM; the degree-24 component goes to the numeric search.
    planted = build(_six([R(1), R(1, 2), R(-1), R(2), R(0), R(3)]))
    search = stationary_points(planted.game)
    assert _planted_found_exactly(planted, search)
    assert any(n.startswith("exact solve gave up on 1 component(s): a component of degree")
               for n in search.notes)


def test_a_high_degree_root_in_one_coordinate_stays_exact():
    # v = (x**9 - x - 1, y): the degree budget is for coordinates that are polynomials in a root,
    # not for the root itself; x**9 - x - 1 is irreducible over Q with one real root.
    game = Game(Player("P", x, x**10 / 10 - x**2 / 2 - x), Player("Q", y, y**2 / 2))
    search = stationary_points(game)
    assert search.complete and len(search.points) == 1 and search.points[0].exact
    value = search.points[0].values[0]
    assert search.points[0].values[1] == 0 and value.has(sp.CRootOf)
    assert sp.minimal_polynomial(value, x) == x**9 - x - 1
    assert float(value) == pytest.approx(float(sp.CRootOf(x**9 - x - 1, 0)), rel=1e-15)

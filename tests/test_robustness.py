"""Regression tests from the review: repeated roots, complex families, decaying fields, and
hostile inputs that once produced tracebacks."""
import sympy as sp
import pytest
from typer.testing import CliRunner

from cli import app
from gametheory import Game, Player, classify_game, stationary_points
from gametheory.errors import ParseError
from gametheory.parsing import parse_expression

x, y = sp.symbols("x y", real=True)


def test_repeated_irreducible_cubic_eigenvalues():
    a = sp.symbols("a0:6", real=True)
    block = lambda u, v, w: u**2 + u * v + 3 * v**2 / 2 + v * w + 5 * w**2 / 2
    game = Game(Player("P", a, block(*a[:3]) + block(*a[3:])))
    (p,) = classify_game(game).points
    assert p.stability == "LSSP" and p.dne and len(p.eigenvalues) == 6
    roots = sorted(l.real for l in p.eigenvalues)
    assert roots[0] == pytest.approx(roots[1]) and roots[0] == pytest.approx(1.300371851724682)


def test_complex_family_reduces_to_its_real_point():
    report = classify_game(Game(Player("P", (x, y), (x**2 + y**2) ** 2 / 4)))
    assert [p.values for p in report.points] == [(0, 0)] and report.families == ()


def test_circle_family_says_where_it_is_real():
    game = Game(Player("P", x, x**3 / 3 + x * y**2 - x), Player("Q", y, y**3 / 3 + x**2 * y - y))
    families = stationary_points(game).families
    assert len(families) == 2 and all("where the right-hand sides are real" in f.description for f in families)


def test_decaying_field_has_no_stationary_point_at_infinity():
    search = stationary_points(Game(Player("P", (x, y), sp.exp(x) + y**2)))
    assert search.points == () and not search.complete


def test_decimal_literals_are_exact_and_bounded():
    assert parse_expression("1e-400*x", [x]) == x / sp.Integer(10) ** 400
    assert parse_expression("0.1", []) == sp.Rational(1, 10)
    for text, fragment in [("1e400", "too large"), ("exp(x)**1000000", "exponent"), ("abs(x)", "undeclared function")]:
        with pytest.raises(ParseError, match=fragment):
            parse_expression(text, [x])


@pytest.mark.parametrize("args,fragment", [
    (["classify", "example1", "--point", "theta1=1", "--point", "theta2=1", "--point", "phi=1e400"], "too large"),
    (["classify", "example1", "--point", "phi=0", "--point", "phi=1"], "twice"),
    (["classify", "dirac-gan-r1", "--set", "gamma=1e308*10"], "too large"),
    (["simulate", "example1", "--h", "0.1", "--radius", "-1"], "--radius"),
    (["simulate", "example1", "--h", "0.1", "--seed", "-1"], "--seed"),
    (["simulate", "example1", "--method", "flow", "--h", "1e300", "--steps", "10"], "at most"),
    (["plot", "example1", "portrait", "--grid", "100000", "-o", "unused.png"], "--grid"),
])
def test_hostile_cli_inputs_exit_2_with_one_line(args, fragment):
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2, result.output
    assert fragment in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_huge_but_finite_point_still_classified():
    result = CliRunner().invoke(app, ["classify", "example1", "--point", "theta1=1", "--point", "theta2=1",
                                      "--point", "phi=1e150", "--json"])
    assert result.exit_code == 0 and '"stationary": false' in result.stdout

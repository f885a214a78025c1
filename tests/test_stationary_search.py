"""The stationary-point search: roots of multiplicity > 1 of transcendental fields (J singular),
candidates the numeric search gives up on, and solutions outside the losses' real domain.

Planted answers: each field is written as a product with known roots, and the losses are its
antiderivatives; a non-snappable root is checked against an independent mpmath solve."""
import json

import mpmath
import pytest
import sympy as sp

from cli import app
from gametheory import Game, GameError, Player, classify_game, stationary_points
from gametheory.analysis.intervals import enclose, ends
from gametheory.render.text import print_game_report
from rich.console import Console
from support.cli_checks import assert_one_line_error, runner

x, y = sp.symbols("x y", real=True)


def field_game(v) -> Game:
    """A one-player game whose field is ``v(x)`` (the loss is an antiderivative)."""
    return Game(Player("P", x, sp.integrate(sp.expand(v), x)))


def points_of(report):
    return {p.values: p for p in report.points}


@pytest.mark.parametrize("v, root", [
    ((x - 1) ** 2 * sp.exp(x), 1),      # double root, v decays for x -> -inf
    (sp.tanh(x) ** 3, 0),               # triple root
])
def test_multiple_roots_are_found_exact_and_marginal(v, root):
    report = classify_game(field_game(v))
    assert list(points_of(report)) == [(root,)]
    (p,) = report.points
    assert p.exact and p.jacobian[0, 0] == 0  # J singular: v' vanishes at a multiple root
    assert p.stability == "marginal" and not p.lssp
    assert "J is singular" in report.search.method


def test_double_roots_of_a_periodic_field_are_multiples_of_pi():
    search = stationary_points(field_game(sp.sin(x) ** 2))
    values = [p.values[0] for p in search.points]
    assert {0, sp.pi, -sp.pi} <= set(values)
    assert all(p.exact and sp.simplify(v / sp.pi).is_integer for p, v in zip(search.points, values))


def test_two_dimensional_singular_jacobian_is_marginal():
    # v = (x**2 exp(y), y + x): only (0, 0), where J = [[0, 0], [1, 1]] (eigenvalues 0 and 1).
    game = Game(Player("P", x, x**3 / 3 * sp.exp(y)), Player("Q", y, y**2 / 2 + x * y))
    (p,) = classify_game(game).points
    assert p.values == (0, 0) and p.exact
    assert p.jacobian == sp.Matrix([[0, 0], [1, 1]])
    assert p.stability == "marginal" and sorted(l.real for l in p.eigenvalues) == [0, 1]


def test_simple_and_double_root_together():
    # v = (x - 1)**2 (x + 1) exp(x): simple root -1 (v' = 4/e > 0), double root 1.
    report = classify_game(field_game((x - 1) ** 2 * (x + 1) * sp.exp(x)))
    points = points_of(report)
    assert set(points) == {(-1,), (1,)}
    assert points[(-1,)].stability == "LSSP" and points[(1,)].stability == "marginal"


def test_a_double_root_without_closed_form_gets_a_certified_residual():
    # v = (x - cos x)**2: a double root at the Dottie number, which has no closed form.
    dottie = mpmath.findroot(lambda t: t - mpmath.cos(t), 0.7)
    search = stationary_points(field_game((x - sp.cos(x)) ** 2))
    (p,) = search.points
    assert not p.exact and abs(p.values[0] - sp.Float(dottie, 30)) < 1e-15
    assert p.residual_bound <= 1e-12
    assert f"1 numeric point(s), max|v_i| <= {p.residual_bound:.1e} certified at the printed coordinates (per point: residual_bounds)" in search.notes
    with mpmath.workdps(80):  # the bound holds at the stored coordinates (their exact binary value)
        stored = sp.Rational(p.values[0])
        t = mpmath.mpf(int(stored.p)) / int(stored.q)
        assert abs((t - mpmath.cos(t)) ** 2) <= p.residual_bound
    report = classify_game(field_game((x - sp.cos(x)) ** 2))
    assert report.points[0].stability == "marginal"


def test_a_near_miss_is_given_up_and_reported_with_its_location():
    # v = (x - 1)**2 exp(x) + 10**-8 > 0 has no real root; |v| has a local minimum near x = 1.
    search = stationary_points(field_game((x - 1) ** 2 * sp.exp(x) + sp.Rational(1, 10**8)))
    assert search.points == ()
    (near,) = [d for d in search.given_up if d.where[0][1] != "-inf"]
    assert float(near.where[0][1]) == pytest.approx(1, abs=1e-3) and near.count >= 1
    assert "did not shrink" in near.reason
    running = [d for d in search.given_up if d.where == (("x", "-inf"),)]
    assert len(running) == 1 and "with |v| decreasing" in running[0].reason
    total = sum(d.count for d in search.given_up)
    assert f"gave up on 2 candidate(s) from {total} local search(es)" in search.method
    doc = search.to_dict()
    assert doc["given_up"][0]["point"]["x"] == near.where[0][1] and doc["complete"] is False


def test_decaying_field_reports_where_the_searches_ran_off():
    search = stationary_points(Game(Player("P", (x, y), sp.exp(x) + y**2)))
    assert search.points == ()
    assert [(d.where, d.count) for d in search.given_up] == [((("x", "-inf"),), 65)]


def test_numeric_search_is_deterministic():
    game = field_game((x - sp.cos(x)) ** 2 * (x + 2))
    assert stationary_points(game) == stationary_points(game)


def test_exact_solution_outside_the_log_domain_is_rejected_with_a_note():
    search = stationary_points(Game(Player("P", x, x**2 / 2 - sp.log(x))))  # v = x - 1/x
    assert [p.values for p in search.points] == [(1,)]
    (rejected,) = search.rejected
    assert rejected.where == (("x", "-1"),) and "log(x) needs x > 0" in rejected.reason
    assert "rejected 1 solution(s) outside the losses' real domain: (x = -1)" in search.method
    assert search.to_dict()["rejected"] == [{"point": {"x": "-1"}, "reason": rejected.reason, "count": 1}]


def test_a_given_point_outside_the_domain_is_refused_in_one_line(tmp_path):
    game = Game(Player("P", x, x**2 / 2 - sp.log(x)))
    with pytest.raises(GameError, match=r"outside the losses' real domain: log\(x\) needs x > 0"):
        classify_game(game, point={x: -1})
    assert classify_game(game, point={x: 1}).points[0].stability == "LSSP"
    file = tmp_path / "g.toml"
    file.write_text('[players.P]\nparams = ["x"]\nloss = "x**2/2 - log(x)"\n')
    assert_one_line_error(runner.invoke(app, ["classify", str(file), "--point", "x=-1/2"]),
                          "outside the losses' real domain")


def test_numeric_solution_outside_the_log_domain_is_rejected():
    # v = (x - 1/x + sin(y), y): zeros (1, 0) and (-1, 0); log(x) is not real at x = -1.
    game = Game(Player("P", x, x**2 / 2 - sp.log(x) + x * sp.sin(y)), Player("Q", y, y**2 / 2))
    search = stationary_points(game)
    assert [p.values for p in search.points] == [(1, 0)]
    assert [d.where for d in search.rejected] == [(("x", "-1"), ("y", "0"))]
    assert "1 local search(es) starting or ending where v is not real and finite" in search.method  # x = 0: 1/x


def test_every_players_loss_counts_and_sqrt_needs_a_positive_argument():
    # P's field has zeros x = +-1; Q's loss holds sqrt(x), not real at x = -1 (and at 0 not smooth).
    game = Game(Player("P", x, x**3 / 3 - x), Player("Q", y, (y - 1) ** 2 / 2 + sp.sqrt(x)))
    search = stationary_points(game)
    assert [p.values for p in search.points] == [(1, 1)]
    assert "needs x > 0" in search.rejected[0].reason


def test_family_outside_the_domain_is_dropped_and_a_partial_one_restricted():
    # x = -1 for every y, but Q's loss holds log(x).
    gone = stationary_points(Game(Player("P", x, (x + 1) ** 2 / 2), Player("Q", y, sp.log(x) + 0 * y)))
    assert gone.families == () and gone.points == ()
    assert gone.rejected[0].where == (("x", "-1"), ("y", "free"))
    # x = y for every y, real only for y > 0 (P's loss holds log(y)).
    kept = stationary_points(Game(Player("P", x, (x - y) ** 2 / 2 + sp.log(y)), Player("Q", y, 0 * y)))
    (family,) = kept.families
    assert family.restrictions == ("y > 0",) and "y > 0" in family.description


def test_interval_enclosures_contain_the_value():
    expr = sp.atan(x) + sp.tanh(y) ** 3 + sp.sqrt(x) * sp.log(1 + sp.exp(-x * y)) + sp.cosh(x) / sp.sinh(y)
    point = {x: sp.Rational(1, 3), y: sp.Float(0.25)}
    lo, hi = ends(enclose(expr, point))
    with mpmath.workdps(80):
        t, u = mpmath.mpf(1) / 3, mpmath.mpf(0.25)
        exact = (mpmath.atan(t) + mpmath.tanh(u) ** 3 + mpmath.sqrt(t) * mpmath.log(1 + mpmath.exp(-t * u))
                 + mpmath.cosh(t) / mpmath.sinh(u))
        assert lo <= exact <= hi and hi - lo < mpmath.mpf(10) ** -50
    with pytest.raises(ValueError):
        enclose(sp.log(x), {x: -1})


def test_cli_json_and_text_say_what_was_rejected(tmp_path):
    path = tmp_path / "logdomain.toml"
    path.write_text('name = "logdomain"\n[players.P]\nparams = ["x"]\nloss = "x**2/2 - log(x)"\n')
    result = runner.invoke(app, ["classify", str(path), "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert [p["point"] for p in doc["stationary_points"]] == [{"x": "1"}]
    assert doc["search"]["rejected"][0]["point"] == {"x": "-1"}
    text = runner.invoke(app, ["classify", str(path)], env={"COLUMNS": "400"}).output
    assert "outside the losses' real domain: (x = -1): log(x) needs x > 0" in text


def test_cli_text_of_an_incomplete_search_does_not_claim_there_is_no_solution(tmp_path):
    path = tmp_path / "decay.toml"
    path.write_text('name = "decay"\n[players.P]\nparams = ["x", "y"]\nloss = "exp(x) + y**2"\n')
    text = runner.invoke(app, ["classify", str(path)], env={"COLUMNS": "400"}).output
    assert "none found (the numeric search is not exhaustive)" in text and "no real solution" not in text
    assert "(x = -inf) (65 local searches): ran" in text


def test_cli_text_when_every_solution_is_rejected_does_not_claim_there_is_none(tmp_path):
    # v = x + 2 + 1/x = (x + 1)**2 / x: its only real zero, x = -1, is outside log's domain.
    path = tmp_path / "rejected.toml"
    path.write_text('name = "rejected"\n[players.P]\nparams = ["x"]\nloss = "(x + 2)**2/2 + log(x)"\n')
    text = runner.invoke(app, ["classify", str(path)], env={"COLUMNS": "400"}).output
    assert "rejected 1 solution(s) outside the losses' real domain: (x = -1)" in text
    assert "none in the losses' real domain (every real solution of v = 0 lies outside it)" in text
    assert "no real solution" not in text


def test_functions_outside_the_table_are_checked_by_evaluation():
    # v_x = 0 at x = 1/2, 5/4, 2; Q's loss holds asin(x) (possible from Python, not from the
    # parser), real only for |x| <= 1.
    game = Game(Player("P", x, (x - 2) ** 2 * (x - sp.Rational(1, 2)) ** 2 / 2), Player("Q", y, y**2 / 2 + sp.asin(x)))
    search = stationary_points(game)
    assert [p.values for p in search.points] == [(sp.Rational(1, 2), 0)]
    assert [d.where for d in search.rejected] == [(("x", "5/4"), ("y", "0")), (("x", "2"), ("y", "0"))]
    assert all("asin(x) is" in d.reason and "not real and finite" in d.reason for d in search.rejected)


def test_a_curve_of_zeros_is_reported_once_not_point_by_point():
    # v = (x - sin y, 0): every point of the curve x = sin(y) is stationary (J singular there).
    # It is reported as found (search.curves, JSON "curves"), not as given up.
    game = Game(Player("P", x, (x - sp.sin(y)) ** 2 / 2), Player("Q", y, 0 * y))
    search = stationary_points(game)
    assert search.points == () and search.given_up == ()
    (curve,) = search.curves
    px, py = (float(value) for _, value in curve.where)
    assert px == pytest.approx(float(sp.sin(py)), abs=1e-5)  # the location given lies on the curve
    assert curve.count == 65 and "found (x = " in search.method
    assert "a curve or surface of stationary points through this point" in curve.reason
    assert search.to_dict()["curves"] == [curve.to_dict()]
    console = Console(record=True, width=400)
    print_game_report(classify_game(game), console)
    text = console.export_text()
    assert "found (numeric): (x = " in text and "none found" not in text


def test_an_exact_zero_needs_no_enclosure_and_an_unenclosable_one_is_given_up():
    # erf (possible from Python) has no interval enclosure: the zero of erf(x - 1) snaps to 1
    # exactly; that of erf(x - cos x) (at the Dottie number) cannot be certified: given up.
    exact = stationary_points(Game(Player("P", x, sp.integrate(sp.erf(x - 1), x))))
    assert [p.values for p in exact.points] == [(1,)]
    search = stationary_points(Game(Player("P", x, sp.Integral(sp.erf(x - sp.cos(x)), x))))
    (dropped,) = search.given_up
    assert search.points == () and dropped.count == 65
    assert float(dropped.where[0][1]) == pytest.approx(0.739085, abs=1e-6)
    assert "cannot be certified there (no interval enclosure for erf)" in dropped.reason


def _exp_roots():
    """The two roots of exp(x) = 3x (independent mpmath solve, 50 digits)."""
    with mpmath.workdps(50):
        return [mpmath.findroot(lambda t: mpmath.exp(t) - 3 * t, t0) for t0 in (0.6, 1.5)]


def test_the_certified_residual_holds_at_the_printed_coordinates_and_reaches_json():
    # v = 1e9 (exp(x) - 3x): the decimals printed differ from the binary values by ~3e-21,
    # which moves v by ~3e-12; the bound must hold at the decimals, per point, in JSON too.
    game = field_game(10**9 * (sp.exp(x) - 3 * x))
    search = stationary_points(game)
    doc = search.to_dict()
    assert [float(p.values[0]) for p in search.points] == pytest.approx([float(r) for r in _exp_roots()], abs=1e-15)
    assert doc["residual_bounds"] == [{"point": {"x": sp.sstr(p.values[0])}, "residual_bound": p.residual_bound}
                                      for p in search.points]
    for p in search.points:
        with mpmath.workdps(60):
            printed = mpmath.mpf(sp.sstr(p.values[0]))  # the decimal a user reads, exactly
            assert abs(10**9 * (mpmath.exp(printed) - 3 * printed)) <= p.residual_bound


@pytest.mark.parametrize("scale", [10**11, 10**14])
def test_roots_of_a_scaled_field_are_kept(scale):
    # The acceptance bound scales with v: s (exp(x) - 3x) has the roots of exp(x) = 3x for any s.
    search = stationary_points(field_game(scale * (sp.exp(x) - 3 * x)))
    assert [float(p.values[0]) for p in search.points] == pytest.approx([float(r) for r in _exp_roots()], abs=1e-15)
    assert search.given_up == ()


@pytest.mark.parametrize("v, root", [
    ((1024 * x - 1) * sp.exp(x), sp.Rational(1, 1024)),
    ((x - sp.Rational(3, 2000)) * sp.exp(x), sp.Rational(3, 2000)),
    ((x - sp.Rational(-7, 99991)) * sp.exp(x), sp.Rational(-7, 99991)),
])
def test_rationals_with_large_denominators_are_found_exactly(v, root):
    search = stationary_points(field_game(v))
    assert [(p.values, p.exact) for p in search.points] == [((root,), True)]


def test_a_stiff_simple_root_is_not_called_singular():
    # J = diag(1e9, 2) at (1, log 2): ill-conditioned, not singular (the classifier says LSSP).
    game = Game(Player("P", x, 10**9 * (x - 1) ** 2 / 2), Player("Q", y, sp.exp(y) - 2 * y))
    report = classify_game(game)
    (p,) = report.points
    assert float(p.values[0]) == 1 and float(p.values[1]) == pytest.approx(float(sp.log(2)), abs=1e-18)
    assert p.stability == "LSSP"
    assert not any("singular" in note for note in report.search.notes)


def test_a_float_integer_exponent_is_an_integer_power():
    # x**2.0 (Python API) is x**2: real for every x, so the zero x = -1 of x + 1 is kept.
    search = stationary_points(Game(Player("P", x, x**2.0 / 2 + x)))
    assert [p.values for p in search.points] == [(-1,)] and search.rejected == ()


def test_a_negative_constant_base_is_real_nowhere():
    # (-2)**x is not real for non-integer x: the losses are real nowhere, every point is outside.
    search = stationary_points(Game(Player("P", x, (-2) ** x + x**2)))
    assert search.points == () and search.complete
    (dropped,) = search.rejected
    assert dropped.where == (("x", "any"),) and dropped.reason == "(-2)**x needs -2 > 0, which is -2 here"


def test_signs_are_certified_and_exact_coordinates_are_enclosed():
    from gametheory.analysis.intervals import magnitude_bound, sign

    # exp(pi sqrt(163)) is within 7.5e-13 of an integer; sqrt(2)**2 - 2 is exactly 0.
    assert sign(sp.exp(sp.pi * sp.sqrt(163)) - 262537412640768744) == -1
    assert sign(sp.exp(sp.pi * sp.sqrt(163)) - 262537412640768743) == 1
    assert sign(sp.sqrt(2) * sp.sqrt(3) - sp.sqrt(6)) == 0
    assert sign(x - sp.Rational(355, 113), {x: sp.pi}) == -1
    lo, hi = ends(enclose(x**2 - 2, {x: sp.sqrt(2)}))
    assert lo <= 0 <= hi and hi - lo < 1e-50
    assert 0.1415926535 < magnitude_bound([x - 3], {x: sp.pi}) < 0.1415926536

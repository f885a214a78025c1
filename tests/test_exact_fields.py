"""Exact verdicts beyond Q: Q(pi), Q(E), several transcendentals, CRootOf and nested-radical
fields, and Lemma 4 with tiny bounds.

Every planted answer is checked independently: eigenvalues of the same matrix computed by
mpmath at 60 digits, never by the code under test."""
import mpmath
import pytest
import sympy as sp

from gametheory import Game, Player
from gametheory.analysis.classify import classify_game, classify_point
from gametheory.dynamics.convergence import analyse_report
from gametheory.analysis.fields import UndecidedSign, certified_sign, decidable, exact_domain, sign
from gametheory.dynamics.methods import Method
from gametheory.analysis.spectrum import characteristic_polynomial, decide_stability

pi, E = sp.pi, sp.E
P = sp.Matrix([[1, 2, 0, 1], [0, 1, 3, 0], [1, 0, 1, 2], [2, 1, 0, 1]]) * 1000 + sp.eye(4)


def conjugated(block: sp.Matrix) -> sp.Matrix:
    """``P B P^-1`` with large entries: the same spectrum, an ill-conditioned float matrix."""
    return (P * block * P.inv()).applyfunc(sp.expand)


def linear_game(matrix: sp.Matrix) -> tuple[Game, dict]:
    """One player per coordinate, ``L_i = t_i (sum_{j != i} J_ij t_j) + J_ii t_i^2 / 2``: the
    vector field is ``J t``, so 0 is stationary with Jacobian J."""
    n = matrix.rows
    ts = sp.symbols(f"t0:{n}")
    players = [Player(f"P{i}", ts[i], ts[i] * sum(matrix[i, j] * ts[j] for j in range(n) if j != i)
                      + matrix[i, i] * ts[i] ** 2 / 2) for i in range(n)]
    return Game(*players, name="planted"), {t: 0 for t in ts}


def mp_eigenvalues(matrix: sp.Matrix) -> list:
    """Independent eigenvalues: mpmath's QR algorithm on the entries at 60 digits."""
    with mpmath.workdps(60):
        values = mpmath.eig(mpmath.matrix([[mpmath.mpf(str(sp.N(e, 70))) for e in row] for row in matrix.tolist()]),
                            left=False, right=False)
        return [mpmath.mpc(v) for v in values]


def classify(matrix: sp.Matrix):
    game, point = linear_game(matrix)
    return classify_point(game, point)


@pytest.mark.parametrize("constant", [pi, E])
def test_constant_times_singular_matrix_is_marginal_without_step_size(constant):
    matrix = conjugated(constant * sp.diag(0, 3, 5, 7))
    eig = mp_eigenvalues(matrix)
    assert min(abs(l) for l in eig) < 1e-30 and sum(1 for l in eig if mpmath.re(l) > 1) == 3
    report = classify(matrix)
    assert (report.stability, report.stability_method) == ("marginal", "exact")
    assert not report.lssp and report.step.max_step_size is None


@pytest.mark.parametrize("constant", [pi, E])
def test_constant_times_jordan_block_is_marginal_not_unstable(constant):
    block = sp.Matrix([[0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 0], [0, 0, 0, 2]])
    matrix = conjugated(constant * block)
    assert sorted(abs(l) < 1e-12 for l in mp_eigenvalues(matrix)) == [False, True, True, True]
    report = classify(matrix)
    assert (report.stability, report.stability_method) == ("marginal", "exact")
    assert report.characteristic_polynomial.degree() == 4


@pytest.mark.parametrize("constant", [pi, E])
def test_margin_of_1e12_times_a_constant_is_lssp_with_its_step_size(constant):
    margin = constant / 10**12
    matrix = conjugated(sp.diag(sp.Matrix([[margin, 1], [-1, margin]]), 2 * constant, 3))
    eig = mp_eigenvalues(matrix)
    smallest = min(mpmath.re(l) for l in eig)
    assert smallest == pytest.approx(float(sp.N(margin, 30)), rel=1e-12)
    expected = min(2 * mpmath.re(l) / abs(l) ** 2 for l in eig)
    report = classify(matrix)
    assert (report.stability, report.stability_method) == ("LSSP", "exact")
    assert report.step.max_step_size == pytest.approx(float(expected), rel=1e-12)
    assert report.step.method == "exact" and report.step.exact.has(constant)
    assert float(sp.N(report.step.exact, 30)) == pytest.approx(float(expected), rel=1e-12)
    assert abs(report.step.binding_eigenvalue.imag) == pytest.approx(1.0)


def test_pi_and_e_together_are_certified_when_signs_separate():
    lssp = conjugated(sp.diag(sp.Matrix([[E / 10**12, pi], [-pi, E / 10**12]]), pi + E, 3))
    marginal = conjugated(sp.diag(sp.Matrix([[0, pi], [-E, 0]]), pi + E, 3))
    unstable = conjugated(sp.diag(sp.Matrix([[-E / 10**12, pi], [-pi, -E / 10**12]]), pi + E, 3))
    for matrix, expected in ((lssp, "LSSP"), (marginal, "marginal"), (unstable, "unstable")):
        smallest = min(mpmath.re(l) for l in mp_eigenvalues(matrix))
        planted = {"LSSP": smallest > 1e-13, "marginal": abs(smallest) < 1e-30, "unstable": smallest < -1e-13}
        assert planted[expected]
        report = classify(matrix)
        assert (report.stability, report.stability_method) == (expected, "certified")
    assert classify(lssp).step.max_step_size == pytest.approx(float(2 * E * 10**12 / (E**2 + 10**24 * pi**2)), rel=1e-12)


def test_a_relation_between_transcendentals_gives_undecided_never_a_guess():
    # (x^2 + E)(x^2 + exp(1/3)^3) = (x^2 + E)^2: a double pair on the axis, invisible to a
    # polynomial ring in E and exp(1/3) as independent symbols
    b = sp.exp(sp.Rational(1, 3))
    matrix = conjugated(sp.diag(sp.Matrix([[0, E], [-1, 0]]), sp.Matrix([[0, b**2], [-b, 0]])))
    assert max(abs(mpmath.re(l)) for l in mp_eigenvalues(matrix)) < 1e-25
    report = classify(matrix)
    assert report.stability in ("undecided", "marginal")
    assert report.stability != "marginal" or report.stability_method == "certified"
    assert not report.lssp and report.step.max_step_size is None
    if report.stability == "undecided":
        assert report.stability_method == "undecided" and "undecided" in report.stability_reason


def test_field_zero_tests_and_certified_signs():
    field, (third, power) = exact_domain([sp.exp(sp.Rational(1, 3)), E])
    assert not decidable(field)
    assert sign(field, power - third**3) == 0  # sympy proves exp(1/3)**3 = E on evaluation
    pi_field, (x,) = exact_domain([pi])
    assert decidable(pi_field) and sign(pi_field, x * 113 - 355) == -1  # pi < 355/113 by 2.7e-7
    assert certified_sign(E - sp.Rational(2718281828459045, 10**15)) == 1
    with pytest.raises(UndecidedSign):  # a zero that sympy does not see: never given a sign
        certified_sign(sp.sqrt(2 + sp.sqrt(3)) - (sp.sqrt(6) + sp.sqrt(2)) / 2)
    assert exact_domain([sp.Float(1.5)]) is None


def test_lemma4_tiny_bounds_pick_the_smallest_and_stepsize_agrees():
    # bounds 2a/(a^2+1) ~ 2e-13 and 2c/(c^2+100) ~ 7.4e-13: both round to 0 at 12 decimals
    a, c = sp.Rational(1, 10**13), sp.Rational(37, 10**12)
    matrix = conjugated(sp.diag(sp.Matrix([[a, 1], [-1, a]]), sp.Matrix([[c, 10], [-10, c]])))
    eig = mp_eigenvalues(matrix)
    expected = min(2 * mpmath.re(l) / abs(l) ** 2 for l in eig)
    game, point = linear_game(matrix)
    report = classify_game(game, point=point)
    step = report.points[0].step
    assert step.max_step_size == pytest.approx(float(expected), rel=1e-12)
    assert step.exact == 2 * a / (a**2 + 1) and step.binding_eigenvalue.imag == pytest.approx(1.0)
    analysis = analyse_report(report, Method("simgd"))[0]
    assert analysis.stable_interval == (0.0, step.max_step_size)
    assert analysis.intervals_exact == ((0, step.exact),)


def test_eigenvalues_are_sorted_by_exact_real_part():
    tiny = sp.Rational(1, 10**13)
    report = classify(sp.diag(sp.Matrix([[tiny, 5], [-5, tiny]]), -tiny, 1))
    reals = [l.real for l in report.eigenvalues]
    assert reals == sorted(reals) and reals[0] < 0 and report.stability == "unstable"


def test_croot_coordinate_with_rotation_block():
    # v = (b c, -a c, c^3 - c - 1): at c = rho (real root of t^3 - t - 1), J has the block
    # [[0, rho], [-rho, 0]]: characteristic factor x^2 + rho^2
    a, b, c, t = sp.symbols("a b c t")
    rho = sp.CRootOf(t**3 - t - 1, 0)
    game = Game(Player("A", a, a * b * c), Player("B", b, -a * b * c), Player("C", c, c**4 / 4 - c**2 / 2 - c))
    report = classify_point(game, {a: 0, b: 0, c: rho})
    eig = mp_eigenvalues(report.jacobian)
    assert sorted(abs(mpmath.re(l)) < 1e-40 for l in eig) == [False, True, True]
    assert (report.stability, report.stability_method) == ("marginal", "exact")
    assert sorted(abs(l.imag) for l in report.eigenvalues)[1:] == pytest.approx([float(sp.N(rho))] * 2)


def test_nested_radical_triangular_jacobian_gives_a_short_exact_bound():
    x, y, z = sp.symbols("x y z")
    game = Game(Player("P", x, x**5 / 5 - sp.Rational(4, 3) * x**3 + x), Player("Q", y, y**2 / 2 * x + y * z * x),
                Player("R", z, z**2 * x**2 / 2))
    report = classify_point(game, {x: sp.sqrt(2 + sp.sqrt(3)), y: 0, z: 0})
    diagonal = [sp.N(report.jacobian[i, i], 40) for i in range(3)]
    assert report.stability == "LSSP"
    assert report.step.method == "exact" and len(sp.sstr(report.step.exact)) < 60
    assert float(sp.N(report.step.exact, 30)) == pytest.approx(float(2 / max(diagonal)), rel=1e-14)
    assert (report.step.exact - (3 * sp.sqrt(2) - sp.sqrt(6)) / 12).equals(0)


def test_quadratic_field_with_many_parameters_uses_the_field():
    # each coordinate at the golden ratio phi: J_ii = 30 + sqrt(5), J_ij = (i - j)/4 sqrt(5)
    n = 6
    xs = sp.symbols(f"x0:{n}")
    golden = [x**2 - x - 1 for x in xs]
    losses = [x**3 / 3 - x**2 / 2 - x + 3 * golden[i] ** 2 + sum(sp.Rational(i - j, 4) * x * golden[j] for j in range(n))
              for i, x in enumerate(xs)]
    game = Game(*[Player(f"P{i}", x, loss) for i, (x, loss) in enumerate(zip(xs, losses))])
    report = classify_point(game, {x: (1 + sp.sqrt(5)) / 2 for x in xs})
    assert report.characteristic_polynomial.domain.is_AlgebraicField
    smallest = min(mpmath.re(l) for l in mp_eigenvalues(report.jacobian))
    assert smallest > 1 and (report.stability, report.stability_method) == ("LSSP", "exact")
    assert report.nash.method == "exact" and report.dne


def test_undecided_and_certified_verdicts_reach_json_and_text():
    import json

    from rich.console import Console

    from gametheory.render import text as render

    b = sp.exp(sp.Rational(1, 3))
    hidden = conjugated(sp.diag(sp.Matrix([[0, E], [-1, 0]]), sp.Matrix([[0, b**2], [-b, 0]])))
    mixed = sp.diag(sp.Matrix([[pi, 1], [1, E]]), 1)  # symmetric player blocks over Q(E, pi)
    for matrix in (hidden, mixed):
        game, point = linear_game(matrix)
        report = classify_game(game, point=point)
        document = json.loads(json.dumps(report.to_dict()))
        entry = document["stationary_points"][0]
        assert entry["stability"] == report.points[0].stability
        console = Console(record=True, width=200)
        render.print_game_report(report, console)
        assert report.points[0].stability in console.export_text()
    t0, t1, t2 = sp.symbols("t0:3")
    two_by_two = Game(Player("A", (t0, t1), pi * t0**2 / 2 + t0 * t1 + E * t1**2 / 2), Player("B", t2, t2**2 / 2))
    report = classify_point(two_by_two, {t0: 0, t1: 0, t2: 0})  # A's Hessian [[pi, 1], [1, E]]: pi E > 1
    assert report.stability_method == "certified" and report.nash.method == "certified" and report.dne


def test_local_convergence_is_exact_over_q_pi():
    from gametheory.dynamics.convergence import local_convergence

    matrix = pi * sp.Matrix([[1, 1], [-1, 1]])  # eigenvalues pi (1 +- i): Lemma 4 bound 1/pi
    slices = (slice(0, 1), slice(1, 2))
    below = local_convergence(Method("simgd", h=sp.Rational(31, 100)), matrix, slices)
    above = local_convergence(Method("simgd", h=sp.Rational(32, 100)), matrix, slices)
    assert (below.verdict, below.exact) == ("converges", True) and (above.verdict, above.exact) == ("diverges", True)


def test_random_q_pi_matrices_agree_with_mpmath():
    from hypothesis import given, settings, strategies as st

    entry = st.tuples(st.integers(-3, 3), st.integers(-3, 3)).map(lambda ab: ab[0] + ab[1] * pi)

    @settings(max_examples=30, deadline=None, derandomize=True)
    @given(st.integers(2, 3).flatmap(lambda n: st.lists(st.lists(entry, min_size=n, max_size=n), min_size=n, max_size=n)))
    def check(rows):
        matrix = sp.Matrix(rows)
        smallest = min(mpmath.re(l) for l in mp_eigenvalues(matrix))
        verdict = decide_stability(characteristic_polynomial(matrix))
        assert verdict.method == "exact"
        if smallest > 1e-15:
            assert verdict.verdict == "LSSP"
        elif smallest < -1e-15:
            assert verdict.verdict == "unstable"
        else:
            assert verdict.verdict in ("marginal", "unstable")

    check()


def test_local_convergence_over_two_transcendentals_is_labelled_certified():
    from gametheory.dynamics.convergence import local_convergence

    matrix = sp.Matrix([[E, pi], [-pi, E]])  # eigenvalues E +- i pi: Lemma 4 bound 2E/(E^2 + pi^2) = 0.315...
    slices = (slice(0, 1), slice(1, 2))
    below = local_convergence(Method("simgd", h=sp.Rational(31, 100)), matrix, slices)
    above = local_convergence(Method("simgd", h=sp.Rational(32, 100)), matrix, slices)
    assert (below.verdict, above.verdict) == ("converges", "diverges")
    assert all(c.reason.startswith("certified by interval arithmetic over Q(E, pi)") for c in (below, above))

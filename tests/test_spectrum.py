"""Exact stability decisions against numpy, including the hard zero-real-part cases."""
import mpmath
import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings, strategies as st

from gametheory.analysis.nash import exact_inertia
from gametheory.analysis.polys import X
from gametheory.analysis.spectrum import characteristic_polynomial, decide_stability, numeric_roots
from gametheory.analysis.stepsize import lemma4


def verdict(matrix):
    return decide_stability(characteristic_polynomial(sp.Matrix(matrix))).verdict


@pytest.mark.parametrize("matrix,expected", [
    ([[0, 1], [-1, 0]], "marginal"),
    ([[1, 0, 0], [0, 0, 1], [0, -1, 0]], "marginal"),
    ([[0, 0], [0, 0]], "marginal"),
    ([[1, 0], [0, -1]], "unstable"),
    ([[1, 0, 0], [0, 0, 1], [0, -1, -sp.Rational(1, 1000)]], "unstable"),
    ([[sp.Rational(1, 10**12), 1], [-1, 0]], "LSSP"),
    ([[0, sp.sqrt(2)], [-sp.sqrt(2), 0]], "marginal"),
    ([[sp.sqrt(2), 1], [-1, 0]], "LSSP"),
])
def test_exact_verdicts(matrix, expected):
    assert verdict(matrix) == expected


def test_symmetric_pair_off_axis_is_unstable():
    # roots 1 +- i and -1 +- i: p(x) = x^4 + 4, an even polynomial with no root on the axis
    companion = sp.Matrix([[0, 0, 0, -4], [1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0]])
    assert verdict(companion) == "unstable"


def test_axis_roots_are_reported_on_the_axis():
    roots = numeric_roots(characteristic_polynomial(sp.Matrix([[0, 2], [-2, 0]])))
    assert sorted(r.imag for r in roots) == [-2.0, 2.0] and all(r.real == 0.0 for r in roots)


rationals = st.fractions(min_value=-5, max_value=5, max_denominator=7)


@settings(max_examples=60, deadline=None)
@given(st.integers(2, 4).flatmap(lambda n: st.lists(st.lists(rationals, min_size=n, max_size=n), min_size=n, max_size=n)))
def test_exact_verdict_agrees_with_numpy_away_from_the_axis(rows):
    matrix = sp.Matrix([[sp.Rational(x.numerator, x.denominator) for x in row] for row in rows])
    eig = np.linalg.eigvals(np.array(rows, dtype=float))
    smallest = eig.real.min()
    got = verdict(matrix)
    if smallest > 1e-6:
        assert got == "LSSP"
    elif smallest < -1e-6:
        assert got == "unstable"
    else:
        assert got in {"marginal", "unstable", "LSSP"}


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 4).flatmap(lambda n: st.lists(st.lists(st.integers(-4, 4), min_size=n, max_size=n), min_size=n, max_size=n)))
def test_exact_inertia_of_symmetric_matrices(rows):
    a = np.array(rows, dtype=float)
    sym = a + a.T
    inertia = exact_inertia(sp.Matrix(sym.astype(int).tolist()))
    eig = np.linalg.eigvalsh(sym)
    assert inertia.positive == int(np.sum(eig > 1e-9))
    assert inertia.negative == int(np.sum(eig < -1e-9))
    assert inertia.zero == int(np.sum(abs(eig) <= 1e-9))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.floats(0.05, 3), st.floats(-3, 3)), min_size=1, max_size=3))
def test_lemma4_bound_is_where_spectral_radius_of_i_minus_hj_crosses_one(pairs):
    # a real block-diagonal J with eigenvalues a +- bi (all a > 0)
    blocks = [np.array([[a, b], [-b, a]]) for a, b in pairs]
    jac = np.zeros((2 * len(blocks), 2 * len(blocks)))
    for i, block in enumerate(blocks):
        jac[2 * i:2 * i + 2, 2 * i:2 * i + 2] = block
    eig = list(np.linalg.eigvals(jac))
    bound = lemma4([complex(l) for l in eig], None, "LSSP").max_step_size

    def radius(h):
        return max(abs(np.linalg.eigvals(np.eye(len(jac)) - h * jac)))

    assert radius(bound * 0.99) < 1 and radius(bound * 1.01) > 1


@pytest.mark.parametrize("first", [0, 1])
def test_lemma4_closed_forms_within_the_tie_tolerance_report_the_least(first):
    # eigenvalues pi and pi + 1e-50: bounds 2/pi and 2/(pi + 1e-50) agree to 50 digits, yet the
    # exact bound must be the smaller one (h = 2/pi diverges along the second eigenvalue).
    eps = sp.Rational(1, 10**50)
    values = [sp.pi, sp.pi + eps][::1 if first == 0 else -1]
    poly = characteristic_polynomial(sp.diag(*values))
    step = lemma4([complex(sp.N(v)) for v in values], poly, "LSSP")
    assert step.method == "exact"
    assert sp.simplify(step.exact - 2 / (sp.pi + eps)) == 0


def _cubic_and_linear(gap):
    """J with eigenvalues the roots of (x - 3)^3 - 2 (the real one, 3 + 2^(1/3), binds Lemma 4)
    and a rational q = 3 + 2^(1/3) - gap (about): 2/q exceeds the binding 2/(3 + 2^(1/3))."""
    with mpmath.workdps(120):
        q = sp.Rational(int(mpmath.floor((3 + mpmath.cbrt(2) - gap) * 10**60)), 10**60)
    cubic = sp.Matrix([[0, 0, 29], [1, 0, -27], [0, 1, 9]])  # companion of x^3 - 9x^2 + 27x - 29
    return sp.diag(cubic, sp.Matrix([[q]]))


@pytest.mark.parametrize("gap", [mpmath.mpf(10) ** -20, mpmath.mpf(10) ** -47])
def test_lemma4_closed_form_tied_with_a_root_of_a_cubic_is_not_reported_when_larger(gap):
    matrix = _cubic_and_linear(gap)
    poly = characteristic_polynomial(matrix)
    step = lemma4([complex(l) for l in np.linalg.eigvals(np.array(matrix, dtype=float))], poly, "LSSP")
    with mpmath.workdps(80):
        true = 2 / (3 + mpmath.cbrt(2))
        assert step.exact is None and step.method == "high precision"
        assert abs(step.max_step_size - true) <= 1e-15 * true


def test_lemma4_high_precision_bound_is_computed_to_50_digits():
    from gametheory.analysis.stepsize import _exact_bounds
    bounds = _exact_bounds(sp.Poly((X - 3) ** 3 - 2, X, domain="QQ"), ())
    with mpmath.workdps(80):
        assert abs(min(b.value for b in bounds) - 2 / (3 + mpmath.cbrt(2))) < mpmath.mpf(10) ** -48


@pytest.mark.parametrize("coeffs", [[1, -4, 14, -20], [1, -3, 4, -1], [2, -7, 9, -3, 1], [1, -1, 3, 2],
                                    [3, -2, 5, -1, 4, -2]])
def test_integer_polynomials_are_read_over_the_rationals(coeffs):
    """A characteristic polynomial given over ZZ (not the library's own QQ) is decided as over QQ:
    the verdict agrees with the roots' real parts from mpmath at 50 digits, and Lemma 4 with the
    bound from those roots."""
    poly = sp.Poly(coeffs, X)
    assert poly.domain == sp.ZZ
    with mpmath.workdps(50):
        roots = [complex(r) for r in mpmath.polyroots(coeffs, maxsteps=200, extraprec=200)]
    expected = "LSSP" if min(r.real for r in roots) > 0 else "unstable"
    assert decide_stability(poly).verdict == expected
    if expected == "LSSP":
        bound = min(2 * r.real / abs(r) ** 2 for r in roots)
        assert lemma4(roots, poly, "LSSP").max_step_size == pytest.approx(bound, rel=1e-12)

"""Local convergence of methods: Lemma 4 as the SimGD case, simulations on either side of the bound,
the bilinear game and the Dirac GAN under each method, optimal steps."""
import re

import numpy as np
import pytest
import sympy as sp

from gametheory import classify_game, zoo
from gametheory.analysis.decompose import lemma9
from gametheory.dynamics.convergence import analyse_steps, local_convergence, radius_curve, spectral_radius
from gametheory.dynamics.simulate import iterate
from gametheory.dynamics.methods import Method

Q = sp.Rational


def _point(name, stability=None):
    report = classify_game(zoo.get(name))
    point = next(p for p in report.points if stability is None or p.stability == stability)
    return report.game, point


@pytest.mark.parametrize("name", ["example1", "example2", "dirac-gan-r1", "attraction-rotation", "attraction"])
def test_lemma4_is_the_simgd_case(name):
    game, point = _point(name, "LSSP")
    analysis = analyse_steps(Method("simgd"), point.jacobian, game.slices)
    assert analysis.exact
    lo, hi = analysis.stable_interval
    assert lo == 0 and hi == pytest.approx(point.step.max_step_size, rel=1e-12)
    if point.step.exact is not None:
        assert sp.N(analysis.intervals_exact[0][1] - point.step.exact, 50) == 0


def test_example2_five_percent_either_side_of_lemma4():
    game, point = _point("example2", "LSSP")
    bound = point.step.max_step_size
    omega = np.array([float(v) for v in point.values])
    j = np.array(point.jacobian.evalf().tolist(), float)
    below = iterate(game, Method("simgd", h=0.95 * bound), omega + [1e-3, -1e-3], 3000, target=omega)
    above = iterate(game, Method("simgd", h=1.05 * bound), omega + [1e-3, -1e-3], 3000, target=omega)
    assert below.verdict == "converged"
    assert above.verdict == "diverged"
    assert spectral_radius(Method("simgd", h=0.95 * bound), j, game.slices) < 1
    assert spectral_radius(Method("simgd", h=1.05 * bound), j, game.slices) > 1
    exact = point.step.exact
    assert local_convergence(Method("simgd", h=exact * Q(95, 100)), point.jacobian, game.slices).verdict == "converges"
    assert local_convergence(Method("simgd", h=exact * Q(105, 100)), point.jacobian, game.slices).verdict == "diverges"
    assert local_convergence(Method("simgd", h=exact), point.jacobian, game.slices).verdict == "marginal"


def test_exact_verdict_with_an_eigenvalue_at_minus_one():
    """dirac-gan-r1: J has the double eigenvalue 1/2, so at h = 4 = Lemma 4's bound the SimGD map
    has the double eigenvalue -1 (a case the Moebius transform handles by deflation)."""
    game, point = _point("dirac-gan-r1")
    at_bound = local_convergence(Method("simgd", h=4), point.jacobian, game.slices)
    assert at_bound.exact and at_bound.verdict == "marginal"
    assert local_convergence(Method("simgd", h=Q(41, 10)), point.jacobian, game.slices).verdict == "diverges"
    assert local_convergence(Method("simgd", h=2), point.jacobian, game.slices).verdict == "converges"


def test_bilinear_methods():
    game, point = _point("bilinear")
    j = point.jacobian
    assert analyse_steps(Method("simgd"), j, game.slices).intervals == ()
    for step in (Q(1, 1000), Q(1, 10), Q(1), Q(10)):
        assert local_convergence(Method("simgd", h=step), j, game.slices).verdict == "diverges"
        if step < 1:
            assert local_convergence(Method("eg", h=step), j, game.slices).verdict == "converges"
            assert local_convergence(Method("ogd", h=step / 2), j, game.slices).verdict == "converges"
            alt = local_convergence(Method("altgd", h=step), j, game.slices)
            assert alt.verdict == "marginal" and alt.exact
            assert alt.spectral_radius == pytest.approx(1.0, abs=1e-12)
    run = iterate(game, Method("altgd", h=0.1), [1.0, 0.5], 3000, target=[0, 0])
    assert run.verdict == "bounded"
    norms = np.linalg.norm(run.states, axis=1)
    assert 0.5 < norms.min() and norms.max() < 2.0
    assert analyse_steps(Method("eg"), j, game.slices).stable_interval == (0.0, 1.0)
    assert analyse_steps(Method("ogd"), j, game.slices).stable_interval == pytest.approx((0.0, 1 / np.sqrt(3)))


def test_dirac_gan_needs_consensus_or_r1():
    game, point = _point("dirac-gan")
    for step in (Q(1, 100), Q(1, 2)):
        assert local_convergence(Method("simgd", h=step), point.jacobian, game.slices).verdict != "converges"
        assert local_convergence(Method("consensus", h=step, gamma=1), point.jacobian, game.slices).verdict == "converges"
    assert analyse_steps(Method("simgd"), point.jacobian, game.slices).intervals == ()
    assert analyse_steps(Method("consensus", gamma=Q(1, 10)), point.jacobian, game.slices).stable_interval[1] > 0
    game, point = _point("dirac-gan-r1")
    assert local_convergence(Method("simgd", h=Q(1, 2)), point.jacobian, game.slices).verdict == "converges"
    omega = np.zeros(2)
    assert iterate(game, Method("simgd", h=0.5), [0.3, -0.2], 400, target=omega).verdict == "converged"
    assert iterate(zoo.get("dirac-gan"), Method("simgd", h=0.5), [0.3, -0.2], 400, target=omega).verdict != "converged"


def test_negative_momentum_with_alternating_updates_on_bilinear():
    game, point = _point("bilinear")
    negative = Method("altgd", h=Q(1, 2), beta=Q(-1, 2))
    assert local_convergence(negative, point.jacobian, game.slices).verdict == "converges"
    run = iterate(game, Method("altgd", h=0.5, beta=-0.5), [1.0, 0.5], 1000, target=[0, 0])
    assert run.verdict == "converged"
    assert run.rate == pytest.approx(spectral_radius(Method("altgd", h=0.5, beta=-0.5),
                                                     np.array(point.jacobian.tolist(), float), game.slices), rel=1e-3)
    positive = Method("altgd", h=Q(1, 2), beta=Q(1, 2))
    assert local_convergence(positive, point.jacobian, game.slices).verdict != "converges"
    assert local_convergence(Method("momentum", h=Q(1, 2), beta=Q(-1, 2)), point.jacobian, game.slices).verdict == "diverges"


CASES = [("example1", Method("simgd")), ("example1", Method("eg")), ("example2", Method("altgd")),
         ("dirac-gan", Method("ogd")), ("bilinear", Method("altgd", beta=Q(-1, 2))),
         ("attraction-rotation", Method("momentum", beta=Q(-1, 4))), ("dirac-gan", Method("consensus", gamma=1)),
         ("example2", Method("simgd", ratio=Q(1, 3)))]


@pytest.mark.parametrize("name, method", CASES, ids=lambda x: x if isinstance(x, str) else x.label)
def test_optimal_step_minimises_the_spectral_radius(name, method):
    game, point = _point(name)
    analysis = analyse_steps(method, point.jacobian, game.slices)
    lo, hi = analysis.stable_interval
    assert lo <= analysis.optimal_step_size <= hi
    j = np.array(point.jacobian.evalf().tolist(), float)
    grid = np.linspace(lo, hi, 2001)[1:-1]
    radii = radius_curve(method, j, game.slices, grid)
    assert analysis.optimal_spectral_radius <= radii.min() + 1e-9
    assert spectral_radius(method.with_step(analysis.optimal_step_size), j, game.slices) == pytest.approx(
        analysis.optimal_spectral_radius, abs=1e-12)


@pytest.mark.parametrize("name, method", CASES[:6], ids=lambda x: x if isinstance(x, str) else x.label)
def test_numeric_scan_agrees_with_exact_interval(name, method):
    game, point = _point(name)
    exact = analyse_steps(method, point.jacobian, game.slices)
    numeric = analyse_steps(method, point.jacobian, game.slices, exact=False)
    assert exact.exact and not numeric.exact
    assert len(exact.intervals) == len(numeric.intervals)
    for a, b in zip(exact.intervals, numeric.intervals):
        assert a == pytest.approx(b, rel=1e-8, abs=1e-10)


def test_two_time_scale_can_destabilise_an_lssp():
    """example2 at (0, -1): J = [[1, -1/2], [2, -1/2]] is an LSSP, but diag(1, 3) J has trace < 0."""
    game, point = _point("example2", "LSSP")
    assert analyse_steps(Method("simgd", ratio=3), point.jacobian, game.slices).intervals == ()
    assert analyse_steps(Method("simgd", ratio=Q(1, 3)), point.jacobian, game.slices).stable_interval[1] > 0


def test_spectral_radius_is_the_simulated_rate():
    game, point = _point("attraction-rotation")
    j = np.array(point.jacobian.tolist(), float)
    for method in (Method("simgd", h=0.3), Method("eg", h=0.4), Method("ogd", h=0.2), Method("consensus", h=0.2, gamma=0.5)):
        run = iterate(game, method, [1.0, -0.7], 300, target=[0, 0])
        assert run.rate == pytest.approx(spectral_radius(method, j, game.slices), rel=1e-3)


def test_lemma9_derived_bound_holds_and_printed_bound_fails():
    rng = np.random.default_rng(0)
    for _ in range(20):
        a = rng.normal(size=(4, 4))
        sym = a @ a.T / 4
        anti = rng.normal(size=(4, 4))
        j = sym + (anti - anti.T)
        for g in (0.0, 0.1, 1.0, 10.0):
            assert lemma9(j, g).holds
    result = lemma9(np.array([[1.0, 1.0], [-1.0, 1.0]]), 1.0)
    assert result.quotient == pytest.approx(1 / 3) and result.bound == pytest.approx(1 / 3)
    assert result.c == pytest.approx(1.0) and result.quotient > result.printed_bound


def test_a_clearly_contracting_run_is_converging_with_the_steps_it_still_needs():
    """Example 2 under SimGD at h = 0.9 spirals in (||v|| wobbles but its envelope falls): after
    200 steps it is "converging", not "bounded"; running the predicted number of further steps
    brings ||v|| to the tolerance within a factor 10."""
    game = zoo.get("example2")
    run = iterate(game, Method("simgd", h=0.9), [0.1, -0.9], 200, target=[0, -1])
    assert run.verdict == "converging"
    rate, more = re.search(r"contracts by about ([0-9.]+) per step.* about (\d+) more steps", run.reason).groups()
    j = classify_game(game).points[0].jacobian
    radius = spectral_radius(Method("simgd", h=sp.Rational(9, 10)), j, game.slices)
    assert float(rate) == pytest.approx(radius, abs=0.005)  # the envelope rate is the spectral radius
    longer = iterate(game, Method("simgd", h=0.9), [0.1, -0.9], 200 + int(more), target=[0, -1])
    assert 1e-9 < longer.field_norms[-1] < 1e-7
    cycling = iterate(zoo.get("bilinear"), Method("altgd", h=0.1), [1.0, 0.5], 2000, target=[0, 0])
    assert cycling.verdict == "bounded"

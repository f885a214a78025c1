"""Classification of states: the paper's examples through the bridge, honesty at the margins."""
import json

import numpy as np
import pytest

from gametheory import zoo
from neural.bridge import compile_game
from neural.analysis.classify import classify_state
from support.neural_games import planted_jacobian, quadratic_game, stable_rotating_pairs


def at(name, **values):
    game = zoo.get(name)
    point = {s: values[s.name] for s in game.params}
    return compile_game(game, point)


def test_example1_is_an_lssp_but_not_a_dne():
    report = classify_state(at("example1", theta1=1, theta2=1, phi=0))
    assert report.stationary and report.grad_norm < 1e-15
    assert report.lssp is True and report.lssp_certified
    roots = np.roots([1, -1, 11, -2])
    assert report.leftmost_eigenvalue.real == pytest.approx(min(roots.real), abs=1e-12)
    g, d = report.players
    assert (g.verdict, g.min_eigenvalue, g.certified) == ("saddle", pytest.approx(-1.0), True)
    assert d.verdict == "marginal" and d.min_eigenvalue == pytest.approx(0.0, abs=1e-15)
    assert report.dne is False and report.dne_certified
    assert report.max_imag == pytest.approx(max(roots.imag), rel=1e-10)


def test_example2_points_swap_lssp_and_dne():
    dne_point = classify_state(at("example2", theta=0, phi=1))
    assert dne_point.lssp is False and dne_point.lssp_certified
    assert dne_point.leftmost_eigenvalue.real == pytest.approx((3 - np.sqrt(17)) / 4, abs=1e-12)
    assert dne_point.dne is True and dne_point.dne_certified
    lssp_point = classify_state(at("example2", theta=0, phi=-1))
    assert lssp_point.lssp is True and lssp_point.dne is False
    assert lssp_point.leftmost_eigenvalue == pytest.approx(complex(0.25, np.sqrt(7) / 4), abs=1e-12) \
        or lssp_point.leftmost_eigenvalue == pytest.approx(complex(0.25, -np.sqrt(7) / 4), abs=1e-12)
    assert lssp_point.max_rotation_ratio == pytest.approx(np.sqrt(7), rel=1e-10)


def test_pure_rotation_is_marginal_never_stable():
    report = classify_state(at("bilinear", **{s.name: 0 for s in zoo.get("bilinear").params}))
    assert report.stationary
    assert report.lssp is None and not report.lssp_certified
    assert report.max_rotation_ratio == float("inf")
    document = report.to_dict()
    assert document["max_rotation_ratio"] is None
    json.dumps(document, allow_nan=False)


def test_non_stationary_points_are_neither_lssp_nor_dne():
    report = classify_state(at("example2", theta=1, phi=1))
    assert not report.stationary and report.lssp is False and report.dne is False
    assert any("not stationary" in note for note in report.notes)


def test_json_contract_keys():
    document = classify_state(at("example1", theta1=1, theta2=1, phi=0)).to_dict()
    for key, kind in [("grad_norm", float), ("lssp", bool), ("lssp_certified", bool),
                      ("leftmost_eigenvalue", list), ("dne", bool),
                      ("player_min_eigenvalues", dict), ("max_rotation_ratio", float)]:
        assert isinstance(document[key], kind), key
    assert set(document["player_min_eigenvalues"]) == {"G", "D"}
    json.dumps(document, allow_nan=False)


def test_planted_unstable_eigenvalue_is_found_by_the_krylov_classifier():
    rng = np.random.default_rng(4)
    pairs = stable_rotating_pairs(149, rng) + [(-0.01, 0.0, 0.0, 5.0)]
    game = quadratic_game(planted_jacobian(np.array(pairs), seed=2), 150)
    game.set_omega(np.zeros(game.param_count))  # the quadratic game is stationary at 0
    report = classify_state(game, dense_budget=0)
    assert report.leftmost.method == "arpack"
    # a Krylov residual proves an eigenvalue of a nearby matrix only: indicative, not certified
    assert report.lssp is False and not report.lssp_certified
    assert report.certificate.kind == "none"
    assert report.leftmost_eigenvalue.real == pytest.approx(-0.01, abs=1e-8)
    assert min(l.real for l in report.top.eigenvalues) > 0.5


def test_numeric_verdicts_agree_with_the_exact_ones_across_the_zoo():
    from gametheory import classify_game

    checked = 0
    for name in zoo.names():
        game = zoo.get(name)
        for point in classify_game(game).points:
            exact_game = game.with_constants() if game.constants else game
            report = classify_state(compile_game(exact_game, dict(zip(point.params, point.values))))
            expected = {"LSSP": True, "unstable": False, "marginal": None}[point.stability]
            assert report.lssp is expected, (name, point.values)
            if report.dne is not None:
                assert report.dne == point.dne, (name, point.values)
            checked += 1
    assert checked >= 10

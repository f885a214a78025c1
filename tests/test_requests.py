"""The library behind the thin CLI: methods from option strings, simulation requests (starts,
targets, limits) and plot requests (each figure's options), with planted answers."""
import re

import numpy as np
import pytest
import sympy as sp

from gametheory import resolve_game
from gametheory.dynamics.requests import MAX_FLOW_TIME, MAX_STEPS, build_method, simulate_request, stepsize_request
from gametheory.errors import GameError, OptionError
from gametheory.render.requests import MAX_GRID, parse_pair, plot_request, radius_methods


def test_build_method_keeps_exact_values():
    game = resolve_game("example1")
    method = build_method("AltGD", h="1/2", ratio="3", beta="-1/4", order="D,G", game=game)
    assert (method.name, method.h, method.ratio, method.beta) == ("altgd", sp.Rational(1, 2), 3, sp.Rational(-1, 4))
    assert method.order == (1, 0)
    assert build_method("eg").h is None


def test_random_starts_are_seeded_and_near_the_lssp():
    game = resolve_game("example2")  # LSSP at (0, -1), an unstable point at (0, 1)
    first = simulate_request(game, {}, "simgd", "0.1", steps=5, random=4, radius=0.2, seed=3)
    again = simulate_request(game, {}, "simgd", "0.1", steps=5, random=4, radius=0.2, seed=3)
    starts = np.array([r.states[0] for r in first.runs])
    assert np.array_equal(starts, [r.states[0] for r in again.runs]) and len(first.runs) == 4
    assert np.all(np.abs(starts - [0.0, -1.0]) <= 0.2)
    assert list(first.target) == [0.0, -1.0] and first.game.name == "example2"


def test_each_run_is_judged_against_its_nearest_point():
    game = resolve_game("example2")
    done = simulate_request(game, {}, "flow", "0.5", steps=40, start=["theta=0", "phi=0.9"])
    assert list(done.target) == [0.0, 1.0] and done.runs[0].method == "flow"
    assert done.runs[0].times[-1] == pytest.approx(20.0)


@pytest.mark.parametrize("options, message", [
    (dict(method="simgd", h="0.1", steps=0), f"--steps must be between 1 and {MAX_STEPS}"),
    (dict(method="simgd", h="0.1", radius=-1.0), "--radius must be a positive number"),
    (dict(method="simgd", h="0.1", radius=float("nan")), "--radius must be a positive number"),
    (dict(method="simgd", h="0.1", seed=-1), "--seed must be a non-negative integer"),
    (dict(method="simgd", h="0.1", random=0), "--random must be positive"),
    (dict(method="flow", h="-1"), "--h must be positive"),
    (dict(method="flow", h="1e3", steps=10_000), f"at most {MAX_FLOW_TIME:g}"),
    (dict(method="eg", h="0.1", order="P2,P1"), "a player order applies to alternating methods only"),
])
def test_simulation_refusals(options, message):
    with pytest.raises(OptionError, match=re.escape(message)):
        simulate_request(resolve_game("example2"), {}, **options)


def test_parse_pair():
    assert parse_pair("-1,2.5", "--xlim") == (-1.0, 2.5) and parse_pair(None, "--xlim") is None
    for text in ("1", "1,2,3", "a,b"):
        with pytest.raises(OptionError, match="--xlim must be two numbers LO,HI"):
            parse_pair(text, "--xlim")


def test_radius_methods_add_momentum_and_consensus_for_their_parameters():
    game = resolve_game("example1")
    labels = [m.label for m in radius_methods("simgd, EG", game, beta="-1/2", gamma="1")]
    assert labels == ["simgd", "eg", "momentum(beta=-1/2)", "consensus(gamma=1)"]
    assert [m.label for m in radius_methods("momentum", game, ratio="2", beta="1/2")] == ["momentum(r=2, beta=1/2)"]


@pytest.mark.parametrize("kind, options, message", [
    ("portrait", dict(grid=1), f"--grid must be between 2 and {MAX_GRID}"),
    ("portrait", dict(trajectories=-1), "--trajectories must be between 0 and 1000"),
    ("portrait", dict(xlim="1"), "--xlim must be two numbers"),
    ("path-angle", dict(ends=0), "--ends must be positive"),
    ("portrait", dict(fix=["omega=1"]), "unknown 'omega'"),
    ("radar", {}, "unknown figure 'radar'"),
])
def test_plot_refusals(tmp_path, kind, options, message):
    with pytest.raises(GameError, match=re.escape(message)):
        plot_request(kind, resolve_game("example1"), tmp_path / "figure.png", **options)
    assert not (tmp_path / "figure.png").exists()


def test_plot_request_draws_the_kind_asked_for(tmp_path):
    written = plot_request("Radius", resolve_game("example1"), tmp_path / "radius.svg", methods="simgd,eg",
                           h_max=0.2)
    assert written.suffix == ".svg" and "<svg" in written.read_text()[:500]


def test_stepsize_request_analyses_every_point():
    found = stepsize_request(resolve_game("example2"), method="EG")
    assert found.method.label == "eg" and len(found.analyses) == len(found.report.points) == 2
    by_phi = {p.values[1]: a for p, a in zip(found.report.points, found.analyses)}
    assert by_phi[-1].stable_interval is not None and by_phi[1].stable_interval is None

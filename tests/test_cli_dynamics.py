"""CLI of the game dynamics: stepsize --method, classify --region, simulate, plot; errors exit 2 in one line."""
import json

import pytest

from support.cli_checks import assert_one_line_error, imported_after, run


def _json(*args):
    result = run(*args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_stepsize_simgd_keeps_the_lemma4_contract():
    doc = _json("stepsize", "example2", "--json")
    point = next(p for p in doc["stationary_points"] if p["stability"] == "LSSP")
    assert point["max_step_size"] == pytest.approx(1.0) and point["binding_eigenvalue"] is not None
    assert point["method"] == "simgd" and point["stable_interval"] == [0.0, 1.0]
    assert 0 < point["optimal_step_size"] < 1 and 0 < point["optimal_spectral_radius"] < 1
    unstable = next(p for p in doc["stationary_points"] if p["stability"] != "LSSP")
    assert unstable["stable_interval"] is None and unstable["optimal_step_size"] is None


def test_stepsize_methods_on_bilinear():
    eg = _json("stepsize", "bilinear", "--method", "eg", "--json")["stationary_points"][0]
    assert eg["stable_interval"] == [0.0, 1.0] and eg["max_step_size"] == 1.0
    assert eg["max_step_size_exact"] == "1" and eg["stable_interval_method"] == "exact"
    alt = _json("stepsize", "bilinear", "--method", "altgd", "--json")["stationary_points"][0]
    assert alt["stable_interval"] is None and alt["max_step_size"] is None
    neg = _json("stepsize", "bilinear", "--method", "altgd", "--beta", "-1/2", "--json")["stationary_points"][0]
    assert neg["stable_interval"] == [0.0, 1.0] and neg["method"] == "altgd(beta=-1/2)"
    cons = _json("stepsize", "dirac-gan", "--method", "consensus", "--gamma", "1", "--json")["stationary_points"][0]
    assert cons["stable_interval"] == pytest.approx([0.0, 1.6])
    two = _json("stepsize", "example2", "--ratio", "3", "--json")["stationary_points"]
    assert all(p["stable_interval"] is None for p in two)


def test_classify_region_json():
    doc = _json("classify", "dirac-gan-r1", "--json", "--region", "lssp", "--region", "simgd:h=1/2")
    region = doc["stationary_points"][0]["region"]
    assert region["lssp"]["condition"] == "0 < gamma" and region["lssp"]["interval"] == [[0.0, None]]
    assert region["simgd:h=1/2"]["interval"] == [[0.125, 4.0625]]
    assert "lssp" in doc["stationary_points"][0]  # the foundation keys stay


def test_simulate_json_and_plot(tmp_path):
    figure = tmp_path / "run.png"
    doc = _json("simulate", "bilinear", "--method", "altgd", "--h", "0.5", "--beta", "-0.5", "--steps", "800",
                "--start", "theta=1", "--start", "phi=0.5", "--json", "--plot", str(figure))
    (only,) = doc["runs"]
    assert only["verdict"] == "converged" and only["rate"] == pytest.approx(0.9625, abs=1e-3)
    assert figure.stat().st_size > 10_000
    doc = _json("simulate", "bilinear", "--method", "simgd", "--h", "0.1", "--steps", "3000", "--random", "2", "--json")
    assert [r["verdict"] for r in doc["runs"]] == ["diverged", "diverged"]
    doc = _json("simulate", "example1", "--method", "flow", "--h", "0.5", "--steps", "200", "--start", "theta1=1.1",
                "--start", "theta2=0.95", "--start", "phi=0.05", "--json")
    assert doc["runs"][0]["verdict"] == "converged"


@pytest.mark.parametrize("kind, extra", [
    ("portrait", ["--grid", "8", "--trajectories", "2"]),
    ("landscape", []),
    ("landscape", ["--x", "theta2", "--y", "theta1"]),
    ("eigs", ["--method", "eg"]),
    ("radius", ["--methods", "simgd,eg"]),
    ("path-angle", ["--ends", "4"]),
])
def test_plot_writes_each_figure(tmp_path, kind, extra):
    out = tmp_path / f"{kind}.png"
    result = run("plot", "example1", kind, "-o", str(out), *extra)
    assert result.exit_code == 0, result.output
    assert out.stat().st_size > 10_000


@pytest.mark.parametrize("args, fragment", [
    (["simulate", "example2", "--h", "-0.1"], "step size h"),
    (["simulate", "bilinear", "--method", "momentum", "--h", "0.1", "--beta", "1.5"], "beta"),
    (["stepsize", "bilinear", "--method", "momentum", "--beta", "-1"], "beta"),
    (["stepsize", "bilinear", "--method", "adam"], "unknown method"),
    (["simulate", "example1", "--h", "0.1", "--start", "theta1=1"], "missing parameter"),
    (["plot", "example1", "portrait", "-o", "x.png", "--x", "psi"], "not a parameter"),
    (["plot", "example1", "portrait", "-o", "x.png", "--fix", "omega=1"], "unknown 'omega'"),
    (["plot", "example1", "eigs", "-o", "x.png", "--point", "theta1=0", "--point", "theta2=0", "--point", "phi=0"],
     "not stationary"),
    (["plot", "example1", "radar", "-o", "x.png"], "unknown figure"),
    (["plot", "example1", "landscape", "-o", "x.png", "--x", "phi"], "landscape axes"),
    (["plot", "example1", "eigs", "-o", "x.txt"], "must end in"),
    (["classify", "dirac-gan-r1", "--region", "stable"], "unknown region"),
])
def test_user_errors_are_one_line_exit_2(args, fragment):
    assert_one_line_error(run(*args), fragment)


def test_dynamics_commands_do_not_import_torch():
    assert imported_after(["stepsize", "bilinear", "--method", "eg", "--json"],
                          ["torch", "matplotlib"]) == [False, False]

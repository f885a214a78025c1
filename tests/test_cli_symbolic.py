"""The symbolic CLI: JSON contract, human output, one-line errors with exit code 2."""
import json

import pytest

from support.cli_checks import assert_one_line_error, imported_after, run


def test_classify_example1_json_contract():
    result = run("classify", "example1", "--json")
    assert result.exit_code == 0
    doc = json.loads(result.stdout)
    for key in ("game", "params", "players", "zero_sum", "vector_field", "stationary_points"):
        assert key in doc
    assert doc["params"] == ["theta1", "theta2", "phi"]
    assert doc["players"][0] == {"name": "G", "params": ["theta1", "theta2"],
                                 "loss": doc["players"][0]["loss"]}
    point = next(p for p in doc["stationary_points"] if p["point"] == {"theta1": "1", "theta2": "1", "phi": "0"})
    for key in ("point", "point_float", "exact", "jacobian", "eigenvalues", "stability", "lssp", "dne", "nash",
                "max_step_size", "max_step_size_exact"):
        assert key in point
    assert point["jacobian"] == [["-1", "0", "-1"], ["0", "2", "-2"], ["5", "4", "0"]]
    assert point["stability"] == "LSSP" and point["lssp"] is True and point["dne"] is False
    assert point["exact"] is True and point["max_step_size"] == pytest.approx(0.0751787, rel=1e-5)


def test_stepsize_json_contract():
    doc = json.loads(run("stepsize", "example2", "--json").stdout)
    assert doc["game"] == "example2"
    by_phi = {p["point"]["phi"]: p for p in doc["stationary_points"]}
    assert by_phi["-1"]["max_step_size"] == 1.0 and by_phi["-1"]["binding_eigenvalue"][0] == 0.25
    assert by_phi["1"]["max_step_size"] is None and by_phi["1"]["binding_eigenvalue"] is None


def test_classify_human_output_and_latex():
    out = run("classify", "example1").stdout
    assert "LSSP" in out and "not DNE" in out and "x**3 - x**2 + 11*x - 2" in out
    latex = run("classify", "example2", "--latex").stdout
    assert "\\nabla v" in latex and "\\sqrt{17}" in latex


def test_set_and_point_options():
    doc = json.loads(run("classify", "dirac-gan-r1", "--set", "gamma=-1/2", "--point", "theta=0",
                         "--point", "psi=0", "--json").stdout)
    assert doc["constants"] == {"gamma": "-1/2"}
    assert doc["stationary_points"][0]["stability"] == "unstable"


def test_list():
    out = run("list").stdout
    assert "example1" in out and "dirac-gan-r1" in out and len(out.strip().splitlines()) == 11


@pytest.mark.parametrize("args,fragment", [
    (["classify", "exampel1"], "did you mean example1"),
    (["classify", "example1", "--point", "theta1=1"], "missing parameter"),
    (["classify", "example1", "--point", "theta1=__import__('os')"], "__import__"),
    (["classify", "example1", "--set", "gamma=1"], "unknown 'gamma'"),
    (["stepsize", "nothere.toml"], "not found"),
])
def test_user_errors_are_one_line_exit_2(args, fragment):
    assert_one_line_error(run(*args), fragment)


def test_symbolic_commands_do_not_import_torch():
    assert imported_after(["classify", "example2", "--json"], ["torch"]) == [False]

"""Output that keeps every character: rich markup escaped, matrices one row (or entry) per line,
non-finite JSON numbers as null plus a note, one line on Ctrl-C, cheap --help."""
import json

import pytest
import sympy as sp
from typer.testing import CliRunner

from cli import app
from gametheory.render.documents import finite
from support.cli_checks import imported_after

NARROW = {"COLUMNS": "40"}


def invoke(*args, env=None):
    return CliRunner().invoke(app, list(args), env=env)


def jacobian_by_hand(losses, params):
    """J = grad v with v_i = d L_(owner of i) / d param_i, derived here from the losses."""
    field = [sp.diff(loss, p) for loss, p in zip(losses, params)]
    return sp.Matrix([[sp.diff(f, q) for q in params] for f in field])


@pytest.mark.parametrize("name,losses", [
    ("dirac-nsgan", lambda t, s: (sp.log(1 + sp.exp(s * t)), sp.log(1 + sp.exp(-s * t)))),
    ("dirac-gan", lambda t, s: (-sp.log(1 + sp.exp(-s * t)), sp.log(1 + sp.exp(-s * t)))),
])
def test_dirac_jacobian_entries_survive_a_narrow_terminal(name, losses):
    theta, psi = sp.symbols("theta psi", real=True)
    result = invoke("classify", name, env=NARROW)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    jacobian = jacobian_by_hand(losses(theta, psi), [theta, psi])
    for (i, a), (j, b) in [(x, y) for x in enumerate("theta psi".split()) for y in enumerate("theta psi".split())]:
        shown = next(line for line in lines if line.startswith(f"  J[{a}, {b}] = "))
        entry = sp.sympify(shown.split(" = ", 1)[1], locals={"theta": theta, "psi": psi})
        assert sp.simplify(entry - jacobian[i, j]) == 0
    assert "[, ]" not in result.stdout


@pytest.mark.parametrize("command", ["classify", "stepsize"])
def test_table_coordinates_are_never_split_at_80_columns(command):
    """example1's unstable point (45/41, 36/41, -1/9): each coordinate whole on its own line
    (rich used to fold 'theta1=45/41' into 'theta1=45/4' over '1')."""
    result = invoke(command, "example1", env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    cells = [line.split("│")[1].strip() for line in result.stdout.splitlines() if line.startswith("│")]
    assert {"theta1=45/41", "theta2=36/41", "phi=-1/9"} <= set(cells)
    assert all(len(line) <= 80 for line in result.stdout.splitlines() if line.startswith("│"))


def test_small_jacobian_is_one_aligned_row_per_line():
    t1, t2, phi = sp.symbols("theta1 theta2 phi", real=True)
    jacobian = jacobian_by_hand([(t2 - phi * t1 - 1) ** 2 - (t1 + phi * t2 - 1) ** 2 / 2,
                                 (t2 - phi * t1 - 1) ** 2 - (t1 + phi * t2 - 1) ** 2 / 2,
                                 phi * (5 * t1 + 4 * t2 - 9)], [t1, t2, phi])
    lines = invoke("classify", "example1").stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Jacobian J = grad v"))
    rows = lines[start + 1:start + 4]
    assert len({row.index("]") for row in rows}) == 1  # columns aligned
    names = {"theta1": t1, "theta2": t2, "phi": phi}
    parsed = [[sp.sympify(cell, locals=names) for cell in row.strip()[1:-1].split(", ")] for row in rows]
    assert sp.Matrix(parsed) == jacobian


BRACKETED = '''name = "br[a]ck[ets]"
description = "see [link] and [red]x[/red]"
[players.G]
params = ["x"]
loss = "x**2/2 + x*y"
[players.D]
params = ["y"]
loss = "y**2/2 - x*y"
'''


@pytest.mark.parametrize("args", [
    ["classify", "{file}"],
    ["stepsize", "{file}"],
    ["stepsize", "{file}", "--method", "eg"],
    ["simulate", "{file}", "--h", "0.1", "--steps", "5", "--start", "x=1", "--start", "y=0"],
])
def test_strings_from_a_game_file_print_verbatim(tmp_path, args):
    game = tmp_path / "game[1].toml"
    game.write_text(BRACKETED)
    result = invoke(*[a.format(file=game) for a in args], env=NARROW)
    assert result.exit_code == 0, result.output
    assert "br[a]ck[ets]" in result.stdout
    if args[0] == "classify":
        assert "see [link] and [red]x[/red]" in " ".join(result.stdout.split())


def test_neural_label_prints_verbatim(tmp_path):
    game = tmp_path / "game.toml"
    game.write_text(BRACKETED)
    result = invoke("neural", "classify", str(game), "--point", "x=0", "--point", "y=0")
    assert result.exit_code == 0, result.output
    assert "br[a]ck[ets] at x=0, y=0" in result.stdout


def test_finite_replaces_every_non_finite_number():
    found = []
    document = {"a": [1.0, float("nan"), (float("inf"), 2)], "b": {"c": -float("inf"), "d": "inf"}}
    assert finite(document, "$", found) == {"a": [1.0, None, [None, 2]], "b": {"c": None, "d": "inf"}}
    assert found == ["$.a[1]: nan", "$.a[2][0]: inf", "$.b.c: -inf"]


def strict_json(text):
    def refuse(constant):
        raise ValueError(f"not JSON: {constant}")
    return json.loads(text, parse_constant=refuse)


def test_overflowing_simulation_gives_valid_json_with_a_note():
    result = invoke("simulate", "bilinear", "--method", "simgd", "--h", "1e300", "--start", "theta=1e300",
                    "--start", "phi=1e300", "--json")
    assert result.exit_code == 0, result.output
    doc = strict_json(result.stdout)
    run = doc["runs"][0]
    assert run["verdict"] == "diverged" and run["start"] == {"theta": 1e300, "phi": 1e300}
    assert run["end"] == {"theta": None, "phi": None} and run["final_field_norm"] is None
    # theta' = theta - h*phi = -inf and phi' = phi + h*theta = +inf: v = (phi, -theta) overflows
    assert doc["non_finite"]["count"] == 3
    assert doc["non_finite"]["first"] == ["$.runs[0].end.theta: -inf", "$.runs[0].end.phi: inf",
                                          "$.runs[0].final_field_norm: inf"]
    assert "null" in doc["non_finite"]["note"]


def test_finite_documents_carry_no_note():
    doc = strict_json(invoke("classify", "example1", "--json").stdout)
    assert "non_finite" not in doc


@pytest.mark.parametrize("module,function,args", [
    ("neural.targets", "resolve_target", ["neural", "classify", "example1"]),
    ("neural.analysis.eigen", "top_eigenvalues", ["neural", "eigs", "bilinear"]),
    ("gametheory", "classify_game", ["classify", "example1"]),
])
def test_ctrl_c_prints_one_line_and_exits_130(monkeypatch, module, function, args):
    import importlib

    def interrupted(*_, **__):
        raise KeyboardInterrupt

    monkeypatch.setattr(importlib.import_module(module), function, interrupted)
    result = invoke(*args)
    assert result.exit_code == 130
    assert result.stderr.strip() == "interrupted (Ctrl-C)" and result.stdout == ""


def test_help_imports_no_analysis():
    modules = ["sympy", "torch", "gametheory"]
    assert imported_after(["--help"], modules) == [False, False, False]
    assert imported_after(["neural", "--help"], modules) == [False, False, False]
    assert imported_after(["classify", "--help"], modules) == [False, False, False]

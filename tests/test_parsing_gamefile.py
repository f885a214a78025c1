"""User strings are parsed without executing code; bad game files get one clear message."""
import textwrap

import pytest
import sympy as sp

from gametheory import classify_game, load_game, zoo
from gametheory.errors import GameFileError, ParseError, PointError
from gametheory.parsing import parse_expression, parse_number, parse_point

x, y = sp.symbols("x y")


def test_arithmetic_and_functions():
    assert parse_expression("x**2 - 0.5*y + 1/3", [x, y]) == x**2 - y / 2 + sp.Rational(1, 3)
    assert parse_expression("sigmoid(x)", [x]) == 1 / (1 + sp.exp(-x))
    assert parse_expression("-log(1 + exp(-x*y)) + pi", [x, y]) == -sp.log(1 + sp.exp(-x * y)) + sp.pi
    assert parse_number("1/2") == sp.Rational(1, 2) and parse_number(0.25) == sp.Rational(1, 4)


@pytest.mark.parametrize("text,fragment", [
    ("__import__('os').system('touch /tmp/pwned')", "__import__"),
    ("x.__class__", "attribute access"),
    ("(lambda: 1)()", "call of"),
    ("lambda: 1", "lambda"),
    ("x[0]", "subscript"),
    ("'abc'", "literal"),
    ("open('f')", "undeclared function 'open'"),
    ("z + x", "undeclared name 'z'"),
    ("x ^ 2", "'**'"),
    ("exp(x, y)", "exactly one argument"),
    ("9**9**9", "too large"),
    ("x +", "syntax error"),
    ("", "empty"),
])
def test_rejects_everything_else_without_running_it(text, fragment, tmp_path):
    with pytest.raises(ParseError, match=None) as info:
        parse_expression(text, [x])
    assert fragment in str(info.value)
    assert "\n" not in str(info.value)


def test_parse_point_requires_every_parameter():
    game = zoo.get("example1")
    point = parse_point(["theta1=1", "theta2=1", "phi=0"], game)
    assert [point[s] for s in game.params] == [1, 1, 0]
    with pytest.raises(PointError, match="missing parameter"):
        parse_point(["theta1=1"], game)
    with pytest.raises(PointError, match="unknown 'psi'"):
        parse_point(["psi=1"], game)
    with pytest.raises(PointError, match="NAME=VALUE"):
        parse_point(["theta1"], game)


EXAMPLE1 = """
name = "my-example1"
[players.G]
params = ["theta1", "theta2"]
loss = "(theta2 - phi*theta1 - 1)**2 - (theta1 + phi*theta2 - 1)**2/2"
[players.D]
params = ["phi"]
loss = "phi*(5*theta1 + 4*theta2 - 9)"
"""


def write(tmp_path, text):
    path = tmp_path / "game.toml"
    path.write_text(textwrap.dedent(text))
    return path


def test_game_file_gives_the_same_analysis_as_the_zoo(tmp_path):
    from_file = classify_game(load_game(write(tmp_path, EXAMPLE1))).to_dict()
    built_in = classify_game(zoo.get("example1")).to_dict()
    assert from_file["game"] == "my-example1"
    for key in ("params", "vector_field", "zero_sum"):
        assert from_file[key] == built_in[key]
    strip = lambda points: [{k: v for k, v in p.items()} for p in points]
    assert strip(from_file["stationary_points"]) == strip(built_in["stationary_points"])


def test_game_file_constants(tmp_path):
    path = write(tmp_path, """
        [constants]
        gamma = "1/2"
        [players.G]
        params = ["t"]
        loss = "-log(1 + exp(-p*t))"
        [players.D]
        params = ["p"]
        loss = "log(1 + exp(-p*t)) + gamma/2*p**2"
    """)
    game = load_game(path)
    assert list(game.constants.values()) == [sp.Rational(1, 2)]
    (point,) = classify_game(game).points
    assert point.stability == "LSSP"


@pytest.mark.parametrize("text,fragment", [
    ("[players.G]\nparams = ['a']\nloss = 'a*b'\n[players.D]\nparams = ['a']\nloss = 'a'\n", "used by players 'G' and 'D'"),
    ("[players.G]\nparams = []\nloss = '1'\n", "empty or missing 'params'"),
    ("[players.G]\nparams = ['a']\n", "missing 'loss'"),
    ("[players.G]\nparams = ['a']\nloss = 'a*b'\n", "undeclared name 'b'"),
    ("[players.G]\nparams = ['a']\nloss = 'a.__class__'\n", "attribute access"),
    ("[players.G]\nparams = ['exp']\nloss = 'exp'\n", "reserved"),
    ("[players.G]\nparams = ['a']\nloss = 'a'\nextra = 1\n", "unknown key"),
    ("name = 'x'\n", "no players"),
    ("[players.G\n", "invalid TOML"),
    ("[constants]\nc = 'c*2'\n[players.G]\nparams = ['a']\nloss = 'a'\n", "constant 'c'"),
])
def test_bad_game_files(tmp_path, text, fragment):
    with pytest.raises(GameFileError) as info:
        load_game(write(tmp_path, text))
    assert fragment in str(info.value) and "\n" not in str(info.value)


def test_missing_file():
    with pytest.raises(GameFileError, match="not found"):
        load_game("/nonexistent/game.toml")

"""Help that tells the truth (flags as flags, readable placeholders, every default of neural
train, --version, shell completion) and the small messages a new user meets first."""
import json
import re

import pytest
from typer.testing import CliRunner

import cli
from cli import app

WIDE = {"COLUMNS": "80"}
COMMANDS = [[], ["list"], ["classify"], ["stepsize"], ["simulate"], ["plot"], ["neural"], ["neural", "eigs"],
            ["neural", "classify"], ["neural", "path-angle"], ["neural", "train"], ["neural", "train-classifier"]]


def invoke(*args, env=None):
    return CliRunner().invoke(app, list(args), env=env or WIDE)


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "top")
def test_help_shows_flags_as_flags_and_readable_placeholders(command):
    result = invoke(*command, "--help")
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert "<bool>" not in text and "<list[str]>" not in text and "<float,float>" not in text
    assert not re.search(r"<(str|int|float)>", text)
    assert not re.search(r"\{[a-z_]+\}", text)  # no {game}-style placeholders in the usage line
    assert re.search(r"--help +Show this message", text)


def test_placeholders_name_what_to_type():
    text = " ".join(invoke("classify", "--help").stdout.split())
    assert "classify [OPTIONS] GAME" in text
    assert re.search(r"--json Print one JSON document", text)  # a flag: nothing between it and its help
    assert "--point NAME=VALUE" in text
    path_angle = " ".join(invoke("neural", "path-angle", "--help").stdout.split())
    assert "--range A B" in path_angle and "START END..." in path_angle
    assert "-o FILE" in " ".join(invoke("plot", "--help").stdout.split())


def test_neural_train_help_lists_the_presets_and_every_default():
    from neural.training.presets import DEFAULT_PRESET, PRESETS

    result = invoke("neural", "train", "--help")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    for name, preset in PRESETS.items():
        star = "*" if name in DEFAULT_PRESET.values() else ""
        row = next(line.split() for line in lines if line.split()[:1] == [name + star])
        assert row[1:] == [preset["dataset"], preset["loss"], preset["method"], f"{preset['iterations']:,}"]
    text = " ".join(result.stdout.replace("│", " ").split())
    assert "--ema-beta NUMBER Decay of the exponential parameter average. Default: 0.999." in text
    assert "--lr-g NUMBER Generator learning rate. Default: from the preset." in text
    assert "--seed INTEGER Random seed. Default: 0." in text


def test_version_prints_the_package_version(monkeypatch):
    result = invoke("--version")
    assert result.exit_code == 0
    assert result.stdout.startswith("gametheory 0.1.0")
    from importlib import metadata

    monkeypatch.setattr(metadata, "version", lambda name: "9.8.7")
    assert invoke("--version").stdout == "gametheory 9.8.7\n"


def test_completion_callbacks_return_the_matching_names(tmp_path, monkeypatch):
    assert cli.complete_game("dirac-g") == ["dirac-gan", "dirac-gan-r1"]
    assert cli.complete_kind("p") == ["portrait", "path-angle"]
    assert cli.complete_kind("") == ["portrait", "landscape", "eigs", "radius", "path-angle"]
    assert cli.complete_preset("mog") == ["mog-nsgan-eg", "mog-wgangp-eg"]
    (tmp_path / "mygame.toml").write_text("")
    (tmp_path / "notes.txt").write_text("")
    monkeypatch.chdir(tmp_path)
    assert cli.complete_game("my") == ["mygame.toml"]


def test_completion_is_wired_into_the_app():
    text = invoke("--help").stdout
    assert "--install-completion" in text
    result = CliRunner().invoke(app, [], prog_name="gametheory",
                                env={"_GAMETHEORY_COMPLETE": "complete_bash", "COMP_WORDS": "gametheory plot example1 ra",
                                     "COMP_CWORD": "3"})
    assert result.stdout.split() == ["radius"]


def test_a_ratio_that_is_not_a_number_says_so():
    result = invoke("stepsize", "example1", "--ratio", "abc")
    assert result.exit_code == 2
    assert result.stderr.strip() == ("error: --ratio must be a number (such as 1/2, 0.25 or sqrt(2)), got 'abc'")


def test_stepsize_without_a_stationary_point_says_so():
    result = invoke("stepsize", "example2-printed")
    assert result.exit_code == 0, result.output
    assert "no stationary point: v = 0 has no real solution" in result.stdout
    assert "┏" not in result.stdout  # no empty table
    document = json.loads(invoke("stepsize", "example2-printed", "--json").stdout)
    assert document["stationary_points"] == []


def test_commands_that_write_a_file_say_where(tmp_path):
    figure = tmp_path / "run.png"
    result = invoke("simulate", "example1", "--h", "0.05", "--steps", "20", "--plot", str(figure), "--json")
    assert result.exit_code == 0, result.output
    json.loads(result.stdout)  # stdout stays one JSON document
    assert result.stderr.strip() == f"wrote {figure}" and figure.exists()
    eigs = tmp_path / "eigs.png"
    result = invoke("neural", "eigs", "example1", "--point", "theta1=1", "--point", "theta2=1", "--point", "phi=0",
                    "--k", "3", "--plot", str(eigs))
    assert result.exit_code == 0, result.output
    assert f"wrote {eigs}" in result.stderr and eigs.exists()
    angles = tmp_path / "angles.svg"
    result = invoke("neural", "path-angle", "--game", "rotation", "theta=1,phi=1", "theta=0.01,phi=0", "--points", "5",
                    "--plot", str(angles))
    assert result.exit_code == 0, result.output
    assert f"wrote {angles}" in result.stderr and angles.exists()


@pytest.mark.parametrize("args,numbers", [
    (["stepsize", "example1", "--method", "eg"], ["theta1=45/41", "theta2=36/41", "phi=-1/9", "0.364598", "0.35305",
                                                 "0.939155"]),
    (["classify", "example1"], ["theta1=45/41", "theta2=36/41", "phi=-1/9", "0.5895 - 3.435i", "h < 0.0751787"]),
    (["neural", "eigs", "example1", "--point", "theta1=45/41", "--point", "theta2=36/41", "--point", "phi=-1/9",
      "--k", "3"], ["-0.166685", "0.589515 + 3.43501i"]),
])
def test_piped_output_at_80_columns_never_cuts_a_number(args, numbers):
    result = invoke(*args)
    assert result.exit_code == 0, result.output
    assert "…" not in result.stdout
    for number in numbers:
        assert number in result.stdout, number

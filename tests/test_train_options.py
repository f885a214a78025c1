"""`gametheory neural train`'s options against ``TrainConfig``'s fields: every field has its
option (``--field-name``, the name the config's errors use) and reaches the run's config, and
every other option is one of the documented launch options."""
import dataclasses

import pytest
import typer

from cli import app
from neural.training.config import TrainConfig
from support.cli_checks import run

#: Options that say how and where a run is launched, not what is trained: no TrainConfig field.
LAUNCH_OPTIONS = {"download", "out", "resume", "device", "classifier", "inception", "quiet"}
#: Fields the command passes on their own (the data set is an argument, the preset names the defaults).
NOT_OVERRIDES = {"dataset", "preset"}
#: A value for each field type, as typed on the command line.
SAMPLE = {"int": "7", "float": "0.25", "str": "sample", "int | None": "7", "str | None": "sample"}


def train_command():
    command = typer.main.get_command(app)
    return command.commands["neural"].commands["train"]


FIELDS = {f.name: f for f in dataclasses.fields(TrainConfig)}
PARAMS = {p.name: p for p in train_command().params}


def test_every_field_has_an_option_and_every_option_a_field_or_a_launch_role():
    assert set(FIELDS) - set(PARAMS) == set(), "TrainConfig fields without an option"
    assert set(PARAMS) - set(FIELDS) == LAUNCH_OPTIONS, "options that are neither a field nor a launch option"


@pytest.mark.parametrize("name", sorted(set(FIELDS) - {"dataset"}))
def test_each_field_option_is_spelt_like_the_field(name):
    flag = "--" + name.replace("_", "-")
    assert flag in PARAMS[name].opts
    if FIELDS[name].type == "bool":
        assert PARAMS[name].secondary_opts, f"{flag} needs its negation too"


def test_every_field_option_reaches_the_config(monkeypatch):
    import neural.training.launch as launch

    seen = {}

    def capture(dataset, preset, overrides, **launch_options):
        seen.update(dataset=dataset, preset=preset, overrides=overrides, launch=launch_options)
        raise KeyboardInterrupt  # stop here: nothing is trained

    monkeypatch.setattr(launch, "launch_training", capture)
    args = ["neural", "train", "mog", "--preset", "mog-wgangp-eg"]
    expected = {}
    for name in sorted(set(FIELDS) - NOT_OVERRIDES):
        flag = "--" + name.replace("_", "-")
        if FIELDS[name].type == "bool":
            args.append(flag)
            expected[name] = "True"
        else:
            args += [flag, SAMPLE[FIELDS[name].type]]
            expected[name] = SAMPLE[FIELDS[name].type]
    result = run(*args)
    assert result.exit_code == 130, result.output
    assert seen["dataset"] == "mog" and seen["preset"] == "mog-wgangp-eg"
    assert {k: str(v) for k, v in seen["overrides"].items()} == expected
    assert set(seen["launch"]) >= LAUNCH_OPTIONS - {"quiet"}

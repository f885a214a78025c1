"""The neural analysis commands: JSON contracts, one-line user errors, checkpoints, laziness."""
import json

import pytest
from typer.testing import CliRunner

from cli import app
from support.cli_checks import imported_after

runner = CliRunner()


def run(*args):
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_eigs_json_contract_on_a_zoo_game():
    code, out, _ = run("neural", "eigs", "example2", "--point", "theta=0", "--point", "phi=-1",
                       "--which", "SR", "--k", "2", "--json")
    assert code == 0
    document = json.loads(out)
    assert {"which", "k", "eigenvalues", "residuals", "converged"} <= set(document)
    assert document["which"] == "SR" and document["k"] == 2 and document["converged"] is True
    assert document["eigenvalues"][0][0] == pytest.approx(0.25, abs=1e-12)
    assert abs(document["eigenvalues"][0][1]) == pytest.approx(7 ** 0.5 / 4, abs=1e-12)
    assert max(document["residuals"]) < 1e-12


def test_eigs_of_a_player_block_and_plot(tmp_path):
    plot = tmp_path / "eigs.png"
    code, out, _ = run("neural", "eigs", "example1", "--point", "theta1=1", "--point", "theta2=1",
                       "--point", "phi=0", "--block", "G", "--json", "--plot", str(plot))
    assert code == 0 and plot.stat().st_size > 1000
    values = sorted(e[0] for e in json.loads(out)["eigenvalues"])
    assert values == pytest.approx([-1.0, 2.0], abs=1e-12)


def test_classify_json_contract():
    code, out, _ = run("neural", "classify", "example1", "--point", "theta1=1", "--point",
                       "theta2=1", "--point", "phi=0", "--json")
    assert code == 0
    document = json.loads(out)
    assert document["lssp"] is True and document["lssp_certified"] is True
    assert document["dne"] is False
    assert set(document["player_min_eigenvalues"]) == {"G", "D"}
    assert document["player_min_eigenvalues"]["G"] == pytest.approx(-1.0)
    assert isinstance(document["max_rotation_ratio"], float)
    assert document["grad_norm"] == 0.0


def test_classify_human_output_names_the_verdicts():
    code, out, _ = run("neural", "classify", "example2", "--point", "theta=0", "--point", "phi=1")
    assert code == 0
    assert "LSSP" in out and "DNE" in out and "certified" in out


def test_path_angle_on_a_zoo_game(tmp_path):
    plot = tmp_path / "path.png"
    code, out, _ = run("neural", "path-angle", "--game", "rotation", "theta=2,phi=1",
                       "theta=0.02,phi=-0.01", "theta=0.01,phi=0.02", "--range", "0", "2",
                       "--points", "21", "--json", "--plot", str(plot))
    assert code == 0 and plot.stat().st_size > 1000
    document = json.loads(out)
    assert len(document["alphas"]) == 21 and document["ends"] == 2
    assert document["alphas"][0] == 0.0 and document["alphas"][-1] == 2.0
    assert abs(document["cosine"]["median"][0]) < 0.02


@pytest.mark.parametrize("args, message", [
    (["neural", "eigs", "nosuchgame"], "no run directory, checkpoint or game named 'nosuchgame'"),
    (["neural", "eigs", "example1"], "--point"),
    (["neural", "eigs", "example2", "--point", "theta=0", "--point", "phi=1", "--which", "XY"], "which"),
    (["neural", "eigs", "example2", "--point", "theta=0", "--point", "phi=1", "--block", "Q"], "--block"),
    (["neural", "eigs", "example2", "--point", "theta=0", "--point", "phi=1", "--k", "0"], "k must"),
    (["neural", "classify", "example2", "--point", "theta=0"], "missing"),
    (["neural", "classify", "missing_run.pt"], "checkpoint"),
    (["neural", "classify", "example2", "--point", "theta=0", "--point", "phi=1", "--grad-tol", "-1"],
     "--grad-tol must be non-negative"),
    (["neural", "path-angle", "theta=1,phi=0", "theta=0,phi=0"], "not a checkpoint"),
    (["neural", "path-angle", "--game", "rotation", "theta=1,phi=0", "theta=1,phi=0"], "coincide"),
    (["neural", "path-angle", "--game", "rotation", "theta=1,phi=0", "theta=0,phi=0", "--points", "1"], "points"),
    (["neural", "path-angle", "--game", "rotation", "theta=1,phi=0", "theta=0,phi=0", "--clip", "X=1"], "clip"),
])
def test_user_errors_are_one_line_and_exit_2(args, message):
    code, out, err = run(*args)
    assert code == 2, (out, err)
    assert err.count("\n") == 1 and err.startswith("error:") and message in err
    assert out == ""


def test_checkpoint_targets(tmp_path):
    from neural.training.checkpoint import list_checkpoints
    from neural.training.presets import resolve_config
    from neural.training.trainer import start_run

    config = resolve_config("mog", "mog-nsgan-eg", mog_samples=200, batch_size=200, log_every=10,
                            checkpoint_every=5, sample_every=1000, latent_dim=4, width=8,
                            iterations=10)
    start_run(config, tmp_path, "cpu").run()
    code, out, err = run("neural", "classify", str(tmp_path), "--json")
    assert code == 0, err
    document = json.loads(out)
    assert document["grad_norm"] > 0 and document["leftmost_eigenvalue"] is not None
    code, out, err = run("neural", "eigs", str(tmp_path), "--k", "4", "--json")
    assert code == 0, err
    assert len(json.loads(out)["eigenvalues"]) == 4
    found = list_checkpoints(tmp_path)
    first, last = found[0][1], found[-1][1]
    code, out, err = run("neural", "path-angle", str(first), str(last), "--points", "5", "--json")
    assert code == 0, err
    assert len(json.loads(out)["cosine"]["median"]) == 5
    code, _, err = run("neural", "classify", str(tmp_path), "--point", "a=1")
    assert code == 2 and "--point" in err


def test_symbolic_classify_never_imports_torch():
    assert imported_after(["classify", "example2", "--json"], ["torch"]) == [False]

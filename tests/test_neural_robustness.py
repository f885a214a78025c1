"""Regression tests from the neural review: hostile options, interrupted metrics, bad checkpoints."""
import torch
from typer.testing import CliRunner

from cli import app

TINY = ["--mog-samples", "200", "--batch-size", "200", "--width", "8", "--latent-dim", "2", "--quiet"]


def run(*args):
    return CliRunner().invoke(app, list(args))


def one_line_exit_2(result, fragment):
    assert result.exit_code == 2, result.output
    assert fragment in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_non_finite_options_are_refused(tmp_path):
    one_line_exit_2(run("neural", "train", "mog", "--gp-weight", "nan", "--out", str(tmp_path / "a"), *TINY),
                    "--gp-weight")
    one_line_exit_2(run("neural", "train", "mog", "--lr-g", "inf", "--out", str(tmp_path / "b"), *TINY), "--lr-g")
    one_line_exit_2(run("neural", "path-angle", "--game", "bilinear", "theta=1,phi=0", "theta=0,phi=0",
                        "--range", "0", "inf"), "finite")


def test_resume_after_a_cut_metrics_line_and_from_a_file(tmp_path):
    out = tmp_path / "run"
    assert run("neural", "train", "mog", "--iterations", "2", "--checkpoint-every", "1", "--log-every", "1",
               "--out", str(out), *TINY).exit_code == 0
    with open(out / "metrics.jsonl", "a") as handle:
        handle.write('{"iteration": 3, "loss_G')  # killed mid-write
    resumed = run("neural", "train", "mog", "--resume", str(out), "--iterations", "3", *TINY[-1:])
    assert resumed.exit_code == 0, resumed.output
    lines = (out / "metrics.jsonl").read_text().splitlines()
    assert [line.count('"iteration"') for line in lines] == [1, 1, 1]
    one_line_exit_2(run("neural", "train", "mog", "--resume", str(out / "checkpoints" / "ckpt_00000002.pt")),
                    "run directory")


def test_incomplete_checkpoint_is_one_line(tmp_path):
    out = tmp_path / "run"
    assert run("neural", "train", "mog", "--iterations", "1", "--out", str(out), *TINY).exit_code == 0
    path = sorted((out / "checkpoints").glob("*.pt"))[-1]
    state = torch.load(path, weights_only=True)
    del state["config"]
    broken = tmp_path / "broken.pt"
    torch.save(state, broken)
    one_line_exit_2(run("neural", "eigs", str(broken), "--k", "2"), "incomplete")

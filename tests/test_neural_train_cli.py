"""`gametheory neural train` and `train-classifier`: runs, and one-line refusals with exit 2."""
import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from typer.testing import CliRunner

from cli import app
from neural.training.checkpoint import list_checkpoints
from neural.training.data import MNIST_FILES
from support.datasets import write_idx

runner = CliRunner()
TINY = ["--iterations", "20", "--mog-samples", "500", "--batch-size", "500", "--latent-dim", "4",
        "--width", "16", "--log-every", "10", "--checkpoint-every", "10", "--quiet"]


def invoke(*args):
    return runner.invoke(app, ["neural", "train", *map(str, args)])


def test_train_then_resume(tmp_path):
    torch.set_num_threads(1)
    result = invoke("mog", *TINY, "--out", tmp_path / "run", "--device", "cpu")
    assert result.exit_code == 0, result.output
    assert "iteration 20 on cpu" in result.output
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    assert (config["preset"], config["lr_g"], config["iterations"]) == ("mog-nsgan-eg", 0.1, 20)
    result = invoke("mog", "--resume", tmp_path / "run", "--iterations", "30")  # progress bar
    assert result.exit_code == 0, result.output
    assert [i for i, _ in list_checkpoints(tmp_path / "run")] == [0, 10, 20, 30]


@pytest.mark.parametrize("args,message", [
    (["mog", "--preset", "mog-magic"], "unknown preset 'mog-magic'"),
    (["mog", "--lr-d", "-0.1"], "--lr-d must be > 0"),
    (["mog", "--method", "sgd"], "unknown method 'sgd'"),
    (["svhn"], "unknown data set 'svhn'"),
    (["mnist", "--data-dir", "{tmp}/nothing"], "nothing/train-images-idx3-ubyte.gz"),
    (["mog", "--resume", "{tmp}/nowhere"], "--out and --resume name different run directories"),
])
def test_user_errors_are_one_line_exit_2(tmp_path, args, message):
    result = invoke(*[a.format(tmp=tmp_path) for a in args], "--out", tmp_path / "out")
    assert result.exit_code == 2
    assert message in result.output
    assert result.output.count("\n") == 1 and "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


def test_resume_refusals_overwrite_nothing(tmp_path):
    torch.set_num_threads(1)
    assert invoke("mog", *TINY, "--out", tmp_path / "run").exit_code == 0
    snapshot = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    result = invoke("mog", "--resume", tmp_path / "nowhere")
    assert result.exit_code == 2 and "no checkpoint or run directory" in result.output
    result = invoke("mog", "--resume", tmp_path / "run", "--loss", "wgangp")
    assert result.exit_code == 2 and "another run's config" in result.output
    result = invoke("mog", *TINY, "--out", tmp_path / "run")
    assert result.exit_code == 2 and "already holds a run" in result.output
    latest = list_checkpoints(tmp_path / "run")[-1][1]
    corrupt = tmp_path / "corrupt"
    (corrupt / "checkpoints").mkdir(parents=True)
    (corrupt / "checkpoints" / latest.name).write_bytes(latest.read_bytes()[:100])
    result = invoke("mog", "--resume", corrupt)
    assert result.exit_code == 2 and "cannot read checkpoint" in result.output
    snapshot[corrupt / "checkpoints" / latest.name] = latest.read_bytes()[:100]
    assert {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()} == snapshot


def write_learnable_mnist(root, per_class=(100, 10)):
    """MNIST-format files whose class k is a bright band at rows 2k..2k+3 plus noise."""
    generator = torch.Generator().manual_seed(0)
    root.mkdir(parents=True, exist_ok=True)
    for split, count in zip(("train", "test"), per_class):
        labels = torch.arange(10).repeat(count)
        images = torch.randint(0, 90, (len(labels), 28, 28), generator=generator)
        for k in range(10):
            images[labels == k, 2 * k + 2:2 * k + 6, 4:24] = 255
        write_idx(root / MNIST_FILES[f"{split}-images"].name, images.to(torch.uint8).numpy())
        write_idx(root / MNIST_FILES[f"{split}-labels"].name, labels.to(torch.uint8).numpy())


def test_train_classifier_reports_accuracy(tmp_path):
    torch.set_num_threads(1)
    write_learnable_mnist(tmp_path)
    result = runner.invoke(app, ["neural", "train-classifier", "mnist", "--data-dir",
                                 str(tmp_path), "--epochs", "3", "--device", "cpu"])
    assert result.exit_code == 0, result.output
    accuracy = float(result.output.split("test accuracy ")[1].split(";")[0])
    assert accuracy > 0.9
    assert (tmp_path / "lenet_mnist.pt").is_file()


def test_symbolic_cli_does_not_import_torch():
    code = "import sys, cli; assert 'torch' not in sys.modules, 'torch imported'"
    root = Path(__file__).resolve().parents[1]
    subprocess.run([sys.executable, "-c", code], check=True, cwd=root)


def test_mnist_run_logs_the_lenet_inception_score(tmp_path):
    torch.set_num_threads(1)
    write_learnable_mnist(tmp_path)
    assert runner.invoke(app, ["neural", "train-classifier", "mnist", "--data-dir", str(tmp_path),
                               "--epochs", "1"]).exit_code == 0
    result = invoke("mnist", "--data-dir", tmp_path, "--iterations", "2", "--batch-size", "10",
                    "--width", "4", "--latent-dim", "8", "--sample-every", "2", "--log-every",
                    "1", "--out", tmp_path / "run", "--quiet")
    assert result.exit_code == 0, result.output
    lines = [json.loads(x) for x in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    scores = [r["inception_score"] for r in lines if "inception_score" in r]
    assert len(scores) == 1 and 1.0 <= scores[0] <= 10.0


def test_cifar10_without_inception_weights_says_so(tmp_path):
    from neural.training.data import CIFAR10_TRAIN_BATCHES
    from support.datasets import write_cifar_batch

    for name in CIFAR10_TRAIN_BATCHES:
        write_cifar_batch(tmp_path / name, torch.zeros(4, 3, 32, 32, dtype=torch.uint8).numpy(),
                          [0] * 4)
    result = invoke("cifar10", "--data-dir", tmp_path, "--iterations", "1", "--batch-size", "4",
                    "--width", "4", "--latent-dim", "8", "--n-critic", "1", "--out",
                    tmp_path / "run", "--quiet")
    assert result.exit_code == 0, result.output
    assert "note: no FID/IS" in result.output and "--inception" in result.output

"""Files of runs and data: permissions follow the umask, corrupt checkpoints are one line (and do
not strand --resume), mistyped targets name the closest matches, one rule for --data-dir."""
import errno
import json
import os
import stat
from pathlib import Path

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from cli import app
from support.cli_checks import assert_one_line_error
from support.datasets import write_cifar_batch, write_idx
from neural.training.checkpoint import (atomic_write, checkpoint_path, list_checkpoints, load_checkpoint,
                                        save_checkpoint)
from neural.training.data import (CIFAR10_TRAIN_BATCHES, MNIST_FILES, DataError, load_cifar10, load_images,
                                  load_mnist)

TINY = ["--mog-samples", "500", "--batch-size", "500", "--latent-dim", "4", "--width", "16",
        "--log-every", "10", "--checkpoint-every", "10", "--quiet", "--device", "cpu"]


def invoke(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


@pytest.fixture
def umask():
    """Set the process umask for one test; restore it afterwards."""
    old = os.umask(0o022)
    yield os.umask
    os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize("mask", [0o022, 0o077, 0o002])
def test_atomic_writes_follow_the_umask(tmp_path, umask, mask):
    umask(mask)
    path = tmp_path / "file"
    atomic_write(path, lambda handle: handle.write(b"x"))
    assert mode(path) == 0o666 & ~mask
    save_checkpoint({"iteration": 1}, checkpoint_path(tmp_path, 1))
    assert mode(checkpoint_path(tmp_path, 1)) == 0o666 & ~mask


def test_every_file_of_a_run_follows_the_umask(tmp_path, umask):
    torch.set_num_threads(1)
    umask(0o027)
    result = invoke("neural", "train", "mog", "--iterations", "10", "--sample-every", "10",
                    *TINY, "--out", tmp_path / "run")
    assert result.exit_code == 0, result.output
    files = [p for p in (tmp_path / "run").rglob("*") if p.is_file()]
    assert {p.name for p in files} >= {"config.json", "metrics.jsonl", "ckpt_00000010.pt",
                                       "iter_00000010.png"}
    assert {p.name: mode(p) for p in files} == {p.name: 0o640 for p in files}


def write_foreign_files(folder: Path) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    good = checkpoint_path(folder / "run", 1)
    save_checkpoint({"iteration": 1, "config": {}, "players": {}, "w": torch.ones(1000)}, good)
    files = {"truncated": folder / "truncated.pt", "numpy": folder / "numpy.pt",
             "text": folder / "text.pt"}
    files["truncated"].write_bytes(good.read_bytes()[:300])
    torch.save({"x": np.arange(3)}, files["numpy"])  # torch's weights-only load refuses it
    files["text"].write_bytes(b"hello, not a checkpoint")
    return files


@pytest.mark.parametrize("kind", ["truncated", "numpy", "text"])
def test_corrupt_checkpoint_is_one_line_without_torch_advice(tmp_path, kind):
    path = write_foreign_files(tmp_path)[kind]
    result = invoke("neural", "classify", path)
    assert_one_line_error(result, f"cannot read checkpoint {path}: the file is corrupt or was not "
                                  "written by gametheory")
    assert "weights_only" not in result.output


def test_corrupt_classifier_is_one_line_without_torch_advice(tmp_path):
    from gametheory.errors import GameError
    from neural.training.classifier import load_classifier

    path = write_foreign_files(tmp_path)["numpy"]
    with pytest.raises(GameError) as info:
        load_classifier(path)
    assert str(info.value) == (f"cannot read MNIST classifier {path}: the file is corrupt or was "
                               "not written by gametheory")


def test_resume_falls_back_past_a_corrupt_latest_checkpoint(tmp_path):
    torch.set_num_threads(1)
    run = tmp_path / "run"
    assert invoke("neural", "train", "mog", "--iterations", "20", *TINY, "--out", run).exit_code == 0
    latest = checkpoint_path(run, 20)
    uninterrupted = load_checkpoint(latest)["players"]
    records_before = (run / "metrics.jsonl").read_text().splitlines()
    cut = latest.read_bytes()[:500]
    latest.write_bytes(cut)
    refused = invoke("neural", "train", "mog", "--resume", run, "--loss", "wgangp")
    assert_one_line_error(refused, "another run's config")
    assert latest.read_bytes() == cut  # a refused resume renames nothing
    result = invoke("neural", "train", "mog", "--resume", run, "--iterations", "30", "--quiet")
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == [
        "note: cannot read ckpt_00000020.pt (corrupt or not written by gametheory; kept as "
        "ckpt_00000020.pt.corrupt): resuming from ckpt_00000010.pt (iteration 10); metric records "
        "after iteration 10 kept in ckpt_00000020.pt.corrupt.metrics.jsonl"]
    assert (latest.parent / "ckpt_00000020.pt.corrupt").read_bytes() == cut
    tail = (latest.parent / "ckpt_00000020.pt.corrupt.metrics.jsonl").read_text().splitlines()
    assert tail == records_before[-len(tail):] and [json.loads(r)["iteration"] for r in tail] == [20]
    assert [i for i, _ in list_checkpoints(run)] == [0, 10, 20, 30]
    redone = load_checkpoint(latest)["players"]  # CPU training is deterministic: same iterate
    for player in ("G", "D"):
        for key, value in uninterrupted[player].items():
            assert torch.equal(redone[player][key], value)


def test_resume_stops_on_an_io_error_and_changes_nothing(tmp_path, monkeypatch):
    # An unreadable (not corrupt) newest checkpoint may be good: no fallback, no renaming, no
    # metric record dropped, one line with the reason.
    torch.set_num_threads(1)
    run = tmp_path / "run"
    assert invoke("neural", "train", "mog", "--iterations", "20", *TINY, "--out", run).exit_code == 0
    before = sorted(p.name for p in (run / "checkpoints").iterdir())
    metrics = (run / "metrics.jsonl").read_text()
    load = torch.load

    def failing(path, *args, **kwargs):
        if Path(path).name == "ckpt_00000020.pt":
            raise OSError(errno.EIO, "Input/output error")
        return load(path, *args, **kwargs)

    monkeypatch.setattr(torch, "load", failing)
    result = invoke("neural", "train", "mog", "--resume", run, "--iterations", "30", "--quiet")
    assert_one_line_error(result, f"cannot read checkpoint {checkpoint_path(run, 20)}: Input/output error")
    assert sorted(p.name for p in (run / "checkpoints").iterdir()) == before
    assert (run / "metrics.jsonl").read_text() == metrics


def test_resume_with_no_readable_checkpoint_changes_nothing(tmp_path):
    run = tmp_path / "run"
    files = write_foreign_files(tmp_path)
    for iteration, kind in ((10, "truncated"), (20, "text")):
        checkpoint_path(run, iteration).write_bytes(files[kind].read_bytes())
    (checkpoint_path(run, 1)).unlink()
    before = sorted(p.name for p in (run / "checkpoints").iterdir())
    result = invoke("neural", "train", "mog", "--resume", run)
    assert_one_line_error(result, "ckpt_00000020.pt: the file is corrupt or was not written by "
                                  "gametheory; none of the 1 earlier ones can be read")
    assert sorted(p.name for p in (run / "checkpoints").iterdir()) == before


def test_mistyped_run_directory_names_the_closest(tmp_path):
    (tmp_path / "runs" / "mog" / "checkpoints").mkdir(parents=True)
    (tmp_path / "runs" / "mnist").mkdir()
    (tmp_path / "runs" / "notes.txt").write_text("")
    result = invoke("neural", "classify", tmp_path / "runs" / "mgo")
    assert_one_line_error(result, f"no run directory, checkpoint or game named "
                                  f"'{tmp_path}/runs/mgo'; did you mean {tmp_path}/runs/mog")
    result = invoke("neural", "eigs", "exampel1")
    assert_one_line_error(result, "no run directory, checkpoint or game named 'exampel1'; "
                                  "did you mean example1")


def write_mnist(folder: Path, n=12):
    folder.mkdir(parents=True, exist_ok=True)
    images = np.arange(n * 28 * 28, dtype=np.uint8).reshape(n, 28, 28)
    for split in ("train", "test"):
        write_idx(folder / MNIST_FILES[f"{split}-images"].name, images)
        write_idx(folder / MNIST_FILES[f"{split}-labels"].name, np.arange(n, dtype=np.uint8) % 10)
    return images


def write_cifar(folder: Path, n=2):
    folder.mkdir(parents=True, exist_ok=True)
    for k, name in enumerate(CIFAR10_TRAIN_BATCHES):
        write_cifar_batch(folder / name, np.full((n, 3, 32, 32), 50 * k, dtype=np.uint8), [k] * n)


def test_data_dir_is_where_the_files_are(tmp_path, monkeypatch):
    images = write_mnist(tmp_path / "my-mnist")
    x = load_mnist(tmp_path / "my-mnist")
    assert torch.equal(x, torch.from_numpy(images.astype(np.float32) / 127.5 - 1).unsqueeze(1))
    write_cifar(tmp_path / "my-cifar")
    assert load_cifar10(tmp_path / "my-cifar")[:, 0, 0, 0].tolist() == pytest.approx(
        [50 * k / 127.5 - 1 for k in range(5) for _ in range(2)])
    monkeypatch.chdir(tmp_path)  # the defaults: data/mnist and data/cifar10
    write_mnist(tmp_path / "data" / "mnist")
    write_cifar(tmp_path / "data" / "cifar10")
    assert load_images("mnist").shape == (12, 1, 28, 28)
    assert load_images("cifar10").shape == (10, 3, 32, 32)


@pytest.mark.parametrize("dataset,sub,writer", [("mnist", "mnist", write_mnist),
                                                ("cifar10", "cifar-10-batches-py", write_cifar)])
def test_files_one_folder_down_are_named(tmp_path, dataset, sub, writer):
    writer(tmp_path / sub)
    with pytest.raises(DataError) as info:
        load_images(dataset, tmp_path)
    assert f"they are in {tmp_path / sub}: pass --data-dir {tmp_path / sub}" in str(info.value)


def test_train_reads_mnist_from_the_data_dir_given(tmp_path):
    torch.set_num_threads(1)
    write_mnist(tmp_path / "data" / "mnist", n=20)
    result = invoke("neural", "train", "mnist", "--data-dir", tmp_path / "data" / "mnist",
                    "--iterations", "1", "--batch-size", "10", "--width", "4", "--latent-dim", "8",
                    "--out", tmp_path / "run", "--quiet", "--device", "cpu")
    assert result.exit_code == 0, result.output
    result = invoke("neural", "train", "mnist", "--data-dir", tmp_path / "data", "--out",
                    tmp_path / "run2", "--quiet")
    assert_one_line_error(result, f"pass --data-dir {tmp_path / 'data' / 'mnist'}")


def test_help_states_the_data_dir_rule():
    import typer

    command = typer.main.get_command(app)
    neural = command.commands["neural"].commands
    for name in ("train", "train-classifier"):
        help_text = next(p.help for p in neural[name].params if p.name == "data_dir")
        assert "holds the data set's files themselves" in help_text


def test_cifar_download_writes_only_the_batch_files_into_the_data_dir(tmp_path, monkeypatch):
    import io
    import tarfile

    import neural.training.data as data

    write_cifar(tmp_path / "src")
    archive = tmp_path / "cifar-10-python.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        for name in CIFAR10_TRAIN_BATCHES:
            tar.add(tmp_path / "src" / name, arcname=f"cifar-10-batches-py/{name}")
        for hostile in ("cifar-10-batches-py/../../evil", "../evil", "cifar-10-batches-py/sub/x"):
            member = tarfile.TarInfo(hostile)
            member.size = 4
            tar.addfile(member, io.BytesIO(b"evil"))
        link = tarfile.TarInfo("cifar-10-batches-py/link")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
        tar.addfile(link)
    monkeypatch.setattr(data, "CIFAR10_ARCHIVE", data.RemoteFile(archive.name, archive.as_uri(),
                                                                 data.md5sum(archive)))
    data.download("cifar10", tmp_path / "d" / "cifar")
    assert sorted(p.name for p in (tmp_path / "d" / "cifar").iterdir()) == sorted(
        [archive.name, *CIFAR10_TRAIN_BATCHES])
    assert [p.name for p in (tmp_path / "d").iterdir()] == ["cifar"]
    assert not list(tmp_path.rglob("evil")) and not list(tmp_path.rglob("link"))
    assert load_cifar10(tmp_path / "d" / "cifar").shape == (10, 3, 32, 32)

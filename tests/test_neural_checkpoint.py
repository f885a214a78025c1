"""Checkpoint files: atomic writes, safe loading, resolution of run directories."""
import pytest
import torch

from neural.training.checkpoint import (CheckpointError, atomic_write, checkpoint_path, load_checkpoint,
                                        resolve_checkpoint, save_checkpoint)


def test_round_trip_with_weights_only(tmp_path):
    state = {"iteration": 3, "config": {"lr": 0.1, "name": "x", "width": None},
             "rng": torch.get_rng_state(), "players": {"G": {"w": torch.arange(3.0)}}}
    path = save_checkpoint(state, checkpoint_path(tmp_path, 3))
    loaded = load_checkpoint(tmp_path)
    assert loaded["path"] == str(path) and loaded["iteration"] == 3
    assert loaded["config"] == state["config"]
    assert torch.equal(loaded["rng"], state["rng"])
    assert torch.equal(loaded["players"]["G"]["w"], torch.arange(3.0))


def test_latest_checkpoint_of_a_run(tmp_path):
    for iteration in (5, 20, 10):
        save_checkpoint({"iteration": iteration}, checkpoint_path(tmp_path, iteration))
    assert resolve_checkpoint(tmp_path).name == "ckpt_00000020.pt"
    assert resolve_checkpoint(checkpoint_path(tmp_path, 5)).name == "ckpt_00000005.pt"
    with pytest.raises(CheckpointError, match="holds no checkpoints"):
        resolve_checkpoint(tmp_path / "checkpoints")
    with pytest.raises(CheckpointError, match="no checkpoint or run directory"):
        resolve_checkpoint(tmp_path / "nowhere")


def test_interrupted_write_keeps_the_old_file(tmp_path):
    path = tmp_path / "ckpt_00000001.pt"
    atomic_write(path, lambda handle: handle.write(b"old"))

    def failing(handle):
        handle.write(b"partial")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        atomic_write(path, failing)
    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["ckpt_00000001.pt"]


def test_corrupt_and_foreign_files_are_refused(tmp_path):
    path = checkpoint_path(tmp_path, 1)
    save_checkpoint({"iteration": 1, "w": torch.ones(1000)}, path)
    path.write_bytes(path.read_bytes()[:200])  # truncated
    with pytest.raises(CheckpointError, match="cannot read checkpoint"):
        load_checkpoint(path)
    torch.save({"weights": torch.ones(2)}, path)
    with pytest.raises(CheckpointError, match="not a gametheory training checkpoint"):
        load_checkpoint(path)


def test_loading_never_unpickles_code(tmp_path):
    class Exploit:
        def __reduce__(self):
            return (print, ("pwned",))

    path = tmp_path / "evil.pt"
    torch.save({"format": "gametheory-neural-checkpoint/1", "x": Exploit()}, path)
    with pytest.raises(CheckpointError, match="cannot read checkpoint"):
        load_checkpoint(path)

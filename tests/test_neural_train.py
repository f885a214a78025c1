"""The trainer: learning the MoG, determinism, bit-identical resume, Ctrl-C, NaN guard,
refusals, and tiny MNIST/CIFAR10-format runs through the image path."""
import json
import os
import signal

import pytest
import torch

from neural.training.checkpoint import CheckpointError, list_checkpoints, load_checkpoint
from neural.training.data import CIFAR10_TRAIN_BATCHES, MNIST_FILES
from neural.training.presets import resolve_config
from neural.training.trainer import TrainingDiverged, load_neural_game, resume_run, start_run
from support.datasets import write_cifar_batch, write_idx

torch.set_num_threads(1)

SMALL_MOG = dict(mog_samples=1000, batch_size=1000, log_every=10, checkpoint_every=10,
                 sample_every=1000, latent_dim=8, width=32)


def mog_config(**overrides):
    return resolve_config("mog", overrides.pop("preset", "mog-nsgan-eg"),
                          **{**SMALL_MOG, **overrides})


def records(run_dir):
    return [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]


def assert_same_state(a, b):
    for name in ("G", "D"):
        for key, value in a["players"][name].items():
            assert torch.equal(value, b["players"][name][key]), (name, key)
    for kind in ("uniform", "ema"):
        for x, y in zip(a["averages"][kind]["G"], b["averages"][kind]["G"]):
            assert torch.equal(x, y)
    for index, state in a["optimizer"]["state"].items():
        for key, value in state.items():
            assert torch.equal(value, b["optimizer"]["state"][index][key])
    assert torch.equal(a["rng"]["batches"], b["rng"]["batches"])


def test_mog_training_approaches_the_mixture(tmp_path):
    """Full-batch extragradient NSGAN (the paper's lr 0.1) for 300 iterations."""
    summary = start_run(mog_config(iterations=300, log_every=50), tmp_path, "cpu").run()
    log = records(tmp_path)
    assert [r["iteration"] for r in log] == [50, 100, 150, 200, 250, 300]
    assert log[0]["w1"] > 1.5
    assert log[-1]["w1"] < 0.5 * log[0]["w1"]
    assert log[-1]["ks"] < 0.5 * log[0]["ks"]
    assert summary["iteration"] == 300 and not summary["interrupted"]
    assert [i for i, _ in list_checkpoints(tmp_path)] == list(range(0, 301, 10))


@pytest.mark.parametrize("method,alternating,n_critic,loss", [
    ("extragradient", False, 1, "nsgan"),
    ("extraadam", False, 2, "wgangp"),
    ("optimistic-adam", True, 1, "wgan"),
])
def test_resume_is_bit_identical(tmp_path, method, alternating, n_critic, loss):
    options = dict(iterations=30, method=method, alternating=alternating, n_critic=n_critic,
                   loss=loss, lr_g=0.01, lr_d=0.01, batch_size=100)
    start_run(mog_config(**options), tmp_path / "whole", "cpu").run()
    start_run(mog_config(**{**options, "iterations": 13}), tmp_path / "split", "cpu").run()
    resume_run(tmp_path / "split", iterations=30, device="cpu").run()
    whole, split = load_checkpoint(tmp_path / "whole"), load_checkpoint(tmp_path / "split")
    assert whole["iteration"] == split["iteration"] == 30
    assert_same_state(whole, split)
    kept = [r for r in records(tmp_path / "split") if r["iteration"] != 13]
    strip = [{k: v for k, v in r.items() if k != "it_per_s"} for r in records(tmp_path / "whole")]
    assert [{k: v for k, v in r.items() if k != "it_per_s"} for r in kept] == strip


def test_resume_accepts_an_alias_of_the_stored_method_and_refuses_another(tmp_path):
    start_run(mog_config(iterations=4, method="extragradient", batch_size=100), tmp_path, "cpu").run()
    with pytest.raises(CheckpointError, match=r"method='gd' \(run has 'extragradient'\)"):
        resume_run(tmp_path, method="gd", iterations=6, device="cpu")
    resume_run(tmp_path, method="eg", iterations=6, device="cpu").run()
    assert load_checkpoint(tmp_path)["iteration"] == 6

def test_a_run_shorter_than_sample_every_still_ends_with_a_sample_figure(tmp_path):
    start_run(mog_config(iterations=7, batch_size=100), tmp_path, "cpu").run()
    assert sorted(p.name for p in (tmp_path / "samples").iterdir()) == ["iter_00000007.png"]
    resume_run(tmp_path, iterations=9, device="cpu").run()
    assert (tmp_path / "samples" / "iter_00000009.png").stat().st_size > 1000


def test_ctrl_c_checkpoints_and_resume_matches(tmp_path):
    class InterruptAt:
        def start(self, total, completed):
            pass

        def advance(self, iteration, record):
            if iteration == 7:
                os.kill(os.getpid(), signal.SIGINT)

        def finish(self):
            pass

    config = mog_config(iterations=20, method="adam", lr_g=0.01, lr_d=0.01)
    # a shell that starts the tests in the background leaves SIGINT ignored: install Python's
    # own handler for this test, and check the run puts back whatever it found
    inherited = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        summary = start_run(config, tmp_path / "a", "cpu").run(InterruptAt())
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    finally:
        signal.signal(signal.SIGINT, inherited)
    assert summary["interrupted"] and summary["iteration"] == 7
    assert [i for i, _ in list_checkpoints(tmp_path / "a")] == [0, 7]
    resume_run(tmp_path / "a", device="cpu").run()
    start_run(config, tmp_path / "b", "cpu").run()
    assert_same_state(load_checkpoint(tmp_path / "a"), load_checkpoint(tmp_path / "b"))


def test_nan_guard_names_the_iteration_and_keeps_the_last_checkpoint(tmp_path):
    config = mog_config(iterations=200, method="gd", lr_g=1e4, lr_d=1e4, checkpoint_every=1)
    with pytest.raises(TrainingDiverged) as info:
        start_run(config, tmp_path, "cpu").run()
    message = str(info.value)
    last = list_checkpoints(tmp_path)[-1]
    assert f"in iteration {last[0] + 1};" in message and str(last[1]) in message
    state = load_checkpoint(tmp_path)
    for tensors in state["players"].values():
        assert all(torch.isfinite(t).all() for t in tensors.values())


def test_refusals_leave_runs_untouched(tmp_path):
    start_run(mog_config(iterations=10), tmp_path, "cpu").run()
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    with pytest.raises(CheckpointError, match="already holds a run"):
        start_run(mog_config(iterations=10), tmp_path, "cpu")
    with pytest.raises(CheckpointError, match="another run's config: loss='wgangp'"):
        resume_run(tmp_path, loss="wgangp", device="cpu")
    with pytest.raises(CheckpointError, match="another run's config: preset"):
        resume_run(tmp_path, preset="mog-wgangp-eg", device="cpu")
    assert {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()} == before


def test_load_neural_game_at_a_mog_checkpoint(tmp_path):
    start_run(mog_config(iterations=10), tmp_path, "cpu").run()
    game, meta = load_neural_game(tmp_path)
    assert meta["iteration"] == 10 and meta["config"]["dataset"] == "mog"
    assert game.player_names == ("G", "D")
    state = load_checkpoint(tmp_path)
    expected = torch.cat([v.flatten() for n in ("G", "D")
                          for v in state["players"][n].values()])
    assert torch.equal(game.omega(), expected)
    assert len(game.batches) == 1 and game.batches[0]["real"].shape == (1000, 1)
    field = game.vector_field()
    assert field.shape == expected.shape and torch.isfinite(field).all()
    assert torch.equal(game.vector_field(), field)  # fixed evaluation batch: deterministic


def write_tiny_image_data(root, dataset, n=40):
    generator = torch.Generator().manual_seed(0)
    root.mkdir(parents=True)
    if dataset == "mnist":
        images = torch.randint(0, 256, (n, 28, 28), generator=generator, dtype=torch.uint8)
        write_idx(root / MNIST_FILES["train-images"].name, images.numpy())
    else:
        for name in CIFAR10_TRAIN_BATCHES:
            images = torch.randint(0, 256, (n // 5, 3, 32, 32), generator=generator,
                                   dtype=torch.uint8)
            write_cifar_batch(root / name, images.numpy(), [0] * (n // 5))


@pytest.mark.parametrize("dataset,preset", [("mnist", "mnist-wgangp-extraadam"),
                                            ("cifar10", "cifar10-nsgan-extraadam")])
def test_tiny_image_runs_end_to_end(tmp_path, dataset, preset):
    write_tiny_image_data(tmp_path / "data", dataset)
    config = resolve_config(dataset, preset, iterations=3, batch_size=8, width=4, n_critic=2,
                            latent_dim=8, checkpoint_every=2, log_every=1, sample_every=3,
                            data_dir=str(tmp_path / "data"))
    summary = start_run(config, tmp_path / "run", "cpu").run()
    assert summary["iteration"] == 3
    assert [i for i, _ in list_checkpoints(tmp_path / "run")] == [0, 2, 3]
    assert (tmp_path / "run" / "samples" / "iter_00000003.png").stat().st_size > 1000
    assert [r["iteration"] for r in records(tmp_path / "run")] == [1, 2, 3]
    game, meta = load_neural_game(tmp_path / "run", eval_size=16)
    assert meta["iteration"] == 3 and len(game.batches) == 2
    assert torch.isfinite(game.vector_field()).all()


def test_image_grid_tiles_in_row_major_order():
    from neural.render.training import image_grid

    images = -torch.ones(3, 1, 2, 2)
    images[2] = 1.0  # third image white: row 0, column 2
    grid = image_grid(images, columns=2, pad=1)
    assert grid.shape == (2 * 3 + 1, 2 * 3 + 1, 1)
    assert grid[1:3, 1:3].max() == 0.0 and grid[1:3, 4:6].max() == 0.0
    assert grid[4:6, 1:3].min() == 1.0


def test_consensus_changes_the_trajectory_and_is_deterministic(tmp_path):
    runs = {}
    for gamma in (0.0, 0.5, 0.5):
        folder = tmp_path / f"run{len(runs)}"
        start_run(mog_config(iterations=5, method="gd", consensus=gamma), folder, "cpu").run()
        runs[len(runs)] = load_checkpoint(folder)["players"]["D"]
    assert not torch.equal(runs[0]["net.0.weight"], runs[1]["net.0.weight"])
    assert all(torch.equal(runs[1][k], runs[2][k]) for k in runs[1])


def test_keep_checkpoints_prunes_all_but_the_newest_and_the_initial_state(tmp_path):
    start_run(mog_config(iterations=50, keep_checkpoints=2), tmp_path, "cpu").run()
    assert [i for i, _ in list_checkpoints(tmp_path)] == [0, 40, 50]
    resume_run(tmp_path, iterations=60, keep_checkpoints=3, device="cpu").run()
    assert [i for i, _ in list_checkpoints(tmp_path)] == [0, 40, 50, 60]


def test_a_non_finite_update_is_never_checkpointed(tmp_path):
    trainer = start_run(mog_config(iterations=3), tmp_path, "cpu")
    trainer.run()
    with torch.no_grad():
        trainer.players["D"].net[0].weight.fill_(float("inf"))
    with pytest.raises(TrainingDiverged, match="non-finite parameters after iteration 3"):
        trainer.save()
    assert torch.isfinite(load_checkpoint(tmp_path)["players"]["D"]["net.0.weight"]).all()


def test_load_neural_game_at_the_parameter_averages(tmp_path):
    start_run(mog_config(iterations=10), tmp_path, "cpu").run()
    state = load_checkpoint(tmp_path)
    for kind in ("uniform", "ema"):
        game, meta = load_neural_game(tmp_path, average=kind)
        expected = torch.cat([t.flatten() for n in ("G", "D") for t in state["averages"][kind][n]])
        assert meta["average"] == kind and torch.equal(game.omega(), expected)
    assert not torch.equal(load_neural_game(tmp_path, average="uniform")[0].omega(),
                           load_neural_game(tmp_path)[0].omega())


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_run_matches_cpu_to_float_tolerance(tmp_path):
    config = mog_config(iterations=20, method="extraadam", lr_g=0.01, lr_d=0.01)
    start_run(config, tmp_path / "cpu", "cpu").run()
    start_run(config, tmp_path / "cuda", "cuda").run()
    cpu, cuda = load_checkpoint(tmp_path / "cpu"), load_checkpoint(tmp_path / "cuda")
    for name in ("G", "D"):
        for key, value in cpu["players"][name].items():
            assert torch.allclose(cuda["players"][name][key], value, atol=1e-4), key
    resume_run(tmp_path / "cuda", iterations=25, device="cuda").run()
    assert load_checkpoint(tmp_path / "cuda")["iteration"] == 25

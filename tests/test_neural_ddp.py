"""Data-parallel training: two gloo processes on CPU equal one process on the global batch."""
import os

import torch

from neural.training.checkpoint import load_checkpoint
from neural.training.presets import resolve_config
from neural.training.trainer import build_game_parts, start_run
from support.processes import spawn

OPTIONS = dict(iterations=6, mog_samples=400, batch_size=200, latent_dim=8, width=16,
               loss="wgangp", method="extraadam", lr_g=0.01, lr_d=0.01, n_critic=2,
               log_every=3, checkpoint_every=3, sample_every=1000)


def _worker(rank, world_size, port, run_dir, stop_rank=None):
    from neural.training.distributed import from_environment, shutdown

    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), RANK=str(rank),
                      WORLD_SIZE=str(world_size), LOCAL_RANK=str(rank))
    torch.set_num_threads(1)
    distributed, device = from_environment("cpu")
    try:
        trainer = start_run(resolve_config("mog", "mog-wgangp-eg", **OPTIONS), run_dir, device,
                            distributed)
        if rank == stop_rank:  # as if only this rank got Ctrl-C
            trainer.request_stop()
        summary = trainer.run()
        with open(os.path.join(run_dir, f"rank{rank}.txt"), "w") as handle:
            handle.write(str(summary["iteration"]))
    finally:
        shutdown()


def test_two_process_gloo_run_equals_single_process(tmp_path):
    """Same global batch, same result to float tolerance. The single-process run goes first so
    that the forked workers inherit its imports (fork keeps the test to a few seconds)."""
    torch.set_num_threads(1)
    config = resolve_config("mog", "mog-wgangp-eg", **OPTIONS)
    start_run(config, tmp_path / "single", "cpu").run()
    spawn(_worker, str(tmp_path / "ddp"))
    ddp, single = load_checkpoint(tmp_path / "ddp"), load_checkpoint(tmp_path / "single")
    assert ddp["iteration"] == single["iteration"] == 6
    _, initial, _ = build_game_parts(config)
    moved = 0.0
    for name in ("G", "D"):
        for key, value in single["players"][name].items():
            assert torch.allclose(ddp["players"][name][key], value, atol=1e-5, rtol=1e-4), key
            moved = max(moved, float((initial[name].state_dict()[key] - value).abs().max()))
    assert moved > 0.01  # the runs did train


def test_a_stop_on_one_rank_stops_every_rank_after_the_same_iteration(tmp_path):
    torch.set_num_threads(1)
    start_run(resolve_config("mog", "mog-wgangp-eg", **OPTIONS), tmp_path / "warm", "cpu")
    spawn(_worker, str(tmp_path / "ddp"), 1)
    stopped = [(tmp_path / "ddp" / f"rank{r}.txt").read_text() for r in range(2)]
    assert stopped == ["1", "1"]
    assert load_checkpoint(tmp_path / "ddp")["iteration"] == 1

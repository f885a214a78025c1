"""Analysis under torchrun: two gloo processes, each holding two of a game's four evaluation
batches, give the single-process eigenvalues, classification and path-angle (rank 0 drives,
rank 1 serves its products)."""
import os

import numpy as np
import pytest
import torch

from gametheory.errors import OptionError
from neural.analysis.classify import classify_state
from neural.analysis.eigen import top_eigenvalues
from neural.analysis.path_angle import path_angle
from neural.operators import hessian_operator, spectrum_operator
from neural.render.documents import classification_document, eigen_document
from neural.sharding import shard_game, sharded
from support.neural_games import mlp_game
from support.processes import spawn

BATCHES = 4


def _game():
    return mlp_game(11, hidden=4, batches=BATCHES)


def _analyse(game) -> dict:
    """Everything the driver computes: products of every kind, ARPACK, Lanczos, dense proofs."""
    omega = game.omega()
    end = omega + 0.1 * torch.linspace(-1, 1, game.param_count, dtype=omega.dtype)
    return {
        "field": game.vector_field(),
        "losses": game.losses(),
        "hessian": hessian_operator(game, "D", retain=True).to_dense(),
        "eigs": top_eigenvalues(spectrum_operator(game), k=4, which="LM", dense_below=0),
        "dense": classify_state(game),
        "krylov": classify_state(game, dense_budget=0, exp_budget=2000),
        "path": path_angle(game, omega, [end], points=5),
        "document": eigen_document(top_eigenvalues(spectrum_operator(game), k=2), "mlp", "game"),
        "classified": classification_document(classify_state(game), "mlp"),
    }


def _worker(rank, world_size, port, out):
    from neural.training.distributed import from_environment, shutdown

    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), RANK=str(rank),
                      WORLD_SIZE=str(world_size), LOCAL_RANK=str(rank))
    torch.set_num_threads(1)
    from_environment("cpu")
    game = _game()
    try:
        with sharded(game) as driving:
            if driving:
                torch.save(_analyse(game), out)
        torch.save(len(game.batches), f"{out}.rank{rank}")
    finally:
        shutdown()


def close(ours, single, rel=1e-6):
    """Equal to ``rel`` relative to the largest entry of the single-process value."""
    ours, single = (np.asarray(x.numpy() if isinstance(x, torch.Tensor) else x) for x in (ours, single))
    return np.allclose(ours, single, rtol=rel, atol=rel * np.abs(single).max())


def test_two_ranks_equal_one_process(tmp_path):
    """Same results to 1e-6 relative, float64 on CPU; each rank held half the batches. The
    single process goes first, so the forked workers inherit its imports."""
    torch.set_num_threads(1)
    single = _analyse(_game())
    out = str(tmp_path / "sharded.pt")
    spawn(_worker, out)
    ours = torch.load(out, weights_only=False)
    assert [torch.load(f"{out}.rank{r}") for r in range(2)] == [BATCHES // 2] * 2
    assert close(ours["field"], single["field"]) and float(single["field"].norm()) > 1e-3
    assert close(list(ours["losses"].values()), list(single["losses"].values()))
    assert close(ours["hessian"], single["hessian"])
    assert ours["eigs"].converged and single["eigs"].converged
    assert close(ours["eigs"].eigenvalues, single["eigs"].eigenvalues)
    for key in ("dense", "krylov"):
        mine, theirs = ours[key].to_dict(), single[key].to_dict()
        for verdict in ("lssp", "lssp_certified", "dne", "stationary", "stable_linearisation",
                        "stability_certified", "dne_certified"):
            assert mine[verdict] == theirs[verdict], (key, verdict)
        assert close(mine["leftmost_eigenvalue"], theirs["leftmost_eigenvalue"])
        assert close(list(mine["player_min_eigenvalues"].values()),
                     list(theirs["player_min_eigenvalues"].values()))
        assert close(mine["grad_norm"], theirs["grad_norm"])
    assert close(ours["path"].cosine, single["path"].cosine)
    assert close(ours["path"].losses["G"], single["path"].losses["G"])
    assert ours["document"]["world_size"] == ours["classified"]["world_size"] == 2
    assert single["document"]["world_size"] == single["classified"]["world_size"] == 1
    assert close(ours["document"]["eigenvalues"], single["document"]["eigenvalues"])


def test_more_ranks_than_batches_is_refused():
    with pytest.raises(OptionError, match="at most 4"):
        shard_game(_game(), rank=0, world_size=5)


def _cli_worker(rank, world_size, port, args, out):
    from typer.testing import CliRunner

    from cli import app

    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), RANK=str(rank),
                      WORLD_SIZE=str(world_size), LOCAL_RANK=str(rank))
    torch.set_num_threads(1)
    result = CliRunner().invoke(app, args)
    with open(f"{out}.{rank}", "w") as handle:
        handle.write(f"{result.exit_code}\n{result.stdout}")


def _tiny_run(tmp_path, dataset: str) -> str:
    """A one-iteration run: MNIST-format data with four evaluation batches of ten images, or a
    MoG run whose one full batch of 400 samples the ranks split (``split_for_ranks``)."""
    from neural.training.presets import resolve_config
    from neural.training.trainer import start_run
    from test_neural_train import write_tiny_image_data

    if dataset == "mnist":
        write_tiny_image_data(tmp_path / "data", "mnist")
        config = resolve_config("mnist", "mnist-wgangp-extraadam", iterations=1, batch_size=10,
                                width=2, latent_dim=4, checkpoint_every=1, log_every=1,
                                sample_every=100, data_dir=str(tmp_path / "data"))
    else:
        config = resolve_config("mog", "mog-wgangp-eg", iterations=1, mog_samples=400,
                                batch_size=200, latent_dim=4, width=8, checkpoint_every=1,
                                log_every=1, sample_every=100)
    start_run(config, tmp_path / "run", "cpu").run()
    return str(tmp_path / "run")


@pytest.mark.parametrize("dataset", ["mnist", "mog"])
def test_cli_eigs_under_torchrun_equals_one_process(tmp_path, dataset):
    """``torchrun --nproc-per-node 2 -m cli neural eigs RUN --json``: rank 0 prints the
    single-process document with world_size 2, rank 1 nothing."""
    import json

    from typer.testing import CliRunner

    from cli import app

    torch.set_num_threads(1)
    args = ["neural", "eigs", _tiny_run(tmp_path, dataset), "--k", "2", "--device", "cpu",
            "--dtype", "float64", "--json"]
    single = CliRunner().invoke(app, args)
    assert single.exit_code == 0, single.output
    out = str(tmp_path / "out")
    spawn(_cli_worker, args, out)
    codes, texts = zip(*(open(f"{out}.{r}").read().split("\n", 1) for r in range(2)))
    assert codes == ("0", "0") and texts[1] == "", texts
    ours, theirs = json.loads(texts[0]), json.loads(single.stdout)
    assert (ours["world_size"], theirs["world_size"]) == (2, 1)
    assert close(ours["eigenvalues"], theirs["eigenvalues"])


def test_analyze_under_torchrun_equals_one_process(tmp_path):
    """``torchrun --nproc-per-node 2 -m cli neural analyze RUN``: rank 0 writes the
    single-process report (its numbers to 1e-6 relative) with world_size 2; rank 1 prints and
    writes nothing."""
    import json

    from typer.testing import CliRunner

    from cli import app

    torch.set_num_threads(1)
    run_dir = _tiny_run(tmp_path, "mog")
    common = ["neural", "analyze", run_dir, "--k", "3", "--end-points", "1", "--device", "cpu",
              "--dtype", "float64", "--json", "--out"]
    single = CliRunner().invoke(app, common + [str(tmp_path / "single")])
    assert single.exit_code == 0, single.output
    out = str(tmp_path / "out")
    spawn(_cli_worker, common + [str(tmp_path / "ranks")], out)
    codes, texts = zip(*(open(f"{out}.{r}").read().split("\n", 1) for r in range(2)))
    assert codes == ("0", "0") and texts[1] == "", texts
    ours = json.loads((tmp_path / "ranks" / "report.json").read_text())
    theirs = json.loads((tmp_path / "single" / "report.json").read_text())
    assert (ours["world_size"], theirs["world_size"]) == (2, 1)
    assert close(ours["grad_norm"], theirs["grad_norm"])
    # sorted: values of equal magnitude (+-l, conjugates) may come in either order
    assert close(sorted(ours["eigenvalues"]), sorted(theirs["eigenvalues"]))
    assert close(ours["leftmost_eigenvalue"], theirs["leftmost_eigenvalue"])
    for name in ("G", "D"):
        assert close(sorted(ours["hessians"][name]["eigenvalues"]),
                     sorted(theirs["hessians"][name]["eigenvalues"]))
    assert close(ours["path_angle"]["cosine"]["median"], theirs["path_angle"]["cosine"]["median"])

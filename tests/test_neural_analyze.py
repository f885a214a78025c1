"""``neural analyze`` and ``--at``: every file of the analysis folder, its report against the
operators' own answers, the extrapolated and averaged points against hand-formed ones, and the
one-line refusals."""
import json
import shutil

import pytest
import torch

from neural.targets import extrapolate, resolve_target, state_omega
from neural.training.checkpoint import CheckpointError, list_checkpoints, load_checkpoint
from neural.training.presets import resolve_config
from neural.training.trainer import start_run
from support.cli_checks import assert_one_line_error, run

torch.set_num_threads(1)

TINY = dict(mog_samples=300, batch_size=300, log_every=10, checkpoint_every=10, sample_every=1000,
            latent_dim=4, width=8, iterations=30)


def train(run_dir, preset="mog-nsgan-eg", **overrides):
    start_run(resolve_config("mog", preset, **{**TINY, **overrides}), run_dir, "cpu").run()
    return run_dir


@pytest.fixture(scope="module")
def eg_run(tmp_path_factory):
    return train(tmp_path_factory.mktemp("eg"))


@pytest.fixture(scope="module")
def analysis(eg_run, tmp_path_factory):
    out = tmp_path_factory.mktemp("analysis")
    result = run("neural", "analyze", str(eg_run), "--out", str(out), "--end-points", "2", "--k", "6", "--json")
    assert result.exit_code == 0, result.output
    return out, json.loads(result.stdout)


def test_analyze_writes_every_file_and_the_json_it_prints(analysis):
    out, document = analysis
    for name in ("path_angle.png", "eigenvalues.png", "hessians.png", "report.json", "report.md"):
        assert (out / name).stat().st_size > 500, name
    assert json.loads((out / "report.json").read_text()) == document
    markdown = (out / "report.md").read_text()
    for figure in ("path_angle.png", "eigenvalues.png", "hessians.png"):
        assert f"]({figure})" in markdown
    assert markdown.count("*Figure ") == 3 and "Players and rotation" in markdown


def test_analyze_selects_the_lowest_w1_and_the_initial_state(eg_run, analysis):
    _, document = analysis
    records = [json.loads(line) for line in (eg_run / "metrics.jsonl").read_text().splitlines()]
    best = min(records, key=lambda r: r["w1"])
    assert document["start_iteration"] == 0
    assert document["end_iteration"] == best["iteration"] == document["score"]["iteration"]
    assert document["score"] == {"name": "w1", "better": "lower", "value": best["w1"], "iteration": best["iteration"]}
    assert len(document["end_iterations"]) == 2 and best["iteration"] in document["end_iterations"]
    assert document["path_angle"]["ends"] == 2 and document["at"] == "iterate"


def test_analyze_agrees_with_the_operators(eg_run, analysis):
    _, document = analysis
    end = str(dict(list_checkpoints(eg_run))[document["end_iteration"]])
    target = resolve_target(end)
    field = target.game.vector_field()
    assert document["grad_norm"] == pytest.approx(float(field.norm()), rel=1e-12)
    for name, part in target.game.slices.items():
        assert document["grad_norms"][name] == pytest.approx(float(field[part].norm()), rel=1e-12)
    result = run("neural", "eigs", end, "--which", "SR", "--k", "2", "--json")
    leftmost = json.loads(result.stdout)["eigenvalues"][0]
    assert document["leftmost_eigenvalue"] == pytest.approx(leftmost, abs=1e-12)
    classified = json.loads(run("neural", "classify", end, "--json").stdout)
    assert document["lssp"] == classified["lssp"] and document["dne"] == classified["dne"]
    assert [p["verdict"] for p in document["players"]] == [p["verdict"] for p in classified["players"]]
    for player in document["players"]:
        eigs = json.loads(run("neural", "eigs", end, "--block", player["name"], "--k", "6", "--json").stdout)
        assert player["top_eigenvalues"] == pytest.approx([e[0] for e in eigs["eigenvalues"]], abs=1e-12)
    values = [complex(*e) for e in document["eigenvalues"]]
    share = sum(abs(l.imag) > abs(l.real) for l in values) / len(values)
    assert document["rotation"]["share_imag_over_real"] == pytest.approx(share)


def test_extrapolate_is_the_gradient_half_step_on_a_planted_game():
    """example1 (bilinear-quadratic) through the bridge: omega - eta v(omega) per player."""
    target = resolve_target("example1", ["theta1=0.3", "theta2=-0.2", "phi=0.7"])
    game, omega = target.game, target.game.omega()
    rates = {"G": 0.1, "D": 0.25}
    eta = torch.tensor([0.1, 0.1, 0.25], dtype=torch.float64)
    phi = float(omega[2])
    field = game.vector_field(omega)
    assert extrapolate(game, omega, rates) == pytest.approx((omega - eta * field).tolist(), rel=1e-15, abs=1e-15)
    clipped = extrapolate(game, omega, rates, clip={"D": 0.5})
    assert float(clipped[2]) == pytest.approx(max(-0.5, min(0.5, phi - 0.25 * float(field[2]))))


def test_at_extrapolated_of_an_extragradient_checkpoint(eg_run):
    path = str(list_checkpoints(eg_run)[-1][1])
    iterate = resolve_target(path).game
    omega = iterate.omega()
    target = resolve_target(path, at="extrapolated")
    expected = omega - 0.1 * iterate.vector_field(omega)  # the preset's lr_g = lr_d = 0.1
    assert torch.allclose(target.game.omega(), expected, rtol=0, atol=1e-7)
    assert target.at == "extrapolated" and target.at_detail["learning_rates"] == {"G": 0.1, "D": 0.1}


def test_at_extrapolated_of_an_extraadam_checkpoint_uses_the_stored_moments(tmp_path):
    path = str(list_checkpoints(train(tmp_path, method="extraadam", iterations=10))[-1][1])
    state = load_checkpoint(path)
    game = resolve_target(path).game
    omega = game.omega()
    g = game.vector_field(omega)
    b1, b2 = state["config"]["beta1"], state["config"]["beta2"]
    moments = [state["optimizer"]["state"][i] for i in sorted(state["optimizer"]["state"])]
    m = torch.cat([s["exp_avg"].reshape(-1) for s in moments])
    v = torch.cat([s["exp_avg_sq"].reshape(-1) for s in moments])
    t = state["optimizer"]["param_groups"][0]["step"] + 1
    m, v = b1 * m + (1 - b1) * g, b2 * v + (1 - b2) * g * g
    direction = (m / (1 - b1 ** t)) / ((v / (1 - b2 ** t)).sqrt() + 1e-8)
    expected = omega - state["config"]["lr_g"] * direction
    target = resolve_target(path, at="extrapolated")
    assert torch.allclose(target.game.omega(), expected, rtol=1e-5, atol=1e-7)
    assert target.at_detail["direction"] == "adam"
    without = {key: value for key, value in state.items() if key != "optimizer"}
    with pytest.raises(CheckpointError, match="stores no optimiser state"):
        state_omega(game, without, "extrapolated")


def test_at_average_is_the_stored_ema(eg_run):
    path = str(list_checkpoints(eg_run)[-1][1])
    ema = load_checkpoint(path)["averages"]["ema"]
    expected = torch.cat([t.reshape(-1) for name in ("G", "D") for t in ema[name]])
    target = resolve_target(path, at="average")
    assert torch.equal(target.game.omega(), expected)
    result = run("neural", "classify", path, "--at", "average", "--json")
    assert json.loads(result.stdout)["at"] == "average"


def test_analyze_at_extrapolated_records_it(eg_run, tmp_path):
    result = run("neural", "analyze", str(eg_run), "--out", str(tmp_path), "--end-points", "1", "--k", "4",
                 "--at", "extrapolated", "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    end = str(dict(list_checkpoints(eg_run))[document["end_iteration"]])
    assert document["at"] == "extrapolated" and document["at_detail"]["direction"] == "gradient"
    assert document["grad_norm"] == pytest.approx(
        float(resolve_target(end, at="extrapolated").game.vector_field().norm()), rel=1e-12)
    assert "extrapolated" in (tmp_path / "report.md").read_text()


def test_one_checkpoint_or_none_is_one_line(eg_run, tmp_path):
    (tmp_path / "none").mkdir()
    assert_one_line_error(run("neural", "analyze", str(tmp_path / "none")), "holds no checkpoints")
    one = tmp_path / "one"
    (one / "checkpoints").mkdir(parents=True)
    shutil.copy(list_checkpoints(eg_run)[0][1], one / "checkpoints")
    assert_one_line_error(run("neural", "analyze", str(one)), "holds one checkpoint")
    assert_one_line_error(run("neural", "analyze", str(tmp_path / "missing")), "not a run directory")


def test_at_refusals_are_one_line(eg_run, tmp_path):
    assert_one_line_error(run("neural", "classify", "example1", "--at", "average"), "applies to checkpoints")
    assert_one_line_error(run("neural", "classify", str(eg_run), "--at", "middle"), "--at must be one of")
    gd = train(tmp_path / "gd", method="simgd", iterations=10)
    assert_one_line_error(run("neural", "eigs", str(gd), "--at", "extrapolated"), "needs an extragradient run")


def test_path_angle_at_average_ends_at_the_average(eg_run):
    found = list_checkpoints(eg_run)
    start, end = str(found[0][1]), str(found[-1][1])
    result = run("neural", "path-angle", start, end, "--range", "0", "1", "--points", "2", "--at", "average", "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    at_end = float(resolve_target(end, at="average").game.vector_field().norm())
    assert document["at"] == "average" and document["path_norm"]["per_end"][0][1] == pytest.approx(at_end, rel=1e-5)
    at_start = float(resolve_target(start).game.vector_field().norm())
    assert document["path_norm"]["per_end"][0][0] == pytest.approx(at_start, rel=1e-5)


def test_a_one_player_report_is_a_minimisation(tmp_path):
    """A one-player game (a quadratic with a saddle) rendered as analyze renders a run."""
    import sympy as sp

    from gametheory import Game, Player
    from neural.analysis.classify import classify_state
    from neural.analysis.eigen import top_eigenvalues
    from neural.analysis.path_angle import path_angle
    from neural.analysis.report import AnalysisReport, Selection
    from neural.bridge import compile_game
    from neural.operators import spectrum_operator
    from neural.render.report import write_analysis

    x, y = sp.symbols("x y", real=True)
    game = compile_game(Game(Player("D", (x, y), x ** 2 - y ** 2 / 2 + x * y), name="quadratic"), [0.5, 0.25])
    omega, start = game.omega(), torch.tensor([2.0, -1.0], dtype=torch.float64)
    field = game.vector_field(omega)
    selection = Selection((0, tmp_path / "ckpt_0.pt"), ((10, tmp_path / "ckpt_10.pt"),), (10, tmp_path / "ckpt_10.pt"),
                          None, "no score for this run")
    report = AnalysisReport(str(tmp_path), "iterate", {}, selection, {"dataset": "quadratic"}, {"D": 2},
                            float(field.norm()), {"D": float(field.norm())}, game.losses(omega),
                            classify_state(game, omega, top_k=2),
                            {"D": top_eigenvalues(spectrum_operator(game, omega, player="D"), k=2)},
                            path_angle(game, start, [omega], points=7), {"selection": 0.0}, (), {})
    document = write_analysis(report, tmp_path / "analysis")
    markdown = (tmp_path / "analysis" / "report.md").read_text()
    assert "Minimisation: no rotation expected" in markdown and "Nash" not in markdown
    assert document["minimisation"] is True and document["rotation"]["share_imag_over_real"] == 0
    eigenvalues = sorted(document["players"][0]["top_eigenvalues"])  # [[2, 1], [1, -1]]: 1/2 +- sqrt(13)/2
    assert eigenvalues == pytest.approx([(1 - 13 ** 0.5) / 2, (1 + 13 ** 0.5) / 2], abs=1e-12)
    assert document["players"][0]["verdict"] == "saddle"


def test_analyze_a_gradient_penalty_run(tmp_path):
    """WGAN-GP: the losses at the end point need autograd (the penalty), and are reported."""
    from neural.analysis.report import analyze_run

    run_dir = train(tmp_path, "mog-wgangp-eg", iterations=20)
    report = analyze_run(run_dir, end_points=1, k=4, points=5)
    game = resolve_target(str(list_checkpoints(run_dir)[-1][1])).game
    field, losses = game.field_and_losses(game.omega(), game.batches[0])
    assert report.losses == pytest.approx(dict(zip(game.player_names, losses.tolist())), rel=1e-6)
    assert report.grad_norm == pytest.approx(float(field.norm()), rel=1e-6)


@pytest.mark.slow
@pytest.mark.parametrize("dataset,preset,at", [("mnist", "mnist-wgangp-extraadam", "extrapolated"),
                                               ("cifar10", "cifar10-nsgan-extraadam", "average")])
def test_analyze_tiny_image_runs(tmp_path, dataset, preset, at):
    from neural.analysis.report import analyze_run
    from test_neural_train import write_tiny_image_data

    write_tiny_image_data(tmp_path / "data", dataset)
    config = resolve_config(dataset, preset, iterations=3, batch_size=8, width=4, n_critic=2, latent_dim=8,
                            checkpoint_every=2, log_every=1, sample_every=3, data_dir=str(tmp_path / "data"))
    start_run(config, tmp_path / "run", "cpu").run()
    report = analyze_run(tmp_path / "run", end_points=2, k=4, at=at, points=5)
    assert report.selection.end[0] == 3 and report.selection.score is None and report.at == at
    target = resolve_target(str(tmp_path / "run"), at=at)
    assert report.grad_norm == pytest.approx(float(target.game.vector_field().norm()), rel=1e-5)


def test_analyze_certify_names_its_proofs(eg_run, tmp_path):
    """``--certify``: the dense proofs at the end point, recorded in report.json (how J was
    built) and named in report.md; a memory limit it cannot meet is one line."""
    out = tmp_path / "certified"
    result = run("neural", "analyze", str(eg_run), "--out", str(out), "--end-points", "1", "--k", "4",
                 "--certify", "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    proof = document["classification"]["certify"]
    assert proof["parameters"] == document["param_count"] and proof["products"] >= document["param_count"]
    assert "--certify" in document["commands"][0]
    markdown = (out / "report.md").read_text()
    assert "With --certify, J was built densely" in markdown
    kind = document["classification"]["stability_certificate"]["kind"]
    assert (f"stability proved by {kind}" if kind != "none" else "stability not proved:") in markdown
    assert_one_line_error(run("neural", "analyze", str(eg_run), "--out", str(tmp_path / "x"),
                              "--certify", "--max-memory", "1K"), "--max-memory")


def test_gradient_norm_figure_of_runs_from_their_metrics(eg_run, tmp_path):
    """Fig. 7 style: ||v|| over training, one line per run, read from metrics.jsonl."""
    import math

    from neural.analysis.report import metric_series
    from neural.render.figures import gradient_norm_figure

    g, d = metric_series(eg_run, "grad_norm_G"), metric_series(eg_run, "grad_norm_D")
    assert sorted(g) == [10, 20, 30] and set(d) == set(g)
    norms = {i: math.hypot(g[i], d[i]) for i in g}
    figure = gradient_norm_figure({"extragradient": norms, "copy": norms}, "MoG",
                                  tmp_path / "norms.png")
    axes = figure.axes[0]
    assert [line.get_label() for line in axes.get_lines()] == ["extragradient", "copy"]
    assert list(axes.get_lines()[0].get_xdata()) == [10, 20, 30] and axes.get_yscale() == "log"
    assert (tmp_path / "norms.png").stat().st_size > 0
    assert metric_series(tmp_path, "w1") == {}  # no metrics file

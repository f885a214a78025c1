"""``neural analyze --every K``: the landscape over training, checked row by row against
``classify_state`` at the tracked checkpoints, and the one-line refusals."""
import json
import math
from pathlib import Path

import pytest
import torch

from neural.analysis.classify import classify_state
from neural.analysis.timeline import Timeline, TimelineRow, tracked_checkpoints
from neural.targets import resolve_target
from neural.training.checkpoint import list_checkpoints
from support.cli_checks import assert_one_line_error, run
from test_neural_analyze import train

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def eg_run(tmp_path_factory):
    return train(tmp_path_factory.mktemp("eg"))  # checkpoints at 0, 10, 20, 30


@pytest.fixture(scope="module")
def analysis(eg_run, tmp_path_factory):
    out = tmp_path_factory.mktemp("timeline")
    result = run("neural", "analyze", str(eg_run), "--out", str(out), "--end-points", "1", "--k", "4",
                 "--every", "20", "--json")
    assert result.exit_code == 0, result.output
    return out, json.loads(result.stdout)


def test_tracked_checkpoints_are_the_multiples_and_both_ends():
    found = [(i, Path(f"ckpt_{i}.pt")) for i in (5, 10, 15, 20, 25)]
    assert [i for i, _ in tracked_checkpoints(found, 10)] == [5, 10, 20, 25]
    assert [i for i, _ in tracked_checkpoints(found, 1)] == [5, 10, 15, 20, 25]
    assert [i for i, _ in tracked_checkpoints(found, 100)] == [5, 25]


def test_stable_from_is_where_the_leftmost_real_part_stays_positive():
    def timeline(*reals):
        return Timeline(10, tuple(TimelineRow(10 * j, 1.0, complex(re, 1.0), 0.1, 2.0, {"G": -1.0})
                                  for j, re in enumerate(reals)))

    assert timeline(-1.0, 0.5, -0.2, 0.3, 0.4).stable_from == 30
    assert timeline(0.5, 0.6).stable_from == 0
    assert timeline(0.5, 0.05).stable_from is None  # within the residual at the end


def test_timeline_figure_panels_on_planted_rows():
    from neural.render.figures import timeline_figure

    rows = (TimelineRow(0, 1.0, complex(-0.5, 0), 1e-3, 0.4, {"G": -0.1, "D": -0.5}),
            TimelineRow(10, 1e-3, complex(2e-5, 6e-3), 2e-4, math.inf, {"G": -2e-4, "D": -8e-3}))
    figure = timeline_figure(Timeline(10, rows), "Landscape over training")
    norm, left, rotation, hessian = figure.axes
    assert norm.get_yscale() == "log" and left.get_yscale() == "symlog" and hessian.get_yscale() == "symlog"
    unbounded = [line for line in rotation.get_lines() if line.get_label().startswith("unbounded")]
    assert len(unbounded) == 1 and list(unbounded[0].get_xdata()) == [10.0]
    assert hessian.get_xlabel() == "iteration" and figure.get_suptitle() == "Landscape over training"


def test_timeline_rows_are_classify_state_at_the_tracked_checkpoints(eg_run, analysis):
    _, document = analysis
    rows = document["timeline"]
    assert [row["iteration"] for row in rows] == [0, 20, 30]
    assert all(set(row) == {"iteration", "grad_norm", "leftmost", "residual", "max_rotation_ratio",
                            "player_min_eigenvalues"} for row in rows)
    paths = dict(list_checkpoints(eg_run))
    for row in rows:
        game = resolve_target(str(paths[row["iteration"]])).game
        expected = classify_state(game, top_k=4)
        left = expected.leftmost_eigenvalue
        assert row["grad_norm"] == pytest.approx(expected.grad_norm, rel=1e-12)
        assert row["leftmost"] == pytest.approx([left.real, left.imag], abs=1e-12)
        assert row["residual"] == pytest.approx(expected.leftmost.residuals[0], abs=1e-12)
        assert row["max_rotation_ratio"] == pytest.approx(expected.max_rotation_ratio, rel=1e-9)
        assert row["player_min_eigenvalues"] == pytest.approx(
            {p.name: p.min_eigenvalue for p in expected.players}, abs=1e-12)


def test_timeline_figure_json_and_markdown_exist(analysis):
    out, document = analysis
    assert (out / "timeline.png").stat().st_size > 500
    assert json.loads((out / "report.json").read_text())["timeline"] == document["timeline"]
    assert document["files"]["timeline.png"] == str(out / "timeline.png") and "timeline" in document["timings"]
    assert "--every 20" in document["commands"][0]
    markdown = (out / "report.md").read_text()
    assert "## Landscape over training" in markdown and "](timeline.png)" in markdown
    assert markdown.count("*Figure ") == 4


def test_timeline_at_average_classifies_each_average(eg_run):
    from neural.analysis.report import analysis_steps, analyze_run

    told = []
    report = analyze_run(eg_run, end_points=1, k=4, at="average", points=3, every=30, progress=told.append)
    assert report.timeline.iterations == [0, 30]
    assert tuple(told) == analysis_steps(eg_run, 30) and told[-2:] == ["timeline 0", "timeline 30"]
    for row, (_, path) in zip(report.timeline.rows, list_checkpoints(eg_run)[::3]):
        game = resolve_target(str(path), at="average").game
        assert row.grad_norm == pytest.approx(float(game.vector_field().norm()), rel=1e-12)


def test_classify_options_reach_every_tracked_checkpoint(eg_run):
    """``dense_budget=0`` forces the Krylov solvers at the end point and along the timeline."""
    from neural.analysis.report import analyze_run

    report = analyze_run(eg_run, end_points=1, k=4, points=3, every=30, classify_options={"dense_budget": 0})
    assert report.classification.leftmost.method != "dense"
    last = list_checkpoints(eg_run)[-1][1]
    expected = classify_state(resolve_target(str(last)).game, top_k=4, dense_budget=0)
    row = report.timeline.rows[-1]
    assert row.iteration == 30 and row.leftmost == pytest.approx(expected.leftmost_eigenvalue, abs=1e-12)


@pytest.mark.parametrize("every", ["0", "-5"])
def test_a_bad_every_is_one_line(eg_run, tmp_path, every):
    assert_one_line_error(run("neural", "analyze", str(eg_run), "--out", str(tmp_path), "--every", every),
                          "--every must be a positive integer")

"""Figures as objects: each public figure function returns its matplotlib Figure (drawn into a
given ``ax`` to compose panels); the radius figure shows every method's curve, including one on
the line rho = 1; the eigs legends cover no eigenvalue."""
import numpy as np
import pytest

from gametheory import zoo
from gametheory.render import plots
from gametheory.render.requests import RADIUS_METHODS, radius_methods

matplotlib = pytest.importorskip("matplotlib")
from matplotlib.figure import Figure  # noqa: E402


def bilinear():
    return plots.reference_point(zoo.get("bilinear"))


def test_the_radius_figure_has_one_visible_curve_per_method():
    game, point = bilinear()
    fig = plots.plot_radius(game, point, radius_methods(RADIUS_METHODS, game), samples=50)
    assert isinstance(fig, Figure)
    ax, = fig.axes
    curves = {line.get_label(): line for line in ax.get_lines() if len(line.get_xdata()) == 50}
    assert list(curves) == ["simgd", "altgd", "eg", "ogd", "momentum(beta=1/2)", "consensus(gamma=1)"]
    reference = next(line for line in ax.get_lines() if line.get_label() == r"$\rho = 1$")
    altgd = curves["altgd"]
    assert np.allclose(altgd.get_ydata(), 1.0)  # bilinear: altgd neither converges nor diverges
    assert altgd.get_zorder() > reference.get_zorder()
    assert altgd.get_linewidth() > reference.get_linewidth()
    assert len({(line.get_color(), line.get_linestyle()) for line in curves.values()}) == len(curves)


def test_the_cli_default_of_radius_is_every_method():
    import cli
    import inspect

    assert inspect.signature(cli.plot).parameters["methods"].default.default == RADIUS_METHODS


@pytest.mark.parametrize("game,method", [("bilinear", "eg"), ("example1", "simgd"), ("rotation", "altgd")])
def test_eigs_legends_cover_no_eigenvalue(game, method):
    from gametheory.dynamics.methods import Method

    played, point = plots.reference_point(zoo.get(game))
    fig = plots.plot_eigs(played, point, Method(method))
    fig.draw_without_rendering()
    for ax in fig.axes:
        box = ax.get_legend().get_window_extent()
        markers = [line for line in ax.get_lines() if line.get_marker() in ("x", "o")]
        assert markers
        for line in markers:
            for x, y in ax.transData.transform(np.column_stack([line.get_xdata(), line.get_ydata()])):
                assert not box.contains(x, y), (ax.get_title(), line.get_label())


def test_one_panel_figures_draw_into_a_given_axes():
    from gametheory.dynamics.methods import Method

    game, point = plots.reference_point(zoo.get("example1"))
    fig = Figure(figsize=(12, 4))
    left, middle, right = fig.subplots(1, 3)
    assert plots.plot_landscape(game, point, ax=left) is fig
    assert plots.plot_radius(game, point, [Method("simgd"), Method("eg")], samples=20, ax=middle) is fig
    assert plots.plot_path_angle(game, point, ends=2, samples=11, ax=right) is fig
    assert middle.get_title().startswith("example1") and len(middle.get_lines()) >= 2
    assert right.get_xlabel().startswith(r"$\alpha$")


def test_neural_figures_return_figures_and_take_an_axes(tmp_path):
    from neural.analysis.eigen import EigenResult
    from neural.render.figures import eigen_figure

    result = EigenResult("LM", 2, (1 + 2j, 1 - 2j), (0.0, 0.0), True, "dense", 2)
    fig = eigen_figure(result.eigenvalues, "e", tmp_path / "e.png")
    assert isinstance(fig, Figure) and (tmp_path / "e.png").exists()
    composed = Figure()
    ax = composed.add_subplot()
    assert eigen_figure(result.eigenvalues, "e", ax=ax) is composed
    assert sorted(ax.collections[0].get_offsets()[:, 1]) == [-2.0, 2.0]

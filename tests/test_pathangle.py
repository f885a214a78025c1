"""Path-angle (eq. 7) and Figure 2's signatures on the archetype games."""
import numpy as np
import pytest

from gametheory import zoo
from gametheory.dynamics.methods import numeric_field
from gametheory.dynamics.pathangle import (cosine, ends_near, path_angle, path_angle_spread, quartiles,
                                           summary)

ALPHAS = np.linspace(0.0, 1.5, 301)
START = np.array([2.0, 1.5])


def _median(name):
    ends = ends_near([0.0, 0.0], 20, 0.05, seed=1)
    return path_angle_spread(numeric_field(zoo.get(name)), START, ends, ALPHAS)


def _at(alpha):
    return int(np.argmin(abs(ALPHAS - alpha)))


def test_eq7_by_hand():
    result = path_angle(numeric_field(zoo.get("attraction-rotation")), [1.0, 0.0], [0.0, 1.0], [0.0, 0.5])
    # v = (theta + phi, phi - theta); at (1, 0): -v = (-1, 1), direction (-1, 1): c = +1.
    # At (1/2, 1/2): -v = (-1, 0), direction (-1, 1): c = 1/sqrt(2).
    assert result.ends == 1 and result.cosine.shape == (1, 2)
    assert result.cosine[0, 0] == pytest.approx(1.0)
    assert result.cosine[0, 1] == pytest.approx(1 / np.sqrt(2))
    assert result.path_norm[0, 0] == pytest.approx(np.sqrt(2))
    assert result.path_norm[0, 1] == pytest.approx(1.0)  # at (1/2, 1/2): v = (1, 0)


def test_attraction_switches_sign_near_one():
    """The paper's Figure 2a: the dynamics moves along the path towards the optimum (c = +1),
    then back against it past the optimum (c = -1)."""
    spread = _median("attraction")
    c = spread.median
    assert np.all(c[: _at(0.9)] > 0.95) and np.all(c[_at(1.1):] < -0.95)
    switches = np.flatnonzero(np.diff(np.sign(c)))
    assert len(switches) == 1 and 0.95 <= ALPHAS[switches[0]] <= 1.05
    assert spread.norm[1][_at(1.0)] < 0.1 * spread.norm[1][0]  # path-norm dips at the optimum


def test_rotation_has_a_bump_and_no_sign_switch():
    c = _median("rotation").median
    far = np.abs(np.concatenate([c[: _at(0.5)], c[_at(1.4):]]))
    near = np.abs(c[_at(0.9): _at(1.1)])
    assert far.max() < 0.1 and near.max() > 0.4
    assert 0.95 <= ALPHAS[np.argmax(np.abs(c))] <= 1.05
    assert len(np.flatnonzero(np.diff(np.sign(c)))) == 0


def test_attraction_rotation_has_both():
    spread = _median("attraction-rotation")
    c = spread.median
    switches = np.flatnonzero(np.diff(np.sign(c)))
    assert len(switches) == 1 and 0.95 <= ALPHAS[switches[0]] <= 1.05
    plateau = c[0]
    assert plateau == pytest.approx(1 / np.sqrt(2), abs=0.02) and c[-1] < 0  # Figure 2c: + then -
    assert np.abs(c[_at(0.9): _at(1.1)]).max() > plateau + 0.15  # the bump
    assert np.all(spread.cosine[0] <= spread.cosine[1]) and np.all(spread.cosine[1] <= spread.cosine[2])


def test_cosine_is_nan_where_the_field_vanishes():
    """The path through the optimum of the attraction game (v = (theta, phi)): v = 0 at
    alpha = 1/2, so c is undefined there (NaN), and +1 before it, -1 past it."""
    result = path_angle(numeric_field(zoo.get("attraction")), [1.0, 1.0], [-1.0, -1.0], [0.0, 0.5, 1.0])
    assert result.cosine[0, 0] == pytest.approx(1.0) and result.cosine[0, 2] == pytest.approx(-1.0)
    assert np.isnan(result.cosine[0, 1]) and result.path_norm[0, 1] == 0.0
    assert np.isnan(cosine([0.0], [0.0], 1.0)[0]) and cosine([3.0], [2.0], 3.0)[0] == -0.5


def test_quartiles_leave_an_undefined_cosine_out():
    values = np.array([[1.0, np.nan], [2.0, np.nan], [3.0, 0.5], [4.0, np.nan]])
    q = quartiles(values, ignore_nan=True)
    assert q[:, 0].tolist() == [1.75, 2.5, 3.25] and q[:, 1].tolist() == [0.5, 0.5, 0.5]
    assert np.isnan(quartiles(values)[:, 1]).all()  # norms and losses: NaN stays visible
    assert np.isnan(quartiles(np.full((2, 1), np.nan), ignore_nan=True)).all()
    assert summary(values[:, :1]) == {"median": [2.5], "q25": [1.75], "q75": [3.25]}


def test_the_document_schema():
    """One JSON schema for both layers: alphas, ends, and cosine/path_norm summaries with the
    rows per end state."""
    ends = ends_near([0.0, 0.0], 3, 0.05, seed=2)
    document = path_angle(numeric_field(zoo.get("rotation")), START, ends, [0.0, 1.0]).to_dict()
    assert list(document) == ["alphas", "ends", "cosine", "path_norm"]
    assert document["alphas"] == [0.0, 1.0] and document["ends"] == 3
    for key in ("cosine", "path_norm"):
        assert list(document[key]) == ["median", "q25", "q75", "per_end"]
        assert np.array(document[key]["per_end"]).shape == (3, 2)
        assert document[key]["median"] == pytest.approx(np.median(document[key]["per_end"], axis=0))

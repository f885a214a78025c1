"""Path-angle (eq. (7)): against the symbolic vector field, archetypes, chunking, clip filter."""
import numpy as np
import pytest
import torch

from gametheory import zoo
from gametheory.dynamics.methods import numeric_field
from gametheory.dynamics.pathangle import path_angle as symbolic_path_angle
from gametheory.errors import OptionError, PointError
from neural.bridge import compile_game
from neural.analysis.path_angle import clip_filter, path_angle
from support.neural_games import mlp_game


def expected_cosine(game, start, end, alphas):
    field, _ = game.numeric()
    delta = end - start
    out = []
    for alpha in alphas:
        v = np.asarray(field(start + alpha * delta), dtype=float).ravel()
        out.append(delta @ -v / (np.linalg.norm(delta) * np.linalg.norm(v)))  # cos(w' - w, -v)
    return np.array(out)


@pytest.mark.parametrize("name", ["attraction", "rotation", "attraction-rotation", "example2"])
def test_cosine_matches_the_symbolic_vector_field(name):
    game = zoo.get(name)
    start, end = np.array([1.5, -2.0]), np.array([0.05, 0.1])
    neural = compile_game(game, start)
    result = path_angle(neural, torch.tensor(start), [torch.tensor(end)], points=25)
    assert result.alphas[0] == pytest.approx(-0.1) and result.alphas[-1] == pytest.approx(1.1)
    assert result.cosine[0] == pytest.approx(expected_cosine(game, start, end, result.alphas), abs=1e-12)


def test_archetypes_sign_switch_and_bump():
    start, end = torch.tensor([2.0, 1.0], dtype=torch.float64), torch.tensor([0.02, -0.01])
    attraction = path_angle(compile_game(zoo.get("attraction"), [2.0, 1.0]), start, [end],
                            a=0, b=2, points=201)
    # pure attraction (Figure 2a): -v points at the optimum: c = +1 before it, -1 after
    assert attraction.cosine[0, 0] == pytest.approx(1.0, abs=1e-3)
    assert attraction.cosine[0, -1] == pytest.approx(-1.0, abs=1e-3)
    assert np.mean(np.abs(attraction.cosine[0]) > 0.9) > 0.95  # a quick sign switch
    rotation = path_angle(compile_game(zoo.get("rotation"), [2.0, 1.0]), start, [end], a=0, b=2,
                          points=201)
    cos = np.abs(rotation.cosine[0])
    assert cos[0] < 0.02 and cos[-1] < 0.02 and cos.max() > 0.8  # the bump near alpha = 1
    assert 0.9 < rotation.alphas[cos.argmax()] < 1.1


def test_companions_losses_norms_and_quartiles():
    game = mlp_game(0, batches=2)
    start = game.omega()
    ends = [start + 0.3 * torch.randn(game.param_count, dtype=torch.float64,
                                      generator=torch.Generator().manual_seed(i)) for i in range(4)]
    result = path_angle(game, start, ends, points=9)
    assert result.cosine.shape == (4, 9)
    alpha = result.alphas[3]
    omega = start + alpha * (ends[2] - start)
    v = game.vector_field(omega)
    assert result.path_norm[2, 3] == pytest.approx(float(v.norm()), rel=1e-12)
    g = game.slices["G"]
    assert result.grad_norms["G"][2, 3] == pytest.approx(float(v[g].norm()), rel=1e-12)
    assert result.losses["D"][2, 3] == pytest.approx(game.losses(omega)["D"], rel=1e-12)
    document = result.to_dict()
    assert document["cosine"]["median"] == pytest.approx(np.median(result.cosine, axis=0).tolist())
    assert document["cosine"]["q25"] == pytest.approx(np.percentile(result.cosine, 25, axis=0).tolist())
    assert document["ends"] == 4


def test_vmap_chunks_equal_one_point_per_pass():
    game = mlp_game(1)
    start = game.omega()
    end = start + 0.5
    one = path_angle(game, start, [end], points=11, chunk=1)
    chunked = path_angle(game, start, [end], points=11, chunk=4)
    assert np.allclose(one.cosine, chunked.cosine, atol=1e-13)
    assert np.allclose(one.losses["G"], chunked.losses["G"], atol=1e-13)


def test_wgan_clip_filter_drops_coordinates_a_clipped_step_cannot_move():
    game = compile_game(zoo.get("dirac-wgan"), [0.0, 0.0])  # players G (theta), D (psi)
    omega = torch.tensor([[0.3, 0.01], [0.3, 0.01], [0.3, -0.01], [0.3, 0.005]], dtype=torch.float64)
    field = torch.tensor([[1.0, -2.0], [1.0, 2.0], [1.0, 2.0], [1.0, -2.0]], dtype=torch.float64)
    kept = clip_filter(game, omega, field, {"D": 0.01})
    # at +c with gradient -: a descent step pushes psi up, clipping puts it back: dropped;
    # at +c with gradient +: it moves inward: kept; at -c with gradient +: dropped; inside: kept
    assert kept[:, 1].tolist() == [0.0, 2.0, 0.0, -2.0]
    assert kept[:, 0].tolist() == [1.0] * 4


def test_bad_requests_are_user_errors():
    game = compile_game(zoo.get("attraction"), [1.0, 1.0])
    start = game.omega()
    with pytest.raises(PointError, match="coincide"):
        path_angle(game, start, [start.clone()])
    with pytest.raises(OptionError):
        path_angle(game, start, [start + 1], points=1)
    with pytest.raises(OptionError):
        path_angle(game, start, [start + 1], a=1, b=0)


def test_one_document_schema_with_the_symbolic_layer():
    """The neural document is the core's (same keys and values as the symbolic layer's on the
    same game and path) plus clip, grad_norms and losses; an undefined cosine (v = 0 at the
    optimum, alpha = 1/2) is NaN in both, left out of the quartiles."""
    game = zoo.get("attraction-rotation")
    start, ends = np.array([1.0, 1.0]), np.array([[-1.0, -1.0], [-1.2, -0.8], [-0.9, -1.1]])
    ours = path_angle(compile_game(game, start), torch.tensor(start),
                      [torch.tensor(end) for end in ends], a=0, b=1, points=3)
    symbolic = symbolic_path_angle(numeric_field(game), start, ends, ours.alphas)
    assert np.isnan(ours.cosine[0, 1]) and ours.path_norm[0, 1] == 0.0
    document, reference = ours.to_dict(), symbolic.to_dict()
    assert list(document) == ["alphas", "ends", "clip", "cosine", "path_norm", "grad_norms", "losses"]
    for key in reference:
        assert key in document
    np.testing.assert_allclose(np.array(document["cosine"]["per_end"], dtype=float),
                               np.array(reference["cosine"]["per_end"], dtype=float), atol=1e-12)
    for key in ("median", "q25", "q75"):
        np.testing.assert_allclose(document["cosine"][key], reference["cosine"][key], atol=1e-12)
        np.testing.assert_allclose(document["path_norm"][key], reference["path_norm"][key], atol=1e-12)
    middle = np.delete(ours.cosine[:, 1], 0)  # the other two ends' cosines at alpha = 1/2
    assert document["cosine"]["median"][1] == pytest.approx(np.median(middle), abs=1e-12)
    assert list(document["losses"]["P1"]) == ["median", "q25", "q75"]

"""Metrics against independent implementations and closed forms."""
import numpy as np
import pytest
import torch
from scipy.stats import kstest, wasserstein_distance

from neural.training.data import mog_cdf
from neural.training.metrics import (MetricError, feature_statistics, frechet_distance, inception_metrics,
                                     inception_score, ks_statistic, load_inception, wasserstein_1d)


def test_wasserstein_matches_scipy():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=300), rng.normal(1.5, 2.0, size=170)
    assert wasserstein_1d(x, y) == pytest.approx(wasserstein_distance(x, y), rel=1e-12)
    assert wasserstein_1d([0.0, 1.0], [0.5, 1.5]) == pytest.approx(0.5)


def test_ks_matches_scipy_kstest():
    rng = np.random.default_rng(1)
    x = rng.normal(size=500)
    assert ks_statistic(x, mog_cdf) == pytest.approx(kstest(x, mog_cdf).statistic, rel=1e-12)


def test_inception_score_extremes():
    one_hot = torch.eye(10).repeat(5, 1)
    assert inception_score(one_hot)[0] == pytest.approx(10.0, rel=1e-9)
    assert inception_score(torch.full((20, 10), 0.1))[0] == pytest.approx(1.0)
    same_class = torch.zeros(20, 10)
    same_class[:, 3] = 1
    assert inception_score(same_class)[0] == pytest.approx(1.0)
    mean, std = inception_score(one_hot, splits=5)
    assert mean == pytest.approx(10.0) and std == pytest.approx(0.0, abs=1e-9)


def test_frechet_distance_closed_forms():
    rng = np.random.default_rng(2)
    mu1, mu2 = rng.normal(size=4), rng.normal(size=4)
    a, b = rng.uniform(0.5, 2, size=4), rng.uniform(0.5, 2, size=4)
    expected = np.sum((mu1 - mu2) ** 2) + np.sum((np.sqrt(a) - np.sqrt(b)) ** 2)
    assert frechet_distance(mu1, np.diag(a), mu2, np.diag(b)) == pytest.approx(expected)
    # commuting covariances Q diag(a) Q^T, Q diag(b) Q^T: same closed form
    q, _ = np.linalg.qr(rng.normal(size=(4, 4)))
    assert frechet_distance(mu1, q @ np.diag(a) @ q.T, mu2, q @ np.diag(b) @ q.T) == \
        pytest.approx(expected)
    s = rng.normal(size=(4, 4))
    sigma = s @ s.T
    assert frechet_distance(mu1, sigma, mu1, sigma) == pytest.approx(0.0, abs=1e-9)


def test_frechet_distance_of_synthetic_gaussian_features():
    """Sample statistics of Gaussian features converge to the closed form."""
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(200_000, 3, generator=generator, dtype=torch.float64)
    y = 2.0 * torch.randn(200_000, 3, generator=generator, dtype=torch.float64) + 1.0
    # |1|^2 * 3 + 3 * (1 - 2)^2
    assert frechet_distance(*feature_statistics(x), *feature_statistics(y)) == \
        pytest.approx(6.0, rel=0.02)


def test_inception_missing_is_a_clear_error(tmp_path):
    with pytest.raises(MetricError, match="--inception"):
        load_inception(None)
    with pytest.raises(MetricError, match="not found"):
        load_inception(tmp_path / "inception.pt")


class FakeInception(torch.nn.Module):
    """Stands in for the TorchScript Inception interface (uint8 in, features or probs out)."""

    def forward(self, images: torch.Tensor, return_features: bool = False) -> torch.Tensor:
        x = images.float().flatten(1)[:, :4] / 255.0
        if return_features:
            return x
        return torch.softmax(torch.stack([x[:, 0], 1 - x[:, 0]], 1) * 10, 1)


@pytest.mark.filterwarnings("ignore:`torch.jit.script` is deprecated:DeprecationWarning")
def test_inception_metrics_through_a_scripted_network(tmp_path):
    path = tmp_path / "fake.pt"
    torch.jit.script(FakeInception()).save(str(path))
    net = load_inception(path)
    images = torch.rand(64, 3, 4, 4, generator=torch.Generator().manual_seed(0)) * 2 - 1
    result = inception_metrics(net, images, images)
    assert result["fid"] == pytest.approx(0.0, abs=1e-9)
    assert result["is"] > 1.0

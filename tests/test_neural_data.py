"""Data: MoG sampler and CDF, IDX and CIFAR10 readers on tiny files in the real formats,
checksums, missing-file messages, batch sharding."""
import gzip
import math
import pickle

import numpy as np
import pytest
import torch
from scipy.stats import norm

from neural.training.data import (CIFAR10_TRAIN_BATCHES, MNIST_FILES, DataError, GANBatches,
                                  load_cifar10, load_mnist, md5sum, mog_cdf, mog_sample, read_cifar_batch,
                                  read_idx, verify_checksum)
from support.datasets import write_cifar_batch, write_idx


def test_mog_moments_and_cdf():
    x = mog_sample(200_000, torch.Generator().manual_seed(0)).double()
    assert x.shape == (200_000, 1)
    # mean 0.5*2 + 0.5*(-2) = 0; variance 0.5*(0.5 + 4) + 0.5*(1 + 4) = 4.75
    assert x.mean().item() == pytest.approx(0.0, abs=0.02)
    assert x.var().item() == pytest.approx(4.75, rel=0.01)
    assert mog_cdf(0.0) == pytest.approx(0.5 * norm.cdf(-2 / math.sqrt(0.5)) + 0.5 * norm.cdf(2))
    assert float(((x < 0).double().mean())) == pytest.approx(mog_cdf(0.0), abs=0.005)


def test_published_mixture_has_unit_variances():
    x = mog_sample(200_000, torch.Generator().manual_seed(0), "published").double()
    assert float(x.var()) == pytest.approx(1 + 4, rel=0.02)  # within-component 1, between 4
    assert mog_cdf(2.0, "published") == pytest.approx(0.25 + 0.5 * norm.cdf(4.0))  # symmetric


def test_mog_sample_is_seeded():
    a = mog_sample(10, torch.Generator().manual_seed(3))
    b = mog_sample(10, torch.Generator().manual_seed(3))
    assert torch.equal(a, b)


@pytest.mark.parametrize("name", ["images-idx3-ubyte", "images-idx3-ubyte.gz"])
def test_idx_round_trip(tmp_path, name):
    array = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    write_idx(tmp_path / name, array)
    assert np.array_equal(read_idx(tmp_path / name), array)


def test_idx_rejects_bad_files(tmp_path):
    (tmp_path / "bad").write_bytes(b"\x01\x02\x03\x04")
    with pytest.raises(DataError, match="magic"):
        read_idx(tmp_path / "bad")
    with gzip.open(tmp_path / "short.gz", "wb") as handle:
        handle.write(bytes([0, 0, 8, 1]) + (5).to_bytes(4, "big") + b"abc")
    with pytest.raises(DataError, match="expected 5"):
        read_idx(tmp_path / "short.gz")


def write_tiny_mnist(root, n=12, seed=0):
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
    images[0] = 0
    images[1] = 255
    labels = (np.arange(n) % 10).astype(np.uint8)
    root.mkdir(parents=True, exist_ok=True)
    for split in ("train", "test"):
        write_idx(root / MNIST_FILES[f"{split}-images"].name, images)
        write_idx(root / MNIST_FILES[f"{split}-labels"].name, labels)
    return images, labels


def test_mnist_reader_scales_and_limits(tmp_path):
    images, labels = write_tiny_mnist(tmp_path)
    x, y = load_mnist(tmp_path, limit=10, with_labels=True)
    assert x.shape == (10, 1, 28, 28) and x.dtype == torch.float32
    assert torch.all(x[0] == -1) and torch.all(x[1] == 1)
    assert torch.allclose(x[2, 0], torch.from_numpy(images[2] / 127.5 - 1).float(), atol=1e-6)
    assert y.tolist() == labels[:10].tolist()


def write_tiny_cifar(root, n=6):
    rng = np.random.default_rng(1)
    root.mkdir(parents=True, exist_ok=True)
    batches = []
    for name in CIFAR10_TRAIN_BATCHES:
        images = rng.integers(0, 256, size=(n, 3, 32, 32), dtype=np.uint8)
        write_cifar_batch(root / name, images, range(n))
        batches.append(images)
    return np.concatenate(batches)


def test_cifar_reader(tmp_path):
    images = write_tiny_cifar(tmp_path)
    x = load_cifar10(tmp_path)
    assert x.shape == (30, 3, 32, 32)
    assert torch.allclose(x, torch.from_numpy(images / 127.5 - 1).float(), atol=1e-6)
    raw, labels = read_cifar_batch(tmp_path / CIFAR10_TRAIN_BATCHES[0])
    assert labels.tolist() == list(range(6))


def test_cifar_reader_refuses_code(tmp_path):
    class Exploit:
        def __reduce__(self):
            return (print, ("pwned",))

    (tmp_path / "evil").write_bytes(pickle.dumps({b"data": Exploit()}))
    with pytest.raises(DataError, match="refusing"):
        read_cifar_batch(tmp_path / "evil")


def test_missing_files_name_them(tmp_path):
    with pytest.raises(DataError) as info:
        load_mnist(tmp_path)
    message = str(info.value)
    assert "train-images-idx3-ubyte.gz" in message and "--download" in message
    assert "\n" not in message
    with pytest.raises(DataError, match="data_batch_1"):
        load_cifar10(tmp_path)


def test_checksum_verification(tmp_path):
    path = tmp_path / "file"
    path.write_bytes(b"hello")
    assert md5sum(path) == "5d41402abc4b2a76b9719d911017c592"
    verify_checksum(path, "5d41402abc4b2a76b9719d911017c592")
    with pytest.raises(DataError, match="checksum mismatch"):
        verify_checksum(path, "0" * 32)


def test_batches_fixed_and_sharded():
    real = torch.arange(8.0).unsqueeze(1)
    fixed = GANBatches(real, 3, 8, fixed=True, seed=5)
    a, b = fixed.next(None), fixed.next(None)
    assert a is b and torch.equal(a["real"], real)
    full = GANBatches(real, 3, 4, fixed=False, seed=0).next(torch.Generator().manual_seed(7))
    halves = [GANBatches(real, 3, 4, fixed=False, seed=0, shard=(r, 2))
              .next(torch.Generator().manual_seed(7)) for r in range(2)]
    for key in ("real", "z", "eps"):
        assert torch.equal(torch.cat([h[key] for h in halves]), full[key])
    with pytest.raises(DataError, match="divisible"):
        GANBatches(real, 3, 5, fixed=False, seed=0, shard=(0, 2))


def test_fetch_verifies_and_never_leaves_a_partial_file(tmp_path):
    from neural.training.data import RemoteFile, fetch

    source = tmp_path / "source.gz"
    source.write_bytes(b"hello")
    good = RemoteFile("mnist/file.gz", source.as_uri(), "5d41402abc4b2a76b9719d911017c592")
    target = fetch(good, tmp_path / "data")
    assert target.read_bytes() == b"hello"
    assert fetch(good, tmp_path / "data") == target  # present and verified: no download
    bad = RemoteFile("mnist/other.gz", source.as_uri(), "0" * 32)
    with pytest.raises(DataError, match="checksum mismatch"):
        fetch(bad, tmp_path / "data")
    assert sorted(p.name for p in (tmp_path / "data" / "mnist").iterdir()) == ["file.gz"]


def test_cifar_download_extracts_the_archive(tmp_path, monkeypatch):
    import tarfile

    import neural.training.data as data

    source = tmp_path / "src" / "cifar-10-batches-py"
    write_tiny_cifar(source)
    archive = tmp_path / "cifar-10-python.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(source, arcname="cifar-10-batches-py")
    remote = data.RemoteFile("cifar-10-python.tar.gz", archive.as_uri(), md5sum(archive))
    monkeypatch.setattr(data, "CIFAR10_ARCHIVE", remote)
    data.download("cifar10", tmp_path / "data")
    assert load_cifar10(tmp_path / "data").shape == (30, 3, 32, 32)

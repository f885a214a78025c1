"""Training data: the 1-D mixture of Gaussians, MNIST (IDX files) and CIFAR10 (python pickles).

Images come back as float32 tensors scaled to [-1, 1], shape (N, C, H, W). The readers are the
project's own (no torchvision): MNIST's IDX format and CIFAR10's pickled batches, read through a
restricted unpickler that only rebuilds numpy arrays (a data file never runs code).
``download`` fetches the standard files and verifies their MD5 checksums.

One rule for where the files are: a data directory holds the data set's files themselves
(MNIST: ``train-images-idx3-ubyte.gz`` and the other IDX files; CIFAR10: ``data_batch_1`` ...
``data_batch_5``, the contents of the archive's ``cifar-10-batches-py``), by default
``data/mnist`` and ``data/cifar10``.
"""
from __future__ import annotations

import gzip
import hashlib
import math
import pickle
import shutil
import struct
import tarfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from gametheory.errors import GameError
from neural.training.checkpoint import atomic_write


class DataError(GameError):
    """Training data is missing, corrupt, or fails its checksum."""


# --- mixture of Gaussians (paper App. C.1) -----------------------------------------------------

#: (weight, mean, variance) of each component. "paper": App. C.1's 1/2 N(2, 0.5) + 1/2 N(-2, 1);
#: "published": the authors' released code, 1/2 N(2, 1) + 1/2 N(-2, 1).
MOG_MIXTURES = {"paper": ((0.5, 2.0, 0.5), (0.5, -2.0, 1.0)),
                "published": ((0.5, 2.0, 1.0), (0.5, -2.0, 1.0))}


def mog_sample(n: int, generator: torch.Generator, mixture: str = "paper") -> torch.Tensor:
    """``n`` samples of the mixture ``mixture`` (a key of MOG_MIXTURES), shape (n, 1), float32."""
    components = MOG_MIXTURES[mixture]
    weights = torch.tensor([w for w, _, _ in components], dtype=torch.float64)
    means = torch.tensor([m for _, m, _ in components], dtype=torch.float64)
    stds = torch.tensor([math.sqrt(v) for _, _, v in components], dtype=torch.float64)
    component = torch.multinomial(weights, n, replacement=True, generator=generator)
    noise = torch.randn(n, generator=generator, dtype=torch.float64)
    return (means[component] + stds[component] * noise).to(torch.float32).unsqueeze(1)


def mog_cdf(x: np.ndarray, mixture: str = "paper") -> np.ndarray:
    """Exact CDF of the mixture ``mixture`` at ``x``."""
    from scipy.stats import norm

    x = np.asarray(x, dtype=np.float64)
    return sum(w * norm.cdf(x, loc=m, scale=math.sqrt(v)) for w, m, v in MOG_MIXTURES[mixture])


def mog_pdf(x: np.ndarray, mixture: str = "paper") -> np.ndarray:
    """Exact density of the mixture ``mixture`` at ``x``."""
    from scipy.stats import norm

    x = np.asarray(x, dtype=np.float64)
    return sum(w * norm.pdf(x, loc=m, scale=math.sqrt(v)) for w, m, v in MOG_MIXTURES[mixture])


# --- file formats --------------------------------------------------------------------------------

_IDX_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path: str | Path) -> np.ndarray:
    """Read an IDX file (MNIST's format), gzipped or not: magic ``00 00 type ndim``, then
    ``ndim`` big-endian uint32 sizes, then the data."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as handle:
            raw = handle.read()
    except (OSError, EOFError) as error:
        raise DataError(f"cannot read IDX file {path}: {error}") from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_DTYPES:
        raise DataError(f"{path} is not an IDX file (bad magic number)")
    ndim = raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DataError(f"{path}: truncated IDX header")
    shape = struct.unpack(f">{ndim}I", raw[4:header])
    dtype = np.dtype(_IDX_DTYPES[raw[2]])
    expected = int(np.prod(shape)) * dtype.itemsize
    if len(raw) - header != expected:
        raise DataError(f"{path}: IDX payload has {len(raw) - header} bytes, expected {expected}")
    return np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape)


class _NumpyOnlyUnpickler(pickle.Unpickler):
    """Unpickler that rebuilds numpy arrays and plain containers and refuses anything else."""

    _ALLOWED = {
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        ("_codecs", "encode"),  # bytes written by Python 3 at protocol 2
    }

    def find_class(self, module, name):
        if (module, name) in self._ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"refusing to load {module}.{name}")


def read_cifar_batch(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """Read one CIFAR10 python batch: uint8 images (N, 3, 32, 32) and int64 labels (N,)."""
    path = Path(path)
    try:
        with open(path, "rb") as handle:
            entry = _NumpyOnlyUnpickler(handle, encoding="bytes").load()
        data = np.asarray(entry[b"data"], dtype=np.uint8)
        labels = np.asarray(entry[b"labels"], dtype=np.int64)
    except (OSError, EOFError, pickle.UnpicklingError, KeyError, TypeError, ValueError) as error:
        raise DataError(f"cannot read CIFAR10 batch {path}: {error}") from None
    if data.ndim != 2 or data.shape[1] != 3 * 32 * 32 or len(labels) != len(data):
        raise DataError(f"{path}: expected data of shape (N, 3072) and N labels")
    return data.reshape(-1, 3, 32, 32), labels


def to_unit_range(images: np.ndarray) -> torch.Tensor:
    """uint8 images in [0, 255] -> float32 in [-1, 1]."""
    return torch.from_numpy(np.asarray(images, dtype=np.float32)) / 127.5 - 1.0


# --- the standard files --------------------------------------------------------------------------


@dataclass(frozen=True)
class RemoteFile:
    """A file of a standard data set: where it lives locally and where to fetch it."""

    name: str  # path relative to the data directory
    url: str
    md5: str


_MNIST_URL = "https://ossci-datasets.s3.amazonaws.com/mnist/"
MNIST_FILES = {
    "train-images": RemoteFile("train-images-idx3-ubyte.gz",
                               _MNIST_URL + "train-images-idx3-ubyte.gz",
                               "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
    "train-labels": RemoteFile("train-labels-idx1-ubyte.gz",
                               _MNIST_URL + "train-labels-idx1-ubyte.gz",
                               "d53e105ee54ea40749a09fcbcd1e9432"),
    "test-images": RemoteFile("t10k-images-idx3-ubyte.gz",
                              _MNIST_URL + "t10k-images-idx3-ubyte.gz",
                              "9fb629c4189551a2d022fa330f9573f3"),
    "test-labels": RemoteFile("t10k-labels-idx1-ubyte.gz",
                              _MNIST_URL + "t10k-labels-idx1-ubyte.gz",
                              "ec29112dd5afa0611ce80d1b7f02629c"),
}
CIFAR10_ARCHIVE = RemoteFile("cifar-10-python.tar.gz",
                             "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",
                             "c58f30108f718f92721af3b95e74349a")
CIFAR10_ARCHIVE_FOLDER = "cifar-10-batches-py"  # the archive's files are under this folder
CIFAR10_TRAIN_BATCHES = tuple(f"data_batch_{i}" for i in range(1, 6))
MNIST_TRAIN_SIZE = 50_000  # paper App. C.2: the first 50,000 training images


def data_directory(dataset: str, data_dir: str | Path | None = None) -> Path:
    """Where the files of ``dataset`` are: ``data_dir`` itself, by default ``data/<dataset>``."""
    return Path("data") / dataset if data_dir is None else Path(data_dir)


def md5sum(path: str | Path) -> str:
    digest = hashlib.md5()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def verify_checksum(path: str | Path, md5: str) -> None:
    """Raise DataError unless the file's MD5 is ``md5``."""
    actual = md5sum(path)
    if actual != md5:
        raise DataError(f"checksum mismatch for {path}: md5 {actual}, expected {md5}")


def fetch(remote: RemoteFile, data_dir: str | Path) -> Path:
    """Download ``remote`` into ``data_dir`` (atomically) unless a verified copy is there."""
    target = Path(data_dir) / remote.name
    if target.exists():
        verify_checksum(target, remote.md5)
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    try:
        with urllib.request.urlopen(remote.url, timeout=60) as response, open(partial, "wb") as out:
            for chunk in iter(lambda: response.read(1 << 20), b""):
                out.write(chunk)
    except OSError as error:
        partial.unlink(missing_ok=True)
        raise DataError(f"cannot download {remote.url}: {error}") from None
    try:
        verify_checksum(partial, remote.md5)
    except DataError:
        partial.unlink(missing_ok=True)
        raise
    partial.replace(target)
    return target


def extract_cifar10(archive: Path, data_dir: Path) -> None:
    """Write the files of the archive's ``cifar-10-batches-py`` folder into ``data_dir``
    itself. Only plain files directly in that folder are written, under their own names, so
    no member can land outside ``data_dir``."""
    with tarfile.open(archive, "r:gz") as tar:
        for member in tar.getmembers():
            folder, _, name = member.name.partition("/")
            if (folder != CIFAR10_ARCHIVE_FOLDER or not member.isfile() or "/" in name
                    or name in ("", ".", "..")):
                continue
            with tar.extractfile(member) as source:
                atomic_write(data_dir / name, lambda handle: shutil.copyfileobj(source, handle))


def download(dataset: str, data_dir: str | Path | None = None) -> None:
    """Fetch and verify the standard files of ``dataset`` ('mnist' or 'cifar10') into its data
    directory (``data_directory``)."""
    data_dir = data_directory(dataset, data_dir)
    if dataset == "mnist":
        for remote in MNIST_FILES.values():
            fetch(remote, data_dir)
    elif dataset == "cifar10":
        extract_cifar10(fetch(CIFAR10_ARCHIVE, data_dir), data_dir)
    else:
        raise DataError(f"nothing to download for data set {dataset!r}")


def _require(what: str, names: list[str], data_dir: Path, folders: tuple[str, ...]) -> None:
    """Raise DataError naming the missing files, and one of ``folders`` (sub-folders where the
    files often are) that holds them all."""
    missing = [str(data_dir / name) for name in names if not (data_dir / name).exists()]
    if not missing:
        return
    found = [data_dir / sub for sub in folders if all((data_dir / sub / n).exists() for n in names)]
    hint = (f"; they are in {found[0]}: pass --data-dir {found[0]} (the directory that holds "
            "the files themselves)" if found else
            f"; put the standard files there, or pass --download to fetch them into {data_dir}")
    raise DataError(f"{what} files missing: {', '.join(missing)}{hint}")


# --- data sets as tensors ----------------------------------------------------------------------


def load_mnist(data_dir: str | Path | None = None, split: str = "train",
               limit: int | None = MNIST_TRAIN_SIZE, with_labels: bool = False):
    """MNIST images (N, 1, 28, 28) in [-1, 1] (and int64 labels when ``with_labels``) from the
    IDX files in ``data_dir`` (default ``data/mnist``).

    ``split='train'`` keeps the first ``limit`` training images (50,000 as in the paper)."""
    data_dir = data_directory("mnist", data_dir)
    images_file = data_dir / MNIST_FILES[f"{split}-images"].name
    labels_file = data_dir / MNIST_FILES[f"{split}-labels"].name
    _require("MNIST", [f.name for f in [images_file] + ([labels_file] if with_labels else [])],
             data_dir, ("mnist",))
    raw = read_idx(images_file)
    if raw.ndim != 3:
        raise DataError(f"{images_file}: expected a 3-D image array, got shape {raw.shape}")
    images = to_unit_range(raw[:limit]).unsqueeze(1)
    if not with_labels:
        return images
    labels = torch.from_numpy(read_idx(labels_file)[:limit].astype(np.int64))
    if len(labels) != len(images):
        raise DataError(f"{labels_file}: {len(labels)} labels for {len(images)} images")
    return images, labels


def load_cifar10(data_dir: str | Path | None = None) -> torch.Tensor:
    """The 50,000 CIFAR10 training images (N, 3, 32, 32) in [-1, 1] from the batches in
    ``data_dir`` (default ``data/cifar10``)."""
    data_dir = data_directory("cifar10", data_dir)
    _require("CIFAR10", list(CIFAR10_TRAIN_BATCHES), data_dir, ("cifar10", CIFAR10_ARCHIVE_FOLDER))
    return to_unit_range(np.concatenate([read_cifar_batch(data_dir / name)[0]
                                         for name in CIFAR10_TRAIN_BATCHES]))


def load_images(dataset: str, data_dir: str | Path | None = None) -> torch.Tensor:
    """Training images of an image data set."""
    if dataset == "mnist":
        return load_mnist(data_dir)
    if dataset == "cifar10":
        return load_cifar10(data_dir)
    raise DataError(f"unknown image data set {dataset!r}")



# --- GAN batches ---------------------------------------------------------------------------------


class GANBatches:
    """Batches for the GAN losses of ``neural.training.losses``: {"real", "z", "eps"}, plus
    ``"fake"`` = frozen(z) when a ``frozen`` generator is given (a one-player run's fixed
    samples, computed without gradient, once for the fixed batch).

    ``real`` holds the training samples. With ``fixed`` (the MoG full batch) latent vectors and
    gradient-penalty weights are drawn once from ``seed`` and every batch is the same full
    batch; otherwise each batch draws sample indices, latents and weights from the generator
    handed to ``next`` (so a run is reproducible from that generator's state). Under data
    parallelism every rank draws the same global batch and keeps its ``shard`` = (rank, world
    size) slice, so the union over ranks is the single-process batch.
    """

    def __init__(self, real: torch.Tensor, latent_dim: int, batch_size: int, *, fixed: bool,
                 seed: int, shard: tuple[int, int] = (0, 1), device=None,
                 frozen: torch.nn.Module | None = None):
        rank, world = shard
        if batch_size % world:
            raise DataError(f"batch size {batch_size} is not divisible by {world} processes")
        if fixed and batch_size != len(real):
            raise DataError("a fixed (full) batch needs batch size = number of samples")
        self.real, self.latent_dim, self.batch_size = real, latent_dim, batch_size
        self.rank, self.world, self.device, self.frozen = rank, world, device, frozen
        self._fixed = self.draw(torch.Generator().manual_seed(seed), batch_size) if fixed else None

    def draw(self, generator: torch.Generator, size: int) -> dict[str, torch.Tensor]:
        """A fresh global batch of ``size`` samples, sharded for this rank, on the device."""
        if size > len(self.real):
            raise DataError(f"batch size {size} exceeds the {len(self.real)} samples")
        if size == len(self.real):
            real = self.real
        else:
            real = self.real[torch.randint(len(self.real), (size,), generator=generator)]
        z = torch.randn(size, self.latent_dim, generator=generator)
        eps = torch.rand(size, generator=generator)
        lo, hi = self.rank * size // self.world, (self.rank + 1) * size // self.world
        batch = {key: value[lo:hi].to(self.device)
                 for key, value in {"real": real, "z": z, "eps": eps}.items()}
        if self.frozen is not None:
            with torch.no_grad():
                batch["fake"] = self.frozen(batch["z"])
        return batch

    def next(self, generator: torch.Generator) -> dict[str, torch.Tensor]:
        return self._fixed if self._fixed is not None else self.draw(generator, self.batch_size)

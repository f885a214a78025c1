"""Fixture writers: tiny data sets in the on-disk formats the readers in ``neural.training.data`` accept."""
from __future__ import annotations

import gzip
import pickle
import struct
from pathlib import Path

import numpy as np


def write_idx(path: str | Path, array: np.ndarray) -> None:
    """Write a uint8 array as an IDX file (gzipped when the name ends in .gz), as MNIST ships."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    payload = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    payload += array.tobytes()
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "wb") as handle:
        handle.write(payload)


def write_cifar_batch(path: str | Path, images: np.ndarray, labels) -> None:
    """Write a CIFAR10-format python batch (protocol 2, bytes keys)."""
    entry = {
        b"batch_label": b"written by gametheory",
        b"labels": [int(label) for label in labels],
        b"data": np.ascontiguousarray(images, dtype=np.uint8).reshape(len(images), -1),
        b"filenames": [b"%d.png" % i for i in range(len(images))],
    }
    with open(path, "wb") as handle:
        pickle.dump(entry, handle, protocol=2)

"""The one parser of device and dtype options: ``auto`` (or None), ``cpu``, ``cuda`` or
``cuda:N``; ``auto``, ``float32`` or ``float64``. A device that is unknown or absent on this
machine is a one-line :class:`~gametheory.errors.OptionError`."""
from __future__ import annotations

import re

import torch

from gametheory.errors import OptionError

DEVICES = "auto, cpu, cuda or cuda:N"
DTYPES = {"auto": None, "float32": torch.float32, "float64": torch.float64}


def parse_device(device: str | torch.device | None, option: str = "--device") -> torch.device:
    """``device`` as a ``torch.device``; ``auto`` or None: CUDA when available, else the CPU.

    >>> parse_device("cpu")
    device(type='cpu')
    """
    if isinstance(device, torch.device):
        device = str(device)
    if device is None or device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    match = re.fullmatch(r"(cpu|cuda)(?::(\d+))?", device)
    if match is None:
        raise OptionError(f"{option} must be {DEVICES}, got {device!r}")
    if match[1] == "cuda":
        if not torch.cuda.is_available():
            raise OptionError(f"{option} {device}: no CUDA device is available on this machine")
        if match[2] is not None and int(match[2]) >= torch.cuda.device_count():
            raise OptionError(f"{option} {device}: this machine has {torch.cuda.device_count()} "
                              "CUDA device(s), numbered from 0")
    return torch.device(device)


def parse_dtype(dtype: str | torch.dtype | None, option: str = "--dtype") -> torch.dtype | None:
    """``float32`` or ``float64`` as a torch dtype; ``auto`` or None: None (the caller's default).

    >>> parse_dtype("float64")
    torch.float64
    """
    if dtype is None or isinstance(dtype, torch.dtype):
        return dtype
    if dtype not in DTYPES:
        raise OptionError(f"{option} must be auto, float32 or float64, got {dtype!r}")
    return DTYPES[dtype]

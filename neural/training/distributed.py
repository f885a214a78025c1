"""Data-parallel training over torch.distributed (launched with ``torchrun``).

Every rank holds the full models, draws the same global batch and keeps its slice
(``neural.training.data.GANBatches``); after each gradient evaluation the gradients (and the logged
losses) are averaged across ranks with one all-reduce, which is what DistributedDataParallel
does. The averaging is explicit because a game's gradients come from one ``autograd.grad`` per
player rather than ``.backward()``, which DDP's hooks expect. With equal slices the average of
the slice means is the global-batch mean, so every rank takes the step of the single-process
run on the global batch (equal up to floating-point summation order). Rank 0 writes
checkpoints, metrics and samples. Batch-norm statistics stay per rank (as in plain DDP).
"""
from __future__ import annotations

import os

import torch
import torch.distributed as dist

from neural.devices import parse_device


class DataParallel:
    """This process's place in an initialised process group."""

    def __init__(self, rank: int, world_size: int):
        self.rank, self.world_size = rank, world_size

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    def average_(self, tensors: list[torch.Tensor]) -> None:
        """Replace each tensor by its mean over ranks (one flat all-reduce)."""
        flat = torch.cat([t.reshape(-1) for t in tensors])
        dist.all_reduce(flat)
        flat /= self.world_size
        offset = 0
        for t in tensors:
            t.copy_(flat[offset:offset + t.numel()].view_as(t))
            offset += t.numel()

    def barrier(self) -> None:
        dist.barrier()


def from_environment(device: str | torch.device | None = None) -> tuple[DataParallel | None, torch.device]:
    """(DataParallel, device) when launched by torchrun with WORLD_SIZE > 1, else (None,
    device); ``device`` as :func:`neural.devices.parse_device` reads it. Uses NCCL and one GPU
    per local rank on CUDA, gloo on CPU."""
    device = parse_device(device)
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    if world_size <= 1:
        return None, device
    use_cuda = device.type == "cuda"
    if use_cuda:
        local_rank = int(os.environ.get("LOCAL_RANK", "0"))
        torch.cuda.set_device(local_rank)
        device = torch.device("cuda", local_rank)
    if not dist.is_initialized():
        dist.init_process_group("nccl" if use_cuda else "gloo")
    return DataParallel(dist.get_rank(), dist.get_world_size()), device


def shutdown() -> None:
    """Leave the process group, if one was joined."""
    if dist.is_initialized():
        dist.destroy_process_group()

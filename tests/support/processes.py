"""Process groups in tests: gloo workers on CPU started with torch.multiprocessing (fork)."""
import socket
import time

import pytest
import torch.multiprocessing as mp


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def spawn(worker, *args, nprocs: int = 2, limit: float = 120.0) -> None:
    """Run ``worker(rank, nprocs, port, *args)`` in ``nprocs`` forked processes; fail the test
    if they do not all finish within ``limit`` seconds (or one fails)."""
    context = mp.start_processes(worker, args=(nprocs, free_port(), *args), nprocs=nprocs,
                                 join=False, start_method="fork")
    deadline = time.monotonic() + limit
    while not context.join(timeout=5):
        if time.monotonic() > deadline:
            for process in context.processes:
                process.kill()
            pytest.fail(f"the {nprocs} workers did not finish within {limit:.0f} s")

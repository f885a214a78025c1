"""Shared by the benchmarks: time a baseline in a child process that is killed at a time-out
(so that a baseline which never finishes still gives a row: "> timeout")."""
from __future__ import annotations

import multiprocessing as mp
import time


def _timed(target, argument, queue) -> None:
    start = time.perf_counter()
    target(argument)
    queue.put(time.perf_counter() - start)


def time_in_child(target, argument, timeout: float) -> float | None:
    """Seconds ``target(argument)`` took in a child process, or None past ``timeout``."""
    queue = mp.Queue()
    proc = mp.Process(target=_timed, args=(target, argument, queue))
    proc.start()
    proc.join(timeout)
    if proc.is_alive():
        proc.terminate()
        proc.join()
        return None
    return queue.get()

"""Analysis under torchrun: a game's evaluation batches sharded over the ranks of a process group.

Every rank builds the game (its batches are drawn from a seed, so every rank draws them all) and
keeps a contiguous share (:func:`shard_game`; a training run's batches are first split into
equal slices of samples where the ranks outnumber them, ``neural.targets.split_for_ranks``). Rank 0, the driver, runs the analysis (ARPACK and
Lanczos, dense LAPACK, path-angle, the report); every other rank serves it (:func:`serve`). Each
batch-averaged entry point of the game and of its Jacobian operators (``NeuralGame.vector_field``,
``losses``, ``mean_field_and_losses``, ``JacobianOperator._apply`` and ``release``) first
announces itself: the driver broadcasts (target, method, arguments) and the serving ranks make
the same call. Then every rank sums the quantity over its own batches and one all-reduce divides
the sum over all ranks by the number of batches: the single-process average, up to the order of
summation. An operator built on the driver is announced as well and mirrored on every rank under
the same id; a mirror the driver no longer holds is dropped with the next announcement. The
driver's ``stop`` ends the serving loops.

The fast path (``neural.plugins``) works per shard: its field and ``J u`` are per batch, and
whether it reproduces autograd is checked on every rank's batches and agreed with an all-reduce
(:func:`shard_game` decides it on all ranks at once, before serving), so every rank computes
the same kind of product. Path-angle's precomputed fast-path line and its vmap chunks are
bypassed under torchrun: one alpha at a time through ``mean_field_and_losses``.
"""
from __future__ import annotations

import os
import weakref
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import torch
import torch.distributed as dist
from torch.utils._pytree import tree_map

from gametheory.errors import OptionError
from neural.game import NeuralGame
from neural.operators import JacobianOperator
from neural.training.distributed import from_environment, shutdown

SERVED = frozenset({"vector_field", "losses", "mean_field_and_losses", "_apply", "release"})
"""The methods a serving rank runs when the driver announces them (``_new`` builds a mirror)."""


def _to(device: torch.device | str, tree):
    """The tensors of a pytree moved to ``device`` (CPU to pickle them, the game's on arrival)."""
    return tree_map(lambda x: x.to(device) if isinstance(x, torch.Tensor) else x, tree)


class Shard:
    """This rank's place among the ``world_size`` ranks that share ``total`` evaluation batches;
    the game's batch averages and announcements go through it (``neural.game.AllBatches`` is
    the one-process counterpart)."""

    def __init__(self, rank: int, world_size: int, total: int, device: torch.device):
        self.rank, self.world_size, self.total, self.device = rank, world_size, total, device
        self._mirrors: dict[int, object] = {}
        self._next_id = 1  # 0 is the game
        self._dropped: list[int] = []

    @property
    def is_driver(self) -> bool:
        return self.rank == 0

    def announce(self, target: int | None, method: str, *args) -> None:
        """On the driver: have the serving ranks call ``method(*args)`` of the object ``target``
        (0: the game). Elsewhere nothing: a serving rank is already making that call."""
        if self.is_driver:
            self._send((target, method, _to("cpu", args)))

    def expose(self, operator: JacobianOperator) -> int | None:
        """On the driver: announce a new operator (its ``spec``) and return its id; elsewhere
        None (the serving loop keys the mirror it builds)."""
        if not self.is_driver:
            return None
        ident, self._next_id = self._next_id, self._next_id + 1
        self._send((ident, "_new", _to("cpu", (operator.spec,))))
        weakref.finalize(operator, self._dropped.append, ident)
        return ident

    def stop(self) -> None:
        """On the driver: end the serving loops."""
        if self.is_driver:
            self._send((None, "stop", ()))

    def _send(self, command: tuple) -> None:
        dropped, self._dropped = self._dropped, []
        dist.broadcast_object_list([command, dropped], src=0)

    def _receive(self) -> tuple:
        box = [None, None]
        dist.broadcast_object_list(box, src=0)
        command, dropped = box
        for ident in dropped:
            self._mirrors.pop(ident, None)
        target, method, args = command
        return target, method, _to(self.device, args)

    def mean(self, sums: Sequence[torch.Tensor]) -> list[torch.Tensor]:
        """Each local sum over this rank's batches summed over all ranks (one all-reduce) and
        divided by the number of batches."""
        flat = torch.cat([s.reshape(-1) for s in sums])
        dist.all_reduce(flat)
        flat = flat / self.total
        out, start = [], 0
        for s in sums:
            out.append(flat[start:start + s.numel()].view_as(s))
            start += s.numel()
        return out

    def agree(self, flag: bool) -> bool:
        """True iff ``flag`` is true on every rank."""
        value = torch.tensor([1 if flag else 0], device=self.device)
        dist.all_reduce(value, op=dist.ReduceOp.MIN)
        return bool(value.item())


def shard_game(game: NeuralGame, rank: int | None = None, world_size: int | None = None) -> Shard:
    """Keep this rank's contiguous share of ``game``'s evaluation batches (rank and world size
    of the initialised process group by default) and decide the fast path on all ranks at once.
    A collective call: every rank of the group makes it."""
    rank = dist.get_rank() if rank is None else rank
    world_size = dist.get_world_size() if world_size is None else world_size
    total = len(game.batches)
    if world_size > total:
        raise OptionError(f"{world_size} processes share {total} evaluation batch(es): run at most "
                          f"{total} (torchrun --nproc-per-node)")
    shard = Shard(rank, world_size, total, game.device)
    low, high = rank * total // world_size, (rank + 1) * total // world_size
    game.keep_batches(shard, game.batches[low:high])
    game.fast_path()
    return shard


def serve(game: NeuralGame) -> None:
    """A serving rank's loop: make every call the driver announces, until it stops."""
    shard = game.shard
    shard._mirrors[0] = game
    while True:
        target, method, args = shard._receive()
        if method == "stop":
            shard._mirrors.clear()
            return
        if method == "_new":
            shard._mirrors[target] = JacobianOperator(game, **args[0])
        elif method in SERVED:
            getattr(shard._mirrors[target], method)(*args)
        else:
            raise RuntimeError(f"the driver announced {method!r}, which no rank serves")


@contextmanager
def sharded(game: NeuralGame) -> Iterator[bool]:
    """``with sharded(game) as driving:`` shards ``game`` over the initialised process group;
    on rank 0 the block runs the analysis (``driving`` True) and its end stops the serving
    ranks, which serve inside ``with`` and enter the block with ``driving`` False. Without a
    process group the block simply runs (True)."""
    if not dist.is_initialized():
        yield True
        return
    shard = shard_game(game)
    if not shard.is_driver:
        serve(game)
        yield False
        return
    try:
        yield True
    finally:
        shard.stop()


# --- the CLI's use: one process group per command ---------------------------------------------
_driving: list[Shard] = []


def launched() -> bool:
    """Is this process one of several started by torchrun (``WORLD_SIZE > 1``)?"""
    return int(os.environ.get("WORLD_SIZE", "1")) > 1


def serving_rank() -> bool:
    """Is this process a serving rank (``RANK`` > 0) of a torchrun launch?"""
    return launched() and int(os.environ.get("RANK", "0")) > 0


@contextmanager
def analysis_group(device: str | None) -> Iterator[str]:
    """Under torchrun: join the process group (gloo on CPU, NCCL with one GPU per local rank;
    ``neural.training.distributed``) and yield this rank's device; at the end the driver stops
    the ranks serving the games it sharded (:func:`lead`) and every rank leaves the group."""
    _, rank_device = from_environment(device)
    try:
        yield str(rank_device)
    finally:
        while _driving:
            _driving.pop().stop()
        shutdown()


def lead(game: NeuralGame) -> bool:
    """Inside :func:`analysis_group`: shard ``game``; True on the driver (it analyses, and the
    group's end stops the others), False on a serving rank once the driver has stopped it.
    Without a process group: True."""
    if not dist.is_initialized():
        return True
    shard = shard_game(game)
    if shard.is_driver:
        _driving.append(shard)
        return True
    serve(game)
    return False

"""Checkpoints of training runs: atomic writes, safe loads, and the bridge to analysis.

A run directory holds ``config.json``, ``metrics.jsonl``, ``samples/`` and
``checkpoints/ckpt_<iteration>.pt`` (iteration 0: the initial state). A checkpoint is a dict
of tensors and plain data only (state dicts, optimiser state, parameter averages, RNG states as
uint8 tensors, the config as a dict), written to a temporary file and renamed, and read back
with ``torch.load(weights_only=True)``: loading a checkpoint never runs code. Files of a run get
the permissions of a plain ``open()`` (0666 less the umask).
"""
from __future__ import annotations

import os
import pickle
import re
import secrets
import struct
import zipfile
from pathlib import Path

import torch

from gametheory.errors import GameError

FORMAT = "gametheory-neural-checkpoint/1"
_NAME = re.compile(r"^ckpt_(\d+)\.pt$")


class CheckpointError(GameError):
    """A checkpoint or run directory is missing, corrupt, unreadable, or belongs to another run."""


class CorruptCheckpoint(CheckpointError):
    """The file was read but is no gametheory checkpoint (truncated, corrupt or foreign): unlike
    an I/O or permission failure, a resume may fall back past it."""


_DESERIALISATION = (pickle.UnpicklingError, EOFError, RuntimeError, ValueError, KeyError, IndexError,
                    TypeError, AttributeError, struct.error, zipfile.BadZipFile)
"""What ``torch.load`` raises on bytes it cannot deserialise (its zip reader: RuntimeError)."""


def first_line(error: BaseException) -> str:
    """An exception as one short line (its first line, or its type when it has no text)."""
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def checkpoint_dir(run_dir: str | Path) -> Path:
    return Path(run_dir) / "checkpoints"


def checkpoint_path(run_dir: str | Path, iteration: int) -> Path:
    return checkpoint_dir(run_dir) / f"ckpt_{iteration:08d}.pt"


def _new_temporary(path: Path) -> tuple[int, Path]:
    """A new, uniquely named file next to ``path``, open for writing, created with mode 0666 so
    that the umask applies as for any ``open()`` (``tempfile.mkstemp`` would make it 0600)."""
    while True:
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
        try:
            return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), tmp
        except FileExistsError:
            continue


def atomic_write(path: str | Path, write) -> None:
    """Call ``write(file_object)`` on a temporary file next to ``path``, fsync, then rename it
    over ``path``: readers see the old file or the complete new one, never a truncated one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = _new_temporary(path)
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    try:
        dir_fd = os.open(path.parent, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory fds
        return
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def save_checkpoint(state: dict, path: str | Path) -> Path:
    """Write ``state`` (tensors and plain data) atomically to ``path``."""
    atomic_write(path, lambda handle: torch.save({"format": FORMAT, **state}, handle))
    return Path(path)


def list_checkpoints(run_dir: str | Path) -> list[tuple[int, Path]]:
    """(iteration, path) of every checkpoint of a run, by iteration."""
    folder = checkpoint_dir(run_dir)
    if not folder.is_dir():
        return []
    found = [(int(m.group(1)), p) for p in folder.iterdir() if (m := _NAME.match(p.name))]
    return sorted(found)


def resolve_checkpoint(path: str | Path) -> Path:
    """A checkpoint file itself, or the latest checkpoint of a run directory."""
    path = Path(path)
    if path.is_file():
        return path
    if path.is_dir():
        found = list_checkpoints(path)
        if not found:
            raise CheckpointError(f"{path} holds no checkpoints (expected {checkpoint_dir(path)}"
                                  "/ckpt_<iteration>.pt)")
        return found[-1][1]
    raise CheckpointError(f"no checkpoint or run directory at {path}")


def load_tensors(path: str | Path, what: str = "checkpoint", map_location=None):
    """``torch.load(path, weights_only=True)``: tensors and plain data only, never code. Any
    failure is one line naming ``what``: :class:`CorruptCheckpoint` where the bytes cannot be
    deserialised, a plain CheckpointError with the reason where they cannot be read (OSError:
    permissions, I/O). torch's own message is not shown, since it suggests
    ``weights_only=False``, which would run code from the file."""
    try:
        return torch.load(path, map_location=map_location, weights_only=True)
    except OSError as error:
        raise CheckpointError(f"cannot read {what} {path}: {error.strerror or first_line(error)}") from None
    except _DESERIALISATION:  # corrupt, truncated or foreign files fail in many ways
        raise CorruptCheckpoint(f"cannot read {what} {path}: the file is corrupt or was not "
                                "written by gametheory") from None
    except Exception as error:
        raise CheckpointError(f"cannot read {what} {path}: {type(error).__name__}") from None


def load_checkpoint(path: str | Path, map_location=None) -> dict:
    """Read a checkpoint (file or run directory) with ``weights_only=True``."""
    path = resolve_checkpoint(path)
    state = load_tensors(path, "checkpoint", map_location)
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise CorruptCheckpoint(f"{path} is not a gametheory training checkpoint")
    missing = [key for key in ("config", "iteration", "players") if key not in state]
    if missing:
        raise CorruptCheckpoint(f"{path} is incomplete: no {', '.join(missing)}")
    state["path"] = str(path)
    return state


def set_aside(path: Path) -> Path:
    """Rename an unreadable checkpoint to ``<name>.corrupt`` (or ``.corrupt-2``, ...): the
    file is kept, but is no longer a checkpoint of the run (never listed, pruned or
    overwritten by a later save at its iteration)."""
    target, n = path.with_name(path.name + ".corrupt"), 1
    while target.exists():
        n += 1
        target = path.with_name(f"{path.name}.corrupt-{n}")
    path.rename(target)
    return target


def load_latest_readable(run_dir: str | Path, map_location=None) -> tuple[dict, list[Path]]:
    """The newest checkpoint of a run directory that can be read, and the newer ones that
    could not be deserialised (corrupt, or not written by gametheory), newest first. A file that
    cannot be read at all (permissions, I/O error) stops the search with its reason: it may be
    a good checkpoint."""
    if Path(run_dir).is_file():
        raise CheckpointError(f"{run_dir} is a checkpoint file, not a run directory")
    found = list_checkpoints(run_dir)
    if not found:
        resolve_checkpoint(run_dir)  # raises the reason: no run directory, or no checkpoints
    unreadable, errors = [], []
    for _, path in reversed(found):
        try:
            return load_checkpoint(path, map_location), unreadable
        except CorruptCheckpoint as error:
            unreadable.append(path)
            errors.append(error)
    earlier = f"; none of the {len(found) - 1} earlier ones can be read" if len(found) > 1 else ""
    raise CheckpointError(f"{errors[0]}{earlier}")

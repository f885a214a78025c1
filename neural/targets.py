"""What a neural CLI command analyses: a TARGET string resolved to a ``NeuralGame`` and a state.

- A checkpoint: an existing directory (a training run: its latest checkpoint) or a ``*.pt``
  file. Protocol: ``neural.training.trainer.load_neural_game(path, device=None, dtype=None)`` returns
  ``(NeuralGame at the checkpoint's parameters with a fixed seeded evaluation batch, metadata)``.
- Otherwise a built-in game or a game file (``*.toml``), compiled by the bridge at ``--point``
  (``NAME=VALUE`` per parameter); without ``--point``, at the game's stationary point if it has
  exactly one.
- Path-angle states for symbolic games are point strings ``NAME=VALUE,NAME=VALUE,...``.

Devices and dtypes may be given as option strings (``neural.devices``). Also here: the block
``neural eigs`` analyses (J or a player's Hessian) and the players a path-angle clips.

A TARGET that is none of these is an error naming the closest built-in games and entries of
the directory it points into (a mistyped run directory is not "an unknown game").
"""
from __future__ import annotations

import difflib
import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import sympy as sp
import torch

from gametheory.errors import OptionError, PointError, UnknownGameError
from neural.devices import parse_device, parse_dtype
from neural.game import NeuralGame


@dataclass(frozen=True)
class Target:
    game: NeuralGame
    label: str
    kind: str  # "checkpoint" | "symbolic"
    metadata: dict = field(default_factory=dict)


def is_checkpoint(target: str) -> bool:
    return Path(target).is_dir() or target.endswith(".pt")


def _neighbours(target: str, limit: int = 1000) -> list[str]:
    """Run directories, checkpoints and game files in the directory ``target`` points into
    (its parent), written as ``target`` would name them; at most ``limit`` entries are read."""
    parent = Path(target).parent
    if not parent.is_dir():
        return []
    entries = itertools.islice(parent.iterdir(), limit)
    return [str(entry) for entry in entries
            if not entry.name.startswith(".") and (entry.is_dir() or entry.suffix in (".pt", ".toml"))]


def _closest(target: str, candidates: list[str]) -> str:
    """``; did you mean A, B?`` for the closest candidates (difflib), or an empty string."""
    close = difflib.get_close_matches(target, candidates, n=3, cutoff=0.6)
    return f"; did you mean {', '.join(close)}?" if close else ""


def no_such_target(target: str) -> UnknownGameError:
    """The error for a TARGET that is no run directory, checkpoint or game, with the closest
    matches among the built-in games and the entries next to it."""
    from gametheory import zoo

    hint = _closest(target, zoo.names() + _neighbours(target)) or f"; built-in games: {', '.join(zoo.names())}"
    return UnknownGameError(f"no run directory, checkpoint or game named {target!r}{hint}")


def _exists(target: str) -> bool:
    """Is ``target`` something to analyse: an existing path or a built-in game?"""
    from gametheory import zoo

    return Path(target).exists() or target in zoo.names()


def load_checkpoint_game(path: str, device=None, dtype=None) -> tuple[NeuralGame, dict]:
    """The checkpoint protocol of the training layer (imported lazily)."""
    from neural.training.trainer import load_neural_game

    return load_neural_game(path, device=device, dtype=dtype)


def _symbolic_point(game, points: Sequence[str] | None):
    from gametheory import parsing, stationary_points

    if points:
        return parsing.parse_point(points, game), "--point"
    search = stationary_points(game)
    if len(search.points) == 1 and not search.families:
        return search.points[0].as_dict(game.params), "its stationary point"
    listed = "; ".join(" ".join(f"{s.name}={sp.sstr(v)}" for s, v in zip(game.params, p.values))
                       for p in search.points[:4])
    what = (f"{len(search.points)} stationary points ({listed}{'; ...' if len(search.points) > 4 else ''})"
            if search.points else "no isolated stationary point")
    if search.families:
        what += f" and {len(search.families)} famil{'y' if len(search.families) == 1 else 'ies'}"
    raise PointError(f"{game.name} has {what}: choose the state with --point NAME=VALUE")


def _device_and_dtype(device, dtype) -> tuple[torch.device | None, torch.dtype | None]:
    """Option strings parsed (None stays None: the checkpoint's or the game's own)."""
    return (None if device is None else parse_device(device)), parse_dtype(dtype)


def resolve_target(target: str, points: Sequence[str] | None = None, *, device=None,
                   dtype: torch.dtype | str | None = None) -> Target:
    """A checkpoint, or a symbolic game at ``--point`` (see module docstring)."""
    device, dtype = _device_and_dtype(device, dtype)
    if not _exists(target) and not target.endswith(".toml"):
        raise no_such_target(target)
    if is_checkpoint(target):
        if points:
            raise OptionError("--point applies to built-in games and game files, not checkpoints")
        game, meta = load_checkpoint_game(target, device, dtype)
        return Target(game, str(meta.get("path", target)), "checkpoint", meta)
    from gametheory import resolve_game
    from neural.bridge import compile_game, point_vector

    symbolic = resolve_game(target)
    point, source = _symbolic_point(symbolic, points)
    game = compile_game(symbolic, point, device=device, dtype=dtype or torch.float64)
    values = ", ".join(f"{s.name}={v:g}" for s, v in zip(symbolic.params, point_vector(symbolic, point)))
    return Target(game, f"{symbolic.name} at {values} ({source})", "symbolic")


def block_operator(game: NeuralGame, block: str):
    """The operator ``neural eigs --block`` analyses: ``game``: the Jacobian J; a player's
    name: that player's Hessian of its own loss (a diagonal block of J)."""
    from neural.operators import spectrum_operator

    if block == "game":
        return spectrum_operator(game)
    if block in game.player_names:
        return spectrum_operator(game, player=block)
    raise OptionError(f"--block must be game or a player ({', '.join(game.player_names)}), got {block!r}")


def parse_clips(items: Sequence[str] | None) -> dict[str, float]:
    """``--clip PLAYER=C`` items as ``{player: C}`` (the players are checked against a game
    by :func:`path_request`)."""
    from gametheory.parsing import parse_number

    clips = {}
    for item in items or []:
        name, sep, value = item.partition("=")
        if not sep:
            raise OptionError(f"--clip {item!r} is not of the form PLAYER=C")
        clips[name.strip()] = float(parse_number(value))
    return clips


@dataclass(frozen=True)
class PathRequest:
    """What a path-angle command analyses: the game, the start and end states, the clipping."""

    game: NeuralGame
    start: torch.Tensor
    ends: list[torch.Tensor]
    clip: dict[str, float]


def path_request(start: str, ends: Sequence[str], game_name: str | None = None,
                 clip: Sequence[str] | None = None, *, device=None,
                 dtype: torch.dtype | str | None = None) -> PathRequest:
    """The states of :func:`resolve_path_states` with the ``--clip PLAYER=C`` items parsed and
    checked against the game's players."""
    clips = parse_clips(clip)
    game, start_omega, end_omegas = resolve_path_states(start, ends, game_name, device=device, dtype=dtype)
    for name in clips:
        if name not in game.player_names:
            raise OptionError(f"--clip names unknown player {name!r} (players: {', '.join(game.player_names)})")
    return PathRequest(game, start_omega, end_omegas, clips)


def resolve_path_states(start: str, ends: Sequence[str], game_name: str | None = None, *,
                        device=None, dtype: torch.dtype | str | None = None
                        ) -> tuple[NeuralGame, torch.Tensor, list[torch.Tensor]]:
    """The game and the start/end states of a path-angle request.

    With ``game_name`` (a built-in game or game file) START and END are point strings
    ``NAME=VALUE,...``; otherwise they are checkpoints of one run (the game, its loss and
    evaluation batch, come from START)."""
    device, dtype = _device_and_dtype(device, dtype)
    if game_name is not None:
        from gametheory import parsing, resolve_game
        from neural.bridge import compile_game, point_vector

        symbolic = resolve_game(game_name)

        def state(text: str) -> torch.Tensor:
            items = [item for item in text.split(",") if item.strip()]
            point = parsing.parse_point(items, symbolic)
            return torch.tensor(point_vector(symbolic, point), dtype=dtype or torch.float64)

        start_omega = state(start)
        game = compile_game(symbolic, start_omega.tolist(), device=device, dtype=dtype or torch.float64)
        return game, start_omega, [state(end) for end in ends]
    for text in (start, *ends):
        if not is_checkpoint(text):
            raise OptionError(f"{text!r} is not a checkpoint (a run directory or a .pt file); "
                              "for a built-in game or game file pass --game and NAME=VALUE,... "
                              f"states{_closest(text, _neighbours(text))}")
    game, meta = load_checkpoint_game(start, device, dtype)
    end_states = []
    for text in ends:
        other, other_meta = load_checkpoint_game(text, device, dtype)
        differ = [key for key in ("dataset", "loss", "gp_weight", "latent_dim", "width", "seed")
                  if meta["config"].get(key) != other_meta["config"].get(key)]
        if other.param_count != game.param_count or differ:
            raise OptionError(f"{text} and {start} are not states of the same game "
                              f"(they differ in {', '.join(differ) or 'parameter count'})")
        end_states.append(other.omega())
    return game, game.omega(), end_states

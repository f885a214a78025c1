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

Which point of a checkpoint is analysed (``--at``, :data:`AT`): ``iterate``, the stored
parameters omega; ``extrapolated``, the extragradient look-ahead ``P[omega - eta d(v(omega))]``
(each player's learning rate eta from the run, d the run's direction: v itself, or Adam's from the
optimiser state in the checkpoint, P the run's weight clipping; v on the evaluation batch);
``average``, the parameter average the run keeps (``ema``). Symbolic games have only ``iterate``.

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
from neural.game import AllBatches, NeuralGame


AT = ("iterate", "extrapolated", "average")
"""The points of a checkpoint that can be analysed (module docstring)."""


@dataclass(frozen=True)
class Target:
    game: NeuralGame
    label: str
    kind: str  # "checkpoint" | "symbolic"
    metadata: dict = field(default_factory=dict)
    at: str = "iterate"
    at_detail: dict = field(default_factory=dict)  # how the point was formed (learning rates, ...)


def check_at(at: str) -> str:
    """``at`` if it names a point of :data:`AT`, else the one-line error."""
    if at not in AT:
        raise OptionError(f"--at must be one of {', '.join(AT)}, got {at!r}")
    return at


def _checkpoint_error(message: str) -> Exception:
    from neural.training.checkpoint import CheckpointError

    return CheckpointError(message)


def _parameters(game: NeuralGame, state: dict, at: str) -> dict[str, dict[str, torch.Tensor]]:
    """Each player's ``{parameter name: tensor}`` of a raw checkpoint ``state``: the stored
    parameters, or (``average``) the ``ema`` average, listed in ``module.parameters()`` order."""
    if at != "average":
        return state["players"]
    ema = (state.get("averages") or {}).get("ema")
    if not ema:
        raise _checkpoint_error(f"{state.get('path', 'the checkpoint')} keeps no parameter average "
                                "(ema): --at average needs a run that stores one")
    values = {}
    for name, module in game.modules().items():
        names = [pname for pname, _ in module.named_parameters()]
        if name not in ema or len(ema[name]) != len(names):
            raise _checkpoint_error(f"{state.get('path', 'the checkpoint')}: the ema average of "
                                    f"player {name} does not match its parameters")
        values[name] = dict(zip(names, ema[name]))
    return values


def state_omega(game: NeuralGame, state: dict, at: str = "iterate") -> tuple[torch.Tensor, dict]:
    """The flat state of a raw checkpoint ``state`` (``load_checkpoint``) in ``game``'s layout
    at the point ``at`` (module docstring), and how it was formed."""
    check_at(at)
    values = _parameters(game, state, "average" if at == "average" else "iterate")
    try:
        omega = torch.cat([values[player][pname].reshape(-1).to(game.device, game.dtype)
                           for player, params in game.state_dicts().items() for pname in params])
    except KeyError as error:
        raise _checkpoint_error(f"{state.get('path', 'the checkpoint')} has no parameter {error} "
                                "of this game") from None
    if omega.numel() != game.param_count:
        raise _checkpoint_error(f"{state.get('path', 'the checkpoint')} does not hold this game's "
                                f"{game.param_count} parameters")
    if at == "average":
        return omega, {"average": "ema", "count": int(state["averages"].get("count", 0)),
                       "beta": float(state["averages"].get("beta", float("nan")))}
    if at == "extrapolated":
        return lookahead(game, omega, state)
    return omega, {}


def _learning_rates(game: NeuralGame, state: dict) -> dict[str, float]:
    """Each player's learning rate: the run config's ``lr_<player>``, else the optimiser's group."""
    config, groups = state["config"], (state.get("optimizer") or {}).get("param_groups", [])
    by_group = {group.get("player"): group.get("lr") for group in groups}
    rates = {}
    for name in game.player_names:
        rate = config.get(f"lr_{name.lower()}", by_group.get(name))
        if rate is None:
            raise _checkpoint_error(f"{state.get('path', 'the checkpoint')}: no learning rate of "
                                    f"player {name} in the run config or the optimiser state")
        rates[name] = float(rate)
    return rates


def lookahead(game: NeuralGame, omega: torch.Tensor, state: dict) -> tuple[torch.Tensor, dict]:
    """The extragradient look-ahead of a run's checkpoint ``state`` from ``omega``: its
    method's extrapolation half-step (:func:`extrapolate`), the optimiser state (Adam's
    moments and step count) taken from the checkpoint."""
    from gametheory.dynamics.vocabulary import resolve_method, spec
    from neural.training.optim import METHODS

    config, path = state["config"], state.get("path", "the checkpoint")
    method = spec(resolve_method(config["method"], METHODS))
    if method.scheme != "eg":
        raise OptionError(f"--at extrapolated needs an extragradient run (a look-ahead half-step); "
                          f"{path} was trained with {config['method']}")
    optimiser = state.get("optimizer")
    if method.direction == "adam" and optimiser is None:
        raise _checkpoint_error(f"{path} stores no optimiser state: the Adam extrapolation "
                                f"direction of {config['method']} cannot be formed (use --at iterate)")
    clip = {"D": float(config["clip"])} if config.get("loss") == "wgan" else {}
    rates = _learning_rates(game, state)
    point = extrapolate(game, omega, rates, direction=method.direction,
                        optimiser_state=optimiser if method.direction == "adam" else None,
                        betas=(float(config.get("beta1", 0.5)), float(config.get("beta2", 0.999))),
                        clip=clip)
    return point, {"direction": method.direction, "learning_rates": rates, "clip": clip}


def extrapolate(game: NeuralGame, omega: torch.Tensor, learning_rates: dict[str, float], *,
                direction: str = "gradient", optimiser_state: dict | None = None,
                betas: tuple[float, float] = (0.5, 0.999),
                clip: dict[str, float] | None = None) -> torch.Tensor:
    """``P[omega - eta d(v(omega))]`` per player, one step of the training layer's optimiser
    along ``direction`` (``gradient``: d = v; ``adam``: Adam's direction from
    ``optimiser_state``'s moments, updated with v as the extrapolation step updates them),
    v on the game's evaluation batches, P the clipping of ``clip`` players."""
    from neural.training.optim import make_optimizer

    clip = clip or {}
    field = game.vector_field(omega)
    leaves = {name: [t.detach().clone() for t in tensors.values()]
              for name, tensors in game.state_dicts(omega).items()}
    grads = game.state_dicts(field)
    groups = [{"params": leaves[name], "player": name, "lr": learning_rates[name],
               "clip": clip.get(name)} for name in game.player_names]
    optimiser = make_optimizer("adam" if direction == "adam" else "simgd", groups, betas)
    if optimiser_state is not None:
        try:
            optimiser.load_state_dict(optimiser_state)
        except (ValueError, KeyError, RuntimeError) as error:
            raise _checkpoint_error(f"the optimiser state does not fit this game ({error})") from None
        for group in optimiser.param_groups:  # the run's rates are the ones reported
            group["lr"] = learning_rates[group["player"]]
    for name in game.player_names:
        for leaf, grad in zip(leaves[name], grads[name].values()):
            leaf.grad = grad.clone()
    optimiser.step(lambda: None)
    return torch.cat([leaf.reshape(-1) for name in game.player_names for leaf in leaves[name]])


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
    """The checkpoint protocol of the training layer (imported lazily), with the batches split
    for the ranks of a process group where they are fewer (:func:`split_for_ranks`)."""
    from neural.training.trainer import load_neural_game

    game, meta = load_neural_game(path, device=device, dtype=dtype)
    return split_for_ranks(game), meta


def split_for_ranks(game: NeuralGame) -> NeuralGame:
    """``game`` (a training run's, whose losses are means over samples) with each evaluation
    batch split into equal slices of samples, one per rank, where an initialised process group
    has more ranks than the game has batches (a MoG run's one full batch), so that every rank
    can hold a share (``neural.sharding``). The mean over equal slices of their means is the
    batch's mean: the same game, up to rounding."""
    import torch.distributed as dist

    world = dist.get_world_size() if dist.is_available() and dist.is_initialized() else 1
    if world <= len(game.batches):
        return game
    pieces = []
    for batch in game.batches:
        size = len(next(iter(batch.values())))
        if size % world:
            raise OptionError(f"an evaluation batch of {size} samples does not split into {world} "
                              "equal parts: run a number of processes that divides it")
        pieces += [{key: value[i * size // world:(i + 1) * size // world].clone()
                    for key, value in batch.items()} for i in range(world)]
    game.keep_batches(AllBatches(len(pieces)), pieces)
    return game


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


def device_and_dtype(device, dtype) -> tuple[torch.device | None, torch.dtype | None]:
    """Option strings parsed (None stays None: the checkpoint's or the game's own)."""
    return (None if device is None else parse_device(device)), parse_dtype(dtype)


def checkpoint_at(game: NeuralGame, meta: dict, at: str) -> tuple[torch.Tensor, dict]:
    """The state of a loaded checkpoint (``load_checkpoint_game``) at ``at``: the game's own for
    ``iterate``, else formed from the checkpoint file (:func:`state_omega`)."""
    if check_at(at) == "iterate":
        return game.omega(), {}
    from neural.training.checkpoint import load_checkpoint

    return state_omega(game, load_checkpoint(meta["path"]), at)


def _symbolic_at(at: str) -> None:
    if check_at(at) != "iterate":
        raise OptionError(f"--at {at} applies to checkpoints of a training run; a built-in game "
                          "or game file is analysed at --point")


def resolve_target(target: str, points: Sequence[str] | None = None, *, device=None,
                   dtype: torch.dtype | str | None = None, at: str = "iterate") -> Target:
    """A checkpoint at the point ``at`` (module docstring), or a symbolic game at ``--point``."""
    device, dtype = device_and_dtype(device, dtype)
    check_at(at)
    if not _exists(target) and not target.endswith(".toml"):
        raise no_such_target(target)
    if is_checkpoint(target):
        if points:
            raise OptionError("--point applies to built-in games and game files, not checkpoints")
        game, meta = load_checkpoint_game(target, device, dtype)
        omega, detail = checkpoint_at(game, meta, at)
        game.set_omega(omega)
        label = str(meta.get("path", target)) + ("" if at == "iterate" else f" ({at} point)")
        return Target(game, label, "checkpoint", meta, at, detail)
    _symbolic_at(at)
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
                 dtype: torch.dtype | str | None = None, at: str = "iterate") -> PathRequest:
    """The states of :func:`resolve_path_states` with the ``--clip PLAYER=C`` items parsed and
    checked against the game's players."""
    clips = parse_clips(clip)
    game, start_omega, end_omegas = resolve_path_states(start, ends, game_name, device=device, dtype=dtype,
                                                        at=at)
    for name in clips:
        if name not in game.player_names:
            raise OptionError(f"--clip names unknown player {name!r} (players: {', '.join(game.player_names)})")
    return PathRequest(game, start_omega, end_omegas, clips)


def same_game(config: dict, other: dict) -> list[str]:
    """The configuration keys that make two checkpoints states of different games."""
    keys = ("dataset", "loss", "gp_weight", "gp_at", "latent_dim", "width", "seed", "mog_mixture")
    return [key for key in keys if config.get(key) != other.get(key)]


def resolve_path_states(start: str, ends: Sequence[str], game_name: str | None = None, *,
                        device=None, dtype: torch.dtype | str | None = None, at: str = "iterate"
                        ) -> tuple[NeuralGame, torch.Tensor, list[torch.Tensor]]:
    """The game and the start/end states of a path-angle request.

    With ``game_name`` (a built-in game or game file) START and END are point strings
    ``NAME=VALUE,...``; otherwise they are checkpoints of one run (the game, its loss and
    evaluation batch, come from START), each end state at the point ``at`` (START as stored:
    the path starts where training started)."""
    device, dtype = device_and_dtype(device, dtype)
    check_at(at)
    if game_name is not None:
        _symbolic_at(at)
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
        differ = same_game(meta["config"], other_meta["config"])
        if other.param_count != game.param_count or differ:
            raise OptionError(f"{text} and {start} are not states of the same game "
                              f"(they differ in {', '.join(differ) or 'parameter count'})")
        end_states.append(checkpoint_at(other, other_meta, at)[0])
    return game, game.omega(), end_states

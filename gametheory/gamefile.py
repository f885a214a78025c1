"""Game files (TOML): players in file order, each with ``params`` and a ``loss`` string.

```toml
name = "my-game"          # optional
description = "..."       # optional
[constants]               # optional; numbers or strings such as "1/2"
gamma = "1/2"
[players.G]
params = ["theta1", "theta2"]
loss = "(theta2 - phi*theta1 - 1)**2 - (theta1 + phi*theta2 - 1)**2/2"
[players.D]
params = ["phi"]
loss = "phi*(5*theta1 + 4*theta2 - 9)"
```
Loss strings go through :mod:`gametheory.parsing`: nothing in a file is executed.
"""
from __future__ import annotations

import keyword
import re
from pathlib import Path

import sympy as sp

from .errors import GameError, GameFileError
from .game import Game, Player
from .parsing import FUNCTIONS, CONSTANTS, parse_expression, parse_number

import tomllib

_IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")
_TOP_KEYS = {"name", "description", "constants", "players"}


def _symbol_name(name: object, where: str) -> str:
    if not isinstance(name, str) or not _IDENTIFIER.match(name) or keyword.iskeyword(name):
        raise GameFileError(f"{where}: {name!r} is not a valid name (letters, digits, '_'; starts with a letter)")
    if name in FUNCTIONS or name in CONSTANTS:
        raise GameFileError(f"{where}: {name!r} is reserved (a built-in function or constant)")
    return name


def game_from_dict(data: dict, *, default_name: str = "game") -> Game:
    """Build a Game from the parsed TOML document (see module docstring)."""
    unknown = set(data) - _TOP_KEYS
    if unknown:
        raise GameFileError(f"unknown top-level key(s): {', '.join(sorted(unknown))}")
    name = data.get("name", default_name)
    if not isinstance(name, str):
        raise GameFileError("'name' must be a string")
    constants_raw = data.get("constants", {})
    if not isinstance(constants_raw, dict):
        raise GameFileError("[constants] must be a table of NAME = value")
    constants = {}
    for cname, value in constants_raw.items():
        symbol = sp.Symbol(_symbol_name(cname, "[constants]"), real=True)
        if not isinstance(value, (str, int, float)) or isinstance(value, bool):
            raise GameFileError(f"constant {cname!r}: value must be a number or a string like \"1/2\"")
        try:
            constants[symbol] = parse_number(value)
        except GameError as error:
            raise GameFileError(f"constant {cname!r}: {error}") from None

    players_raw = data.get("players")
    if not isinstance(players_raw, dict) or not players_raw:
        raise GameFileError("no players: add tables [players.NAME] with params and loss")
    declared: dict[str, sp.Symbol] = {s.name: s for s in constants}
    owners: dict[str, str] = {}
    specs = []
    for pname, spec in players_raw.items():
        where = f"player {pname!r}"
        if not isinstance(spec, dict):
            raise GameFileError(f"{where}: must be a table with 'params' and 'loss'")
        extra = set(spec) - {"params", "loss"}
        if extra:
            raise GameFileError(f"{where}: unknown key(s) {', '.join(sorted(extra))}")
        params = spec.get("params")
        if isinstance(params, str):
            params = [params]
        if not isinstance(params, list) or not params:
            raise GameFileError(f"{where}: empty or missing 'params' (a list of parameter names)")
        for param in params:
            _symbol_name(param, where)
            if param in owners:
                raise GameFileError(f"parameter {param!r} is used by players {owners[param]!r} and {pname!r}")
            if param in declared:
                raise GameFileError(f"{where}: {param!r} is already declared as a constant")
            owners[param] = pname
            declared[param] = sp.Symbol(param, real=True)
        if "loss" not in spec:
            raise GameFileError(f"{where}: missing 'loss'")
        if not isinstance(spec["loss"], str):
            raise GameFileError(f"{where}: 'loss' must be a string")
        specs.append((pname, params, spec["loss"]))

    players = []
    for pname, params, loss_text in specs:
        try:
            loss = parse_expression(loss_text, declared)
        except GameError as error:
            raise GameFileError(f"player {pname!r}: {error}") from None
        players.append(Player(pname, [declared[p] for p in params], loss))
    try:
        return Game(*players, constants=constants, name=name, description=data.get("description", ""),
                    source="game file")
    except GameFileError:
        raise
    except GameError as error:
        raise GameFileError(str(error)) from None


def load_game(path: str | Path) -> Game:
    """Read a TOML game file; every problem is a one-line GameFileError."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise GameFileError(f"game file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as error:
        raise GameFileError(f"cannot read {path}: {error}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise GameFileError(f"{path}: invalid TOML: {error}") from None
    try:
        game = game_from_dict(data, default_name=path.stem)
    except GameFileError as error:
        raise GameFileError(f"{path}: {error}") from None
    game.source = game.source or str(path)
    return game

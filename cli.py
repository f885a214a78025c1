"""The ``gametheory`` command line: parse arguments, call the library, render.

Symbolic commands never import torch: everything under ``neural`` is imported lazily inside the
neural commands. User-caused errors (``gametheory.errors.GameError``) print one line and exit 2.
"""
from __future__ import annotations

import functools
import sys

import typer

from gametheory.errors import GameError

app = typer.Typer(
    help="Explore differentiable games: stationary points, LSSP/DNE, rotation, step sizes.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
neural_app = typer.Typer(
    help="Numeric analysis and training of GANs whose players are PyTorch modules.",
    no_args_is_help=True,
)
app.add_typer(neural_app, name="neural")


def user_errors(func):
    """Turn a GameError into one line on stderr and exit code 2."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except GameError as error:
            typer.echo(f"error: {error}", err=True)
            raise typer.Exit(2)

    return wrapper


# --- symbolic commands (issue 2: list, classify, stepsize) ---------------------------------

GAME_HELP = "A built-in game (see `gametheory list`) or a game file (*.toml)."
POINT_HELP = "Analyse this point instead of searching for stationary points: NAME=VALUE, one per parameter."
SET_HELP = "Override a constant of the game: NAME=VALUE (exact values such as 1/2 are kept exact)."


def console(stderr: bool = False):
    from rich.console import Console

    return Console(stderr=stderr, highlight=False)


def load_game_options(game: str, sets: list[str] | None, points: list[str] | None):
    """Resolve GAME, parse ``--set`` against its constants and ``--point`` against its parameters."""
    from gametheory import parsing, resolve_game

    resolved = resolve_game(game)
    constants = parsing.parse_assignments(sets or [], {s.name: s for s in resolved.constants}, "--set")
    point = parsing.parse_point(points, resolved) if points else None
    return resolved, constants, point


def emit_json(document: dict) -> None:
    import json

    typer.echo(json.dumps(document, indent=2, allow_nan=False))


@app.command("list")
@user_errors
def list_games() -> None:
    """The built-in games, one line each."""
    from gametheory import zoo

    width = max(len(name) for name in zoo.names())
    for entry in zoo.ENTRIES:
        typer.echo(f"{entry.name:<{width}}  {entry.description}  [{entry.source}]")


@app.command()
@user_errors
def classify(
    game: str = typer.Argument(..., help=GAME_HELP),
    point: list[str] = typer.Option(None, "--point", help=POINT_HELP),
    set_: list[str] = typer.Option(None, "--set", help=SET_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document on stdout."),
    latex: bool = typer.Option(False, "--latex", help="Print LaTeX instead of the table."),
) -> None:
    """Vector field, Jacobian and every stationary point: LSSP, DNE, rotation, Lemma 4 step size."""
    from gametheory import classify_game, render

    resolved, constants, at = load_game_options(game, set_, point)
    report = classify_game(resolved, constants, at)
    if as_json:
        emit_json(report.to_dict())
    elif latex:
        typer.echo(render.game_report_latex(report))
    else:
        render.print_game_report(report, console())


@app.command()
@user_errors
def stepsize(
    game: str = typer.Argument(..., help=GAME_HELP),
    point: list[str] = typer.Option(None, "--point", help=POINT_HELP),
    set_: list[str] = typer.Option(None, "--set", help=SET_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document on stdout."),
) -> None:
    """Largest step size h for which simultaneous GD converges at each stationary point (Lemma 4)."""
    from gametheory import classify_game, render

    resolved, constants, at = load_game_options(game, set_, point)
    report = classify_game(resolved, constants, at)
    if as_json:
        emit_json(render.stepsize_dict(report))
    else:
        render.print_stepsize(report, console())


# --- game dynamics commands (issue 3: simulate, plot) --------------------------------------

# --- neural analysis commands (issue 4: neural eigs, neural classify, neural path-angle) ---

# --- neural training commands (issue 5: neural train, neural train-classifier) -------------


if __name__ == "__main__":
    sys.exit(app())

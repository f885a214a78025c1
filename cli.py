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

# --- game dynamics commands (issue 3: simulate, plot) --------------------------------------

# --- neural analysis commands (issue 4: neural eigs, neural classify, neural path-angle) ---

# --- neural training commands (issue 5: neural train, neural train-classifier) -------------


if __name__ == "__main__":
    sys.exit(app())

"""The training-method names of both layers: canonical names, their aliases, and what each is made of.

A method is an update scheme (a composition of :mod:`gametheory.dynamics.methods`) stepping along a
direction: the game's field itself (``"gradient"``) or Adam's normalised moments of it (``"adam"``,
numeric layer only: Adam's direction is not differentiable at a stationary point). Each layer accepts
the names it implements, resolves aliases with :func:`resolve_method`, and lists canonical names in
its errors.

>>> resolve_method("extragradient")
'eg'
>>> spec("optimistic-adam")
MethodName(name='optimistic-adam', scheme='ogd', direction='adam')
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..errors import OptionError


@dataclass(frozen=True)
class MethodName:
    """A canonical method name: the update scheme (a symbolic method) and the direction it steps along."""

    name: str
    scheme: str
    direction: str


NAMES = (
    MethodName("simgd", "simgd", "gradient"),
    MethodName("altgd", "altgd", "gradient"),
    MethodName("eg", "eg", "gradient"),
    MethodName("ogd", "ogd", "gradient"),
    MethodName("momentum", "momentum", "gradient"),
    MethodName("consensus", "consensus", "gradient"),
    MethodName("adam", "simgd", "adam"),
    MethodName("extraadam", "eg", "adam"),
    MethodName("optimistic-adam", "ogd", "adam"),
)
"""Every canonical name, symbolic methods first."""

ALIASES = {"gd": "simgd", "extragradient": "eg", "optimistic": "ogd", "eg-adam": "extraadam",
           "ogd-adam": "optimistic-adam"}
"""Other spellings (the numeric layer's former names among them) and the canonical name each means."""

CANONICAL = tuple(n.name for n in NAMES)


def resolve_method(name: str, allowed: Sequence[str] = CANONICAL) -> str:
    """The canonical spelling of ``name`` (case-insensitive, aliases resolved); an OptionError
    listing the ``allowed`` canonical names (and their aliases) when it is not one of them."""
    key = str(name).strip().lower()
    canonical = ALIASES.get(key, key)
    if canonical not in allowed:
        aliases = ", ".join(f"{a} = {c}" for a, c in ALIASES.items() if c in allowed)
        raise OptionError(f"unknown method {name!r}; choose one of {', '.join(allowed)}"
                          + (f" (aliases: {aliases})" if aliases else ""))
    return canonical


def spec(name: str) -> MethodName:
    """What the method ``name`` (any accepted spelling) is made of."""
    canonical = resolve_method(name)
    return next(n for n in NAMES if n.name == canonical)

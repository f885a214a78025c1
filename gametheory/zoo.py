"""Built-in games: the papers' examples, the Dirac GAN family, bilinear and Figure 2 archetypes.

Every game follows the descent convention (each player minimises its loss). Sources:
[B] Berard et al., "A Closer Look at the Optimization Landscapes of GANs" (ICLR 2020);
[M18] Mescheder, Geiger, Nowozin, "Which Training Methods for GANs do actually Converge?"
(ICML 2018).
"""
from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass

import sympy as sp

from .errors import UnknownGameError
from .game import Game, Player

theta, theta1, theta2, phi, psi, gamma = sp.symbols("theta theta1 theta2 phi psi gamma", real=True)


def _f_logistic(s):
    """Mescheder et al.'s f(s) = -log(1 + exp(-s)) for the standard GAN objective."""
    return -sp.log(1 + sp.exp(-s))


def example1() -> Game:
    lg = (theta2 - phi * theta1 - 1) ** 2 - (theta1 + phi * theta2 - 1) ** 2 / 2
    ld = phi * (5 * theta1 + 4 * theta2 - 9)
    return Game(Player("G", (theta1, theta2), lg), Player("D", phi, ld))


def example2() -> Game:
    # Chosen so that its Jacobians are exactly [B]'s eq. (23):
    # v = (theta + (phi^2 - 1)/4, 2 theta + (phi^2 - 1)/4), stationary at (0, +1) and (0, -1).
    l1 = theta ** 2 / 2 + (phi ** 2 - 1) * theta / 4
    l2 = 2 * theta * phi + phi ** 3 / 12 - phi / 4
    return Game(Player("P1", theta, l1), Player("P2", phi, l2))


def example2_printed() -> Game:
    l1 = 4 * theta ** 2 + (phi ** 2 / 2 - 1) * theta
    l2 = (4 * theta - 1) * phi + theta ** 3 / 6
    return Game(Player("P1", theta, l1), Player("P2", phi, l2))


def dirac_gan() -> Game:
    return Game(Player("G", theta, _f_logistic(psi * theta)), Player("D", psi, -_f_logistic(psi * theta)))


def dirac_nsgan() -> Game:
    return Game(Player("G", theta, -_f_logistic(-psi * theta)), Player("D", psi, -_f_logistic(psi * theta)))


def dirac_wgan() -> Game:
    return Game(Player("G", theta, psi * theta), Player("D", psi, -psi * theta))


def dirac_gan_r1() -> Game:
    return Game(Player("G", theta, _f_logistic(psi * theta)),
                Player("D", psi, -_f_logistic(psi * theta) + gamma / 2 * psi ** 2),
                constants={gamma: 1})


def bilinear() -> Game:
    return Game(Player("G", theta, theta * phi), Player("D", phi, -theta * phi))


def attraction() -> Game:
    return Game(Player("P1", theta, theta ** 2 / 2), Player("P2", phi, phi ** 2 / 2))


def rotation() -> Game:
    return bilinear()


def attraction_rotation() -> Game:
    return Game(Player("P1", theta, theta ** 2 / 2 + theta * phi), Player("P2", phi, phi ** 2 / 2 - theta * phi))


@dataclass(frozen=True)
class ZooEntry:
    name: str
    build: Callable[[], Game]
    description: str
    source: str


ENTRIES: tuple[ZooEntry, ...] = (
    ZooEntry("example1", example1,
             "LSSP that is not a DNE: the generator sits on a rotating saddle (dynamic stability).",
             "[B] Example 1, eq. (15)-(18)"),
    ZooEntry("example2", example2,
             "DNE that is not an LSSP at (0, 1); LSSP that is not a DNE at (0, -1). Losses chosen to "
             "reproduce [B]'s Jacobians (23): L1 = theta^2/2 + (phi^2-1) theta/4, "
             "L2 = 2 theta phi + phi^3/12 - phi/4.",
             "[B] Example 2, eq. (23) and its conclusions"),
    ZooEntry("example2-printed", example2_printed,
             "[B]'s eq. (22) as printed. Its field v = (8 theta + phi^2/2 - 1, 4 theta - 1) has no real "
             "stationary point (theta = 1/4 forces phi^2 = -2) and J = [[8, phi], [4, 0]] never "
             "equals eq. (23): a misprint; see `example2` for the consistent game.",
             "[B] Example 2, eq. (22) as printed"),
    ZooEntry("dirac-gan", dirac_gan,
             "Dirac GAN, standard (saturating) loss: purely rotational at (0, 0), not convergent.",
             "[M18] Sec. 2.2, f(s) = -log(1 + exp(-s))"),
    ZooEntry("dirac-nsgan", dirac_nsgan,
             "Dirac GAN, non-saturating generator loss L_G = -f(-psi theta): same Jacobian at (0, 0).",
             "[M18] Sec. 2.2"),
    ZooEntry("dirac-wgan", dirac_wgan,
             "Dirac WGAN, f(s) = s: the bilinear game psi * theta, pure rotation.",
             "[M18] Sec. 2.2"),
    ZooEntry("dirac-gan-r1", dirac_gan_r1,
             "Dirac GAN with the R1 penalty (gamma/2) psi^2 on the discriminator (constant gamma, "
             "default 1): an LSSP for gamma > 0.",
             "[M18] Sec. 4.1"),
    ZooEntry("bilinear", bilinear,
             "Bilinear zero-sum game theta * phi: eigenvalues +-i, pure rotation.",
             "[B] Sec. 3.3; Gidel et al. 2019"),
    ZooEntry("attraction", attraction,
             "Figure 2 archetype: pure attraction, J = I (two decoupled quadratics).",
             "[B] Fig. 2 (left)"),
    ZooEntry("rotation", rotation,
             "Figure 2 archetype: pure rotation, J = [[0, 1], [-1, 0]] (the bilinear game).",
             "[B] Fig. 2 (middle)"),
    ZooEntry("attraction-rotation", attraction_rotation,
             "Figure 2 archetype: attraction and rotation, J = [[1, 1], [-1, 1]], eigenvalues 1 +- i.",
             "[B] Fig. 2 (right)"),
)
_BY_NAME = {entry.name: entry for entry in ENTRIES}


def names() -> list[str]:
    return [entry.name for entry in ENTRIES]


def entry(name: str) -> ZooEntry:
    if name not in _BY_NAME:
        close = difflib.get_close_matches(name, names(), n=3, cutoff=0.5)
        hint = f"; did you mean {', '.join(close)}?" if close else f"; known games: {', '.join(names())}"
        raise UnknownGameError(f"unknown game {name!r}{hint}")
    return _BY_NAME[name]


def get(name: str) -> Game:
    """A fresh instance of the built-in game ``name`` (:func:`names` lists them; an unknown name
    raises :class:`UnknownGameError` with the closest names).

    >>> game = get("dirac-gan-r1")
    >>> [p.name for p in game.players], game.params, game.constants
    (['G', 'D'], (theta, psi), {gamma: 1})
    >>> get("dirac-gn")
    Traceback (most recent call last):
    ...
    gametheory.errors.UnknownGameError: unknown game 'dirac-gn'; did you mean dirac-gan, dirac-wgan, dirac-gan-r1?
    """
    e = entry(name)
    game = e.build()
    game.name, game.description, game.source = e.name, e.description, e.source
    return game

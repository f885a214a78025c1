"""Stability as a function of a game's constants: exact regions from Routh-Hurwitz / Schur-Cohn.

Run: python examples/dynamics_regions.py
"""
import sympy as sp

from gametheory import Game, Player, classify_game, zoo
from gametheory.dynamics.methods import Method
from gametheory.dynamics.regions import H, point_region

# Dirac GAN with the R1 penalty: an LSSP iff gamma > 0, never a DNE (the generator's Hessian is 0).
game = zoo.get("dirac-gan-r1")
report = classify_game(game)
point = dict(zip(report.game.params, report.points[0].values))
for name, method in (("lssp", None), ("dne", None), ("simgd", Method("simgd", h=sp.Rational(1, 2))),
                     ("simgd", Method("simgd", h=H))):
    region = point_region(game, point, name, method=method)
    print(f"{name:<6} {sp.sstr(region.condition):<70} {region.note}")

# A hand-written game with a constant a: the attraction a on P1 against the rotation x*y.
a, x, y = sp.symbols("a x y", real=True)
tilted = Game(Player("P1", x, a * x ** 2 / 2 + x * y), Player("P2", y, -x * y), constants={a: 1}, name="tilted")
for name in ("lssp", "eg"):
    region = point_region(tilted, {x: 0, y: 0}, name, method=Method("eg", h=sp.Rational(1, 2)) if name == "eg" else None)
    print(f"tilted {name}: {sp.sstr(region.condition)}")

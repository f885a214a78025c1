"""A hand-written game in Python: a bilinear game with a small quadratic regulariser.

Run: python examples/custom_game.py
"""
import sympy as sp

from gametheory import Game, Player, classify_game
from gametheory.render.text import print_game_report
from rich.console import Console

x, y = sp.symbols("x y", real=True)
eps = sp.Symbol("epsilon", real=True)

# The generator minimises x*y + eps/2 x^2; the discriminator maximises x*y, i.e. minimises -x*y.
game = Game(
    Player("G", x, x * y + eps / 2 * x**2),
    Player.from_utility("D", y, x * y),
    constants={eps: sp.Rational(1, 10)},
    name="regularised-bilinear",
)

print("vector field:", list(game.vector_field))
print("Jacobian:", game.jacobian.tolist())
print_game_report(classify_game(game), Console())
# Without the regulariser the point is only marginal: the linearisation cannot decide it.
(point,) = classify_game(game, {eps: 0}).points
print("epsilon = 0:", point.stability, "-", point.stability_reason)

"""Classification does not depend on parameter names or the order of a player's parameters."""
import sympy as sp
from hypothesis import given, settings, strategies as st

from gametheory import Game, Player, classify_game

coef = st.integers(-3, 3)


def verdicts(report):
    return sorted((p.stability, p.dne, None if p.step.max_step_size is None else round(p.step.max_step_size, 10))
                  for p in report.points)


@settings(max_examples=25, deadline=None)
@given(st.lists(coef, min_size=11, max_size=11))
def test_renaming_and_reordering(c):
    a1, a2, b = sp.symbols("a1 a2 b", real=True)
    # quadratic losses: v is linear, one stationary point (or a family)
    l1 = c[0] * a1**2 + c[1] * a1 * a2 + c[2] * a2**2 + c[3] * a1 * b + c[4] * a2 * b + c[5] * a1 + a1**2 + a2**2
    l2 = c[6] * b**2 + c[7] * a1 * b + c[8] * a2 * b + c[9] * b + c[10] ** 2 * b**2
    original = classify_game(Game(Player("G", (a1, a2), l1), Player("D", b, l2)))
    x, y, z = sp.symbols("x y z", real=True)
    rename = {a1: y, a2: x, b: z}
    renamed = classify_game(Game(Player("G", (x, y), l1.xreplace(rename)), Player("D", z, l2.xreplace(rename))))
    assert verdicts(original) == verdicts(renamed)
    assert len(original.families) == len(renamed.families)

"""Which training method converges at a stationary point, with which step size, how fast?

Run: python examples/dynamics_methods.py
"""
import sympy as sp

from gametheory import classify_game, zoo
from gametheory.analysis.decompose import helmholtz, lemma9, real_block_diagonal
from gametheory.dynamics.convergence import analyse_steps, local_convergence
from gametheory.dynamics.simulate import iterate
from gametheory.dynamics.methods import Method

half = sp.Rational(1, 2)
for name in ("bilinear", "dirac-gan", "example1"):
    report = classify_game(zoo.get(name))
    point = report.points[0]
    print(f"\n{name} at {dict(zip([s.name for s in point.params], point.values))}: {point.stability}")
    blocks = real_block_diagonal(point.jacobian).blocks
    print("  Proposition 1 blocks:", [(b.kind, round(b.attraction_rate, 4), round(b.rotation_rate, 4)) for b in blocks])
    print(f"  Helmholtz: {helmholtz(point.jacobian).hamiltonian:.0%} Hamiltonian")
    for method in (Method("simgd"), Method("altgd"), Method("eg"), Method("ogd"),
                   Method("altgd", beta=-half), Method("consensus", gamma=1)):
        a = analyse_steps(method, point.jacobian, report.game.slices)
        interval = "none" if a.stable_interval is None else f"0 < h < {a.stable_interval[1]:.4g}"
        best = "" if a.optimal_step_size is None else \
            f", best h = {a.optimal_step_size:.4g} (rate {a.optimal_spectral_radius:.4f} per step)"
        print(f"  {method.label:<18} {interval}{best}  [{'exact' if a.exact else 'numeric'}]")

# An exact verdict at one step size, and the same thing observed by simulation.
report = classify_game(zoo.get("bilinear"))
point = report.points[0]
method = Method("altgd", h=half, beta=-half)
print("\nbilinear, alternating GD with negative momentum:", local_convergence(method, point.jacobian, report.game.slices).reason)
run = iterate(report.game, Method("altgd", h=0.5, beta=-0.5), [1.0, 0.5], 500, target=[0, 0])
print(f"  simulated: {run.verdict}, ||v|| shrinks by {run.rate:.4f} per step")

# Lemma 9 of Mescheder et al. (2017), derived bound vs the printed one.
check = lemma9([[1.0, 1.0], [-1.0, 1.0]], gamma=1.0)
print(f"\nLemma 9 on J = [[1, 1], [-1, 1]], gamma = 1: q = {check.quotient:.4f}, derived bound {check.bound:.4f}, "
      f"printed bound {check.printed_bound:.4f} (violated)")

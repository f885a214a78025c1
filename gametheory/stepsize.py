"""Lemma 4 of Mescheder et al. (2017), in the descent convention.

Simultaneous gradient descent ``omega <- omega - h v(omega)`` is locally convergent at a
stationary point with Jacobian eigenvalues ``l`` (all Re l > 0) iff
``0 < h < min_l 2 Re(l) / |l|^2``; equivalently ``h < 2 min_l Re(1/l)``. (Mescheder's ascent
form ``h < (1/|Re l|) * 2 / (1 + (Im l / Re l)^2)`` with Re l < 0 is the same number.)
Points that are not LSSP have no convergent step size.
"""
from __future__ import annotations

from dataclasses import dataclass

import sympy as sp


def step_bound(eigenvalue: complex) -> float:
    """``2 Re(l) / |l|^2`` for one eigenvalue (Lemma 4's per-eigenvalue bound)."""
    return 2 * eigenvalue.real / abs(eigenvalue) ** 2


@dataclass(frozen=True)
class StepSize:
    """The largest stable SimGD step (``None`` when no step converges) and what binds it."""

    max_step_size: float | None
    exact: sp.Expr | None
    binding_eigenvalue: complex | None
    reason: str

    def to_dict(self) -> dict:
        b = self.binding_eigenvalue
        return {"max_step_size": self.max_step_size,
                "max_step_size_exact": None if self.exact is None else sp.sstr(self.exact),
                "binding_eigenvalue": None if b is None else [b.real, b.imag],
                "step_size_reason": self.reason}


def lemma4(eigenvalues: list[complex], exact_eigenvalues: list[sp.Expr] | None, stability: str) -> StepSize:
    """Lemma 4 bound from the eigenvalues; exact when the eigenvalues are explicit radicals
    (not when they involve implicit CRootOf numbers)."""
    if stability != "LSSP":
        return StepSize(None, None, None, f"no step size converges: the point is {stability}, not LSSP")
    bounds = [step_bound(l) for l in eigenvalues]
    k = min(range(len(bounds)), key=lambda i: (round(bounds[i], 12), -eigenvalues[i].imag))
    exact = None
    if exact_eigenvalues is not None and not any(l.has(sp.CRootOf) for l in exact_eigenvalues):
        candidates = [sp.radsimp(sp.expand(2 * sp.re(sp.expand_complex(1 / l)))) for l in exact_eigenvalues]
        exact = min(candidates, key=lambda e: sp.N(e, 30))
        bounds[k] = float(sp.N(exact, 30))
    return StepSize(bounds[k], exact, eigenvalues[k],
                    "SimGD converges locally iff 0 < h < min 2 Re(l)/|l|^2 (Lemma 4)")

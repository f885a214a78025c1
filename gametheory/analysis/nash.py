"""Differential Nash equilibria: definiteness of each player's Hessian of its own loss.

A stationary point is a DNE iff every player's Hessian ``d^2 L_i / d theta_i^2`` is positive
definite. The inertia (numbers of positive, negative and zero eigenvalues) of an exact symmetric
matrix is read off its characteristic polynomial by Descartes' rule of signs, which is exact
when all roots are real, as they are for a symmetric matrix.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sympy as sp

from .criteria import sign_changes
from .spectrum import X, characteristic_polynomial


@dataclass(frozen=True)
class Inertia:
    positive: int
    negative: int
    zero: int

    @property
    def status(self) -> str:
        if self.negative == 0 and self.zero == 0:
            return "positive definite"
        if self.negative == 0:
            return "positive semidefinite (singular)"
        if self.positive == 0 and self.zero == 0:
            return "negative definite"
        if self.positive == 0:
            return "negative semidefinite"
        return "indefinite"

    @property
    def meaning(self) -> str:
        return {
            "positive definite": "strict local minimum of its loss",
            "positive semidefinite (singular)": "not a strict minimum: possibly a non-strict local Nash equilibrium",
            "negative definite": "local maximum of its loss",
            "negative semidefinite": "no descent-stable direction: at best a degenerate maximum",
            "indefinite": "saddle point of its loss",
        }[self.status]


def exact_inertia(hessian: sp.Matrix) -> Inertia | None:
    """Inertia of an exact symmetric matrix via Descartes' rule; None if not exact."""
    poly = characteristic_polynomial(hessian)
    return None if poly is None else polynomial_inertia(poly)


def polynomial_inertia(poly: sp.Poly) -> Inertia:
    """Inertia from a characteristic polynomial whose roots are all real (a symmetric matrix):
    Descartes' rule is then exact. Raises :class:`~gametheory.analysis.fields.UndecidedSign` when a
    coefficient's sign cannot be certified."""
    coeffs = poly.rep.to_list()
    zero = 0
    while coeffs and not coeffs[-1]:
        coeffs.pop()
        zero += 1
    positive = sign_changes(poly.domain, coeffs)
    reflected = poly.compose(sp.Poly(-X, X, domain=poly.domain)).rep.to_list()[: len(coeffs)]
    negative = sign_changes(poly.domain, reflected)
    return Inertia(positive, negative, zero)


def numeric_inertia(hessian: np.ndarray, tol: float) -> Inertia:
    """Inertia from symmetric eigenvalues; |eigenvalue| <= tol counts as zero."""
    values = np.linalg.eigvalsh((hessian + hessian.T) / 2) if hessian.size else np.array([])
    return Inertia(int(np.sum(values > tol)), int(np.sum(values < -tol)), int(np.sum(np.abs(values) <= tol)))


@dataclass(frozen=True)
class PlayerNash:
    player: str
    inertia: Inertia

    def to_dict(self) -> dict:
        return {"player": self.player, "hessian": self.inertia.status, "meaning": self.inertia.meaning,
                "positive": self.inertia.positive, "negative": self.inertia.negative, "zero": self.inertia.zero}


@dataclass(frozen=True)
class NashVerdict:
    players: tuple[PlayerNash, ...]
    method: str  # "exact" | "certified" (several transcendentals) | "numeric"

    @property
    def exact(self) -> bool:
        return self.method != "numeric"

    @property
    def dne(self) -> bool:
        return all(p.inertia.status == "positive definite" for p in self.players)

    @property
    def summary(self) -> str:
        if self.dne:
            return "DNE: every player's Hessian is positive definite"
        reasons = [f"{p.player}'s Hessian is {p.inertia.status} ({p.inertia.meaning})"
                   for p in self.players if p.inertia.status != "positive definite"]
        return "not DNE: " + "; ".join(reasons)

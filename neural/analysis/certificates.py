"""Proofs for dense verdicts: every check accounts for the rounding of the arithmetic it runs.

A small residual ``||J u - l u||`` proves only that l is an eigenvalue of a nearby matrix; for a
non-normal J (Jordan chains) that says nothing about J's own eigenvalues. The certificates here
are proofs about the dense float64 matrix they are given (the computed Jacobian):

- ``positive_definite(a, shift)``: Rump's test (Rump, "Verification of positive definiteness",
  BIT 2006): if the floating-point Cholesky factorisation of ``a - (shift + c) I`` runs to
  completion, with ``c = gamma_{n+1} / (1 - 2 gamma_{n+1}) * trace + underflow term`` (here
  doubled, to absorb the rounding of the shift itself), then ``a - shift I`` is positive definite.
- ``lyapunov_inertia(j)``: solve ``J^T P + P J = I`` (Bartels-Stewart, P symmetrised) and verify
  ``Q = J^T P + P J`` positive definite by Rump's test shifted by a bound on the rounding error of
  forming Q. Then the inertia of J equals that of P (Ostrowski-Schneider: ``A H + H A^T > 0``
  implies ``In(A) = In(H)``, with A = J^T, H = P, and J, J^T share their eigenvalues): P positive
  definite (Rump's test) proves every Re l > 0 (LSSP); a vector with ``x^T P x`` below minus its
  rounding bound proves an eigenvalue with Re l < 0. Eigenvalues on or near the imaginary axis,
  or Jordan blocks that make P huge and ill-conditioned, make the test fail: then "not certified"
  with the reason, never a guess.
- ``hessian_certificate(h)``: a player's Hessian (symmetric): Rump's test on h (minimum) or -h
  (maximum); a Rayleigh quotient ``x^T h x`` below minus its rounding bound proves a negative
  eigenvalue (not a minimum), one above its bound a positive eigenvalue.

What is proved is a statement about the matrix evaluated (``SCOPE``): products in float32 or
float64 carry rounding errors that autodiff does not bound, and where they cancel the exact
Jacobian of the stored parameters can lie on the other side of the axis.
``perturbation`` delta: the proofs then hold for every matrix within delta (2-norm) of the one
given, e.g. an estimate of the products' own rounding: ``(J + E)^T P + P (J + E) >= Q - 2 delta ||P|| I``, and a
symmetric perturbation moves a Rayleigh quotient or the smallest eigenvalue by at most delta.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import scipy.linalg

UNIT = np.finfo(np.float64).eps / 2  # unit roundoff u
TINY = np.finfo(np.float64).smallest_subnormal


def _gamma(n: int) -> float:
    """``gamma_n = n u / (1 - n u)``: the relative error bound of an n-term dot product."""
    return n * UNIT / (1 - n * UNIT)


SCOPE = ("the Jacobian as evaluated by the game's products (with an allowance for their rounding "
         "that is an estimate: where products cancel, the exact Jacobian of the stored parameters "
         "can differ by more)")
"""What every certificate is a proof about (module docstring)."""


@dataclass(frozen=True)
class Certificate:
    """A proof (``kind`` names it) of ``verdict`` about :data:`SCOPE`, or ``kind == "none"`` and
    ``reason`` why not."""

    kind: str  # "lyapunov" | "cholesky" | "rayleigh" | "residual" | "none"
    verdict: bool | None  # what is proved (True: stable / positive definite), None: nothing
    reason: str

    def to_dict(self) -> dict:
        return {"kind": self.kind, "verdict": self.verdict, "reason": self.reason,
                "of": None if self.kind == "none" else SCOPE}


def not_certified(reason: str) -> Certificate:
    return Certificate("none", None, reason)


def positive_definite(a: np.ndarray, shift: float = 0.0) -> bool:
    """True proves that ``a - shift I`` is positive definite (a symmetric, only its lower
    triangle is read; shift >= 0); False proves nothing. Rump's test (module docstring)."""
    n = len(a)
    diagonal = np.diag(a)
    if not np.all(np.isfinite(a)) or np.any(diagonal <= shift):
        return False
    g = _gamma(n + 1)
    c = g / (1 - 2 * g) * float(np.sum(diagonal)) + 4 * n * (2 * n + float(diagonal.max())) * TINY
    shifted = np.array(a, dtype=np.float64)
    shifted[np.diag_indices(n)] -= shift + 2 * c
    try:
        np.linalg.cholesky(np.tril(shifted) + np.tril(shifted, -1).T)
    except np.linalg.LinAlgError:
        return False
    return True


def _quadratic_form(a: np.ndarray, x: np.ndarray, perturbation: float = 0.0
                    ) -> tuple[float, float]:
    """``x^T a x`` in floating point and a bound on how far it is from ``x^T b x`` for every b
    within ``perturbation`` of a (rounding included)."""
    value = float(x @ (a @ x))
    bound = (2 * _gamma(len(x) + 1) * float(np.abs(x) @ (np.abs(a) @ np.abs(x)))
             + perturbation * float(x @ x) * (1 + len(x) * UNIT) + TINY)
    return value, bound


def lyapunov_inertia(j: np.ndarray, perturbation: float = 0.0) -> Certificate:
    """The Lyapunov inertia proof of ``all Re l > 0`` (verdict True) or of ``some Re l < 0``
    (verdict False) for the eigenvalues l of ``j`` and of every matrix within ``perturbation``
    of it; see the module docstring."""
    n = len(j)
    if not np.all(np.isfinite(j)):
        return not_certified("the Jacobian is not finite")
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # scipy: "eigenvalue pair sums to ~0"
        try:
            p = scipy.linalg.solve_continuous_lyapunov(j.T, np.eye(n))
        except (np.linalg.LinAlgError, ValueError, scipy.linalg.LinAlgError) as error:
            return not_certified(f"the Lyapunov equation J^T P + P J = I has no computed solution ({error})")
        if not np.all(np.isfinite(p)):
            return not_certified("the Lyapunov solution P overflows (an eigenvalue on or near "
                                 "the imaginary axis, or a long Jordan chain)")
        p = (p + p.T) / 2
        half = j.T @ p
        q = half + half.T  # exactly symmetric
        # |fl(J^T P) - J^T P| <= gamma_n |J^T| |P| entrywise, twice for Q, plus Q's own rounding;
        # the 2-norm is bounded by the Frobenius norm, doubled for the bound's own rounding.
        error = 2 * (2 * _gamma(n) * np.linalg.norm(np.abs(j.T) @ np.abs(p))
                     + UNIT * np.linalg.norm(q)) + 2 * perturbation * np.linalg.norm(p) * (1 + n * UNIT)
    if not np.isfinite(error) or not positive_definite(q, error):
        return not_certified(f"Q = J^T P + P J is not verified positive definite (rounding bound "
                             f"{error:.2g}; P is ill-conditioned: eigenvalues near the imaginary "
                             "axis or Jordan blocks)")
    if positive_definite(p):  # P's inertia is that of every J + E: P itself needs no margin
        return Certificate("lyapunov", True, "J^T P + P J = Q > 0 and P > 0 (verified Cholesky "
                           "factors): every eigenvalue of J has Re > 0")
    values, vectors = np.linalg.eigh(p)
    value, bound = _quadratic_form(p, vectors[:, 0])  # P's sign pattern needs no margin either
    if value < -bound:
        return Certificate("lyapunov", False, f"J^T P + P J = Q > 0 (verified) and x^T P x = "
                           f"{value:.3g} < 0: J has an eigenvalue with Re < 0")
    return not_certified("P is neither verified positive definite nor verified indefinite")


SHIFT_FRACTIONS = (0.5, 0.25, 0.75)


def stability_certificate(j: np.ndarray, real_parts: np.ndarray,
                          perturbation: float = 0.0) -> Certificate:
    """A proof of J's stability verdict: ``lyapunov_inertia`` of J, or, where J's computed
    eigenvalues have real parts ``< 0``, of ``J + s I`` with ``0 <= s < -min Re l``: an
    eigenvalue of J + s I with Re < 0 is one of J with Re < -s <= 0, and the shift moves
    eigenvalues near the axis (dead units, symmetries: common in GANs, and fatal to P's
    conditioning) away from it. Shifts tried: ``-min Re l`` times ``SHIFT_FRACTIONS`` (measured
    on a float32 MLP GAN with 79 zero eigenvalues: every fraction in [0.1, 0.9] gave a proof,
    the midpoints of the widest gaps between real parts did not)."""
    left = float(np.min(real_parts))
    if left < 0:
        reasons = []
        for fraction in SHIFT_FRACTIONS:
            shift = -left * fraction
            shifted = lyapunov_inertia(j + shift * np.eye(len(j)), perturbation)
            if shifted.verdict is False:
                return Certificate("lyapunov", False, f"for J + {shift:.3g} I: {shifted.reason}; "
                                   f"so J has an eigenvalue with Re < {-shift:.3g}")
            reasons.append(f"shift {shift:.3g}: {shifted.reason}")
        return not_certified("; ".join(reasons))
    return lyapunov_inertia(j, perturbation)


def hessian_certificate(h: np.ndarray, perturbation: float = 0.0) -> tuple[str, Certificate]:
    """What is proved about a symmetric matrix (a player's Hessian) and every symmetric matrix
    within ``perturbation`` of it: ``("minimum" | "maximum" | "saddle" | "not a minimum" | "",
    certificate)``; "" when nothing is proved."""
    h = (h + h.T) / 2
    if positive_definite(h, perturbation):
        return "minimum", Certificate("cholesky", True, "verified Cholesky factor: positive definite")
    if positive_definite(-h, perturbation):
        return "maximum", Certificate("cholesky", False, "verified Cholesky factor of -H: "
                                      "negative definite")
    values, vectors = np.linalg.eigh(h)
    low, low_bound = _quadratic_form(h, vectors[:, 0], perturbation)
    high, high_bound = _quadratic_form(h, vectors[:, -1], perturbation)
    if low < -low_bound:
        if high > high_bound:
            return "saddle", Certificate("rayleigh", False, f"verified Rayleigh quotients "
                                         f"{low:.3g} < 0 < {high:.3g}: indefinite")
        return "not a minimum", Certificate("rayleigh", False, f"verified Rayleigh quotient "
                                            f"{low:.3g} < 0: not positive semidefinite")
    return "", not_certified("neither definiteness nor a negative direction is verified "
                             "(an eigenvalue at or near zero)")

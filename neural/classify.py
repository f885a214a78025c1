"""Classification of a neural game state: near-stationary? LSSP? each player at a minimum (DNE)?
how much rotation? Each verdict says whether it is certified or only indicative.

Convention (DESIGN.md): LSSP iff ``v = 0`` and every eigenvalue of ``J`` has Re > 0; DNE iff
``v = 0`` and each player's Hessian of its own loss is positive definite. Numerically:

- stationary: ``||v|| <= grad_tol``.
- stable linearisation, from the leftmost eigenvalue l of J (shifted Krylov solve, residual r):
  Re l > m stable, Re l < -m unstable, otherwise marginal (no verdict), where
  ``m = max(r, zero_tol * spectral radius)``: a real part within tolerance of zero is never
  "stable". "Unstable" is certified by the verified pair alone ((l, u) is an exact eigenpair of
  ``J + E``, ``||E|| = r``); "stable" is certified only by a dense solve (small games): a
  converged Krylov solve can still miss an eigenvalue further left, so there it is indicative.
- each player, from the extremes of its Hessian (Lanczos; some true eigenvalue lies within r of
  each returned one): minimum, saddle, maximum or marginal, with the same margin rule; "minimum"
  is certified only by a dense solve, for the same reason.
- rotation (indicative: over the computed eigenvalues only): largest |Im l| and |Im l / Re l|.

Krylov solves first run at a loose tolerance (``SCREEN_TOL``) and are repeated at the tight
default only when the verdict is within ``CLEAR`` margins of zero: far from zero the loose
residual already certifies the sign, at a fraction of the products.

The spectrum is computed by ``spectrum_operator``: ``J`` through the closed form where the game
has one, else ``J^T`` (same eigenvalues, one backward pass per product).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from neural.eigen import (DENSE_BELOW, EigenResult, Progress, hessian_extremes, leftmost_eigenvalues,
                          top_eigenvalues)
from gametheory.errors import OptionError
from neural.game import NeuralGame
from neural.operators import hessian_operator, spectrum_operator


def default_zero_tol(dtype: torch.dtype) -> float:
    """Relative tolerance (times the spectral radius) below which a real part counts as zero."""
    return 1e-9 if dtype == torch.float64 else 1e-4


@dataclass(frozen=True)
class PlayerCurvature:
    """The extremes of one player's Hessian of its own loss and what they say."""

    name: str
    min_eigenvalue: float
    max_eigenvalue: float
    residual: float
    verdict: str  # "minimum" | "saddle" | "maximum" | "marginal"
    certified: bool

    def to_dict(self) -> dict:
        return {"name": self.name, "min_eigenvalue": self.min_eigenvalue,
                "max_eigenvalue": self.max_eigenvalue, "residual": self.residual,
                "verdict": self.verdict, "certified": self.certified}


@dataclass(frozen=True)
class NeuralClassification:
    grad_norm: float
    grad_tol: float
    stationary: bool
    top: EigenResult
    leftmost: EigenResult
    stable_linearisation: bool | None
    stability_certified: bool
    lssp: bool | None
    lssp_certified: bool
    players: tuple[PlayerCurvature, ...]
    dne: bool | None
    dne_certified: bool
    max_imag: float
    max_rotation_ratio: float  # inf when an eigenvalue is (numerically) on the imaginary axis
    notes: tuple[str, ...]

    @property
    def leftmost_eigenvalue(self) -> complex:
        return self.leftmost.eigenvalues[0] if self.leftmost.eigenvalues else complex("nan")

    def to_dict(self) -> dict:
        """JSON contract keys first; ``max_rotation_ratio`` is null when unbounded."""
        left = self.leftmost_eigenvalue
        return {
            "grad_norm": self.grad_norm,
            "lssp": self.lssp,
            "lssp_certified": self.lssp_certified,
            "leftmost_eigenvalue": [left.real, left.imag] if self.leftmost.eigenvalues else None,
            "dne": self.dne,
            "player_min_eigenvalues": {p.name: p.min_eigenvalue for p in self.players},
            "max_rotation_ratio": None if math.isinf(self.max_rotation_ratio) else self.max_rotation_ratio,
            "stationary": self.stationary,
            "grad_tol": self.grad_tol,
            "stable_linearisation": self.stable_linearisation,
            "stability_certified": self.stability_certified,
            "leftmost_residual": self.leftmost.residuals[0] if self.leftmost.residuals else None,
            "dne_certified": self.dne_certified,
            "players": [p.to_dict() for p in self.players],
            "max_imag": self.max_imag,
            "top": self.top.to_dict(),
            "leftmost": self.leftmost.to_dict(),
            "notes": list(self.notes),
        }


SCREEN_TOL = 1e-3
"""First-pass ARPACK tolerance (relative to the shifted eigenvalue): decides a sign far from
zero in a fraction of the products; a verdict within ``CLEAR`` margins of zero is re-solved at
the solver's default tolerance."""
CLEAR = 10.0


def _sign(value: float, margin: float) -> int:
    return 1 if value > margin else -1 if value < -margin else 0


def _screened(solve, clear):
    """``solve(SCREEN_TOL)``, then ``solve(None)`` (default tolerance) unless ``clear`` of the
    first result."""
    first = solve(SCREEN_TOL)
    return first if clear(first) else solve(None)


def _player(game: NeuralGame, name: str, omega, zero_tol: float, dense_below: int,
            progress) -> PlayerCurvature:
    op = hessian_operator(game, name, omega)

    def margin_of(pair):
        largest, smallest = pair
        low, high = smallest.eigenvalues[0].real, largest.eigenvalues[0].real
        return max(smallest.residuals[0], largest.residuals[0], zero_tol * max(abs(low), abs(high)))

    def clear(pair):
        low, high, margin = pair[1].eigenvalues[0].real, pair[0].eigenvalues[0].real, margin_of(pair)
        return abs(low) > CLEAR * margin and (low > 0 or abs(high) > CLEAR * margin)

    largest, smallest = _screened(lambda tol: hessian_extremes(
        op, tol=tol, dense_below=dense_below, progress=progress), clear)
    low, high = smallest.eigenvalues[0].real, largest.eigenvalues[0].real
    residual = max(smallest.residuals[0], largest.residuals[0])
    margin = margin_of((largest, smallest))
    low_sign, high_sign = _sign(low, margin), _sign(high, margin)
    if low_sign > 0:  # only a dense solve rules out an unseen eigenvalue below the smallest found
        verdict, certified = "minimum", smallest.converged and smallest.method == "dense"
    elif low_sign < 0:
        verdict = "maximum" if high_sign < 0 else "saddle"
        certified = high_sign >= 0 or largest.converged
    else:
        verdict, certified = "marginal", False
    return PlayerCurvature(name, low, high, residual, verdict, certified)


def classify_state(game: NeuralGame, omega: torch.Tensor | None = None, *, k: int = 2,
                   top_k: int = 6, grad_tol: float = 1e-6, zero_tol: float | None = None,
                   dense_below: int = DENSE_BELOW,
                   progress: Progress | None = None) -> NeuralClassification:
    """Classify the state ``omega`` (default: the game's) of ``game`` (see module docstring):
    ``top_k`` eigenvalues by magnitude (spectral radius for the shift, rotation measures),
    ``k`` leftmost ones (k=2 covers a complex pair), each player's Hessian extremes."""
    omega = game.omega() if omega is None else omega
    zero_tol = default_zero_tol(game.dtype) if zero_tol is None else zero_tol
    grad_norm = float(torch.linalg.vector_norm(game.vector_field(omega)))
    stationary = grad_norm <= grad_tol
    notes = []

    op = spectrum_operator(game, omega)
    top = top_eigenvalues(op, k=top_k, which="LM", tol=SCREEN_TOL, dense_below=dense_below,
                          progress=progress)
    radius = max((abs(l) for l in top.eigenvalues), default=0.0)

    def margin_of(result):
        return max(result.residuals[0], zero_tol * radius)

    leftmost = _screened(
        lambda tol: leftmost_eigenvalues(op, k=k, radius=radius, tol=tol,
                                         dense_below=dense_below, progress=progress),
        lambda r: r.converged and abs(r.eigenvalues[0].real) > CLEAR * margin_of(r))
    op.release()
    if not leftmost.eigenvalues:
        raise OptionError("the leftmost eigen-solve converged no eigenpair; LSSP cannot be decided here")
    left = leftmost.eigenvalues[0]
    margin = margin_of(leftmost)
    sign = _sign(left.real, margin)
    stable = None if sign == 0 else sign > 0
    # "unstable" is backed by a verified eigenpair; "stable" is certified only by a dense solve:
    # a converged Krylov solve cannot rule out an unseen eigenvalue further left.
    stability_certified = sign < 0 or (sign > 0 and leftmost.converged and leftmost.method == "dense")
    if sign > 0 and not stability_certified:
        notes.append("stable from a Krylov solve: indicative (an eigenvalue further left is not ruled out)")
    if sign == 0:
        notes.append(f"leftmost real part {left.real:.3g} is within {margin:.3g} of zero: marginal")
    if not leftmost.converged:
        notes.append("the leftmost solve did not fully converge")

    players = tuple(_player(game, name, omega, zero_tol, dense_below, progress)
                    for name in game.player_names)
    verdicts = [p.verdict for p in players]
    spectral_dne = (False if any(v in ("saddle", "maximum") for v in verdicts)
                    else True if all(v == "minimum" for v in verdicts) else None)
    dne_certified = (all(p.certified for p in players) if spectral_dne
                     else any(p.certified and p.verdict in ("saddle", "maximum") for p in players)
                     if spectral_dne is False else False)

    if stationary:
        lssp, lssp_certified = stable, stability_certified
        dne = spectral_dne
    else:
        notes.append(f"not stationary: ||v|| = {grad_norm:.3g} > grad_tol = {grad_tol:.3g}; "
                     "LSSP and DNE are false, the spectral verdicts describe the linearisation")
        lssp, lssp_certified = False, True
        dne, dne_certified = False, True

    eigenvalues = list(top.eigenvalues) + list(leftmost.eigenvalues)
    max_imag = max(abs(l.imag) for l in eigenvalues)
    axis = zero_tol * max(radius, 1e-300)
    ratios = [math.inf if abs(l.real) <= axis else abs(l.imag / l.real)
              for l in eigenvalues if abs(l.imag) > axis]
    return NeuralClassification(
        grad_norm, grad_tol, stationary, top, leftmost, stable, stability_certified, lssp,
        lssp_certified, players, dne, dne_certified, max_imag, max(ratios, default=0.0),
        tuple(notes))

"""Classification of a neural game state: near-stationary? LSSP? each player at a minimum (DNE)?
how much rotation? Each verdict says how it was obtained: certified (a proof, named in
``certificate``), indicative, or undecided.

Convention (docs/design.md): LSSP iff ``v = 0`` and every eigenvalue of ``J`` has Re > 0; DNE iff
``v = 0`` and each player's Hessian of its own loss is positive definite. Numerically:

- stationary: ``||v|| <= grad_tol``.
- up to ``dense_budget`` parameters, J is built densely ONCE per state (n products) and every
  spectral verdict comes from it: all eigenvalues (LAPACK), the Lyapunov inertia proof of the
  stability verdict and Cholesky/Rayleigh proofs for each player's Hessian (its diagonal block;
  ``neural.analysis.certificates``). Where no proof goes through (eigenvalues on or near the axis, Jordan
  chains), the verdict from the eigenvalues is indicative and the reason is given. The proofs
  allow for a perturbation of J at the products' rounding level (``PRODUCT_NOISE``).
- beyond it, Krylov solves, at most indicative: the leftmost eigenvalue l (shifted solve,
  residual r) is compared with ``m = max(r, zero_tol * spectral radius)``: Re l < -m unstable
  (indicative: for a non-normal J a residual proves only a pseudo-eigenvalue; certified for one
  player, whose J is its symmetric Hessian), within m marginal.
  "Stable" needs the exponential confirmation of ``neural.analysis.eigen`` (``exp(-t J)`` orders the
  eigenvalues by real part whatever their imaginary part) to converge within ``exp_budget``
  products with ``Re l > max(m, 1/t)``; otherwise the verdict is undecided, never "stable".
  Player Hessians by Lanczos: a returned eigenvalue below ``-m`` proves a negative eigenvalue
  (symmetric: some eigenvalue lies within r of it), "minimum" stays indicative.
- ``certify``: the dense proofs at any size (``neural.analysis.dense``: J built from products in
  column blocks, one real Schur form for the eigenvalues and the Lyapunov candidates), after a
  memory estimate; refused when it exceeds ``max_memory``.
- rotation (indicative: over the computed eigenvalues only): largest |Im l| and |Im l / Re l|.

Krylov solves first run at a loose tolerance (``SCREEN_TOL``) and are repeated at the tight
default only when the verdict is within ``CLEAR`` margins of zero.

The spectrum is computed by ``spectrum_operator``: ``J`` through the closed form where the game
has one, else ``J^T`` (same eigenvalues, same inertia, one backward pass per product).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from gametheory.display import latex
from gametheory.errors import OptionError
from neural.analysis.certificates import (Certificate, hessian_certificate, not_certified,
                                          stability_certificate, symmetric_extremes)
from neural.analysis.dense import BLOCK, SchurForm, checked_estimate, dense_jacobian, parse_size
from neural.analysis.eigen import (DENSE_BUDGET, EXP_BUDGET, MAX_PRODUCTS, EigenResult, Progress,
                                   confirm_leftmost, dense_eigen, dense_matrix, hessian_extremes,
                                   leftmost_eigenvalues, top_eigenvalues)
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
    verdict: str  # "minimum" | "saddle" | "maximum" | "not a minimum" | "marginal"
    certified: bool  # the verdict itself is proved
    certificate: Certificate  # verdict True: positive definite proved; False: not (a proof)

    def to_dict(self) -> dict:
        return {"name": self.name, "min_eigenvalue": self.min_eigenvalue,
                "max_eigenvalue": self.max_eigenvalue, "residual": self.residual,
                "verdict": self.verdict, "certified": self.certified,
                "certificate": self.certificate.to_dict()}


@dataclass(frozen=True)
class NeuralClassification:
    grad_norm: float
    grad_tol: float
    stationary: bool
    top: EigenResult
    leftmost: EigenResult
    stable_linearisation: bool | None
    stability_certified: bool
    certificate: Certificate  # the proof of the stability verdict, or why there is none
    lssp: bool | None
    lssp_certified: bool
    players: tuple[PlayerCurvature, ...]
    dne: bool | None
    dne_certified: bool
    max_imag: float
    max_rotation_ratio: float  # inf when an eigenvalue is (numerically) on the imaginary axis
    notes: tuple[str, ...]
    dense_proof: dict | None = None  # how ``certify`` built J and proved (None: not asked)

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
            "stability_certificate": self.certificate.to_dict(),
            "leftmost_residual": self.leftmost.residuals[0] if self.leftmost.residuals else None,
            "dne_certified": self.dne_certified,
            "players": [p.to_dict() for p in self.players],
            "max_imag": self.max_imag,
            "top": self.top.to_dict(),
            "leftmost": self.leftmost.to_dict(),
            "notes": list(self.notes),
            **({"certify": self.dense_proof} if self.dense_proof is not None else {}),
        }

    def _repr_latex_(self) -> str | None:
        return latex(self)


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


@dataclass(frozen=True)
class _Spectrum:
    """The spectral part of a classification: J's eigenvalues, its stability verdict, players."""

    top: EigenResult
    leftmost: EigenResult
    stable: bool | None
    certificate: Certificate
    players: tuple[PlayerCurvature, ...]
    notes: tuple[str, ...]


def _curvature_verdict(low: float, high: float, margin: float) -> str:
    """The verdict the Hessian's extreme eigenvalues suggest (margin: what counts as zero)."""
    low_sign, high_sign = _sign(low, margin), _sign(high, margin)
    if low_sign > 0:
        return "minimum"
    if low_sign < 0:
        return "maximum" if high_sign < 0 else "saddle"
    return "marginal"


PRODUCT_NOISE = 10.0
"""Proofs on the dense Jacobian hold for every matrix within ``PRODUCT_NOISE * eps * ||J||_F``
(eps of the game's dtype): the rounding level of the products that built it. An estimate
(autodiff gives no a-priori bound); beyond it, "certified" is about the Jacobian as computed."""


def product_noise(matrix, dtype: torch.dtype) -> float:
    """The perturbation the dense proofs allow for (``PRODUCT_NOISE``)."""
    return PRODUCT_NOISE * torch.finfo(dtype).eps * float(np.linalg.norm(matrix))


def _stability_verdict(certificate: Certificate, leftmost: EigenResult, radius: float,
                       zero_tol: float) -> tuple[bool | None, list[str]]:
    """J's stability verdict from a dense solve: the proved one where there is a proof (with a
    note where the eigenvalues disagree), else the one the eigenvalues suggest (indicative)."""
    left = leftmost.eigenvalues[0]
    margin = max(leftmost.residuals[0], zero_tol * radius)
    sign = _sign(left.real, margin)
    notes = []
    if certificate.verdict is None:
        stable = None if sign == 0 else sign > 0
        notes.append(f"stability not certified ({certificate.reason}); the verdict from the "
                     "dense eigenvalues is indicative")
    else:
        stable = certificate.verdict
        if sign != (1 if stable else -1):
            notes.append(f"the Lyapunov proof overrides the dense eigenvalues (leftmost real "
                         f"part {left.real:.3g}, margin {margin:.3g})")
    if sign == 0 and certificate.verdict is None:
        notes.append(f"leftmost real part {left.real:.3g} is within {margin:.3g} of zero: marginal")
    return stable, notes


def _dense_player(name: str, block: np.ndarray, low: float, high: float, residual: float,
                  noise: float, zero_tol: float, extremes: np.ndarray | None = None
                  ) -> PlayerCurvature:
    """A player's curvature from its dense Hessian block: the proved verdict where there is one,
    else the one its extreme eigenvalues suggest."""
    proved, proof = hessian_certificate(block, noise, extremes)
    verdict = proved or _curvature_verdict(
        low, high, max(residual, zero_tol * max(abs(low), abs(high))))
    return PlayerCurvature(name, low, high, residual, verdict, bool(proved), proof)


def _dense_spectrum(op, game: NeuralGame, k: int, top_k: int, zero_tol: float,
                    progress: Progress | None) -> _Spectrum:
    """Every spectral verdict from one dense matrix of the spectrum operator (J or J^T: same
    eigenvalues and inertia; its diagonal blocks are the players' Hessians). A proved verdict
    wins over the one the eigenvalues suggest."""
    first = op.products
    matrix = dense_matrix(op, progress)
    products = op.products - first
    system = np.linalg.eig(matrix)
    top = dense_eigen(matrix, top_k, "LM", products=products, system=system)
    leftmost = dense_eigen(matrix, k, "SR", system=system)
    noise = product_noise(matrix, game.dtype)
    certificate = stability_certificate(matrix, system[0].real, noise)
    stable, notes = _stability_verdict(certificate, leftmost, abs(top.eigenvalues[0]), zero_tol)
    players = []
    for name, part in game.slices.items():
        block = matrix[part, part]
        result = dense_eigen(block, len(block), "SA", symmetric=True)
        low, high = result.eigenvalues[0].real, result.eigenvalues[-1].real
        residual = max(result.residuals[0], result.residuals[-1])
        players.append(_dense_player(name, block, low, high, residual, noise, zero_tol))
    return _Spectrum(top, leftmost, stable, certificate, tuple(players), tuple(notes))


DEFAULT_MAX_MEMORY = "4G"
"""What ``certify`` may hold at once by default (``neural.analysis.dense.parse_size``)."""


def _certified_spectrum(op, game: NeuralGame, k: int, top_k: int, zero_tol: float,
                        max_memory: int, progress: Progress | None) -> tuple[_Spectrum, dict]:
    """Every spectral verdict from the dense J built in blocks whatever its size, with one Schur
    form for the eigenvalues, their eigenvectors and the Lyapunov candidates
    (``neural.analysis.dense``); the same proofs as the dense path. Refused (``OptionError``)
    when the arrays of the proof exceed ``max_memory`` bytes; shifted retries only when the
    Schur form can be kept beside ``J^T P + P J``."""
    estimate = checked_estimate(game.param_count, max_memory)
    first = op.products
    matrix = dense_jacobian(op, progress=progress)
    op.release()
    products = op.products - first
    schur = SchurForm(matrix)
    top = schur.eigen_result(matrix, top_k, "LM", products)
    leftmost = schur.eigen_result(matrix, k, "SR")
    noise = product_noise(matrix, game.dtype)
    retry = estimate.total <= max_memory
    certificate = stability_certificate(matrix, schur.eigenvalues.real, noise,
                                        candidate=schur.lyapunov, retry=retry)
    schur.release()
    stable, notes = _stability_verdict(certificate, leftmost, abs(top.eigenvalues[0]), zero_tol)
    players = []
    for name, part in game.slices.items():
        block = matrix[part, part]
        block = (block + block.T) / 2
        values, vectors = symmetric_extremes(block)
        residual = max(float(np.linalg.norm(block @ vectors[:, i] - values[i] * vectors[:, i]))
                       for i in (0, 1))
        players.append(_dense_player(name, block, float(values[0]), float(values[1]), residual,
                                     noise, zero_tol, vectors))
    proof = {"parameters": game.param_count, "products": products, "block": BLOCK,
             "memory_estimate": estimate.to_dict(), "max_memory": max_memory,
             "shift_retries": retry, "method": "real Schur form, blocked Bartels-Stewart "
             "candidate, Rump-verified Cholesky factors"}
    return _Spectrum(top, leftmost, stable, certificate, tuple(players), tuple(notes)), proof


def _krylov_player(game: NeuralGame, name: str, omega, zero_tol: float, max_products: int,
                   progress) -> PlayerCurvature:
    """Lanczos extremes of a player's Hessian: a returned eigenvalue below ``-margin`` proves a
    negative one (symmetric: an eigenvalue lies within the residual); "minimum" is indicative;
    "undecided" where a solve converged nothing within ``max_products`` products."""
    op = hessian_operator(game, name, omega)

    def margin_of(pair):
        largest, smallest = pair
        low, high = smallest.eigenvalues[0].real, largest.eigenvalues[0].real
        return max(smallest.residuals[0], largest.residuals[0], zero_tol * max(abs(low), abs(high)))

    def clear(pair):
        if not (pair[0].eigenvalues and pair[1].eigenvalues):
            return True  # nothing converged within the budget: a tighter solve fares no better
        low, high, margin = pair[1].eigenvalues[0].real, pair[0].eigenvalues[0].real, margin_of(pair)
        return abs(low) > CLEAR * margin and (low > 0 or abs(high) > CLEAR * margin)

    largest, smallest = _screened(lambda tol: hessian_extremes(
        op, tol=tol, dense_below=0, max_products=max_products, dense_fallback=0,
        progress=progress), clear)
    if not (largest.eigenvalues and smallest.eigenvalues):
        return PlayerCurvature(name, math.nan, math.nan, math.nan, "undecided", False, not_certified(
            f"undecided: a Lanczos solve converged no eigenpair within {max_products} products"))
    low, high = smallest.eigenvalues[0].real, largest.eigenvalues[0].real
    residual = max(smallest.residuals[0], largest.residuals[0])
    margin = margin_of((largest, smallest))
    verdict = _curvature_verdict(low, high, margin)
    if verdict in ("saddle", "maximum"):  # proves a negative eigenvalue, and for a saddle a
        certificate = Certificate("residual", False, f"symmetric: an eigenvalue lies within "
                                  f"the residual {residual:.2g} of {low:.3g} < 0")  # positive one
    else:
        certificate = not_certified("a Lanczos solve cannot rule out an unseen eigenvalue")
    return PlayerCurvature(name, low, high, residual, verdict, verdict == "saddle", certificate)


def _krylov_spectrum(op, game: NeuralGame, omega, k: int, top_k: int, zero_tol: float,
                     exp_budget: int, max_products: int, progress: Progress | None) -> _Spectrum:
    """Krylov verdicts, at most indicative (module docstring); each ARPACK solve stops after
    ``max_products`` products, and a stability verdict it could not reach is undecided."""
    top = top_eigenvalues(op, k=top_k, which="LM", tol=SCREEN_TOL, dense_below=0,
                          max_products=max_products, dense_fallback=0, progress=progress)
    # a top solve that did not converge may have missed the largest modulus: estimate it anew
    radius = max((abs(l) for l in top.eigenvalues), default=0.0) if top.converged else None

    def margin_of(result):
        return max(result.residuals[0], zero_tol * (radius or 0.0))

    leftmost = _screened(
        lambda tol: leftmost_eigenvalues(op, k=k, radius=radius, tol=tol, dense_below=0,
                                         exp_budget=0, max_products=max_products,
                                         dense_fallback=0, progress=progress),
        lambda r: r.budget_spent or (r.converged and abs(r.eigenvalues[0].real) > CLEAR * margin_of(r)))
    if not leftmost.eigenvalues and not leftmost.budget_spent:
        raise OptionError("the leftmost eigen-solve converged no eigenpair; LSSP cannot be decided here")
    notes = []
    if radius is None:
        radius = max((abs(l) for l in top.eigenvalues + leftmost.eigenvalues), default=0.0)
    if (leftmost.eigenvalues and not leftmost.budget_spent and radius > 0
            and _sign(leftmost.eigenvalues[0].real, margin_of(leftmost)) > 0):
        leftmost = confirm_leftmost(op, leftmost, radius, None, exp_budget, progress)
    op.release()
    left = leftmost.eigenvalues[0] if leftmost.eigenvalues else complex("nan")
    margin = margin_of(leftmost) if leftmost.eigenvalues else math.nan
    sign = _sign(left.real, margin)
    if not leftmost.eigenvalues or (leftmost.budget_spent and sign >= 0):
        stable = None
        reason = (f"undecided: the leftmost eigen-solve stopped at its product budget of "
                  f"{max_products} ({len(leftmost.eigenvalues)} of {k} eigenvalues converged); "
                  "an eigenvalue further left is not ruled out")
    elif sign < 0:
        stable, reason = False, ("a Krylov eigenpair with a small residual: for a non-normal J it "
                                 "may be a pseudo-eigenvalue (of a nearby matrix)")
    elif sign == 0:
        stable, reason = None, f"leftmost real part {left.real:.3g} is within {margin:.3g} of zero: marginal"
    elif not leftmost.converged or leftmost.resolution is None or left.real <= leftmost.resolution:
        stable = None
        reason = ("undecided: the exponential leftmost solve did not separate the leftmost "
                  f"eigenvalues (real-part resolution {leftmost.resolution or math.inf:.3g}, "
                  f"leftmost found {left.real:.3g}); an eigenvalue further left is not ruled out")
    else:
        stable, reason = True, ("a Krylov solve on exp(-t J): an unseen eigenvalue further left "
                                "is not ruled out")
    certificate = not_certified(reason)
    if sign < 0 and op.symmetric:  # one player: J is its Hessian, an eigenvalue lies within r
        certificate = Certificate("residual", False, f"symmetric J (one player): an eigenvalue "
                                  f"lies within the residual {leftmost.residuals[0]:.2g} of "
                                  f"{left.real:.3g} < 0")
    else:
        notes.append(f"stability not certified ({reason})")
    if not leftmost.converged:
        notes.append("the leftmost solve did not fully converge")
    players = tuple(_krylov_player(game, name, omega, zero_tol, max_products, progress)
                    for name in game.player_names)
    return _Spectrum(top, leftmost, stable, certificate, players, tuple(notes))


def classify_state(game: NeuralGame, omega: torch.Tensor | None = None, *, k: int = 2,
                   top_k: int = 6, grad_tol: float = 1e-6, zero_tol: float | None = None,
                   dense_budget: int = DENSE_BUDGET, exp_budget: int = EXP_BUDGET,
                   max_products: int = MAX_PRODUCTS, certify: bool = False,
                   max_memory: int | str = DEFAULT_MAX_MEMORY,
                   progress: Progress | None = None) -> NeuralClassification:
    """Classify the state ``omega`` (default: the game's) of ``game`` (module docstring):
    ``top_k`` eigenvalues by magnitude, ``k`` leftmost ones (k=2 covers a complex pair), each
    player's Hessian extremes. Dense (with proofs) up to ``dense_budget`` parameters; beyond,
    Krylov solves of at most ``max_products`` products each (what one could not decide is
    undecided) with an exponential confirmation of at most ``exp_budget`` products.
    ``certify``: the dense proofs whatever the size, refused when they need more than
    ``max_memory`` (bytes, or a size such as ``"4G"``)."""
    if not grad_tol >= 0:
        raise OptionError(f"--grad-tol must be non-negative, got {grad_tol}")
    max_memory = parse_size(max_memory) if isinstance(max_memory, str) else int(max_memory)
    omega = game.omega() if omega is None else omega
    zero_tol = default_zero_tol(game.dtype) if zero_tol is None else zero_tol
    grad_norm = float(torch.linalg.vector_norm(game.vector_field(omega)))
    stationary = grad_norm <= grad_tol
    op = spectrum_operator(game, omega)
    proof = None
    if certify:
        spectrum, proof = _certified_spectrum(op, game, k, top_k, zero_tol, max_memory, progress)
    elif game.param_count <= max(dense_budget, k + 2, top_k + 2):
        spectrum = _dense_spectrum(op, game, k, top_k, zero_tol, progress)
        op.release()
    else:
        spectrum = _krylov_spectrum(op, game, omega, k, top_k, zero_tol, exp_budget,
                                    max_products, progress)
    notes = list(spectrum.notes)
    stable, players = spectrum.stable, spectrum.players
    stability_certified = spectrum.certificate.verdict is not None
    verdicts = [p.verdict for p in players]
    spectral_dne = (False if any(v in ("saddle", "maximum", "not a minimum") for v in verdicts)
                    else True if all(v == "minimum" for v in verdicts) else None)
    dne_certified = (all(p.certificate.verdict is True for p in players) if spectral_dne
                     else any(p.certificate.verdict is False for p in players)
                     if spectral_dne is False else False)
    if stationary:
        lssp, lssp_certified = stable, stability_certified
        dne = spectral_dne
    else:
        notes.append(f"not stationary: ||v|| = {grad_norm:.3g} > grad_tol = {grad_tol:.3g}; "
                     "LSSP and DNE are false, the spectral verdicts describe the linearisation")
        lssp, lssp_certified = False, True
        dne, dne_certified = False, True

    top, leftmost = spectrum.top, spectrum.leftmost
    radius = max((abs(l) for l in top.eigenvalues), default=0.0)
    eigenvalues = list(top.eigenvalues) + list(leftmost.eigenvalues)
    max_imag = max((abs(l.imag) for l in eigenvalues), default=math.nan)
    axis = zero_tol * max(radius, 1e-300)
    ratios = [math.inf if abs(l.real) <= axis else abs(l.imag / l.real)
              for l in eigenvalues if abs(l.imag) > axis]
    return NeuralClassification(
        grad_norm, grad_tol, stationary, top, leftmost, stable, stability_certified,
        spectrum.certificate, lssp, lssp_certified, players, dne, dne_certified, max_imag,
        max(ratios, default=0.0), tuple(notes), proof)

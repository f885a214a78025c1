"""Two views of the Jacobian ``J`` at a stationary point.

- Proposition 1 of Berard et al.: for diagonalisable J there is a real basis ``P`` in which the
  linearised flow ``d omega/dt = -J (omega - omega*)`` splits into independent blocks: a real
  eigenvalue ``l`` gives a 1x1 block, pure attraction ``exp(-l t)``; a pair ``a +- ib`` (b > 0)
  gives a 2x2 block ``[[a, -b], [b, a]]`` in ``P J P^-1``, i.e.
  ``exp(-a t) [[cos bt, sin bt], [-sin bt, cos bt]]``: attraction rate ``a``, rotation rate ``b``.
- The Helmholtz split (Balduzzi et al. 2018): ``J = S + A`` with ``S = (J + J^T)/2`` (potential
  part) and ``A = (J - J^T)/2`` (Hamiltonian part), orthogonal in the Frobenius inner product,
  so ``||J||_F^2 = ||S||_F^2 + ||A||_F^2``.
- Lemma 9 of Mescheder et al. (2017) on consensus optimisation, checked and corrected.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sympy as sp

from ..errors import OptionError

ZERO_TOLERANCE = 1e-9
"""Relative size (to max(1, ||J||)) below which an eigenvalue's real or imaginary part is 0."""


def _as_float(jacobian) -> np.ndarray:
    if isinstance(jacobian, sp.MatrixBase):
        return np.array(jacobian.evalf(30).tolist(), dtype=float)
    return np.asarray(jacobian, dtype=float)


@dataclass(frozen=True)
class Block:
    """One block of Proposition 1: its coordinates in the new basis, eigenvalue and rates."""

    coordinates: tuple[int, ...]
    eigenvalue: complex
    kind: str  # "attraction" | "repulsion" | "rotation" | "attraction and rotation" | "repulsion and rotation" | "neutral"

    @property
    def attraction_rate(self) -> float:
        return self.eigenvalue.real

    @property
    def rotation_rate(self) -> float:
        return abs(self.eigenvalue.imag)

    def to_dict(self) -> dict:
        return {"coordinates": list(self.coordinates), "eigenvalue": [self.eigenvalue.real, self.eigenvalue.imag],
                "kind": self.kind, "attraction_rate": self.attraction_rate, "rotation_rate": self.rotation_rate}


@dataclass(frozen=True)
class RealBlockDiagonal:
    """``P`` with ``P J P^-1 = blocks`` (block diagonal); coordinates ``P (omega - omega*)``."""

    basis: np.ndarray
    block_matrix: np.ndarray
    blocks: tuple[Block, ...]
    diagonalizable: bool
    condition_number: float

    def to_dict(self) -> dict:
        return {"basis": self.basis.tolist(), "block_matrix": self.block_matrix.tolist(),
                "blocks": [b.to_dict() for b in self.blocks], "diagonalizable": self.diagonalizable,
                "condition_number": self.condition_number}


def _kind(eigenvalue: complex, tol: float) -> str:
    re = 0.0 if abs(eigenvalue.real) <= tol else eigenvalue.real
    rotating = abs(eigenvalue.imag) > tol
    if re == 0:
        return "rotation" if rotating else "neutral"
    base = "attraction" if re > 0 else "repulsion"
    return f"{base} and rotation" if rotating else base


def real_block_diagonal(jacobian) -> RealBlockDiagonal:
    """Proposition 1's basis, from a float eigendecomposition. ``diagonalizable`` is False (and
    the basis meaningless) when the eigenvector matrix is numerically singular (cond > 1e10)."""
    j = _as_float(jacobian)
    tol = ZERO_TOLERANCE * max(1.0, float(np.linalg.norm(j, 2)))
    values, vectors = np.linalg.eig(j)
    order = sorted(range(len(values)), key=lambda k: (-values[k].real, -values[k].imag))
    columns, blocks, used = [], [], set()
    for k in order:
        if k in used:
            continue
        l, u = values[k], vectors[:, k]
        if abs(l.imag) <= tol:
            used.add(k)
            blocks.append(Block((len(columns),), complex(l.real, 0.0), _kind(complex(l.real, 0.0), tol)))
            columns.append(np.real(u) if np.linalg.norm(np.real(u)) > np.linalg.norm(np.imag(u)) else np.imag(u))
            continue
        if l.imag < 0:  # use the partner with Im > 0; its conjugate is skipped below
            continue
        partner = min((m for m in range(len(values)) if m not in used and m != k),
                      key=lambda m: abs(values[m] - np.conj(l)))
        used |= {k, partner}
        blocks.append(Block((len(columns), len(columns) + 1), complex(l), _kind(complex(l), tol)))
        columns += [np.real(u), -np.imag(u)]
    v = np.column_stack(columns)
    condition = float(np.linalg.cond(v))
    diagonalizable = condition < 1e10
    basis = np.linalg.inv(v) if diagonalizable else np.full_like(v, np.nan)
    block_matrix = basis @ j @ v if diagonalizable else np.full_like(v, np.nan)
    return RealBlockDiagonal(basis, block_matrix, tuple(blocks), diagonalizable, condition)


@dataclass(frozen=True)
class Helmholtz:
    """``J = S + A``; ``potential`` and ``hamiltonian`` are ``||S||_F^2 / ||J||_F^2`` and
    ``||A||_F^2 / ||J||_F^2`` (they sum to 1)."""

    symmetric: sp.Matrix | np.ndarray
    antisymmetric: sp.Matrix | np.ndarray
    potential: float
    hamiltonian: float
    exact: bool

    def to_dict(self) -> dict:
        def show(m):
            return [[sp.sstr(e) for e in row] for row in m.tolist()] if self.exact else np.asarray(m).tolist()
        return {"symmetric": show(self.symmetric), "antisymmetric": show(self.antisymmetric),
                "potential_fraction": self.potential, "hamiltonian_fraction": self.hamiltonian, "exact": self.exact}


def helmholtz(jacobian) -> Helmholtz:
    """Symmetric and antisymmetric parts of J (exact for a sympy Matrix) and their shares."""
    exact = isinstance(jacobian, sp.MatrixBase)
    if exact:
        s, a = (jacobian + jacobian.T) / 2, (jacobian - jacobian.T) / 2
    else:
        j = np.asarray(jacobian, dtype=float)
        s, a = (j + j.T) / 2, (j - j.T) / 2
    ns, na = float(np.sum(_as_float(s) ** 2)), float(np.sum(_as_float(a) ** 2))
    total = ns + na
    return Helmholtz(s, a, ns / total if total else 0.0, na / total if total else 0.0, exact)


@dataclass(frozen=True)
class Lemma9:
    """Lemma 9 (consensus optimisation) at one gamma, in the descent convention ``J = -A``.

    ``quotient`` is ``q(gamma) = max |Im l| / |Re l|`` over the eigenvalues l of the consensus
    Jacobian ``J + gamma J^T J``. ``bound`` is the derived bound ``1 / (c + 2 rho^2 gamma / k)``
    with ``k = ||J - J^T||_2``; ``printed_bound`` is the paper's ``1 / (c + 2 rho^2 gamma)``."""

    gamma: float
    quotient: float
    c: float
    rho: float
    k: float
    bound: float
    printed_bound: float

    @property
    def holds(self) -> bool:
        return self.quotient <= self.bound * (1 + 1e-9) + 1e-12

    def to_dict(self) -> dict:
        return {"gamma": self.gamma, "quotient": self.quotient, "c": self.c, "rho": self.rho, "k": self.k,
                "bound": self.bound, "printed_bound": self.printed_bound, "holds": self.holds,
                "printed_holds": self.quotient <= self.printed_bound * (1 + 1e-9) + 1e-12}


def lemma9(jacobian, gamma: float) -> Lemma9:
    """Check Lemma 9's quotient bound for consensus optimisation at ``gamma`` (floats).

    Hypotheses (descent form): ``J + J^T`` positive semidefinite, J invertible. With ``rho`` the
    smallest singular value of J and ``c = min |u*(J + J^T)u| / |u*(J - J^T)u|`` over complex
    unit u, an eigenpair (l, u) of ``J + gamma J^T J`` gives ``Re l = u*Su' + gamma |Ju|^2``
    (``S' = (J + J^T)/2``) and ``|Im l| = |u*(J - J^T)u| / 2 <= k / 2``, hence
    ``|Im l| / Re l <= 1 / (c + 2 gamma rho^2 / |u*(J - J^T)u|) <= 1 / (c + 2 gamma rho^2 / k)``.
    The printed bound (eq. 18) omits the division by ``|u*(J - J^T)u|``; it fails, e.g., on
    ``J = [[1, 1], [-1, 1]]`` (q = 1/(1 + 2 gamma) > 1/(1 + 4 gamma)).

    ``c`` is computed as ``sup {t >= 0 : S - t i K is positive semidefinite}`` (S = J + J^T,
    K = J - J^T; ``iK`` is Hermitian), by bisection on the smallest eigenvalue.
    """
    j = _as_float(jacobian)
    sym, anti = j + j.T, j - j.T
    if np.linalg.eigvalsh(sym).min() < -1e-12 * max(1.0, np.abs(sym).max()):
        raise OptionError("Lemma 9 needs J + J^T positive semidefinite (the ascent form's A negative semidefinite)")
    rho = float(np.linalg.svd(j, compute_uv=False).min())
    if rho <= 1e-12:
        raise OptionError("Lemma 9 needs an invertible Jacobian")
    k = float(np.linalg.norm(anti, 2))
    herm = 1j * anti
    if k == 0:
        c = np.inf
    else:
        lo, hi = 0.0, 1.0
        while np.linalg.eigvalsh(sym - hi * herm).min() >= 0 and hi < 1e12:
            lo, hi = hi, 2 * hi
        for _ in range(200):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if np.linalg.eigvalsh(sym - mid * herm).min() >= 0 else (lo, mid)
        c = lo
    values = np.linalg.eigvals(j + gamma * j.T @ j)
    quotients = [abs(l.imag) / abs(l.real) if l.real != 0 else (np.inf if l.imag else 0.0) for l in values]
    bound = 1.0 / (c + 2 * rho ** 2 * gamma / k) if k else 0.0
    printed = 1.0 / (c + 2 * rho ** 2 * gamma) if k else 0.0
    return Lemma9(float(gamma), float(max(quotients)), float(c), rho, k, bound, printed)

"""Eigen-solvers on matrix-free game operators, every eigenpair checked by its residual.

- ``top_eigenvalues(op, k, "LM" | "LI")``: ARPACK (scipy ``eigs``) largest in magnitude or in
  imaginary part (the paper's App. B recipe, with a seeded start vector).
- ``leftmost_eigenvalues(op, k)``: smallest real parts, which decide LSSP and which top-k by
  magnitude misses (a small unstable eigenvalue hides behind large stable ones). Spectral shift
  ``B = A - sigma I`` with ``sigma`` the spectral radius: the spectrum of B lies in the closed left
  half-plane and the wanted eigenvalues are B's leftmost, farthest from the origin; ARPACK's
  relative tolerance ``|B u - mu u| <= tol |mu|`` then means an absolute accuracy ``~ tol sigma``
  for all of them, including eigenvalues of A near zero (which the unshifted relative test
  cannot resolve).
- ``hessian_extremes(op)``: largest and smallest algebraic eigenvalues of a symmetric operator
  (Lanczos, scipy ``eigsh``; the smallest after the same shift by the largest).

Every eigenpair carries ``residual = ||A u - l u||`` for unit u, computed with the operator
itself. (l, u) is then an exact eigenpair of ``A + E`` with ``||E||_2 = residual``; for a
symmetric A some eigenvalue lies within ``residual`` of l. Small operators (n <= dense_below)
are solved densely (LAPACK). Non-convergence returns the converged pairs, ``converged=False``
and a warning, never a silent wrong answer.
"""
from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse.linalg as spla
import torch

from gametheory.errors import OptionError
from neural.operators import GameOperator, ShiftedOperator, numpy_dtype

WHICH = ("LM", "LI", "SR")
_ORDER = {
    "LM": lambda lam: -np.abs(lam),
    "LI": lambda lam: -np.abs(lam.imag),
    "SR": lambda lam: lam.real,
    "LA": lambda lam: -lam.real,
    "SA": lambda lam: lam.real,
}
Progress = Callable[[int], None]  # called with the number of operator products just done
DENSE_BELOW = 512
"""Operators up to this size are solved densely: n products plus LAPACK cost less than a Krylov
solve that may need several times n products on clustered spectra (measured: 992 Lanczos
products for a 301-parameter discriminator Hessian)."""


@dataclass(frozen=True)
class EigenResult:
    """Eigenvalues (ordered by ``which``) with residuals ``||A u - l u||`` of unit u."""

    which: str
    k: int
    eigenvalues: tuple[complex, ...]
    residuals: tuple[float, ...]
    converged: bool
    method: str  # "arpack", "lanczos" or "dense"
    products: int
    shift: float = 0.0
    notes: tuple[str, ...] = field(default=())

    @property
    def max_residual(self) -> float:
        return max(self.residuals, default=float("nan"))

    def to_dict(self) -> dict:
        return {
            "which": self.which,
            "k": self.k,
            "eigenvalues": [[float(l.real), float(l.imag)] for l in self.eigenvalues],
            "residuals": [float(r) for r in self.residuals],
            "converged": self.converged,
            "method": self.method,
            "products": self.products,
            "shift": self.shift,
            "notes": list(self.notes),
        }


def default_tol(op: GameOperator) -> float:
    """ARPACK relative tolerance: 1e-10 in float64, 1e-5 in float32 (near its product noise)."""
    return 1e-10 if op.dtype == torch.float64 else 1e-5


def residuals(op: GameOperator, eigenvalues: np.ndarray, vectors: np.ndarray) -> np.ndarray:
    """``||A u - l u||`` for each column u (normalised) of ``vectors``, by the operator.
    A conjugate pair (l, conj l) shares its residual (A is real), so it is computed once."""
    out = np.empty(len(eigenvalues))
    done: dict[complex, float] = {}
    for j, lam in enumerate(eigenvalues):
        conjugate = complex(lam.real, -lam.imag)
        if lam.imag != 0 and conjugate in done:
            out[j] = done.pop(conjugate)
            continue
        u = vectors[:, j] / np.linalg.norm(vectors[:, j])
        parts = [u.real] if not np.iscomplexobj(u) or not np.any(u.imag) else [u.real, u.imag]
        columns = torch.from_numpy(np.stack(parts, axis=1).astype(numpy_dtype(op.dtype)))
        image = op.matmat(columns.to(op.device)).detach().cpu().numpy().astype(np.float64)
        au = image[:, 0] + (1j * image[:, 1] if len(parts) == 2 else 0)
        done[complex(lam)] = out[j] = float(np.linalg.norm(au - lam * u))
    return out


def _start_vector(n: int, dtype) -> np.ndarray:
    """A seeded start vector: the same solve twice gives the same answer."""
    return np.random.default_rng(0).standard_normal(n).astype(dtype)


def _check_k(op: GameOperator, k: int) -> None:
    if op.shape[0] != op.shape[1]:
        raise OptionError("eigenvalues need a square operator")
    if k < 1:
        raise OptionError(f"k must be at least 1, got {k}")


def _select(lam: np.ndarray, vec: np.ndarray, which: str, k: int):
    order = np.argsort(_ORDER[which](lam), kind="stable")[:k]
    return lam[order], vec[:, order]


def _dense(op: GameOperator, k: int, which: str, progress: Progress | None) -> EigenResult:
    first = op.products
    matrix = op.to_dense().detach().cpu().numpy().astype(np.float64)
    if progress:
        progress(op.shape[0])
    if op.symmetric:
        lam, vec = np.linalg.eigh((matrix + matrix.T) / 2)
    else:
        lam, vec = np.linalg.eig(matrix)
    lam, vec = _select(lam, vec, which, min(k, len(lam)))
    res = [float(np.linalg.norm(matrix @ vec[:, j] - lam[j] * vec[:, j]) / np.linalg.norm(vec[:, j]))
           for j in range(len(lam))]
    return EigenResult(which, k, tuple(complex(l) for l in lam), tuple(res), True, "dense",
                       op.products - first)


def _krylov(op: GameOperator, k: int, which: str, tol: float | None, ncv: int | None,
            maxiter: int | None, progress: Progress | None, shift: float = 0.0,
            first: int | None = None) -> EigenResult:
    """ARPACK on ``B = op - shift I``; eigenvalues reported for ``op`` with their residuals.
    ``products`` counts the operator products since ``first`` (default: this call's start)."""
    first = op.products if first is None else first
    target = ShiftedOperator(op, shift) if shift else op
    n = op.shape[0]
    tol = default_tol(op) if tol is None else tol
    linop = _Counting(target, progress)
    symmetric = op.symmetric
    arpack_which = "SA" if symmetric and which == "SR" else which  # eigsh knows no SR
    notes = []
    k_eff = min(k, n - 2)
    if k_eff < k:
        notes.append(f"only {k_eff} eigenvalues can be computed by ARPACK for size {n}")
    v0 = _start_vector(n, numpy_dtype(op.dtype)).astype(np.float64)
    try:
        if symmetric:
            lam, vec = spla.eigsh(linop, k=k_eff, which=arpack_which, tol=tol, ncv=ncv,
                                  maxiter=maxiter, v0=v0)
        else:
            lam, vec = spla.eigs(linop, k=k_eff, which=arpack_which, tol=tol, ncv=ncv,
                                 maxiter=maxiter, v0=v0)
        converged = True
    except spla.ArpackNoConvergence as error:
        lam, vec = error.eigenvalues, error.eigenvectors
        converged = False
        message = (f"ARPACK ({which}) did not converge: {len(lam)} of {k_eff} eigenvalues "
                   "converged; returning those")
        notes.append(message)
        warnings.warn(message, RuntimeWarning, stacklevel=3)
    lam = np.asarray(lam) + shift
    lam, vec = _select(lam, np.asarray(vec), which, k_eff)
    res = residuals(op, lam, vec)
    return EigenResult(which, k, tuple(complex(l) for l in lam), tuple(float(r) for r in res),
                       converged and len(lam) >= k_eff, "lanczos" if symmetric else "arpack",
                       op.products - first, shift, tuple(notes))


class _Counting(spla.LinearOperator):
    """A scipy adapter that reports progress after each product. It presents the operator to
    ARPACK in float64 whatever the operator's dtype (products still run in it): scipy's
    single-precision ARPACK measured non-reproducible within a process (the same shifted solve
    of a float32 operator with bit-identical products took 111, 139 and 111 products), the
    double-precision one reproducible, with the same product counts otherwise."""

    def __init__(self, op: GameOperator, progress: Progress | None):
        self.inner, self.progress = op.to_scipy(), progress
        super().__init__(dtype=np.dtype(np.float64), shape=self.inner.shape)

    def _matvec(self, x):
        out = self.inner.matvec(x).astype(np.float64)
        if self.progress:
            self.progress(1)
        return out


def top_eigenvalues(op: GameOperator, k: int = 20, which: str = "LM", *,
                    tol: float | None = None, ncv: int | None = None,
                    maxiter: int | None = None, dense_below: int = DENSE_BELOW,
                    progress: Progress | None = None) -> EigenResult:
    """The k eigenvalues of largest magnitude (``LM``) or imaginary part (``LI``), or the k
    leftmost (``SR``, via ``leftmost_eigenvalues``)."""
    _check_k(op, k)
    if which not in WHICH:
        raise OptionError(f"which must be one of {', '.join(WHICH)}, got {which!r}")
    if which == "LI" and op.symmetric:
        raise OptionError("a symmetric operator (a player's Hessian) has real eigenvalues: "
                          "use LM or SR")
    if which == "SR":
        return leftmost_eigenvalues(op, k, tol=tol, ncv=ncv, maxiter=maxiter,
                                    dense_below=dense_below, progress=progress)
    if op.shape[0] <= max(dense_below, k + 2):
        return _dense(op, k, which, progress)
    return _krylov(op, k, which, tol, ncv, maxiter, progress)


def spectral_radius(op: GameOperator, progress: Progress | None = None) -> float:
    """A loose estimate (relative 1e-3) of ``max |l|``: the shift for the leftmost solve."""
    result = _krylov(op, 1, "LM", 1e-3, None, None, progress)
    return abs(result.eigenvalues[0]) if result.eigenvalues else 0.0


def leftmost_eigenvalues(op: GameOperator, k: int = 6, *, radius: float | None = None,
                         tol: float | None = None, ncv: int | None = None,
                         maxiter: int | None = None, dense_below: int = DENSE_BELOW,
                         progress: Progress | None = None) -> EigenResult:
    """The k eigenvalues of smallest real part (see the module docstring for the shift).
    ``radius``: a known spectral radius (e.g. from a top-k solve) saves its estimate."""
    _check_k(op, k)
    if op.shape[0] <= max(dense_below, k + 2):
        return _dense(op, k, "SR", progress)
    first = op.products
    radius = spectral_radius(op, progress) if radius is None else radius
    shift = radius * 1.01 if radius > 0 else 1.0
    return _krylov(op, k, "SR", tol, ncv, maxiter, progress, shift, first)


def hessian_extremes(op: GameOperator, k: int = 1, *, tol: float | None = None,
                     dense_below: int = DENSE_BELOW, progress: Progress | None = None
                     ) -> tuple[EigenResult, EigenResult]:
    """Largest and smallest algebraic eigenvalues of a symmetric operator (a player's Hessian).
    The smallest uses the shift ``sigma = largest``, so the wanted end of ``A - sigma I`` is the
    one farthest from the origin."""
    _check_k(op, k)
    if not op.symmetric:
        raise OptionError("hessian_extremes needs a symmetric operator")
    if op.shape[0] <= max(dense_below, k + 2):
        return _dense(op, k, "LA", progress), _dense(op, k, "SA", progress)
    largest = _krylov(op, k, "LA", tol, None, None, progress)
    top = max((l.real for l in largest.eigenvalues), default=0.0)
    smallest = _krylov(op, k, "SA", tol, None, None, progress, shift=top)
    return largest, smallest

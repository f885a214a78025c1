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

Rotation-dominated spectra (|Im l| >> Re l, as in GANs) hide the leftmost eigenvalues from any
Krylov solve on A itself: an eigenvalue barely left of the others but far from the spectrum's
ends converges only when the Krylov space nearly fills the whole space. ``leftmost_eigenvalues``
therefore confirms a Krylov answer on ``E = exp(-t (A - s I))`` (``ExponentialOperator``):
``|exp(-t (l - s))| = exp(-t (Re l - s))`` orders the eigenvalues by real part whatever their
imaginary part, so the leftmost ones are E's largest in magnitude, separated by a factor
``exp(t d)`` for a real-part gap d. Each product with E costs ~``t ||A||`` products with A, so
``t`` is set by a product budget, and the result's ``resolution = 1/t`` says which real-part
gaps the solve can resolve.

Every eigenpair carries ``residual = ||A u - l u||`` for unit u, computed with the operator
itself. (l, u) is then an exact eigenpair of ``A + E`` with ``||E||_2 = residual``; for a
symmetric A some eigenvalue lies within ``residual`` of l, but for a non-normal A a small
residual proves nothing about A's own eigenvalues (a pseudo-eigenvalue): proofs are
``neural.analysis.certificates``' business. Small operators (n <= dense_below) are solved densely
(LAPACK). Non-convergence returns the converged pairs, ``converged=False`` and a warning, never
a silent wrong answer.

Determinism: every ARPACK solve starts from the seeded vector ``start_vector(n)`` and draws its
restart vectors from a generator seeded with ``SEED`` (``rng=``; scipy >= 1.17, whose ARPACK takes
them from Python), so that a solve is a function of the operator alone (same answer in any
process and call order). The seed is recorded in the result.
"""
from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse.linalg as spla
import torch

from gametheory.display import latex
from gametheory.errors import GameError, OptionError
from neural.operators import ExponentialOperator, GameOperator, ShiftedOperator, numpy_dtype

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
products for a 301-parameter discriminator Hessian). The default for top-k solves by magnitude,
which Krylov methods do well."""
DENSE_BUDGET = 2048
"""Leftmost solves (and ``neural.analysis.classify``) go dense up to this size: a dense matrix (n
products, 8 n^2 bytes: 32 MiB at 2048) gives every eigenvalue and admits proofs
(``neural.analysis.certificates``), where a Krylov solve can miss an eigenvalue hidden among rotations."""
SEED = 0
"""Seed of every ARPACK start vector and of ARPACK's restart generator."""
EXP_BUDGET = 10_000
"""Default product budget of the exponential leftmost solve (``ExponentialOperator``)."""


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
    seed: int | None = None  # ARPACK's start-vector seed (None: dense, no random start)
    transform: str = ""  # the spectral transformation the eigenvalues were found on, if any
    resolution: float | None = None  # real-part gap the leftmost solve resolves (exp: 1/t)

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
            "seed": self.seed,
            "transform": self.transform,
            "resolution": self.resolution,
        }

    def _repr_latex_(self) -> str | None:
        return latex(self)


class EigenSolveError(GameError):
    """ARPACK gave up on an operator (shown by the CLI as one line)."""


def default_tol(op: GameOperator) -> float:
    """ARPACK relative tolerance: 1e-10 in float64, 1e-5 in float32 (near its product noise)."""
    return 1e-10 if op.dtype == torch.float64 else 1e-5


def _image(op: GameOperator, u: np.ndarray) -> np.ndarray:
    """``A u`` for a real or complex numpy vector u, in float64 (complex u: two products)."""
    parts = [u.real] if not np.iscomplexobj(u) or not np.any(u.imag) else [u.real, u.imag]
    columns = torch.from_numpy(np.stack(parts, axis=1).astype(numpy_dtype(op.dtype)))
    image = op.matmat(columns.to(op.device)).detach().cpu().numpy().astype(np.float64)
    return image[:, 0] + (1j * image[:, 1] if len(parts) == 2 else 0)


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
        done[complex(lam)] = out[j] = float(np.linalg.norm(_image(op, u) - lam * u))
    return out


def start_vector(n: int) -> np.ndarray:
    """The seeded ARPACK start vector of size n (float64): the same for every solve of size n."""
    return np.random.default_rng(SEED).standard_normal(n)


def _arpack_seeding(n: int) -> dict:
    """Keyword arguments that make ARPACK a function of the operator alone (module docstring)."""
    return {"v0": start_vector(n), "rng": np.random.default_rng(SEED)}


def _check_k(op: GameOperator, k: int) -> None:
    if op.shape[0] != op.shape[1]:
        raise OptionError("eigenvalues need a square operator")
    if k < 1:
        raise OptionError(f"k must be at least 1, got {k}")


def _select(lam: np.ndarray, vec: np.ndarray, which: str, k: int):
    order = np.argsort(_ORDER[which](lam), kind="stable")[:k]
    return lam[order], vec[:, order]


def dense_matrix(op: GameOperator, progress: Progress | None = None) -> np.ndarray:
    """The operator as a float64 numpy matrix (n products, batched where the operator batches;
    a non-finite product raises ``NonFiniteProduct``)."""
    matrix = op.to_dense().detach().cpu().numpy().astype(np.float64)
    if progress:
        progress(op.shape[0])
    return matrix


def dense_eigen(matrix: np.ndarray, k: int, which: str, symmetric: bool = False,
                products: int = 0, system: tuple | None = None) -> EigenResult:
    """The k eigenvalues of a dense matrix ordered by ``which`` (LAPACK), with residuals;
    ``symmetric``: of its symmetric part (a Hessian). ``products``: what building it cost.
    ``system``: its eigenvalues and eigenvectors if already computed (``np.linalg.eig``)."""
    if symmetric:
        matrix = (matrix + matrix.T) / 2
    if system is None:
        system = np.linalg.eigh(matrix) if symmetric else np.linalg.eig(matrix)
    lam, vec = _select(*system, which, min(k, len(system[0])))
    res = [float(np.linalg.norm(matrix @ vec[:, j] - lam[j] * vec[:, j]) / np.linalg.norm(vec[:, j]))
           for j in range(len(lam))]
    return EigenResult(which, k, tuple(complex(l) for l in lam), tuple(res), True, "dense",
                       products)


def _dense(op: GameOperator, k: int, which: str, progress: Progress | None) -> EigenResult:
    first = op.products
    matrix = dense_matrix(op, progress)
    return dense_eigen(matrix, k, which, op.symmetric, op.products - first)


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
    seeding = _arpack_seeding(n)
    try:
        if symmetric:
            lam, vec = spla.eigsh(linop, k=k_eff, which=arpack_which, tol=tol, ncv=ncv,
                                  maxiter=maxiter, **seeding)
        else:
            lam, vec = spla.eigs(linop, k=k_eff, which=arpack_which, tol=tol, ncv=ncv,
                                 maxiter=maxiter, **seeding)
        converged = True
    except spla.ArpackNoConvergence as error:
        lam, vec = error.eigenvalues, error.eigenvectors
        converged = False
        message = (f"ARPACK ({which}) did not converge: {len(lam)} of {k_eff} eigenvalues "
                   "converged; returning those")
        notes.append(message)
        warnings.warn(message, RuntimeWarning, stacklevel=3)
    except spla.ArpackError as error:  # e.g. -9: the (shifted) operator annihilated the start
        raise EigenSolveError(f"ARPACK ({which}) failed on this operator: {error}") from None
    lam = np.asarray(lam) + shift
    lam, vec = _select(lam, np.asarray(vec), which, k_eff)
    res = residuals(op, lam, vec)
    return EigenResult(which, k, tuple(complex(l) for l in lam), tuple(float(r) for r in res),
                       converged and len(lam) >= k_eff, "lanczos" if symmetric else "arpack",
                       op.products - first, shift, tuple(notes), SEED)


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
                    maxiter: int | None = None, dense_below: int | None = None,
                    exp_budget: int = EXP_BUDGET, progress: Progress | None = None) -> EigenResult:
    """The k eigenvalues of largest magnitude (``LM``) or imaginary part (``LI``), or the k
    leftmost (``SR``, via ``leftmost_eigenvalues``, with ``exp_budget``). ``dense_below``
    defaults to ``DENSE_BELOW`` (LM, LI) or ``DENSE_BUDGET`` (SR)."""
    _check_k(op, k)
    if which not in WHICH:
        raise OptionError(f"which must be one of {', '.join(WHICH)}, got {which!r}")
    if which == "LI" and op.symmetric:
        raise OptionError("a symmetric operator (a player's Hessian) has real eigenvalues: "
                          "use LM or SR")
    if which == "SR":
        return leftmost_eigenvalues(op, k, tol=tol, ncv=ncv, maxiter=maxiter, progress=progress,
                                    dense_below=DENSE_BUDGET if dense_below is None else dense_below,
                                    exp_budget=exp_budget)
    if op.shape[0] <= max(DENSE_BELOW if dense_below is None else dense_below, k + 2):
        return _dense(op, k, which, progress)
    return _krylov(op, k, which, tol, ncv, maxiter, progress)


def spectral_radius(op: GameOperator, progress: Progress | None = None) -> float:
    """A loose estimate (relative 1e-3) of ``max |l|``: the shift for the leftmost solve."""
    result = _krylov(op, 1, "LM", 1e-3, None, None, progress)
    return abs(result.eigenvalues[0]) if result.eigenvalues else 0.0


def leftmost_eigenvalues(op: GameOperator, k: int = 6, *, radius: float | None = None,
                         tol: float | None = None, ncv: int | None = None,
                         maxiter: int | None = None, dense_below: int = DENSE_BUDGET,
                         exp_budget: int = EXP_BUDGET,
                         progress: Progress | None = None) -> EigenResult:
    """The k eigenvalues of smallest real part (module docstring): dense up to ``dense_below``;
    else a shifted ARPACK solve, confirmed on ``exp(-t (A - s I))`` within ``exp_budget``
    products (0, or a symmetric A: no confirmation; the result then has no ``resolution``).
    ``radius``: a known spectral radius (e.g. from a top-k solve) saves its estimate."""
    _check_k(op, k)
    if op.shape[0] <= max(dense_below, k + 2):
        return _dense(op, k, "SR", progress)
    first = op.products
    radius = spectral_radius(op, progress) if radius is None else radius
    shift = radius * 1.01 if radius > 0 else 1.0
    shifted = _krylov(op, k, "SR", tol, ncv, maxiter, progress, shift, first)
    if exp_budget <= 0 or op.symmetric or not shifted.eigenvalues or radius <= 0:
        return shifted  # a symmetric spectrum is real: no rotation to hide behind
    return confirm_leftmost(op, shifted, radius, tol, exp_budget, progress)


EXP_APPLIES = 60
"""Products with E that the exponential solve is planned for (ARPACK's first Krylov space of
~20 vectors and a few restarts): ``t`` is chosen so that this many fit in the budget."""


class _BudgetSpent(Exception):
    pass


def confirm_leftmost(op: GameOperator, shifted: EigenResult, radius: float, tol: float | None,
                     budget: int, progress: Progress | None = None) -> EigenResult:
    """ARPACK 'LM' on ``E = exp(-t (A - s I))``, s the leftmost real part of ``shifted`` (a
    shifted SR solve) and ``t`` the largest the ``budget`` of products with A allows (E costs
    ~``2 STEP t span`` products; at most ``log(dtype max) / (4 span)``: E's entries, up to
    ``exp(2 t span)``, stay finite); the eigenvalues of A are the Rayleigh quotients of E's
    eigenvectors. Merged with ``shifted``'s pairs; ``converged`` only if E's solve converged
    within the budget. ``resolution = 1/t``: an eigenvalue further left than the reported ones
    by more than that would dominate E."""
    k, n = shifted.k, op.shape[0]
    sigma = min(l.real for l in shifted.eigenvalues)
    span = radius + abs(sigma)  # bounds the spectral radius of A - sigma I
    t = min(budget / (EXP_APPLIES * 2 * ExponentialOperator.STEP * span),
            math.log(torch.finfo(op.dtype).max) / (4 * span))
    exp_op = ExponentialOperator(op, t, sigma, span).to_scipy()
    start = op.products

    def counted(x):
        if op.products - start > budget:
            raise _BudgetSpent
        out = exp_op.matvec(x).astype(np.float64)
        if progress:
            progress(1)
        return out

    linop = spla.LinearOperator((n, n), matvec=counted, dtype=np.float64)
    k_eff = min(k, n - 2)
    notes = list(shifted.notes)
    try:
        _, vec = spla.eigs(linop, k=k_eff, which="LM", tol=default_tol(op) if tol is None else tol,
                           **_arpack_seeding(n))
        converged = True
    except spla.ArpackNoConvergence as error:
        vec, converged = error.eigenvectors, False
        notes.append("the exponential leftmost solve did not converge")
    except _BudgetSpent:
        vec, converged = np.zeros((n, 0)), False
        notes.append(f"the exponential leftmost solve ran out of its budget of {budget} products "
                     f"(t = {t:.3g}): real parts closer than ~{1 / t:.2g} are not separated")
    lam, res = rayleigh_pairs(op, np.asarray(vec))
    lam = np.concatenate([np.array(shifted.eigenvalues, dtype=complex), lam])
    res = np.concatenate([np.array(shifted.residuals), res])
    keep = _distinct(lam, res)
    order = sorted(keep, key=lambda j: lam[j].real)[:k_eff]
    return EigenResult("SR", k, tuple(complex(lam[j]) for j in order),
                       tuple(float(res[j]) for j in order), converged and len(order) >= k_eff,
                       "arpack+exp", shifted.products + op.products - start, shifted.shift,
                       tuple(notes), SEED,
                       f"exp(-t (J - s I)), t = {t:.6g}, s = {sigma:.6g}", 1.0 / t)


def _distinct(lam: np.ndarray, res: np.ndarray) -> list[int]:
    """Indices of ``lam`` without repeats (two values closer than their residuals plus a
    relative 1e-8 are one eigenvalue; the smaller residual is kept)."""
    keep: list[int] = []
    for j in np.argsort(res, kind="stable"):
        if all(abs(lam[j] - lam[i]) > res[i] + res[j] + 1e-8 * abs(lam[i]) for i in keep):
            keep.append(int(j))
    return keep


def rayleigh_pairs(op: GameOperator, vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each column u: the Rayleigh quotient ``l = u^H A u / u^H u`` and ``||A u - l u||``
    (unit u), by the operator (one product per real or imaginary part)."""
    lam, res = np.empty(vectors.shape[1], dtype=complex), np.empty(vectors.shape[1])
    for j in range(vectors.shape[1]):
        u = vectors[:, j] / np.linalg.norm(vectors[:, j])
        au = _image(op, u)
        lam[j] = np.vdot(u, au)
        res[j] = np.linalg.norm(au - lam[j] * u)
    return lam, res


def hessian_extremes(op: GameOperator, k: int = 1, *, tol: float | None = None,
                     dense_below: int = DENSE_BELOW, progress: Progress | None = None
                     ) -> tuple[EigenResult, EigenResult]:
    """Largest and smallest algebraic eigenvalues of a symmetric operator (a player's Hessian).
    The smallest uses the shift ``sigma`` just past the largest, so the wanted end of
    ``A - sigma I`` is the one farthest from the origin (and ``A = c I`` does not make it 0)."""
    _check_k(op, k)
    if not op.symmetric:
        raise OptionError("hessian_extremes needs a symmetric operator")
    if op.shape[0] <= max(dense_below, k + 2):
        first = op.products
        matrix = dense_matrix(op, progress)  # once for both ends
        system = np.linalg.eigh((matrix + matrix.T) / 2)
        return (dense_eigen(matrix, k, "LA", True, op.products - first, system),
                dense_eigen(matrix, k, "SA", True, 0, system))
    largest = _krylov(op, k, "LA", tol, None, None, progress)
    top = max((l.real for l in largest.eigenvalues), default=0.0)
    shift = top + 0.01 * abs(top) if top else 1.0  # past the top: A - shift I is never 0
    smallest = _krylov(op, k, "SA", tol, None, None, progress, shift=shift)
    return largest, smallest

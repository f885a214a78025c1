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

Every ARPACK solve ends: its restart count is capped so that it stops at about a product budget
(``max_products``; ``_arpack``) with the pairs that converged (``budget_spent``), products and
the pairs converged are reported through ``progress``, and where the operator is small enough
(``dense_fallback`` rows), the dense solve replaces a solve that ran out.

Determinism: every ARPACK solve starts from the seeded vector ``start_vector(n)`` and draws its
restart vectors from a generator seeded with ``SEED`` (``rng=``; scipy >= 1.17, whose ARPACK takes
them from Python), so that a solve is a function of the operator alone (same answer in any
process and call order). The seed is recorded in the result.
"""
from __future__ import annotations

import inspect
import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field, replace

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
Progress = Callable[..., None]
"""``progress(n)`` after n operator products; a callback with a ``status`` keyword also gets
``progress(0, status=text)`` when a solve's state changes (pairs converged, budget reached)."""
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
MAX_PRODUCTS = 20_000
"""Default product budget of one ARPACK solve: past it the solve ends its current iteration and
returns what converged (ARPACK's own limit, 10 n restarts, can mean hours on a spectrum without
gaps, such as many eigenvalues of one modulus)."""


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
    max_products: int | None = None  # the product budget of each ARPACK solve (None: dense)
    budget_spent: bool = False  # an ARPACK solve stopped at max_products (then maybe dense)

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
            "max_products": self.max_products,
            "budget_spent": self.budget_spent,
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


def _status(progress: Progress | None) -> Callable[[str], None]:
    """``text -> progress(0, status=text)`` where ``progress`` takes a status, else a no-op."""
    try:
        takes = progress is not None and "status" in inspect.signature(progress).parameters
    except (TypeError, ValueError):  # a callable without a signature: products only
        takes = False
    return (lambda text: progress(0, status=text)) if takes else (lambda text: None)


def _arpack(linop: spla.LinearOperator, k: int, which: str, symmetric: bool, tol: float,
            ncv: int | None, maxiter: int | None, max_products: int | None,
            status: Callable[[str], None]) -> tuple[np.ndarray, np.ndarray, bool, bool]:
    """scipy's ``eigs``/``eigsh`` (seeded), bounded by a product budget: a solve takes ``ncv``
    products to start and at most ``ncv - k`` per implicit restart, so capping ARPACK's restart
    count ``maxiter`` caps its products at about ``max_products`` (at most ``ncv`` past it).
    Returns (eigenvalues, eigenvectors, converged, budget_spent): on a budget or ``maxiter``
    stop, the pairs that converged. Raises ``ArpackError``."""
    n = linop.shape[0]
    limit = n * 10 if maxiter is None else maxiter  # scipy's default maxiter
    cap = limit
    if max_products is not None:
        basis = ncv if ncv is not None else min(n, max(2 * k + 1, 20))  # scipy's default ncv
        cap = min(limit, max(1, (max_products - basis) // max(1, basis - k) + 1))
    solver = spla.eigsh if symmetric else spla.eigs
    try:
        lam, vec = solver(linop, k=k, which=which, tol=tol, ncv=ncv, maxiter=cap, **_arpack_seeding(n))
    except spla.ArpackNoConvergence as error:
        spent = cap < limit
        found = len(error.eigenvalues)
        status(f"product budget reached, {found} of {k} pairs converged" if spent
               else f"stopped after {cap} restarts, {found} of {k} pairs converged")
        return np.asarray(error.eigenvalues), np.asarray(error.eigenvectors), False, spent
    status(f"{k} of {k} pairs converged")
    return lam, vec, True, False


def _krylov(op: GameOperator, k: int, which: str, tol: float | None, ncv: int | None,
            maxiter: int | None, progress: Progress | None, shift: float = 0.0,
            first: int | None = None, max_products: int = MAX_PRODUCTS) -> EigenResult:
    """ARPACK on ``B = op - shift I``; eigenvalues reported for ``op`` with their residuals.
    ``products`` counts the operator products since ``first`` (default: this call's start);
    the solve stops after about ``max_products`` of its own (``_arpack``)."""
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
    try:
        lam, vec, converged, spent = _arpack(linop, k_eff, arpack_which, symmetric, tol, ncv, maxiter,
                                             max_products, _status(progress))
    except spla.ArpackError as error:  # e.g. -9: the (shifted) operator annihilated the start
        raise EigenSolveError(f"ARPACK ({which}) failed on this operator: {error}") from None
    if spent:
        message = (f"ARPACK ({which}) stopped at its product budget of {max_products}: "
                   f"{len(lam)} of {k_eff} eigenvalues converged; returning those")
    elif not converged:
        message = (f"ARPACK ({which}) did not converge: {len(lam)} of {k_eff} eigenvalues "
                   "converged; returning those")
    if spent or not converged:
        notes.append(message)
        warnings.warn(message, RuntimeWarning, stacklevel=3)
    lam = np.asarray(lam) + shift
    lam, vec = _select(lam, np.asarray(vec), which, k_eff)
    before = op.products
    res = residuals(op, lam, vec)
    if progress:
        progress(op.products - before)
    return EigenResult(which, k, tuple(complex(l) for l in lam), tuple(float(r) for r in res),
                       converged and len(lam) >= k_eff, "lanczos" if symmetric else "arpack",
                       op.products - first, shift, tuple(notes), SEED,
                       max_products=max_products, budget_spent=spent)


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


def _or_dense(op: GameOperator, result: EigenResult, k: int, which: str, fallback: int,
              progress: Progress | None) -> EigenResult:
    """``result``; or, where its ARPACK solve stopped at the product budget and the operator has
    at most ``fallback`` rows, the dense solve (every eigenvalue; products of both counted)."""
    if not result.budget_spent or op.shape[0] > fallback:
        return result
    dense = _dense(op, k, which, progress)
    note = (f"the Krylov solve stopped at its product budget of {result.max_products} "
            f"({len(result.eigenvalues)} of {k} eigenvalues converged); solved densely instead")
    return replace(dense, products=result.products + dense.products, notes=(note,),
                   max_products=result.max_products, budget_spent=True)


def top_eigenvalues(op: GameOperator, k: int = 20, which: str = "LM", *,
                    tol: float | None = None, ncv: int | None = None,
                    maxiter: int | None = None, dense_below: int | None = None,
                    exp_budget: int = EXP_BUDGET, max_products: int = MAX_PRODUCTS,
                    dense_fallback: int = DENSE_BUDGET,
                    progress: Progress | None = None) -> EigenResult:
    """The k eigenvalues of largest magnitude (``LM``) or imaginary part (``LI``), or the k
    leftmost (``SR``, via ``leftmost_eigenvalues``, with ``exp_budget``). ``dense_below``
    defaults to ``DENSE_BELOW`` (LM, LI) or ``DENSE_BUDGET`` (SR). An ARPACK solve stops after
    ``max_products`` products with what converged (``budget_spent``), or is replaced by the
    dense solve where the operator has at most ``dense_fallback`` rows."""
    _check_k(op, k)
    if which not in WHICH:
        raise OptionError(f"which must be one of {', '.join(WHICH)}, got {which!r}")
    if which == "LI" and op.symmetric:
        raise OptionError("a symmetric operator (a player's Hessian) has real eigenvalues: "
                          "use LM or SR")
    if max_products < 1:
        raise OptionError(f"max_products must be at least 1, got {max_products}")
    if which == "SR":
        return leftmost_eigenvalues(op, k, tol=tol, ncv=ncv, maxiter=maxiter, progress=progress,
                                    dense_below=DENSE_BUDGET if dense_below is None else dense_below,
                                    exp_budget=exp_budget, max_products=max_products,
                                    dense_fallback=dense_fallback)
    if op.shape[0] <= max(DENSE_BELOW if dense_below is None else dense_below, k + 2):
        return _dense(op, k, which, progress)
    result = _krylov(op, k, which, tol, ncv, maxiter, progress, max_products=max_products)
    return _or_dense(op, result, k, which, dense_fallback, progress)


def leftmost_eigenvalues(op: GameOperator, k: int = 6, *, radius: float | None = None,
                         tol: float | None = None, ncv: int | None = None,
                         maxiter: int | None = None, dense_below: int = DENSE_BUDGET,
                         exp_budget: int = EXP_BUDGET, max_products: int = MAX_PRODUCTS,
                         dense_fallback: int = DENSE_BUDGET,
                         progress: Progress | None = None) -> EigenResult:
    """The k eigenvalues of smallest real part (module docstring): dense up to ``dense_below``;
    else a shifted ARPACK solve, confirmed on ``exp(-t (A - s I))`` within ``exp_budget``
    products (0, or a symmetric A: no confirmation; the result then has no ``resolution``).
    ``radius``: a known spectral radius (e.g. from a top-k solve) saves its estimate (a loose
    ARPACK solve, relative 1e-3). ``max_products`` and ``dense_fallback`` bound each ARPACK
    solve as in ``top_eigenvalues``; a radius estimate that converged nothing ends the solve."""
    _check_k(op, k)
    if op.shape[0] <= max(dense_below, k + 2):
        return _dense(op, k, "SR", progress)
    first = op.products
    if radius is None:
        estimate = _krylov(op, 1, "LM", 1e-3, None, None, progress, max_products=max_products)
        if not estimate.eigenvalues:
            note = "the spectral-radius estimate converged nothing: no shift for the leftmost solve"
            empty = replace(estimate, which="SR", k=k, residuals=(), converged=False,
                            products=op.products - first, notes=estimate.notes + (note,))
            return _or_dense(op, empty, k, "SR", dense_fallback, progress)
        radius = abs(estimate.eigenvalues[0])
    shift = radius * 1.01 if radius > 0 else 1.0
    shifted = _krylov(op, k, "SR", tol, ncv, maxiter, progress, shift, first, max_products)
    if shifted.budget_spent:
        return _or_dense(op, shifted, k, "SR", dense_fallback, progress)
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
        _, vec, converged, _ = _arpack(linop, k_eff, "LM", False,
                                       default_tol(op) if tol is None else tol, None, None, None,
                                       _status(progress))
        if not converged:
            notes.append("the exponential leftmost solve did not converge")
    except _BudgetSpent:
        vec, converged = np.zeros((n, 0)), False
        notes.append(f"the exponential leftmost solve ran out of its budget of {budget} products "
                     f"(t = {t:.3g}): real parts closer than ~{1 / t:.2g} are not separated")
    before = op.products
    lam, res = rayleigh_pairs(op, np.asarray(vec))
    if progress:
        progress(op.products - before)
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
                     dense_below: int = DENSE_BELOW, max_products: int = MAX_PRODUCTS,
                     dense_fallback: int = DENSE_BUDGET, progress: Progress | None = None
                     ) -> tuple[EigenResult, EigenResult]:
    """Largest and smallest algebraic eigenvalues of a symmetric operator (a player's Hessian).
    The smallest uses the shift ``sigma`` just past the largest, so the wanted end of
    ``A - sigma I`` is the one farthest from the origin (and ``A = c I`` does not make it 0).
    Each Lanczos solve stops after ``max_products`` products; where one did and the operator
    has at most ``dense_fallback`` rows, both ends come from the dense matrix instead."""
    _check_k(op, k)
    if not op.symmetric:
        raise OptionError("hessian_extremes needs a symmetric operator")
    if op.shape[0] <= max(dense_below, k + 2):
        return _dense_extremes(op, k, progress)
    first = op.products
    largest = _krylov(op, k, "LA", tol, None, None, progress, max_products=max_products)
    top = max((l.real for l in largest.eigenvalues), default=0.0)
    shift = top + 0.01 * abs(top) if top else 1.0  # past the top: A - shift I is never 0
    smallest = _krylov(op, k, "SA", tol, None, None, progress, shift=shift,
                       max_products=max_products)
    if (largest.budget_spent or smallest.budget_spent) and op.shape[0] <= dense_fallback:
        note = (f"a Lanczos solve stopped at its product budget of {max_products}; "
                "solved densely instead")
        krylov = op.products - first
        high, low = _dense_extremes(op, k, progress)
        spent = {"notes": (note,), "max_products": max_products, "budget_spent": True}
        return (replace(high, products=krylov + high.products, **spent), replace(low, **spent))
    return largest, smallest


def _dense_extremes(op: GameOperator, k: int, progress: Progress | None
                    ) -> tuple[EigenResult, EigenResult]:
    """Both ends of a symmetric operator's spectrum from one dense matrix (n products)."""
    first = op.products
    matrix = dense_matrix(op, progress)
    system = np.linalg.eigh((matrix + matrix.T) / 2)
    return (dense_eigen(matrix, k, "LA", True, op.products - first, system),
            dense_eigen(matrix, k, "SA", True, 0, system))

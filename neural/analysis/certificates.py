"""Proofs for dense verdicts: every check accounts for the rounding of the arithmetic it runs.

A small residual ``||J u - l u||`` proves only that l is an eigenvalue of a nearby matrix; for a
non-normal J (Jordan chains) that says nothing about J's own eigenvalues. The certificates here
are proofs about the dense float64 matrix they are given (the computed Jacobian):

- ``positive_definite(a, shift)``: Rump's test (Rump, "Verification of positive definiteness",
  BIT 2006): if the floating-point Cholesky factorisation of ``a - (shift + c) I`` runs to
  completion, with ``c = gamma_{n+1} / (1 - 2 gamma_{n+1}) * trace + underflow term`` (here
  doubled, to absorb the rounding of the shift itself), then ``a - shift I`` is positive definite.
- ``lyapunov_inertia(j)``: solve ``J^T P + P J = I`` (Bartels-Stewart; ``verify_lyapunov`` takes
  a candidate P from anywhere, P symmetrised) and verify
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
given, e.g. an estimate of the products' own rounding:
``(J + E)^T P + P (J + E) >= Q - 2 delta ||P|| I``, and a
symmetric perturbation moves a Rayleigh quotient or the smallest eigenvalue by at most delta.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import scipy.linalg
import scipy.linalg.lapack

UNIT = np.finfo(np.float64).eps / 2  # unit roundoff u
TINY = np.finfo(np.float64).smallest_subnormal
LANCZOS_ABOVE = 200
"""Size above which :func:`symmetric_extremes` tries Lanczos before a dense reduction."""


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


def blocks(n: int, size: int = 1024) -> list[slice]:
    """``range(n)`` cut into slices of at most ``size``: blocked passes over n x n arrays hold
    only n x size temporaries."""
    return [slice(start, min(start + size, n)) for start in range(0, n, size)]


def _symmetrise(a: np.ndarray) -> np.ndarray:
    """``a <- (a + a^T) / 2`` in place, block by block; returns a."""
    parts = blocks(len(a))
    for i, rows in enumerate(parts):
        for cols in parts[:i + 1]:
            mean = (a[rows, cols] + a[cols, rows].T) / 2
            a[rows, cols] = mean
            a[cols, rows] = mean.T
    return a


def positive_definite(a: np.ndarray, shift: float = 0.0, overwrite: bool = False) -> bool:
    """True proves that ``a - shift I`` is positive definite (a symmetric, only its lower
    triangle is read; shift >= 0); False proves nothing. Rump's test (module docstring).
    ``overwrite``: a may be destroyed (no copy is made)."""
    n = len(a)
    diagonal = np.diag(a).copy()
    if not np.all(np.isfinite(diagonal)) or np.any(diagonal <= shift) or not np.isfinite(a).all():
        return False
    g = _gamma(n + 1)
    c = g / (1 - 2 * g) * float(np.sum(diagonal)) + 4 * n * (2 * n + float(diagonal.max())) * TINY
    work = a if overwrite and a.flags.c_contiguous else np.array(a, dtype=np.float64, order="C")
    work[np.diag_indices(n)] = diagonal - (shift + 2 * c)
    _, info = scipy.linalg.lapack.dpotrf(work.T, lower=0, clean=0, overwrite_a=1)  # work's lower triangle
    return info == 0


def _quadratic_form(a: np.ndarray, x: np.ndarray, perturbation: float = 0.0
                    ) -> tuple[float, float]:
    """``x^T a x`` in floating point and a bound on how far it is from ``x^T b x`` for every b
    within ``perturbation`` of a (rounding included)."""
    value = float(x @ (a @ x))
    bound = (2 * _gamma(len(x) + 1) * float(np.abs(x) @ (np.abs(a) @ np.abs(x)))
             + perturbation * float(x @ x) * (1 + len(x) * UNIT) + TINY)
    return value, bound


def symmetric_extremes(h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The smallest and largest eigenvalues of the symmetric h and unit eigenvectors (columns):
    a seeded Lanczos solve for both ends (ARPACK ``which="BE"``; Ritz values at the ends of the
    spectrum, a few hundred products where a reduction costs O(n^3)), else one tridiagonal
    reduction ``h = Q T Q^T`` (LAPACK ``sytrd``) with T's two extreme eigenpairs
    (``stebz``/``stein``) and Q applied to the two vectors (``ormqr``), else a full
    eigendecomposition (tight clusters, tiny h). The proofs that use them verify them."""
    from scipy.sparse.linalg import ArpackError, eigsh

    n = len(h)
    if n > LANCZOS_ABOVE:
        try:
            values, vectors = eigsh(h, k=2, which="BE", v0=np.random.default_rng(0).standard_normal(n))
            return values, vectors
        except ArpackError:
            pass
    if n >= 3:
        lwork = int(scipy.linalg.lapack.dsytrd_lwork(n, lower=1)[0])
        reduced, d, e, tau, _ = scipy.linalg.lapack.dsytrd(h.T, lower=1, lwork=max(lwork, n))
        try:
            ends = [scipy.linalg.eigh_tridiagonal(d, e, select="i", select_range=(i, i))
                    for i in (0, n - 1)]
        except np.linalg.LinAlgError:
            ends = []
        if all(len(values) == 1 for values, _ in ends) and ends:
            vectors = np.hstack([vector for _, vector in ends])
            vectors[1:], _, info = scipy.linalg.lapack.dormqr(
                b"L", b"N", reduced[1:, :n - 1], tau, vectors[1:], lwork=256)
            if info == 0:
                return np.concatenate([values for values, _ in ends]), vectors
    values, vectors = np.linalg.eigh(h)
    return values[[0, -1]], vectors[:, [0, -1]]


def _abs_product_norm(j: np.ndarray, p: np.ndarray) -> float:
    """``|| |J^T| |P| ||_F`` by blocks (no n x n temporary)."""
    total = 0.0
    parts = blocks(len(j))
    for cols in parts:
        right = np.abs(p[:, cols])
        for rows in parts:
            total += float(np.sum((np.abs(j[:, rows]).T @ right) ** 2))
    return float(np.sqrt(total))


def _frobenius(a: np.ndarray) -> float:
    return float(np.sqrt(sum(float(np.sum(a[rows] ** 2)) for rows in blocks(len(a)))))


def norm_bound(p: np.ndarray, extremes: np.ndarray) -> float:
    """A proved upper bound on ``||P||_2`` of the symmetric P from estimates of its extreme
    eigenvalues (:func:`symmetric_extremes`): ``c = 1.02 max |l|`` where Rump's test proves
    ``c I - P`` and ``c I + P`` positive definite, else the Frobenius norm (always a bound; up
    to sqrt(n) times larger)."""
    frobenius = _frobenius(p)
    n = len(p)
    c = 1.02 * float(np.abs(extremes).max())
    if not (np.isfinite(c) and c < frobenius):
        return frobenius
    for sign in (1.0, -1.0):  # c I - P, then c I + P, in one n x n temporary each
        work = -sign * p
        work[np.diag_indices(n)] += c
        if not positive_definite(work, overwrite=True):
            return frobenius
        del work
    return c


def verify_lyapunov(j: np.ndarray, p: np.ndarray, shift: float = 0.0,
                    perturbation: float = 0.0) -> Certificate:
    """The inertia proof for ``A = J + shift I`` from a candidate P (any accuracy): P is made
    exactly symmetric (in place), ``Q = A^T P + P A`` is verified positive definite by Rump's
    test shifted by a bound on the rounding of forming Q (its 2-norm bounded by the Frobenius
    norm) and on every matrix within ``perturbation`` of A (with ``||P||_2`` bounded by
    :func:`norm_bound`); then P's inertia is A's (module
    docstring). P is kept; Q lives only inside this call."""
    n = len(j)
    if not np.all(np.isfinite(p)):
        return not_certified("the Lyapunov solution P overflows (an eigenvalue on or near "
                             "the imaginary axis, or a long Jordan chain)")
    _symmetrise(p)
    extremes = symmetric_extremes(p) if perturbation else None  # P's ends, for ||P|| and below
    p_bound = norm_bound(p, extremes[0]) if perturbation else 0.0  # before Q: its temporaries use Q's memory
    with np.errstate(all="ignore"):
        half = j.T @ p  # H = fl(A^T P) as an (n + 1)-term sum per entry when shifted
        if shift:
            for rows in blocks(n):
                half[rows] += shift * p[rows]
        _symmetrise(half)  # (H + H^T) / 2 = Q / 2 exactly (halving is exact)
        p_norm = _frobenius(p)
        # |fl(H) - A^T P| <= gamma_{n+1} (|J^T| + |s| I) |P| entrywise, twice for Q, plus Q's own
        # rounding; doubled for the bound's own rounding.
        rounding = 2 * (2 * _gamma(n + 1) * (_abs_product_norm(j, p) + abs(shift) * p_norm)
                        + UNIT * 2 * _frobenius(half))
        allowance = 2 * perturbation * p_bound * (1 + n * UNIT)  # (J + E)^T P + P (J + E) >= Q - this
        error = rounding + allowance
    if not np.isfinite(error) or not positive_definite(half, error / 2, overwrite=True):
        return not_certified(f"Q = J^T P + P J is not verified positive definite (rounding bound "
                             f"{error:.2g}, of which {allowance:.2g} allows for the products' "
                             "rounding; P is ill-conditioned: eigenvalues near the imaginary "
                             "axis or Jordan blocks)")
    del half
    if positive_definite(p):  # P's inertia is that of every J + E: P itself needs no margin
        return Certificate("lyapunov", True, "J^T P + P J = Q > 0 and P > 0 (verified Cholesky "
                           "factors): every eigenvalue of J has Re > 0")
    lowest = (extremes or symmetric_extremes(p))[1][:, 0]
    value, bound = _quadratic_form(p, lowest)  # P's sign pattern needs no margin either
    if value < -bound:
        return Certificate("lyapunov", False, f"J^T P + P J = Q > 0 (verified) and x^T P x = "
                           f"{value:.3g} < 0: J has an eigenvalue with Re < 0")
    return not_certified("P is neither verified positive definite nor verified indefinite")


def bartels_stewart(j: np.ndarray, shift: float = 0.0) -> np.ndarray:
    """A candidate P for ``(J + shift I)^T P + P (J + shift I) = I`` by scipy's Bartels-Stewart
    solve (NaN where it fails: the proof then refuses it)."""
    n = len(j)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # scipy: "eigenvalue pair sums to ~0"
        try:
            return scipy.linalg.solve_continuous_lyapunov(j.T + shift * np.eye(n), np.eye(n))
        except (np.linalg.LinAlgError, ValueError, scipy.linalg.LinAlgError):
            return np.full((n, n), np.nan)


def lyapunov_inertia(j: np.ndarray, perturbation: float = 0.0) -> Certificate:
    """The Lyapunov inertia proof of ``all Re l > 0`` (verdict True) or of ``some Re l < 0``
    (verdict False) for the eigenvalues l of ``j`` and of every matrix within ``perturbation``
    of it; see the module docstring."""
    if not np.all(np.isfinite(j)):
        return not_certified("the Jacobian is not finite")
    return verify_lyapunov(j, bartels_stewart(j), 0.0, perturbation)


SHIFT_FRACTIONS = (0.5, 0.25, 0.75)


def stability_certificate(j: np.ndarray, real_parts: np.ndarray, perturbation: float = 0.0,
                          candidate=None, retry: bool = True) -> Certificate:
    """A proof of J's stability verdict: the Lyapunov inertia proof of J, or, where J's computed
    eigenvalues have real parts ``< 0``, of ``J + s I`` with ``0 <= s < -min Re l``: an
    eigenvalue of J + s I with Re < 0 is one of J with Re < -s <= 0, and the shift moves
    eigenvalues near the axis (dead units, symmetries: common in GANs, and fatal to P's
    conditioning) away from it. Shifts tried: ``-min Re l`` times ``SHIFT_FRACTIONS`` (measured
    on a float32 MLP GAN with 79 zero eigenvalues: every fraction in [0.1, 0.9] gave a proof,
    the midpoints of the widest gaps between real parts did not); the first only unless
    ``retry``. ``candidate(shift, last)``: a candidate P for J + shift I (default: scipy's
    Bartels-Stewart), ``last`` when no other shift will be asked for."""
    if not np.all(np.isfinite(j)):
        return not_certified("the Jacobian is not finite")
    candidate = candidate or (lambda shift, last: bartels_stewart(j, shift))
    left = float(np.min(real_parts))
    if left >= 0:
        return verify_lyapunov(j, candidate(0.0, True), 0.0, perturbation)
    fractions = SHIFT_FRACTIONS if retry else SHIFT_FRACTIONS[:1]
    reasons = []
    for index, fraction in enumerate(fractions):
        shift = -left * fraction
        shifted = verify_lyapunov(j, candidate(shift, index == len(fractions) - 1), shift,
                                  perturbation)
        if shifted.verdict is False:
            return Certificate("lyapunov", False, f"for J + {shift:.3g} I: {shifted.reason}; "
                               f"so J has an eigenvalue with Re < {-shift:.3g}")
        reasons.append(f"shift {shift:.3g}: {shifted.reason}")
    return not_certified("; ".join(reasons))


def hessian_certificate(h: np.ndarray, perturbation: float = 0.0,
                        extremes: np.ndarray | None = None) -> tuple[str, Certificate]:
    """What is proved about a symmetric matrix (a player's Hessian) and every symmetric matrix
    within ``perturbation`` of it: ``("minimum" | "maximum" | "saddle" | "not a minimum" | "",
    certificate)``; "" when nothing is proved. ``extremes``: eigenvectors of h's smallest and
    largest eigenvalues (columns), if already computed (``symmetric_extremes``)."""
    if not np.array_equal(h, h.T):
        h = (h + h.T) / 2
    if positive_definite(h, perturbation):
        return "minimum", Certificate("cholesky", True, "verified Cholesky factor: positive definite")
    if positive_definite(-h, perturbation, overwrite=True):
        return "maximum", Certificate("cholesky", False, "verified Cholesky factor of -H: "
                                      "negative definite")
    vectors = symmetric_extremes(h)[1] if extremes is None else extremes
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

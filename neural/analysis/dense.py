"""Dense linear algebra for certified verdicts of mid-sized games: the game Jacobian built from
operator products in column blocks, the memory a dense proof needs, and one real Schur form of J
that serves every spectral question.

- ``dense_jacobian(op)``: J (float64) from ``op.matmat`` on blocks of identity columns; ``op``
  is J or J^T (same spectrum; a J^T product is a row of J), the result is J either way.
- ``SchurForm(j)``: ``J = Z T Z^T`` (LAPACK real Schur: Z orthogonal, T quasi-upper-triangular
  with 1x1 and 2x2 diagonal blocks). It gives all eigenvalues (T's diagonal blocks), an
  eigenvector of any of them by back substitution on T (``eigenvector``), and a candidate
  Lyapunov matrix for ``J + s I``: ``X`` solving ``(T + s I)^T X + X (T + s I) = I`` by a
  recursive blocked Bartels-Stewart solve (leaves by LAPACK ``trsyl``, the rest matrix
  products), then ``P = Z X Z^T``. The candidate needs no accuracy: the proof verifies it.
- ``memory_estimate(n)``: the float64 arrays the proof holds at once (J, T and Z, P, and
  ``J^T P + P J``); without shift retries T and Z are freed before ``J^T P + P J`` is formed
  (the lean peak: four n x n arrays). Every other temporary is a block of rows or columns.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import scipy.linalg
import scipy.linalg.lapack as lapack
import torch

from gametheory.errors import OptionError
from neural.analysis.certificates import blocks
from neural.analysis.eigen import EigenResult, Progress
from neural.operators import GameOperator

BLOCK = 256
"""Identity columns per ``matmat`` call when building J (one batched pass each on CUDA)."""
LEAF = 128
"""Size at or below which the blocked Lyapunov/Sylvester recursion calls LAPACK ``trsyl``."""
UNITS = {"": 1, "B": 1, "K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}


def parse_size(text: str) -> int:
    """Bytes from ``4G``, ``500M``, ``1.5GB``, ``2048`` (binary units: K = 1024)."""
    match = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*([KMGT]?)(?:I?B)?\s*", str(text).upper())
    if not match:
        raise OptionError(f"--max-memory must be a size such as 4G, 500M or 2048 (bytes), got {text!r}")
    return int(float(match.group(1)) * UNITS[match.group(2)])


def size_text(size: float) -> str:
    """A byte count in the largest binary unit that keeps it at least 1 (``3.3 GiB``)."""
    for unit in ("T", "G", "M", "K"):
        if size >= UNITS[unit]:
            return f"{size / UNITS[unit]:.3g} {unit}iB"
    return f"{int(size)} B"


@dataclass(frozen=True)
class MemoryEstimate:
    """The float64 arrays of a dense proof for ``n`` parameters, in bytes."""

    n: int
    parts: tuple[tuple[str, int], ...]

    @property
    def total(self) -> int:
        """Everything held at once when shifted Lyapunov solves are retried (Schur form kept)."""
        return sum(size for _, size in self.parts)

    @property
    def lean(self) -> int:
        """The peak with one Lyapunov solve: T and Z are freed before ``J^T P + P J``."""
        return self.total - dict(self.parts)["J^T P + P J"]

    def to_dict(self) -> dict:
        return {"parameters": self.n, "bytes": dict(self.parts), "total": self.total,
                "lean": self.lean}

    def describe(self) -> str:
        parts = ", ".join(f"{name} {size_text(size)}" for name, size in self.parts)
        return (f"dense proof of {self.n} parameters: memory estimate {size_text(self.total)} "
                f"({parts}); {size_text(self.lean)} with a single Lyapunov solve")


def memory_estimate(n: int) -> MemoryEstimate:
    """The arrays of the dense proof of an ``n``-parameter game (module docstring)."""
    square = 8 * n * n
    return MemoryEstimate(n, (("J", square), ("Schur form T, Z", 2 * square),
                              ("P", square), ("J^T P + P J", square)))


def checked_estimate(n: int, max_memory: int | str) -> MemoryEstimate:
    """The memory estimate of the dense proof of ``n`` parameters, or ``OptionError`` (one line)
    when even its lean peak exceeds ``max_memory`` (bytes, or a size such as ``"4G"``)."""
    limit = parse_size(max_memory) if isinstance(max_memory, str) else int(max_memory)
    estimate = memory_estimate(n)
    if estimate.lean > limit:
        raise OptionError(f"--certify needs about {size_text(estimate.lean)} for {n} parameters "
                          f"(J, its Schur form and P, each 8 n^2 bytes), more than --max-memory "
                          f"{size_text(limit)}")
    return estimate


def dense_jacobian(op: GameOperator, block: int = BLOCK, progress: Progress | None = None
                   ) -> np.ndarray:
    """The game Jacobian J as a float64 array from ``op`` (J, or J^T when ``op.transpose``), by
    ``matmat`` on ``block`` identity columns at a time; ``progress(m)`` after each block."""
    n = op.shape[0]
    if block < 1:
        raise OptionError(f"the block size must be at least 1, got {block}")
    matrix = np.empty((n, n))
    transpose = getattr(op, "transpose", False)
    for start in range(0, n, block):
        stop = min(start + block, n)
        columns = torch.zeros(n, stop - start, dtype=op.dtype, device=op.device)
        columns[torch.arange(start, stop), torch.arange(stop - start)] = 1
        image = op.matmat(columns).detach().cpu().numpy()
        if transpose:
            matrix[start:stop, :] = image.T
        else:
            matrix[:, start:stop] = image
        if progress:
            progress(stop - start)
    return matrix


def _split(t: np.ndarray) -> int:
    """A split point near the middle of quasi-triangular t that does not cut a 2x2 block."""
    k = len(t) // 2
    return k + 1 if t[k, k - 1] != 0 else k


def _sylvester(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> None:
    """Overwrite c with X solving ``a^T X + X b = c`` (a, b quasi-upper-triangular): split the
    larger of a and b, solve one half, move its contribution to the other half's right side."""
    m, p = c.shape
    if max(m, p) <= LEAF:
        x, scale, _ = lapack.dtrsyl(a, b, c, trana="T", tranb="N", isgn=1)
        c[...] = x / scale
        return
    if m >= p:  # rows: a = [[a11, a12], [0, a22]]
        k = _split(a)
        _sylvester(a[:k, :k], b, c[:k])
        for cols in blocks(p):
            c[k:, cols] -= a[:k, k:].T @ c[:k, cols]
        _sylvester(a[k:, k:], b, c[k:])
    else:  # columns: b = [[b11, b12], [0, b22]]
        k = _split(b)
        _sylvester(a, b[:k, :k], c[:, :k])
        for rows in blocks(m):
            c[rows, k:] -= c[rows, :k] @ b[:k, k:]
        _sylvester(a, b[k:, k:], c[:, k:])


def _lyapunov(t: np.ndarray, c: np.ndarray) -> None:
    """Overwrite the symmetric c with X solving ``t^T X + X t = c`` (t quasi-upper-triangular):
    X11 from the leading block, X12 from a Sylvester equation, X21 = X12^T, then X22."""
    n = len(t)
    if n <= LEAF:
        _sylvester(t, t, c)
        return
    k = _split(t)
    t12 = t[:k, k:]
    _lyapunov(t[:k, :k], c[:k, :k])
    for rows in blocks(k):  # the updates go by blocks: no temporary of the matrix's size
        c[rows, k:] -= c[rows, :k] @ t12
    _sylvester(t[:k, :k], t[k:, k:], c[:k, k:])
    for cols in blocks(n - k):  # C22 -= U + U^T, U = T12^T X12, one column block of U at a time
        update = t12.T @ c[:k, k:][:, cols]
        c[k:, k:][:, cols] -= update
        c[k:, k:][cols, :] -= update.T
    c[k:, :k] = c[:k, k:].T
    _lyapunov(t[k:, k:], c[k:, k:])


def _back_substitute(t: np.ndarray, b: np.ndarray, c: np.ndarray) -> None:
    """Overwrite c (m x s) with Y solving ``t Y - Y b = c`` (t quasi-upper-triangular, b 1x1 or
    2x2): row blocks from the bottom, each by LAPACK ``trsyl`` on t's diagonal block, its
    contribution then moved to the rows above (no copy of t)."""
    stop = len(t)
    while stop > 0:
        start = max(stop - LEAF, 0)
        if start and t[start, start - 1] != 0:  # do not cut a 2x2 block
            start -= 1
        x, scale, _ = lapack.dtrsyl(t[start:stop, start:stop], b, c[start:stop], trana="N",
                                    tranb="N", isgn=-1)
        c[start:stop] = x / scale
        c[:start] -= t[:start, start:stop] @ c[start:stop]
        stop = start


def _real_times(a: np.ndarray, x: np.ndarray) -> np.ndarray:
    """``a @ x`` for a real matrix and a complex vector without a complex copy of a."""
    return a @ x.real + 1j * (a @ x.imag)


def _no_sort(*_):
    """LAPACK ``gees``'s selection callback, unused (no reordering)."""
    return 0


class SchurForm:
    """``J = Z T Z^T`` (module docstring); ``release()`` frees T and Z (eigenvalues stay)."""

    def __init__(self, j: np.ndarray):
        self.n = len(j)
        # workspace query: LAPACK reads only the shape (np.empty pages are never touched)
        work = lapack.dgees(_no_sort, np.empty((self.n, self.n), order="F"), lwork=-1)[-2]
        # a Fortran-ordered copy of J becomes T in place; Z is the only other n x n array
        self.t, _, real, imag, self.z, _, info = lapack.dgees(
            _no_sort, np.asfortranarray(j), compute_v=1, lwork=max(int(work[0]), 3 * self.n),
            overwrite_a=1, sort_t=0)
        if info:
            raise scipy.linalg.LinAlgError(f"the real Schur decomposition of J failed (LAPACK info {info})")
        self.eigenvalues = real + 1j * imag
        self.starts = [i - 1 if i and imag[i] < 0 else i for i in range(self.n)]  # a pair's first row

    def release(self) -> None:
        self.t = self.z = None

    def eigenvector(self, index: int) -> np.ndarray:
        """An eigenvector of J for ``eigenvalues[index]``: ``T [Y; I; 0] = [Y; I; 0] B`` for
        the diagonal block B at the eigenvalue (``T11 Y - Y B = -T12``, ``_back_substitute``), then
        Z times it times B's eigenvector."""
        start, value = self.starts[index], self.eigenvalues[index]
        size = 2 if value.imag != 0 else 1
        b = self.t[start:start + size, start:start + size]
        y = np.zeros((start + size, size))
        y[start:] = np.eye(size)
        if start:
            y[:start] = -self.t[:start, start:start + size]
            _back_substitute(self.t[:start, :start], b, y[:start])
        if size == 1:
            w = np.ones(1)
        else:  # B's eigenvector for the eigenvalue asked for (B has the conjugate pair)
            pair, vectors = np.linalg.eig(b)
            w = vectors[:, np.argmin(np.abs(pair - value))]
        return _real_times(self.z[:, :start + size], y @ w)

    def eigen_result(self, j: np.ndarray, k: int, which: str, products: int = 0) -> EigenResult:
        """The k eigenvalues ordered by ``which`` ("LM" or "SR") with residuals
        ``||J x - l x|| / ||x||`` computed with J."""
        key = -np.abs(self.eigenvalues) if which == "LM" else self.eigenvalues.real
        chosen = np.argsort(key, kind="stable")[:min(k, self.n)]
        residuals = []
        for index in chosen:
            x = self.eigenvector(index)
            value = self.eigenvalues[index]
            residuals.append(float(np.linalg.norm(_real_times(j, x) - value * x) / np.linalg.norm(x)))
        return EigenResult(which, k, tuple(complex(self.eigenvalues[i]) for i in chosen),
                           tuple(residuals), True, "dense", products)

    def lyapunov(self, shift: float, last: bool = False) -> np.ndarray:
        """A candidate P for ``(J + shift I)^T P + P (J + shift I) = I``: ``P = Z X Z^T`` with
        X from the blocked solve on T (module docstring); ``last``: free T and Z afterwards."""
        x = np.eye(self.n)
        diagonal, values = np.diag_indices(self.n), np.diag(self.t).copy()
        self.t[diagonal] = values + shift
        with np.errstate(all="ignore"):  # a failed solve gives inf/NaN: the proof refuses it
            try:
                _lyapunov(self.t, x)
            finally:
                self.t[diagonal] = values
            z = self.z
            if last:
                self.release()
            for rows in blocks(self.n):  # X <- X Z^T, row block by row block
                x[rows] = x[rows] @ z.T
            for cols in blocks(self.n):  # X <- Z X, column block by column block
                x[:, cols] = z @ x[:, cols]
        return x

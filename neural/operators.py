"""Matrix-free linear operators of a neural game at a state omega.

``J = grad v`` is the game Jacobian (row block i = derivatives of player i's own gradient), so
the diagonal block ``J_ii`` is player i's Hessian of its own loss and the off-diagonal blocks
couple the players. Operators act on torch vectors and stay on the game's device
(``GameOperator.matvec``/``matmat``); ``to_scipy()`` adapts one to a scipy ``LinearOperator``
(one host round trip per product) so the scipy toolbox (eigs, eigsh) applies.

Products are averaged over the game's evaluation batches. Two ways of computing them:

- retained (default for a single batch): the differentiable gradient graph is built once; each
  ``J^T u`` is one backward pass through it, each ``J u`` one backward pass through the
  double-backward graph of ``w -> J^T w`` (built once too). Memory: every batch's graph.
- streaming (default for several batches): every product rebuilds one batch's graph at a time
  (``J^T u``: gradient graph + one backward; ``J u``: forward-over-reverse ``torch.func.jvp``,
  as fast as rebuilding a double-backward graph, and it holds no double graph). Memory: one
  batch's graph.
- fast path (``NeuralGame.fast_path``, a plug-in such as the MoG closed form on the CPU):
  ``J u`` from the plug-in's ``linearize`` (the closed form's is cheaper than a retained
  ``J^T u``); used automatically for ``J`` and for symmetric blocks (a player's Hessian),
  linearised once per batch when retained or per product otherwise. ``J^T`` of a non-symmetric
  block keeps the autograd graphs.
Eigenvalues need only one of ``J`` and ``J^T`` (same spectrum): ``spectrum_operator`` picks the
cheaper.

Under torchrun (a game sharded by ``neural.sharding``) a ``JacobianOperator`` is mirrored on every
rank: its construction and each product are announced to the serving ranks, each computes the sum
over its own batches, and one all-reduce turns the sums into the average over all batches.
Retained or streaming is decided per rank from the batches it holds.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse.linalg as spla
import torch
from torch.func import jacfwd, jvp, vmap

from gametheory.errors import GameError, OptionError
from neural.game import NeuralGame
from neural.plugins import Unsupported


class NonFiniteProduct(GameError):
    """A product with a game operator came out NaN or infinite: the losses or their derivatives
    are not finite at this state (the CLI shows it as a one-line error)."""


def require_finite(out: torch.Tensor, what: str = "operator") -> torch.Tensor:
    """``out`` unchanged if every entry is finite, else ``NonFiniteProduct``."""
    if not bool(torch.isfinite(out).all()):
        raise NonFiniteProduct(f"a product with the {what} is not finite (NaN or inf) at this "
                               "state: the losses or their derivatives are not finite here")
    return out


class GameOperator:
    """A linear map on torch vectors of shape ``shape`` (rows, columns), kept on ``device``.

    Subclasses implement ``_matvec``; ``matmat`` applies it to the columns of a matrix.
    ``products`` counts matrix-vector products (a matmat of m columns counts m). A non-finite
    product raises ``NonFiniteProduct``.
    """

    shape: tuple[int, int]
    dtype: torch.dtype
    device: torch.device
    symmetric: bool = False

    def __init__(self):
        self.products = 0

    def matvec(self, u: torch.Tensor) -> torch.Tensor:
        if u.shape != (self.shape[1],):
            raise ValueError(f"expected a vector of length {self.shape[1]}, got {tuple(u.shape)}")
        self.products += 1
        return require_finite(self._matvec(u.to(self.device, self.dtype)))

    def matmat(self, columns: torch.Tensor) -> torch.Tensor:
        """``A @ U`` for a (n, m) matrix U, one product per column."""
        return torch.stack([self.matvec(c) for c in columns.T], dim=1)

    def _matvec(self, u: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def to_dense(self) -> torch.Tensor:
        """The matrix, by applying the operator to the identity (small operators only)."""
        return self.matmat(torch.eye(self.shape[1], device=self.device, dtype=self.dtype))

    def to_scipy(self) -> spla.LinearOperator:
        return ScipyOperator(self)


def numpy_dtype(dtype: torch.dtype) -> np.dtype:
    """The numpy dtype of an operator's products (float64 or float32)."""
    return np.dtype(np.float64 if dtype == torch.float64 else np.float32)


class ScipyOperator(spla.LinearOperator):
    """A scipy ``LinearOperator`` over a ``GameOperator``: numpy in, numpy out."""

    def __init__(self, op: GameOperator):
        self.op = op
        super().__init__(dtype=numpy_dtype(op.dtype), shape=op.shape)

    def _matvec(self, x):
        x = np.asarray(x)
        if np.iscomplexobj(x):
            return self._matvec(x.real) + 1j * self._matvec(x.imag)
        u = torch.from_numpy(np.ascontiguousarray(x.reshape(-1), dtype=self.dtype))
        return self.op.matvec(u).detach().cpu().numpy()


class JacobianOperator(GameOperator):
    """The block ``J[rows, cols]`` of the game Jacobian at ``omega`` (or its transpose).

    ``rows``/``cols`` are player names (default: all players, i.e. the whole J); with
    ``rows == cols == [p]`` it is player p's Hessian of its own loss (symmetric).
    ``retain`` chooses the retained (True) or streaming (False) products; default: retained
    for a single batch, streaming for several (memory of one batch). ``batched``: ``matmat``
    pushes all columns through one batched backward pass (or vmap of jvp); default on CUDA
    only, as on CPU it is slower than one product per column (fast-path products are
    always one per column).
    """

    def __init__(self, game: NeuralGame, omega: torch.Tensor | None = None, *,
                 rows: Sequence[str] | None = None, cols: Sequence[str] | None = None,
                 transpose: bool = False, retain: bool | None = None,
                 batched: bool | None = None):
        super().__init__()
        self.game = game
        self.omega = (game.omega() if omega is None else omega).detach().to(game.device, game.dtype)
        self.rows = tuple(game.player_names if rows is None else rows)
        self.cols = tuple(game.player_names if cols is None else cols)
        for name in self.rows + self.cols:
            game.player_index(name)
        slices = game.slices
        self._row_slices = [slices[n] for n in self.rows]
        self._col_slices = [slices[n] for n in self.cols]
        n_rows = sum(s.stop - s.start for s in self._row_slices)
        n_cols = sum(s.stop - s.start for s in self._col_slices)
        self.transpose = transpose
        self.shape = (n_cols, n_rows) if transpose else (n_rows, n_cols)
        self.dtype, self.device = game.dtype, game.device
        self.symmetric = self.rows == self.cols and len(self.rows) == 1
        self.retain = len(game.batches) == 1 if retain is None else retain
        self.batched = game.device.type == "cuda" if batched is None else batched
        self._graphs: list | None = None  # retained: per batch [v, column leaves, J^T graph]
        self._fast = game.fast_path() if not transpose or self.symmetric else None
        self._linearized: list | None = None  # retained fast-path products, per batch
        # what rebuilds it on the other ranks of a sharded game (retain and batched as asked)
        self.spec = {"omega": self.omega, "rows": self.rows, "cols": self.cols,
                     "transpose": transpose, "retain": retain, "batched": batched}
        self._id = game.shard.expose(self)  # the mirrors' key there

    @property
    def uses_fast_path(self) -> bool:
        """Whether products go through the game's fast path (else autograd graphs)."""
        return self._fast is not None

    def _embed_cols(self, u: torch.Tensor) -> torch.Tensor:
        """Column-space vectors (last dimension) placed into zero vectors of omega's size."""
        full = torch.zeros(*u.shape[:-1], self.omega.numel(), device=self.device, dtype=self.dtype)
        start = 0
        for s in self._col_slices:
            full[..., s] = u[..., start:start + s.stop - s.start]
            start += s.stop - s.start
        return full

    def _pullback(self, outputs: torch.Tensor, inputs: list, w: torch.Tensor,
                  create_graph: bool = False) -> torch.Tensor:
        """``d(outputs)/d(inputs)^T w``, flattened; ``w`` of shape (m, ...) is m vectors at once
        (one batched backward pass). Zero where the outputs do not depend on the inputs."""
        batched = w.dim() > outputs.dim()
        size = sum(t.numel() for t in inputs)
        if not outputs.requires_grad:
            return torch.zeros(*w.shape[:1 if batched else 0], size, device=self.device,
                               dtype=self.dtype)
        grads = torch.autograd.grad(outputs, inputs, w, retain_graph=True,
                                    create_graph=create_graph, allow_unused=True,
                                    materialize_grads=True, is_grads_batched=batched)
        lead = tuple(w.shape[:1 if batched else 0])
        # an unused input (e.g. a WGAN critic's output bias) gets an unbatched zero: expand it
        grads = [g.expand(*lead, *t.shape) if batched and g.dim() == t.dim() else g for g, t in zip(grads, inputs)]
        return torch.cat([g.reshape(*lead, -1) for g in grads], dim=-1)

    def _retained(self) -> list:
        if self._graphs is None:
            graphs = []
            for batch in self.game.batches:
                v, leaves = self.game.field_graph(self.omega, batch, self.rows)
                graphs.append([v, [t for n in self.cols for t in leaves[n]], None])
            self._graphs = graphs
        return self._graphs

    def _matvec(self, u: torch.Tensor) -> torch.Tensor:
        return self._apply(u)

    def matmat(self, columns: torch.Tensor) -> torch.Tensor:
        """``A @ U``; with ``batched`` all columns go through one batched backward (or vmap)
        per batch instead of one product each."""
        if not self.batched:
            return super().matmat(columns)
        self.products += columns.shape[1]
        return require_finite(self._apply(columns.T.to(self.device, self.dtype).contiguous()).T)

    def _apply(self, u: torch.Tensor) -> torch.Tensor:
        """Products with u of shape (n,) or (m, n), averaged over the evaluation batches."""
        self.game.shard.announce(self._id, "_apply", u)
        total = None
        for index, batch in enumerate(self.game.batches):
            part = self._batch_product(index, batch, u).detach()
            total = part if total is None else total + part
        return self.game.shard.mean([total])[0]

    def _batch_product(self, index: int, batch, u: torch.Tensor) -> torch.Tensor:
        if self._fast is not None:
            try:
                return self._fast_product(index, batch, u)
            except Unsupported:  # e.g. non-finite samples at this state: autograd
                self._fast = self._linearized = None
        if self.retain:
            graph = self._retained()[index]
            v, inputs, double = graph
            if self.transpose:
                return self._pullback(v, inputs, u)
            if double is None:  # w -> J^T w is linear; its gradient in w along u is J u
                dummy = torch.zeros_like(v, requires_grad=True)
                graph[2] = double = (dummy, self._pullback(v, inputs, dummy, create_graph=True))
            dummy, jtw = double
            return self._pullback(jtw, [dummy], u)
        if self.transpose:
            v, leaves = self.game.field_graph(self.omega, batch, self.rows)
            return self._pullback(v, [t for n in self.cols for t in leaves[n]], u)
        field = lambda w: self.game.functional_field(w, batch, self.rows)[0]  # noqa: E731
        forward = lambda t: jvp(field, (self.omega,), (t,))[1]  # noqa: E731
        tangents = self._embed_cols(u)
        return vmap(forward)(tangents) if u.dim() == 2 else forward(tangents)

    def _fast_product(self, index: int, batch, u: torch.Tensor) -> torch.Tensor:
        """Rows of ``J u`` (or of the symmetric block) through the game's fast path."""
        if self.retain:
            if self._linearized is None:
                self._linearized = [None] * len(self.game.batches)
            if self._linearized[index] is None:
                self._linearized[index] = self._fast.linearize(self.omega, batch)
            product = self._linearized[index]
        else:
            product = self._fast.linearize(self.omega, batch)
        tangents = self._embed_cols(u)
        if u.dim() == 2:
            return torch.stack([product(t, self.cols, self.rows) for t in tangents])
        return product(tangents, self.cols, self.rows)

    def release(self) -> None:
        """Free retained graphs (they are rebuilt on the next product), on every rank."""
        self.game.shard.announce(self._id, "release")
        self._graphs = self._linearized = None


class ShiftedOperator(GameOperator):
    """``A - sigma I`` for a square operator A (a spectral shift: same eigenvectors,
    eigenvalues moved by -sigma)."""

    def __init__(self, op: GameOperator, sigma: float):
        super().__init__()
        if op.shape[0] != op.shape[1]:
            raise ValueError("a spectral shift needs a square operator")
        self.op, self.sigma = op, float(sigma)
        self.shape, self.dtype, self.device = op.shape, op.dtype, op.device
        self.symmetric = op.symmetric

    def _matvec(self, u: torch.Tensor) -> torch.Tensor:
        return self.op.matvec(u) - self.sigma * u


class ExponentialOperator(GameOperator):
    """``E = exp(-t (A - sigma I))`` for a square operator A, by a scaled Taylor series: ``steps``
    substeps of ``h = t / steps`` with ``h * radius <= STEP`` (radius: a bound on A - sigma I's
    spectral radius), each summing ``(-h (A - sigma I))^j u / j!`` until a term falls below
    the dtype's epsilon relative to the sum (at most ``MAX_TERMS``; a non-normal A needs more terms, never a
    different formula). Cost per product: about ``8 t radius`` products with A. Eigenvalues
    ``exp(-t (l - sigma))``: ``|.| = exp(-t (Re l - sigma))`` orders them by real part."""

    STEP = 4.0
    MAX_TERMS = 80

    def __init__(self, op: GameOperator, t: float, sigma: float, radius: float):
        super().__init__()
        if op.shape[0] != op.shape[1]:
            raise ValueError("an exponential needs a square operator")
        self.op, self.t, self.sigma = op, float(t), float(sigma)
        self.tol = torch.finfo(op.dtype).eps
        self.steps = max(1, int(np.ceil(self.t * radius / self.STEP)))
        self.shape, self.dtype, self.device = op.shape, op.dtype, op.device

    def _matvec(self, u: torch.Tensor) -> torch.Tensor:
        h = self.t / self.steps
        for _ in range(self.steps):
            total, term = u, u
            for j in range(1, self.MAX_TERMS + 1):
                term = -(h / j) * (self.op.matvec(term) - self.sigma * term)
                total = total + term
                if torch.linalg.vector_norm(term) <= self.tol * torch.linalg.vector_norm(total):
                    break
            u = total
        return u


def spectrum_operator(game: NeuralGame, omega: torch.Tensor | None = None,
                      player: str | None = None) -> JacobianOperator:
    """An operator with the spectrum of J (or of ``player``'s Hessian block) by the cheaper
    product: J itself through the game's fast path where it has one, else ``J^T`` through the
    gradient graph (one backward pass per product)."""
    block = None if player is None else [player]
    return JacobianOperator(game, omega, rows=block, cols=block,
                            transpose=game.fast_path() is None)


def hessian_operator(game: NeuralGame, player: str, omega: torch.Tensor | None = None,
                     retain: bool | None = None) -> JacobianOperator:
    """Player ``player``'s Hessian of its own loss, ``J[p, p]`` (symmetric; a fast-path
    product where the game has one, else one backward pass through the gradient graph)."""
    return JacobianOperator(game, omega, rows=[player], cols=[player], transpose=True,
                            retain=retain)


def dense_jacobian(game: NeuralGame, omega: torch.Tensor | None = None,
                   max_size: int = 4000) -> torch.Tensor:
    """The dense game Jacobian ``J = grad v`` averaged over batches, by ``torch.func.jacfwd``
    of the vector field (forward-over-reverse; independent of the operators' graph products).
    Small games only: ``param_count <= max_size``."""
    if game.param_count > max_size:
        raise OptionError(f"the dense Jacobian of {game.param_count} parameters is too large "
                          f"(limit {max_size}); use the matrix-free operators")
    if game.world_size > 1:
        raise OptionError("the jacfwd Jacobian needs every evaluation batch in one process; "
                          "under torchrun use the operators (JacobianOperator.to_dense)")
    omega = (game.omega() if omega is None else omega).detach()
    total = sum(jacfwd(lambda w, b=batch: game.functional_field(w, b)[0])(omega)
                for batch in game.batches)
    return total / len(game.batches)

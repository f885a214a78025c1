"""Polynomial games with a planted stationary point and a planted Jacobian there (fuzzer support).

Construction (descent convention: every player minimises; ``v`` stacks own gradients; ``J = grad v``).
A *plan* lists spectral blocks, each a small real matrix with known eigenvalues whose coordinates
belong to players (:class:`Block`). Their direct sum ``D`` has diagonal player blocks that are
diagonal matrices: two coordinates of one player never interact inside a block. Then

    M = S Q D Q^T S^-1,   Q = diag(Q_i) (rational Cayley rotations),   S = diag(s_i I_i),

keeps the spectrum of D, and its diagonal player blocks ``M_ii = Q_i D_ii Q_i^T`` are symmetric,
with the inertia of the diagonal ``D_ii`` (Sylvester). With ``d = omega - omega*``, player i's loss

    L_i = 1/2 d_i^T M_ii d_i + d_i^T sum_{j != i} M_ij d_j + (cubic monomials in d)

has ``v = M d + O(|d|^2)``: ``v(omega*) = 0`` and ``J(omega*) = M`` exactly, whatever the cubic terms.
Every planted answer (eigenvalues, verdicts, inertia, Lemma 4 bound) comes from the plan alone,
evaluated with mpmath at 50 digits; nothing here calls the project's spectrum or classify code.
"""
from __future__ import annotations

from dataclasses import dataclass

import mpmath
import sympy as sp

DIGITS = 50
RHO = sp.CRootOf(sp.Symbol("t") ** 3 - sp.Symbol("t") - 1, 0)
"""The real root of t^3 - t - 1 (about 1.3247): the generator of a cubic field."""
GENERATORS = {"Q": sp.Integer(0), "sqrt5": sp.sqrt(5), "cubic": RHO, "pi": sp.pi, "E": sp.E}
"""Each field the fuzzer draws numbers from, as Q(generator); numbers are r1 + r2 * generator."""


def mp(value: sp.Expr) -> mpmath.mpf:
    """A real sympy number at DIGITS digits (sympy's evalf, then mpmath)."""
    with mpmath.workdps(DIGITS + 10):
        return mpmath.mpf(str(sp.N(value, DIGITS + 10)))


def sign(value: sp.Expr) -> int:
    """Sign of a planted number: zero only when it is structurally zero (1, generator and its
    square are linearly independent over Q, and plans only combine them linearly), otherwise
    the sign of a 50-digit evaluation (planted nonzero numbers are far above 1e-40)."""
    if value == 0:
        return 0
    approx = mp(value)
    assert abs(approx) > mpmath.mpf(10) ** -40, value
    return 1 if approx > 0 else -1


@dataclass(frozen=True)
class Block:
    """A spectral block: kind, its numbers, and the owning player of each of its coordinates.

    - ``real (l,)``: the 1x1 matrix [l].
    - ``pair (l1, l2, d, q)``: [[m+d, q], [r, m-d]], m = (l1+l2)/2, r = ((l1-l2)^2/4 - d^2)/q;
      eigenvalues l1, l2; a 2x2 Jordan block when l1 == l2 (q != 0).
    - ``complex (a, b, d, q)``: [[a+d, q], [r, a-d]], r = -(b^2+d^2)/q; eigenvalues a +- i b, b > 0.
    - ``jordan3 (l, s, t)``: l I + s E_01 + t E_12 (s, t != 0): one 3x3 Jordan block at l.
    Two-coordinate blocks span two players; ``jordan3`` owners are (A, B, A) or distinct, so that
    no entry of a block couples two coordinates of one player off the diagonal.
    """

    kind: str
    numbers: tuple[sp.Expr, ...]
    owners: tuple[int, ...]

    def matrix(self) -> sp.Matrix:
        n = self.numbers
        if self.kind == "real":
            return sp.Matrix([[n[0]]])
        if self.kind == "pair":
            l1, l2, d, q = n
            m = (l1 + l2) / 2
            return sp.Matrix([[m + d, q], [((l1 - l2) ** 2 / 4 - d**2) / q, m - d]])
        if self.kind == "complex":
            a, b, d, q = n
            return sp.Matrix([[a + d, q], [-(b**2 + d**2) / q, a - d]])
        lam, s, t = n
        return sp.Matrix([[lam, s, 0], [0, lam, t], [0, 0, lam]])

    def eigenvalues(self) -> list[tuple[sp.Expr, sp.Expr]]:
        """(real part, imaginary part) of each eigenvalue, with multiplicity."""
        n = self.numbers
        if self.kind == "real":
            return [(n[0], sp.Integer(0))]
        if self.kind == "pair":
            return [(n[0], sp.Integer(0)), (n[1], sp.Integer(0))]
        if self.kind == "complex":
            return [(n[0], n[1]), (n[0], -n[1])]
        return [(n[0], sp.Integer(0))] * 3


def cayley(skew: sp.Matrix) -> sp.Matrix:
    """The rational orthogonal matrix (I - K)(I + K)^-1 of a skew-symmetric K."""
    eye = sp.eye(skew.rows)
    return (eye - skew) * (eye + skew).inv()


@dataclass(frozen=True)
class Plan:
    """Everything that defines a planted game (hypothesis draws these; examples write them)."""

    blocks: tuple[Block, ...]
    skews: tuple[tuple[sp.Expr, ...], ...]  # per player: upper-triangle entries of K_i, row by row
    scales: tuple[sp.Expr, ...]  # per player: s_i > 0
    point: tuple[sp.Expr, ...]  # omega*, in game parameter order
    cubics: tuple[tuple[sp.Expr, int, int, int], ...] = ()  # (c, a, b, e): c d_a d_b d_e in owner(a)'s loss
    expand: bool = False  # write each loss as an expanded polynomial in the parameters

    @property
    def owners(self) -> tuple[int, ...]:
        """Owner of each coordinate of D, in block order."""
        return tuple(o for b in self.blocks for o in b.owners)

    @property
    def players(self) -> int:
        return max(self.owners) + 1

    @property
    def order(self) -> list[int]:
        """Coordinates of D sorted by owner: the game's parameter order."""
        return sorted(range(len(self.owners)), key=lambda k: (self.owners[k], k))

    def sizes(self) -> list[int]:
        return [self.owners.count(i) for i in range(self.players)]


@dataclass(frozen=True)
class Planted:
    """A planted game and the answer at its planted point, computed from the plan alone."""

    game: object
    point: dict
    jacobian: sp.Matrix
    eigenvalues: list[tuple[sp.Expr, sp.Expr]]
    stability: str
    inertia: list[tuple[int, int, int]]  # per player: (positive, negative, zero)
    step: mpmath.mpf | None
    binding: list[complex]  # eigenvalues whose Lemma 4 bound attains the minimum (relative 1e-9)

    @property
    def dne(self) -> bool:
        return all(neg == 0 and zero == 0 for _, neg, zero in self.inertia)


def _direct_sum(plan: Plan) -> sp.Matrix:
    """D in the game's parameter order (coordinates sorted by owner)."""
    n = len(plan.owners)
    d = sp.zeros(n, n)
    start = 0
    for block in plan.blocks:
        m = block.matrix()
        for i in range(m.rows):
            for j in range(m.cols):
                d[start + i, start + j] = m[i, j]
        start += m.rows
    order = plan.order
    return d.extract(order, order)


def planted_jacobian(plan: Plan) -> sp.Matrix:
    """M = S Q D Q^T S^-1 (see the module docstring)."""
    q = sp.diag(*[cayley(_skew(entries, size)) for entries, size in zip(plan.skews, plan.sizes())])
    s = sp.diag(*[plan.scales[o] for o in sorted(plan.owners)])
    return (s * q * _direct_sum(plan) * q.T * s.inv()).applyfunc(sp.expand)


def _skew(entries, size: int) -> sp.Matrix:
    k = sp.zeros(size, size)
    pairs = [(i, j) for i in range(size) for j in range(i + 1, size)]
    for (i, j), e in zip(pairs, entries):
        k[i, j], k[j, i] = e, -e
    return k


def _expected_stability(eigenvalues) -> str:
    signs = [sign(re) for re, _ in eigenvalues]
    if min(signs) < 0:
        return "unstable"
    return "marginal" if 0 in signs else "LSSP"


def _lemma4(eigenvalues) -> tuple[mpmath.mpf, list[complex]]:
    """min over eigenvalues of 2 Re(l)/|l|^2 at 50 digits, and the eigenvalues attaining it."""
    with mpmath.workdps(DIGITS):
        values = [(mp(re), mp(im)) for re, im in eigenvalues]
        bounds = [2 * a / (a * a + b * b) for a, b in values]
        best = min(bounds)
        binding = [complex(float(a), float(b)) for (a, b), bound in zip(values, bounds)
                   if bound <= best * (1 + mpmath.mpf("1e-9"))]
    return best, binding


def _inertia(plan: Plan, d: sp.Matrix) -> list[tuple[int, int, int]]:
    """Inertia of each player's Hessian = that of D_ii, which is diagonal by construction."""
    owners = sorted(plan.owners)
    out = []
    for i in range(plan.players):
        idx = [k for k, o in enumerate(owners) if o == i]
        block = d.extract(idx, idx)
        assert block.is_diagonal(), "plan couples two coordinates of one player inside a block"
        signs = [sign(block[k, k]) for k in range(len(idx))]
        out.append((signs.count(1), signs.count(-1), signs.count(0)))
    return out


def build(plan: Plan) -> Planted:
    """The game of ``plan`` (players A, B, C with parameters a0, a1, ..., b0, ...) and its answer."""
    from gametheory import Game, Player  # the objects under test; no analysis code is used here

    sizes = plan.sizes()
    assert len(plan.point) == len(plan.owners), "one coordinate of the point per coordinate of D"
    names = "ABC"
    symbols = [sp.symbols(f"{names[i].lower()}0:{sizes[i]}", real=True) for i in range(plan.players)]
    params = [s for group in symbols for s in group]
    owners = sorted(plan.owners)
    m = planted_jacobian(plan)
    delta = sp.Matrix([s - p for s, p in zip(params, plan.point)])
    losses = []
    for i in range(plan.players):
        mine = [k for k, o in enumerate(owners) if o == i]
        others = [k for k, o in enumerate(owners) if o != i]
        own = delta.extract(mine, [0])
        loss = (own.T * m.extract(mine, mine) * own)[0] / 2
        if others:
            loss += (own.T * m.extract(mine, others) * delta.extract(others, [0]))[0]
        loss += sum((c * delta[a] * delta[b] * delta[e] for c, a, b, e in plan.cubics if owners[a] == i),
                    sp.Integer(0))
        losses.append(sp.expand(loss) if plan.expand else loss)
    game = Game(*[Player(names[i], symbols[i], losses[i]) for i in range(plan.players)], name="planted")
    eigenvalues = [e for block in plan.blocks for e in block.eigenvalues()]
    stability = _expected_stability(eigenvalues)
    step, binding = _lemma4(eigenvalues) if stability == "LSSP" else (None, [])
    return Planted(game, dict(zip(params, plan.point)), m, eigenvalues, stability,
                   _inertia(plan, _direct_sum(plan)), step, binding)

"""Classification of a game's points: stability (LSSP), Nash (DNE), rotation, Lemma 4 step size.

Verdicts say how they were obtained: ``exact`` (Routh-Hurwitz and Descartes on exact
characteristic polynomials over Q, Q(a) or Q(a)(t) with one transcendental t, at exact points),
``certified`` (the same with several transcendentals: every sign certified by interval
arithmetic), ``undecided`` (such a sign never separated from 0: stability ``undecided``, said
plainly) or ``numeric`` (float eigenvalues, with a stated tolerance ``tol``; a real part within
``tol`` of zero is ``marginal``, never stable).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import sympy as sp

from .domain import Domain
from ..display import latex
from ..errors import PointError
from ..game import Game
from ..numbers import RELATIVE_TOLERANCE, is_exact_number, is_zero
from .nash import NashVerdict, PlayerNash, numeric_inertia, polynomial_inertia
from .fields import UndecidedSign, decidable
from .spectrum import NoConvergence, characteristic_polynomial, poly_text, decide_stability, exact_roots, numeric_roots
from .stationary import stationary_points
from .stationary_results import Search, StationaryFamily
from .stepsize import StepSize, lemma4


def _float(value: sp.Expr) -> float:
    return float(sp.re(sp.N(value, 30)))


@dataclass(frozen=True)
class PointReport:
    """Everything known about one point of a game (rendering never recomputes)."""

    params: tuple[sp.Symbol, ...]
    values: tuple[sp.Expr, ...]
    exact: bool
    stationary: bool
    residual: float
    jacobian: sp.Matrix
    characteristic_polynomial: sp.Poly | None
    eigenvalues: tuple[complex, ...]
    exact_eigenvalues: tuple[sp.Expr, ...] | None
    stability: str  # "LSSP" | "unstable" | "marginal" | "undecided"
    stability_method: str  # "exact" | "certified" | "undecided" | "numeric"
    stability_reason: str
    tolerance: float | None
    nash: NashVerdict
    step: StepSize

    @property
    def lssp(self) -> bool:
        return self.stationary and self.stability == "LSSP"

    @property
    def dne(self) -> bool:
        return self.stationary and self.nash.dne

    def rotation(self) -> list[dict]:
        """Proposition 1: per eigenvalue, attraction rate Re, rotation rate Im and |Im/Re|."""
        out = []
        for l in self.eigenvalues:
            ratio = abs(l.imag / l.real) if l.real != 0 else None
            out.append({"eigenvalue": [l.real, l.imag], "attraction": l.real, "rotation": l.imag, "ratio": ratio})
        return out

    def to_dict(self) -> dict:
        poly = self.characteristic_polynomial
        return {
            "point": {s.name: sp.sstr(v) for s, v in zip(self.params, self.values)},
            "point_float": {s.name: _float(v) for s, v in zip(self.params, self.values)},
            "exact": self.exact,
            "stationary": self.stationary,
            "residual": self.residual,
            "jacobian": [[sp.sstr(e) for e in row] for row in self.jacobian.tolist()],
            "characteristic_polynomial": None if poly is None else poly_text(poly),
            "eigenvalues": [[l.real, l.imag] for l in self.eigenvalues],
            "eigenvalues_exact": None if self.exact_eigenvalues is None else [sp.sstr(e) for e in self.exact_eigenvalues],
            "stability": self.stability,
            "stability_method": self.stability_method,
            "stability_reason": self.stability_reason,
            "tolerance": self.tolerance,
            "lssp": self.lssp,
            "dne": self.dne,
            "nash": self.nash.summary,
            "nash_method": self.nash.method,
            "nash_players": [p.to_dict() for p in self.nash.players],
            "rotation": self.rotation(),
            **self.step.to_dict(),
        }


def classify_point(game: Game, point: Mapping[sp.Symbol, sp.Expr]) -> PointReport:
    """Classify ``game`` (constants substituted) at ``point``, which must lie where every loss is
    real and smooth (:class:`PointError` otherwise); exact iff every coordinate is."""
    game = game.with_constants() if game.constants else game
    missing = [s.name for s in game.params if s not in point]
    if missing:
        raise PointError(f"point is missing parameter(s): {', '.join(missing)}")
    values = tuple(sp.sympify(point[s]) for s in game.params)
    exact = all(is_exact_number(v) for v in values)
    subs = dict(zip(game.params, values))
    violation = Domain.of(game).violation(subs, exact)
    if violation is not None:
        raise PointError(f"the point is outside the losses' real domain: {violation}")
    jacobian = game.jacobian.xreplace(subs)  # numbers for symbols: xreplace, not the much slower subs
    field = game.vector_field.xreplace(subs)
    if exact:
        jacobian = jacobian.applyfunc(lambda e: sp.radsimp(sp.expand(e)))
        stationary = all(is_zero(c) for c in field)
    v_float = np.array([complex(sp.N(c, 30)) for c in field], dtype=complex)
    j_float = np.array(jacobian.evalf(30).tolist(), dtype=float).reshape(len(values), len(values))
    if not (np.all(np.isfinite(j_float)) and np.all(np.isfinite(v_float))):
        raise PointError("v or J at this point overflows double precision; choose a smaller point")
    scale = float(np.max(np.abs(v_float))) if v_float.size else 0.0
    residual = scale * float(np.linalg.norm(v_float / scale)) if scale > 0 else 0.0  # ||v||, overflow-safe
    if not exact:
        stationary = residual <= 1e-8
    poly = characteristic_polynomial(jacobian) if exact else None
    numeric_tol = RELATIVE_TOLERANCE * max(1.0, float(np.linalg.norm(j_float, 2)))

    if poly is not None:
        decision = decide_stability(poly)
        roots = exact_roots(poly)
        try:
            if roots is not None:
                eigenvalues = tuple(complex(sp.N(r, 30)) for r in roots)
            else:  # J's float eigenvalues start the high-precision root polishing
                eigenvalues = tuple(numeric_roots(poly, tuple(complex(l) for l in np.linalg.eigvals(j_float))))
        except NoConvergence:
            eigenvalues = tuple(complex(l) for l in np.linalg.eigvals(j_float))
        stability, method, reason, tol = decision.verdict, decision.method, decision.reason, None
    else:
        eigenvalues = tuple(complex(l) for l in np.linalg.eigvals(j_float))
        roots, tol = None, numeric_tol
        smallest = min(l.real for l in eigenvalues)
        stability = "LSSP" if smallest > tol else ("unstable" if smallest < -tol else "marginal")
        method = "numeric"
        reason = (f"float eigenvalues; real parts within tol = {tol:.1e} of 0 count as 0 "
                  f"(smallest real part {smallest:.3e})")
    eigenvalues = tuple(sorted(eigenvalues, key=lambda l: (l.real, l.imag)))  # exact order, no rounding
    nash = _nash(game, jacobian, j_float, numeric_tol, poly is not None)
    step = lemma4(list(eigenvalues), poly, stability if stationary else "not stationary")
    if not stationary:
        reason = f"v != 0 here (||v|| = {residual:.3e}): not a stationary point; spectrum: {reason}"
    return PointReport(game.params, values, exact, stationary, residual, jacobian, poly, eigenvalues,
                       tuple(roots) if roots is not None else None, stability, method, reason, tol, nash, step)


def _nash(game: Game, jacobian: sp.Matrix, j_float: np.ndarray, tol: float, exact: bool) -> NashVerdict:
    """Each player's Hessian: exact inertia in the point's field at an exact point
    ("certified" with several transcendentals), numeric otherwise or where a sign is undecided."""
    polys = [characteristic_polynomial(jacobian[s, s]) for s in game.slices] if exact else [None]
    if all(p is not None for p in polys):
        try:
            inertias = [polynomial_inertia(p) for p in polys]
            method = "exact" if all(decidable(p.domain) for p in polys) else "certified"
            return NashVerdict(tuple(PlayerNash(p.name, i) for p, i in zip(game.players, inertias)), method)
        except UndecidedSign:
            pass
    inertias = [numeric_inertia(j_float[s, s], tol) for s in game.slices]
    return NashVerdict(tuple(PlayerNash(p.name, i) for p, i in zip(game.players, inertias)), "numeric")


@dataclass(frozen=True)
class GameReport:
    """A game's stationary points, each classified, plus the families found."""

    game: Game
    search: Search
    points: tuple[PointReport, ...]
    families: tuple[StationaryFamily, ...]
    constants: dict[sp.Symbol, sp.Expr]

    def to_dict(self) -> dict:
        game = self.game
        entries = [p.to_dict() for p in self.points]
        entries += [{"family": f.description, "free": [s.name for s in f.free],
                     "solution": {s.name: sp.sstr(e) for s, e in f.solution}} for f in self.families]
        return {
            "game": game.name,
            "description": game.description,
            "source": game.source,
            "params": [s.name for s in game.params],
            "players": [{"name": p.name, "params": [s.name for s in p.params], "loss": sp.sstr(p.loss)}
                        for p in game.players],
            "constants": {s.name: sp.sstr(v) for s, v in self.constants.items()},
            "zero_sum": game.zero_sum,
            "vector_field": [sp.sstr(c) for c in game.vector_field],
            "jacobian": [[sp.sstr(e) for e in row] for row in game.jacobian.tolist()],
            "search": self.search.to_dict(),
            "stationary_points": entries,
        }

    def _repr_latex_(self) -> str | None:
        return latex(self)


def classify_game(game: Game, constants: Mapping[sp.Symbol, object] | None = None,
                  point: Mapping[sp.Symbol, sp.Expr] | None = None) -> GameReport:
    """Classify every stationary point of ``game`` (or only ``point``), constants overridden by
    ``constants``. The report keeps the game with its constants substituted.

    Example: Berard et al.'s Example 1 has an LSSP that is not a Nash equilibrium (G's Hessian
    is indefinite); its Lemma 4 step size is bound by a root of an irreducible cubic, so it is
    computed to 50 digits. The Dirac GAN with R1 penalty gamma > 0 is an LSSP but no DNE: G's
    Hessian vanishes there.

    >>> from gametheory import zoo
    >>> lssp, other = classify_game(zoo.get("example1")).points
    >>> lssp.values, lssp.stability, lssp.dne, other.values, other.stability
    ((1, 1, 0), 'LSSP', False, (45/41, 36/41, -1/9), 'unstable')
    >>> lssp.characteristic_polynomial.all_coeffs()  # det(l I - J) = l**3 - l**2 + 11 l - 2
    [1, -1, 11, -2]
    >>> round(lssp.step.max_step_size, 6), lssp.step.method
    (0.075179, 'high precision')
    >>> dirac = zoo.get("dirac-gan-r1")
    >>> (gamma,) = dirac.constants
    >>> (r1,) = classify_game(dirac, {gamma: 2}).points
    >>> r1.values, r1.lssp, r1.dne
    ((0, 0), True, False)
    >>> r1.nash.players[0].inertia
    Inertia(positive=0, negative=0, zero=1)
    """
    resolved = game.with_constants(constants) if game.constants or constants else game
    used = {**game.constants, **{k: sp.sympify(v) for k, v in (constants or {}).items()}}
    if point is not None:
        search = Search((), (), "given point", True)
        return GameReport(resolved, search, (classify_point(resolved, point),), (), used)
    search = stationary_points(resolved)
    reports = tuple(classify_point(resolved, p.as_dict(resolved.params)) for p in search.points)
    return GameReport(resolved, search, reports, search.families, used)

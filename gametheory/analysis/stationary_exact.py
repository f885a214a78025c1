"""The exact solve of a rational field: v's numerators over their coefficients' field K (Q, one
algebraic extension Q(alpha), or a field of fractions), a lex Groebner basis split by irreducible
factors over K, real roots only, within a size budget (Bezout bound, component degree); solutions
where a denominator vanishes are dropped, those outside the losses' real domain rejected.
Components beyond the budget are returned as ``gaps`` for the numeric search."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sympy as sp

from .domain import Domain
from ..game import Game
from ..numbers import is_zero
from .stationary_results import Dropped, StationaryFamily, StationaryPoint


def _is_real(value: sp.Expr) -> bool:
    verdict = value.is_real
    if verdict is not None:
        return verdict
    return abs(sp.im(sp.N(value, 50))) < sp.Float("1e-40")


def rational_parts(game: Game):
    """Numerators and denominators of v, or None when v is not rational in the parameters."""
    nums, dens = [], []
    for component in game.vector_field:
        num, den = sp.fraction(sp.together(component))
        if not (num.is_polynomial(*game.params) and den.is_polynomial(*game.params)):
            return None
        nums.append(sp.expand(num))
        dens.append(den)
    return nums, dens


MAX_BEZOUT = {True: 256, False: 16}
"""Size budget of the exact solve, over Q (True) and over other fields (False): at most this many
complex solutions by Bezout's bound (the product of the numerators' total degrees). Over an
algebraic field the lex basis comes from Buchberger's algorithm (:func:`lex_basis`), already
slow for six quadratic equations; larger systems go to the numeric search, with a note."""
MAX_DEGREE = 8
"""Size budget per component: the degree of the polynomial whose roots give its points. Larger
components where two or more coordinates vary (each then a long polynomial in a CRootOf of degree
> 8) go to the numeric search, with a note; one varying coordinate is just that CRootOf."""
SEPARATING_TRIES = 3
"""Linear forms tried to put a component in shape position (:func:`_shape`)."""


class GaveUp(Exception):
    """The exact solve stopped (its argument says why); the numeric search is used instead."""


def _coefficient_field(nums, params):
    """The numerators as polynomials over one field K built once: Q, Q(alpha) for the algebraic
    numbers among their coefficients (one primitive element), or a field of fractions Q(pi, ...)."""
    polys, options = sp.parallel_poly_from_expr(nums, *params, extension=True)
    field = options.domain.get_field()
    return [p.set_domain(field) for p in polys], field


def _shape(basis, gens) -> list[sp.Poly] | None:
    """``[g_1, ..., g_{n-1}, p]`` when the lex basis reads ``c_i x_i - r_i(t)`` (i < n), ``p(t)``
    with t = gens[-1] (shape position: x_i = g_i(t) = r_i(t)/c_i), else None."""
    t = gens[-1]
    univariate = [g for g in basis if g.free_symbols <= {t}]
    if len(basis) != len(gens) or len(univariate) != 1:
        return None
    lead = {g.monoms(order="lex")[0]: g for g in basis}
    out = []
    for i, x in enumerate(gens[:-1]):
        g = lead.get(tuple(int(j == i) for j in range(len(gens))))
        if g is None:
            return None
        c = g.LC(order="lex")
        rest = g - sp.Poly(x, *gens, domain=g.domain).mul_ground(c)
        if rest.free_symbols - {t}:
            return None
        out.append(-rest.quo_ground(c))
    return out + univariate


def _quotient_dimension(basis, n: int) -> int:
    """The number of points (with multiplicity) of a zero-dimensional ideal: the monomials that
    no leading monomial of its Groebner basis divides, counted up to MAX_DEGREE + 1."""
    leads = [g.monoms(order="lex")[0] for g in basis]
    count, stack = 0, [(0,) * n]
    seen = set(stack)
    while stack and count <= MAX_DEGREE:
        monomial = stack.pop()
        if any(all(a >= b for a, b in zip(monomial, lead)) for lead in leads):
            continue
        count += 1
        for i in range(n):
            step = tuple(e + (j == i) for j, e in enumerate(monomial))
            if step not in seen:
                seen.add(step)
                stack.append(step)
    return count


def _component(basis, gens, field) -> list[tuple[sp.Expr, ...]]:
    """Real points of one component (its lex basis over ``field``, where the last parameter's
    polynomial is irreducible): in shape position in the last parameter, or in a separating linear form
    ``u = x_n + c x_{n-1} + c^2 x_{n-2} + ...`` adjoined as a new last variable (c = 2, 3, ...).
    Each coordinate is then a polynomial in a root of one irreducible factor over ``field`` of
    that variable's polynomial, so no tower of fields is ever built."""
    shape = _shape(basis, gens)
    varying = sum(max(m) > 1 and sum(m) == max(m) for m in (g.monoms(order="lex")[0] for g in basis))
    if shape is None and varying > 1 and (size := _quotient_dimension(basis, len(gens))) > MAX_DEGREE:
        raise GaveUp(f"a component of degree {size} > {MAX_DEGREE}")
    u, target = gens[-1], gens
    for c in range(2, 2 + SEPARATING_TRIES):
        if shape is not None:
            break
        u = sp.Dummy("u")
        form = u - sum(c**k * x for k, x in enumerate(reversed(gens)))
        target = (*gens, u)
        polys = [sp.Poly.from_dict({m + (0,): coeff for m, coeff in g.rep.to_dict().items()}, *target, domain=field)
                 for g in basis] + [sp.Poly(form, *target, domain=field)]
        shape = _shape(lex_basis(polys, target, field).polys, target)
    if shape is None:
        raise GaveUp(f"a component not in shape position after {SEPARATING_TRIES} linear forms")
    *coordinates, p = shape
    if p.degree(u) > MAX_DEGREE and sum(not g.is_ground for g in coordinates) + (u in gens) > 1:
        raise GaveUp(f"a component of degree {p.degree(u)} > {MAX_DEGREE}")
    points = []
    roots = [r for factor, _ in sp.Poly(p.as_expr(), u, domain=field).factor_list()[1] for r in _real_roots(factor)]
    for root in roots:
        values = [sp.expand(g.as_expr().subs(u, root)) for g in coordinates]
        point = dict(zip([x for x in target if x != u], values))
        if u in gens:
            point[u] = root
        points.append(tuple(_simplified(point[x]) for x in gens))
    return points


def _simplified(value: sp.Expr) -> sp.Expr:
    """Radicals with rationalised denominators (``radsimp``); CRootOf expressions as they are
    (radsimp would re-factor their polynomial at every occurrence)."""
    return value if value.has(sp.CRootOf) else sp.radsimp(value)


def _real_roots(p: sp.Poly) -> list[sp.Expr]:
    """Real roots of an irreducible univariate ``p`` over Q or a real field K: one in K (degree 1),
    two radicals over K (degree 2, disc > 0), CRootOf over Q (higher degree over Q)."""
    degree, field = p.degree(), p.domain
    if degree == 1:
        a, b = p.all_coeffs()
        return [-b / a]
    if degree == 2:
        a, b, c = (field.to_sympy(x) for x in p.rep.to_list())
        disc = sp.expand(b**2 - 4 * a * c)
        if not sp.N(disc, 50) > 0:
            return []
        return [(-b - sp.sqrt(disc)) / (2 * a), (-b + sp.sqrt(disc)) / (2 * a)]
    if field.is_QQ or field.is_ZZ:
        return p.real_roots()
    raise GaveUp(f"real roots of a factor of degree {degree} over {field}")


def lex_basis(polys, params, field) -> sp.GroebnerBasis:
    """The reduced lex Groebner basis over ``field``; over Q through a grevlex basis and FGLM
    (far faster than lex Buchberger on dense rational coefficients; sympy's FGLM does not work
    over algebraic fields, which get lex Buchberger). Non-zero-dimensional ideals keep grevlex."""
    if not field.is_QQ:
        return sp.groebner(polys, *params, order="lex", domain=field)
    basis = sp.groebner(polys, *params, order="grevlex", domain=field)
    return basis.fglm("lex") if basis.is_zero_dimensional and basis.exprs != [1] else basis


def _solve_zero_dimensional(basis, gens, field) -> tuple[list[tuple[sp.Expr, ...]], list[str]]:
    """Real solutions of a zero-dimensional ideal from its lex basis over ``field``: split by the
    irreducible factors over ``field`` of its univariate polynomial in the last parameter, then
    solve each component (:func:`_component`). Also returns why components were given up."""
    univariate = [g for g in basis.polys if g.free_symbols <= {gens[-1]}]
    points, gaps = [], []
    for factor, _ in univariate[0].factor_list()[1]:
        component = lex_basis([*basis.polys, factor.set_domain(field)], gens, field)
        try:
            points += [q for q in _component(component.polys, gens, field) if q not in points]
        except GaveUp as reason:
            gaps.append(str(reason))
    return points, gaps


def _real_parts_of_families(solutions: list[dict], params) -> list[dict]:
    """Replace a parametric solution with complex right-hand sides (``y = I*x``) by its real
    points: the free parameters are real, so the imaginary parts must vanish."""
    out = []
    for sol in solutions:
        free = [s for s in params if s not in sol]
        if not free or not any(v.has(sp.I) for v in sol.values()):
            out.append(sol)
            continue
        imaginary = [sp.im(sp.expand_complex(v)) for v in sol.values()]
        imaginary = [e for e in imaginary if e != 0]
        for fix in sp.solve(imaginary, free, dict=True):
            if all(_is_real(v) for v in fix.values() if not v.free_symbols & set(params)):
                out.append({**{k: sp.expand_complex(v.subs(fix)) for k, v in sol.items()}, **fix})
    return out


@dataclass(frozen=True)
class ExactSolution:
    """The exact solve's answer: points and families inside the losses' real domain, solutions
    rejected outside it, the method (naming the field), and the components it gave up on (``gaps``,
    each a reason, left to the numeric search; then there are no families)."""

    points: tuple[StationaryPoint, ...]
    families: tuple[StationaryFamily, ...]
    rejected: tuple[Dropped, ...]
    method: str
    gaps: tuple[str, ...] = ()


def solve_exact(game: Game, nums, dens, domain: Domain) -> ExactSolution:
    """Solve v's numerators over their coefficient field (:func:`_coefficient_field`): a lex
    Groebner basis, then :func:`_solve_zero_dimensional`, or sympy's solver for families.
    Raises :class:`GaveUp` beyond the size budget (MAX_BEZOUT) or where a root has no supported
    exact form."""
    params = game.params
    equations = [n for n in nums if n != 0]
    bezout = int(np.prod([sp.Poly(n, *params).total_degree() for n in equations])) if equations else 1
    polys, field = _coefficient_field(equations, params) if equations else ([], sp.QQ)
    if bezout > MAX_BEZOUT[field.is_QQ]:
        raise GaveUp(f"Bezout bound {bezout} > {MAX_BEZOUT[field.is_QQ]} over {field}")
    basis = lex_basis(polys, params, field) if equations else None
    gaps = []
    if basis is not None and list(basis.exprs) == [1]:
        solutions = []
    elif basis is not None and basis.is_zero_dimensional:
        found, gaps = _solve_zero_dimensional(basis, params, field)
        found.sort(key=lambda q: tuple(float(sp.N(v)) for v in q))
        solutions = [dict(zip(params, q)) for q in found]
    else:
        solutions = sp.solve(equations, params, dict=True) if equations else [{}]
    points, families, rejected = [], [], []
    for sol in _real_parts_of_families(solutions, params):
        if any(not _is_real(v) for v in sol.values() if not v.free_symbols & set(params)):
            continue
        full = {s: sol.get(s, s) for s in params}
        if any(is_zero(d.subs(full)) for d in dens):
            continue
        free = tuple(s for s in params if s not in sol)
        if free:
            fixed = tuple((s, sp.simplify(sol[s])) for s in params if s in sol)
            real, restrictions = domain.restrict(dict(fixed))
            if real:
                families.append(StationaryFamily(fixed, free, restrictions))
            else:
                where = tuple((s.name, sp.sstr(e)) for s, e in fixed) + tuple((s.name, "free") for s in free)
                rejected.append(Dropped(where, restrictions[0]))
            continue
        point = StationaryPoint(tuple(_simplified(full[s]) for s in params), True)
        if point in points:
            continue
        violation = domain.violation(point.as_dict(params), exact=True)
        if violation is None:
            points.append(point)
        elif (dropped := Dropped(tuple((s.name, sp.sstr(v)) for s, v in zip(params, point.values)), violation)) not in rejected:
            rejected.append(dropped)
    points.sort(key=lambda p: [float(sp.re(sp.N(v))) for v in p.values])
    method = (f"exact: rational field solved symbolically over {field} (lex Groebner basis split by "
              "irreducible factors, real roots only)")
    return ExactSolution(tuple(points), tuple(families), tuple(rejected), method, tuple(gaps))

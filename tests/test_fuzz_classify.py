"""Differential fuzzer for the exact classifier: games whose answer is planted.

Each example is a polynomial game with a stationary point omega* chosen in Q, Q(sqrt 5), Q(rho)
(rho the real root of t^3 - t - 1), Q(pi) or Q(E), and a Jacobian there built as a similarity transform
of chosen spectral blocks (marginal pairs +-i w, zero eigenvalues, Jordan blocks at 0 and at
other values, real parts of 1e-12, ties and tiny values among the Lemma 4 bounds, mixed signs);
see ``support/planting.py``. The planted answer (stability verdict, each player's Hessian
inertia, Lemma 4's min 2 Re(l)/|l|^2 and the eigenvalues attaining it) is computed from the plan
alone with mpmath at 50 digits, then compared with ``classify_game``: at the given point, or
through the full stationary-point search, which must find omega*.
"""
import pytest
import sympy as sp
from hypothesis import HealthCheck, Phase, currently_in_test_context, given, note, settings, strategies as st

from gametheory import classify_game
from support.planting import GENERATORS, RHO, Block, Plan, build, sign

R = sp.Rational
TINY = R(1, 10**12)
SMALL_RATIONALS = [R(1), R(-1), R(2), R(-2), R(3), R(1, 2), R(-1, 2), R(1, 3), R(-3, 2), R(5, 2)]
RATIONALS = [R(0)] * 3 + SMALL_RATIONALS + [TINY, -TINY, 3 * TINY / 10, R(10**6)]
"""Real parts and shifts: zero (often), small values, margins of 1e-12 and a large value."""
NONZERO = [R(1), R(-1), R(2), R(1, 2), R(-1, 3), R(3)]
"""Mixing coefficients of a block (its off-diagonal q, Jordan couplings): rational, nonzero."""
COEFFICIENTS = [R(0), R(1), R(-1), R(1, 2), R(-2), TINY]
IMAGINARY = [R(1), R(2), R(1, 2), R(3), R(10), TINY]

FAST = settings(max_examples=12, deadline=None, derandomize=True, database=None,
                phases=[Phase.generate], suppress_health_check=list(HealthCheck))
"""Default suite: a fixed set of examples, no shrinking (a failure prints its plan)."""
SLOW = settings(max_examples=300, deadline=None, derandomize=True, database=None,
                suppress_health_check=list(HealthCheck))


def moderate(values: list) -> list:
    """``values`` without the extremes (1e-12 margins, 1e6)."""
    return [r for r in values if r == 0 or R(1, 10**6) < abs(r) < 10**3]


def numbers(field: str, base=RATIONALS, extremes=True):
    """r1 + r2 * g for the field's generator g (r2 = 0 in Q)."""
    g = GENERATORS[field]
    base = base if extremes else moderate(base)
    if g == 0:
        return st.sampled_from(base)
    coefficients = COEFFICIENTS if extremes else moderate(COEFFICIENTS)
    return st.builds(lambda r1, r2: r1 + r2 * g, st.sampled_from(base), st.sampled_from(coefficients))


def positive(field: str, base, extremes=True):
    """A positive number of the field: |x| for a nonzero drawn x."""
    return numbers(field, base, extremes).filter(lambda x: x != 0).map(lambda x: x if sign(x) > 0 else -x)


@st.composite
def blocks(draw, field: str, spectrum: str, room: int, players: int, nonsingular: bool, extremes: bool):
    """One spectral block (or a tie: a pair a +- ib and the real (a^2+b^2)/a with the same bound):
    eigenvalue numbers from ``spectrum``, the block's shift d from ``field``."""
    kinds = ["real"] + ["pair", "complex"] * (room >= 2) + ["jordan3", "tie"] * (room >= 3)
    kind = draw(st.sampled_from(kinds))
    any_number = numbers(spectrum, extremes=extremes)
    value = any_number.filter(lambda x: x != 0) if nonsingular else any_number
    shift = numbers(field, extremes=extremes)
    two = draw(st.permutations(range(players)))[:2]
    if kind == "real":
        return [Block("real", (draw(value),), (draw(st.integers(0, players - 1)),))]
    if kind == "pair":
        l1 = draw(value)
        l2 = l1 if draw(st.booleans()) else draw(value)  # equal: a 2x2 Jordan block
        return [Block("pair", (l1, l2, draw(shift), draw(st.sampled_from(NONZERO))), tuple(two))]
    if kind == "complex":
        a, b = draw(any_number), draw(positive(spectrum, IMAGINARY, extremes))
        return [Block("complex", (a, b, draw(shift), draw(st.sampled_from(NONZERO))), tuple(two))]
    if kind == "jordan3":
        owners = tuple(draw(st.permutations(range(players)))) if players == 3 and draw(st.booleans()) \
            else (two[0], two[1], two[0])
        return [Block("jordan3", (draw(value), draw(st.sampled_from(NONZERO)), draw(st.sampled_from(NONZERO))),
                      owners)]
    a = draw(st.sampled_from([R(1), R(1, 2), R(3)] + [TINY] * extremes))
    b = draw(positive(spectrum, IMAGINARY, extremes))
    return [Block("complex", (a, b, draw(shift), draw(st.sampled_from(NONZERO))), tuple(two)),
            Block("real", (sp.expand((a**2 + b**2) / a),), (draw(st.integers(0, players - 1)),))]


@st.composite
def plans(draw, field: str, sizes=(2, 6), nonsingular=False, max_cubics=3, point_field=None, spectrum=None,
          extremes=True):
    """A plan of 2-3 players and ``sizes`` parameters, numbers from ``field`` (with 1e-12 margins
    and 1e6 unless ``extremes`` is false); the point from ``point_field`` and the eigenvalues from
    ``spectrum`` where given (a subfield: Q)."""
    players = draw(st.sampled_from([2, 3]))
    target = draw(st.integers(*sizes))
    spectral: list[Block] = []
    while sum(len(b.owners) for b in spectral) < target:
        room = target - sum(len(b.owners) for b in spectral)
        spectral += draw(blocks(field, spectrum or field, room, players, nonsingular, extremes))
    used = sorted({o for b in spectral for o in b.owners})
    if len(used) == 1:  # only real blocks of one player: hand the last one to another player
        last = spectral[-1]
        spectral[-1] = Block(last.kind, last.numbers, ((used[0] + 1) % players,))
        used = sorted({o for b in spectral for o in b.owners})
    relabel = {o: i for i, o in enumerate(used)}
    spectral = [Block(b.kind, b.numbers, tuple(relabel[o] for o in b.owners)) for b in spectral]
    plan = Plan(tuple(spectral), (), (), ())
    n = len(plan.owners)
    skews = tuple(tuple(draw(st.lists(st.sampled_from([R(0), R(1), R(-1), R(1, 2), R(2)]),
                                      min_size=k * (k - 1) // 2, max_size=k * (k - 1) // 2)))
                  for k in plan.sizes())
    scales = tuple(draw(st.lists(st.sampled_from([R(1), R(2), R(1, 3)]), min_size=plan.players,
                                 max_size=plan.players)))
    point = tuple(draw(st.lists(numbers(point_field or field, SMALL_RATIONALS + [R(0)]), min_size=n, max_size=n)))
    index = st.integers(0, n - 1)
    cubics = tuple(draw(st.lists(st.tuples(st.sampled_from(NONZERO), index, index, index), max_size=max_cubics)))
    return Plan(plan.blocks, skews, scales, point, cubics, draw(st.booleans()))


def _float(value) -> float:
    return float(sp.N(value, 30))


def _nearest(value: complex, candidates: list[complex]) -> int:
    return min(range(len(candidates)), key=lambda k: abs(candidates[k] - value))


def _note(text: str) -> None:
    """Context printed with a failing example (hypothesis' note inside @given, else stdout)."""
    (note if currently_in_test_context() else print)(text)


def check(plan: Plan, search: bool = False) -> None:
    """Classify the planted game (at its point, or through the search) against the plan."""
    planted = build(plan)
    _note(f"losses: {[sp.sstr(p.loss) for p in planted.game.players]}")
    _note(f"point: {planted.point}")
    _note(f"planted: {planted.stability}, inertia {planted.inertia}, step {planted.step}")
    report = classify_game(planted.game) if search else classify_game(planted.game, point=planted.point)
    target = tuple(planted.point.values())
    found = [p for p in report.points if all(sp.expand(v - t) == 0 for v, t in zip(p.values, target))]
    assert len(found) == 1, f"planted point {target} not reported once: {[p.values for p in report.points]}"
    got = found[0].to_dict()
    _note(f"got: {got}")
    assert got["exact"] and got["stationary"]
    assert (got["stability"], got["stability_method"]) == (planted.stability, "exact")
    assert got["lssp"] == (planted.stability == "LSSP")
    inertia = [(p["positive"], p["negative"], p["zero"]) for p in got["nash_players"]]
    assert inertia == planted.inertia
    assert got["dne"] == planted.dne

    eigenvalues = [complex(_float(re), _float(im)) for re, im in planted.eigenvalues]
    reported = [complex(*l) for l in got["eigenvalues"]]
    assert len(reported) == len(eigenvalues)
    remaining = list(eigenvalues)
    for l in sorted(reported, key=lambda l: (l.real, l.imag)):
        k = _nearest(l, remaining)
        assert abs(remaining.pop(k) - l) <= 1e-8 * (1 + abs(l)), f"eigenvalue {l} not planted: {eigenvalues}"

    if planted.step is None:
        assert got["max_step_size"] is None and got["binding_eigenvalue"] is None
        return
    expected = float(planted.step)
    assert got["max_step_size"] == pytest.approx(expected, rel=1e-9)
    if got["max_step_size_exact"] is not None:
        assert _float(sp.sympify(got["max_step_size_exact"])) == pytest.approx(expected, rel=1e-9)
    binding = complex(*got["binding_eigenvalue"])
    assert eigenvalues[_nearest(binding, eigenvalues)] in planted.binding, \
        f"binding eigenvalue {binding}, but the bound is attained by {planted.binding}"


# --- explicit classes, in every field ---------------------------------------------------------
def _plan(blocks, point, skews=None, cubics=(), expand=False):
    probe = Plan(tuple(blocks), (), (), ())
    skews = skews or tuple((R(1),) * (k * (k - 1) // 2) for k in probe.sizes())
    return Plan(probe.blocks, skews, (R(1),) * probe.players, tuple(point), cubics, expand)


CLASSES = {
    "marginal pair and zero": _plan([Block("complex", (R(0), R(2), R(1, 2), R(3)), (0, 1)),
                                     Block("real", (R(0),), (1,))], [R(1), R(-1), R(1, 2)]),
    "Jordan block at 0": _plan([Block("jordan3", (R(0), R(1), R(2)), (0, 1, 0)), Block("real", (R(1),), (1,))],
                               [R(1), R(2), R(0), R(1)], cubics=((R(1), 0, 0, 1),)),
    "margin 1e-12 and a Jordan block": _plan([Block("complex", (TINY, R(1), R(0), R(1)), (0, 1)),
                                              Block("pair", (R(2), R(2), R(1), R(-1)), (0, 1))],
                                             [R(0)] * 4, expand=True),
    # Lemma 4 bounds 2e-14 (1e-12 +- 10i) and 8e-15 (1e-13 +- 5i): the smaller binds, unrounded.
    "tiny Lemma 4 bounds": _plan([Block("complex", (TINY, R(10), R(0), R(1)), (0, 1)),
                                  Block("complex", (TINY / 10, R(5), R(0), R(1)), (0, 1))], [R(1)] * 4),
    # 2 Re/|l|^2 = 2/5 for 1 +- 2i and for 5: a tie.
    "tied Lemma 4 bounds": _plan([Block("complex", (R(1), R(2), R(1), R(1)), (0, 1)), Block("real", (R(5),), (1,))],
                                 [R(0), R(1), R(2)]),
}


def _in(field: str, plan: Plan) -> Plan:
    """``plan`` moved into Q(g), g > 0 the field's generator: its Jacobian multiplied by g (every
    block is homogeneous of degree 1 in its numbers, so all of them are) and its point shifted by g."""
    g = GENERATORS[field]
    if g == 0:
        return plan
    blocks = tuple(Block(b.kind, tuple(x * g for x in b.numbers), b.owners) for b in plan.blocks)
    return Plan(blocks, plan.skews, plan.scales, tuple(x + g for x in plan.point), plan.cubics, plan.expand)


@pytest.mark.parametrize("field, name", [
    pytest.param(field, name, id=f"{field}-{name}")
    for field in ("Q", "sqrt5", "cubic", "pi", "E") for name in CLASSES])
def test_planted_classes(field, name):
    check(_in(field, CLASSES[name]))


def test_planted_axis_pair_at_a_cubic_point():
    """Eigenvalues +-i rho and 1 at (rho, 0, 1), rho the real root of t^3 - t - 1: marginal."""
    check(_plan([Block("complex", (R(0), RHO, R(0), R(1)), (0, 1)), Block("real", (R(1),), (0,))],
                [RHO, R(0), R(1)], skews=((R(0),), ())))


# --- property tests ------------------------------------------------------------------------------
@FAST
@given(plan=plans("Q"))
def test_planted_rational_points(plan):
    check(plan)


@FAST
@given(plan=plans("Q", point_field="sqrt5"))
def test_planted_rational_jacobian_at_quadratic_points(plan):
    check(plan)


@pytest.mark.parametrize("field", ["sqrt5", "cubic"])
@settings(FAST, max_examples=6)
@given(data=st.data())
def test_planted_algebraic_entries(field, data):
    """Entries, eigenvalues and point in Q(sqrt 5) or Q(rho)."""
    check(data.draw(plans(field, sizes=(2, 5), max_cubics=2), label="plan"))


@FAST
@given(plan=plans("Q", sizes=(2, 3), nonsingular=True, max_cubics=1, point_field="sqrt5"))
def test_planted_points_are_found_by_the_search(plan):
    check(plan, search=True)


@pytest.mark.parametrize("field", ["pi", "E"])
@FAST
@given(data=st.data())
def test_planted_transcendental_field(field, data):
    check(data.draw(plans(field), label="plan"))


@FAST
@given(plan=plans("Q"))
def test_planting_is_what_it_says(plan):
    """The fuzzer's own construction, checked with sympy alone: v(omega*) = 0, J(omega*) = M and
    det(x I - M) = prod (x - l) over the planted eigenvalues."""
    planted = build(plan)
    params = [s for p in planted.game.players for s in p.params]
    field = sp.Matrix([sp.diff(p.loss, s) for p in planted.game.players for s in p.params])
    at = planted.point
    assert field.subs(at).applyfunc(sp.expand) == sp.zeros(len(params), 1)
    assert (field.jacobian(params).subs(at) - planted.jacobian).applyfunc(sp.expand) == sp.zeros(len(params))
    x = sp.Symbol("x")
    expected = sp.prod([x - (re + sp.I * im) for re, im in planted.eigenvalues])
    assert sp.expand(planted.jacobian.charpoly(x).as_expr() - expected) == 0


# --- slow variants: many more examples, every field at full size, larger searches ----------------
@pytest.mark.slow
@SLOW
@given(plan=st.sampled_from(["Q", "sqrt5", "cubic", "pi", "E"]).flatmap(lambda f: plans(f)))
def test_planted_many_fields_slow(plan):
    """Every field at full size (up to 6 parameters), eigenvalues in the field itself."""
    check(plan)


@pytest.mark.slow
@SLOW
@given(plan=st.sampled_from(["Q", "sqrt5"]).flatmap(
    lambda f: plans("Q", sizes=(2, 4), nonsingular=True, max_cubics=2, point_field=f)))
def test_planted_search_slow(plan):
    check(plan, search=True)

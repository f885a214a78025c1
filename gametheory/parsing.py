"""Safe parsing of user strings (losses, point coordinates, constant values) into sympy.

sympy's ``sympify``/``parse_expr`` call Python's ``eval``; nothing here does. A string is parsed
with :mod:`ast` and every node is checked against a whitelist (declared names, numbers,
arithmetic, ``**`` and a fixed set of math functions) while the sympy expression is built
directly from the tree. Decimal literals become exact rationals (``0.1`` is ``1/10``).
"""
from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping

import sympy as sp

from .errors import ParseError, PointError

MAX_LENGTH = 10_000
MAX_NUMERIC_EXPONENT = 1_000
MAX_SYMBOLIC_EXPONENT = 100
MAX_MAGNITUDE = 1e300


def _sigmoid(x):
    return 1 / (1 + sp.exp(-x))


def _softplus(x):
    return sp.log(1 + sp.exp(x))


def _logsigmoid(x):
    return -sp.log(1 + sp.exp(-x))


FUNCTIONS = {
    "exp": sp.exp, "log": sp.log, "sqrt": sp.sqrt, "sin": sp.sin, "cos": sp.cos,
    "tan": sp.tan, "tanh": sp.tanh, "sinh": sp.sinh, "cosh": sp.cosh, "atan": sp.atan,
    "sigmoid": _sigmoid, "softplus": _softplus, "logsigmoid": _logsigmoid,
}
"""Functions a user string may call, each with one argument; all smooth (``abs`` is left out:
the analysis needs second derivatives).  ``sigmoid(x) = 1/(1+exp(-x))``,
``softplus(x) = log(1+exp(x))``, ``logsigmoid(x) = -log(1+exp(-x))``; they expand to
elementary expressions so that every later layer (lambdify to numpy or torch) understands them."""

CONSTANTS = {"pi": sp.pi, "E": sp.E}

_BINARY = {
    ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b, ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b, ast.Pow: lambda a, b: a ** b,
}


def _describe(node: ast.AST) -> str:
    try:
        return ast.unparse(node)
    except Exception:  # pragma: no cover - ast.unparse handles every parsed node
        return type(node).__name__


class _Builder:
    """Builds a sympy expression from a whitelisted AST; raises ParseError on anything else."""

    def __init__(self, names: Mapping[str, sp.Expr], text: str):
        self.names = names
        self.text = text

    def fail(self, what: str) -> ParseError:
        return ParseError(f"{what} in {self.text!r}")

    def build(self, node: ast.AST) -> sp.Expr:
        if isinstance(node, ast.Expression):
            return self.build(node.body)
        if isinstance(node, ast.Constant):
            value = node.value
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise self.fail(f"literal {_describe(node)} is not allowed (numbers only)")
            literal = ast.get_source_segment(self.text, node) or repr(value)
            if not abs(float(value)) <= MAX_MAGNITUDE:
                raise self.fail(f"number {literal} is too large (|x| <= {MAX_MAGNITUDE:g})")
            return sp.Integer(value) if isinstance(value, int) else sp.Rational(literal)  # exact decimal
        if isinstance(node, ast.Name):
            if node.id.startswith("_"):
                raise self.fail(f"name {node.id!r} is not allowed")
            if node.id in self.names:
                return self.names[node.id]
            if node.id in CONSTANTS:
                return CONSTANTS[node.id]
            if node.id in FUNCTIONS:
                raise self.fail(f"function {node.id!r} used without a call")
            raise self.fail(f"undeclared name {node.id!r}")
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            operand = self.build(node.operand)
            return -operand if isinstance(node.op, ast.USub) else operand
        if isinstance(node, ast.BinOp):
            if isinstance(node.op, ast.BitXor):
                raise self.fail("operator '^' is not allowed (write powers as '**')")
            if type(node.op) not in _BINARY:
                raise self.fail(f"operator in {_describe(node)!r} is not allowed")
            left, right = self.build(node.left), self.build(node.right)
            if isinstance(node.op, ast.Pow) and right.is_number:
                limit = MAX_NUMERIC_EXPONENT if left.is_number else MAX_SYMBOLIC_EXPONENT
                if abs(sp.N(right)) > limit:
                    raise self.fail(f"exponent {right} is too large (at most {limit})")
            return _BINARY[type(node.op)](left, right)
        if isinstance(node, ast.Call):
            func = node.func
            if not isinstance(func, ast.Name):
                raise self.fail(f"call of {_describe(func)!r} is not allowed")
            if func.id not in FUNCTIONS:
                raise self.fail(f"call of undeclared function {func.id!r}")
            if node.keywords or len(node.args) != 1:
                raise self.fail(f"{func.id}() takes exactly one argument")
            return FUNCTIONS[func.id](self.build(node.args[0]))
        if isinstance(node, ast.Attribute):
            raise self.fail(f"attribute access {_describe(node)!r} is not allowed")
        if isinstance(node, ast.Subscript):
            raise self.fail(f"subscript {_describe(node)!r} is not allowed")
        if isinstance(node, ast.Lambda):
            raise self.fail("lambda is not allowed")
        raise self.fail(f"{type(node).__name__} {_describe(node)!r} is not allowed")


def parse_expression(text: str, names: Mapping[str, sp.Expr] | Iterable[sp.Symbol] = ()) -> sp.Expr:
    """Parse ``text`` into a sympy expression in the given names, executing nothing.

    ``names`` maps identifiers to sympy objects (or is an iterable of symbols, keyed by name).

    >>> import sympy as sp
    >>> x, y = sp.symbols("x y", real=True)
    >>> parse_expression("x**2/2 + logsigmoid(x*y)", [x, y]).diff(x)
    x + y*exp(-x*y)/(1 + exp(-x*y))
    >>> parse_expression("__import__('os')", [x])
    Traceback (most recent call last):
    ...
    gametheory.errors.ParseError: call of undeclared function '__import__' in "__import__('os')"
    """
    if not isinstance(names, Mapping):
        names = {s.name: s for s in names}
    if not isinstance(text, str):
        raise ParseError(f"expected an expression string, got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise ParseError(f"expression longer than {MAX_LENGTH} characters")
    if not text.strip():
        raise ParseError("empty expression")
    text = text.strip()
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as error:
        raise ParseError(f"syntax error in {text!r}: {error.msg}") from None
    return _Builder(names, text).build(tree)


def parse_number(text: str | int | float) -> sp.Expr:
    """A real constant (``"1/2"``, ``0.25``, ``"sqrt(2)"``) as an exact sympy number."""
    if isinstance(text, bool):
        raise ParseError(f"expected a number, got {text!r}")
    if isinstance(text, (int, float)):
        text = repr(text)
    value = parse_expression(text)
    if not value.is_number or value.is_real is False:
        raise ParseError(f"{text!r} is not a real number")
    if not abs(sp.N(value, 20)) <= MAX_MAGNITUDE:
        raise ParseError(f"{text!r} is too large (|x| <= {MAX_MAGNITUDE:g})")
    return value


def parse_assignments(items: Iterable[str], allowed: Mapping[str, sp.Symbol], what: str) -> dict[sp.Symbol, sp.Expr]:
    """Parse ``NAME=VALUE`` strings, each NAME one of ``allowed``, each VALUE a real number."""
    values: dict[sp.Symbol, sp.Expr] = {}
    for item in items:
        name, sep, text = item.partition("=")
        name = name.strip()
        if not sep or not name:
            raise PointError(f"{what} {item!r} is not of the form NAME=VALUE")
        if name not in allowed:
            known = ", ".join(allowed) or "none"
            raise PointError(f"{what} names unknown {name!r} (known: {known})")
        if allowed[name] in values:
            raise PointError(f"{what} gives {name!r} twice")
        values[allowed[name]] = parse_number(text)
    return values


def parse_point(items: Iterable[str], game) -> dict[sp.Symbol, sp.Expr]:
    """A full point of ``game`` from ``NAME=VALUE`` strings; every parameter must be given.
    Values are exact (``0.25`` is 1/4).

    >>> from gametheory import zoo
    >>> example1 = zoo.get("example1")
    >>> point = parse_point(["theta1=1", "theta2=0.25 + 3/4", "phi=0"], example1)
    >>> point, example1.vector_field.subs(point).T
    ({theta1: 1, theta2: 1, phi: 0}, Matrix([[0, 0, 0]]))
    >>> parse_point(["theta1=1"], example1)
    Traceback (most recent call last):
    ...
    gametheory.errors.PointError: point is missing parameter(s): theta2, phi
    """
    allowed = {s.name: s for s in game.params}
    values = parse_assignments(items, allowed, "--point")
    missing = [s.name for s in game.params if s not in values]
    if missing:
        raise PointError(f"point is missing parameter(s): {', '.join(missing)}")
    return values

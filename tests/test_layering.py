"""The import graph of the library: no cycles, and every import runs along the layering.

Every module under ``gametheory/`` and ``neural/`` (and ``cli.py``) is parsed with ``ast``; all
imports count, including those inside functions, and relative imports are resolved. Edges go
from a module to the project modules it imports (``from pkg import name`` counts as an import of
``pkg.name`` when that is a module, else of ``pkg``).
"""
from __future__ import annotations

import ast
from pathlib import Path


ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("gametheory", "neural")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_modules() -> dict[str, Path]:
    modules = {module_name(p): p for package in PACKAGES for p in sorted((ROOT / package).rglob("*.py"))}
    modules["cli"] = ROOT / "cli.py"
    return modules


def imported_names(path: Path, module: str) -> set[str]:
    """Every dotted name imported anywhere in the file (function-level imports included), with
    relative imports resolved against ``module``'s package."""
    is_package = path.name == "__init__.py"
    package = module.split(".") if is_package else module.split(".")[:-1]
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module
            names.add(source)
            names.update(f"{source}.{alias.name}" for alias in node.names)
    return names


def graph() -> dict[str, set[str]]:
    """``module -> {project modules and external top-level packages it imports}``."""
    modules = project_modules()
    edges = {}
    for module, path in modules.items():
        targets = set()
        for name in imported_names(path, module):
            if name in modules:
                targets.add(name)
            elif name.rsplit(".", 1)[0] in modules:  # ``from pkg import attribute``
                targets.add(name.rsplit(".", 1)[0])
            else:
                targets.add(name.split(".")[0])  # an external package, by its top-level name
        targets.discard(module)
        edges[module] = targets
    return edges


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One cycle among the project modules as ``[a, b, ..., a]``, or None (depth-first search)."""
    state, stack = {}, []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if nxt not in edges:
                continue
            if state.get(nxt) == "open":
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = "done"
        return None

    for node in sorted(edges):
        if node not in state and (found := visit(node)):
            return found
    return None


def offending(edges, sources, forbidden) -> list[str]:
    """Imports ``a -> b`` with ``a`` accepted by ``sources`` and ``b`` by ``forbidden``."""
    return sorted(f"{a} -> {b}" for a, targets in edges.items() if sources(a) for b in targets if forbidden(b))


def under(*prefixes):
    return lambda name: any(name == p or name.startswith(p + ".") for p in prefixes)


def test_the_graph_sees_every_kind_of_import():
    edges = graph()
    assert "gametheory.analysis.stationary" in edges["gametheory.analysis.classify"]  # relative, top level
    assert "gametheory.game" in edges["gametheory.analysis.classify"]  # relative, two dots
    assert "gametheory.render.text" in edges["cli"]  # function level, ``from pkg import module``
    assert "torch" in edges["neural.game"]  # external packages by their top-level name


def test_no_import_cycles():
    cycle = find_cycle(graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_find_cycle_reports_a_planted_cycle():
    edges = {"a": {"b"}, "b": {"c", "numpy"}, "c": {"a"}, "d": {"a"}}
    assert find_cycle(edges) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_gametheory_never_imports_torch_or_neural():
    assert offending(graph(), under("gametheory"), under("neural", "torch")) == []


def test_symbolic_layers_import_downwards():
    """analysis never imports dynamics or render; dynamics never imports render."""
    edges = graph()
    assert offending(edges, under("gametheory.analysis"), under("gametheory.dynamics", "gametheory.render")) == []
    assert offending(edges, under("gametheory.dynamics"), under("gametheory.render")) == []


def fast_path(name: str) -> bool:
    return under("neural.fastpath")(name)


def test_no_module_outside_the_fast_path_imports_it():
    """The fast path is a plug-in: nothing else (the operator core, analysis, training, the CLI)
    imports it; it registers itself with ``neural.plugins`` when that imports it by name."""
    assert offending(graph(), lambda name: not fast_path(name), fast_path) == []


def module_names_in_strings(path: Path) -> set[str]:
    """String constants of a file that are exactly the dotted name of a fast-path module."""
    modules = project_modules()
    return {node.value for node in ast.walk(ast.parse(path.read_text()))
            if isinstance(node, ast.Constant) and isinstance(node.value, str)
            and node.value in modules and fast_path(node.value)}


def test_the_fast_path_is_named_only_in_the_plugin_list():
    """The one reference to the fast path outside it is the discovery list of ``neural.plugins``
    (imported there with importlib, like an entry point), and it names the package only."""
    named = {module: found for module, path in project_modules().items() if not fast_path(module)
             and (found := module_names_in_strings(path))}
    assert named == {"neural.plugins": {"neural.fastpath"}}
    from neural import plugins

    assert plugins.PLUGINS == ("neural.fastpath",)

"""The checks behind ``tests/test_architecture.py``, written over any package folder so that the tests
can show each check failing on a scratch package with a violation (a check that cannot fail guards
nothing).

- :func:`layer_violations`: a module imports a higher layer (absolute or relative imports, at module
  level or inside a function, ``TYPE_CHECKING`` included: a type from a higher layer is still a
  dependency on it).
- :func:`engine_violations`: a third-party engine imported outside the modules allowed to use it.
- :func:`import_cycles`: modules that import each other around a loop, within a layer too (imports
  under ``if TYPE_CHECKING:`` don't run and don't count; lazy imports inside functions do).
- :func:`oversized_modules`: modules over the line limit.
- :func:`public_api_problems`: ``__all__`` unsorted or repeated, names missing or badly named, a
  public function or method returning a package type that ``__all__`` does not export.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import sys
import typing
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

__all__ = [
    "Module",
    "engine_violations",
    "import_cycles",
    "layer_violations",
    "oversized_modules",
    "public_api_problems",
    "scan",
]


@dataclass(frozen=True)
class Import:
    target: str  # the dotted name as resolved (relative imports made absolute)
    lazy: bool  # inside a function body
    type_only: bool  # under ``if TYPE_CHECKING:``


@dataclass(frozen=True)
class Module:
    name: str  # dotted, e.g. agentkit.reads.scoped ("agentkit.reads" for its __init__)
    rel: str  # path below the package folder, e.g. reads/scoped.py
    path: Path
    imports: tuple[Import, ...]

    @property
    def top(self) -> str:
        """The first part below the package: ``reads`` for reads/scoped.py, ``project`` for project.py."""
        return self.rel.split("/", 1)[0].removesuffix(".py")


def _type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _walk_imports(tree: ast.Module) -> Iterator[tuple[ast.Import | ast.ImportFrom, bool, bool]]:
    pending: list[tuple[ast.AST, bool, bool]] = [(tree, False, False)]
    while pending:
        node, lazy, type_only = pending.pop()
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node, lazy, type_only
            continue
        if isinstance(node, ast.If) and _type_checking(node.test):
            pending += [(child, lazy, True) for child in node.body]
            pending += [(child, lazy, type_only) for child in node.orelse]
            continue
        inner = lazy or isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
        pending += [(child, inner, type_only) for child in ast.iter_child_nodes(node)]


def scan(root: Path) -> list[Module]:
    """Every module of the package whose folder is ``root``, with its imports resolved."""
    package = root.name
    names: dict[Path, str] = {}
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root.parent).with_suffix("").parts
        names[path] = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
    known = set(names.values())
    modules: list[Module] = []
    for path, name in names.items():
        here = name if path.name == "__init__.py" else name.rpartition(".")[0]
        found: list[Import] = []
        for node, lazy, type_only in _walk_imports(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                found += [Import(alias.name, lazy, type_only) for alias in node.names]
                continue
            base = node.module or ""
            if node.level:
                parts = here.split(".")
                anchor = parts[: len(parts) - node.level + 1]
                base = ".".join([*anchor, *([node.module] if node.module else [])])
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                found.append(Import(sub if sub in known else base, lazy, type_only))
        rel = path.relative_to(root).as_posix()
        modules.append(Module(name, rel, path, tuple(found)))
    assert all(m.name.split(".")[0] == package for m in modules)
    return modules


def layer_violations(modules: list[Module], layers: Mapping[str, int]) -> list[str]:
    """Imports of a higher layer, and modules in no known layer."""
    problems: list[str] = []
    for module in modules:
        mine = layers.get(module.top)
        if mine is None:
            problems.append(f"{module.rel}: in no layer (add {module.top!r} to LAYERS)")
            continue
        package = module.name.split(".")[0]
        for imp in module.imports:
            head, _, rest = imp.target.partition(".")
            if head != package or not rest:
                continue
            target = rest.split(".")[0]
            if layers.get(target, 0) > mine:
                problems.append(f"{module.rel} imports {imp.target} (layer {layers[target]} > {mine})")
    return sorted(set(problems))


def engine_violations(modules: list[Module], engines: Mapping[str, set[str]]) -> list[str]:
    """Third-party engines imported outside the modules (files or folders) allowed to import them."""
    problems: list[str] = []
    for module in modules:
        for imp in module.imports:
            allowed = engines.get(imp.target.split(".")[0])
            if allowed is not None and not any(module.rel == a or module.rel.startswith(a + "/") for a in allowed):
                problems.append(f"{module.rel} imports {imp.target}")
    return sorted(set(problems))


def import_cycles(modules: list[Module]) -> list[str]:
    """Loops of imports between the package's modules, lazy imports included."""
    known = {m.name for m in modules}
    graph: dict[str, set[str]] = {
        m.name: {i.target for i in m.imports if not i.type_only and i.target in known} - {m.name} for m in modules
    }
    done: set[str] = set()
    stack: list[str] = []
    cycles: list[str] = []

    def visit(module: str) -> None:
        stack.append(module)
        for target in sorted(graph[module]):
            if target in stack:
                cycles.append(" -> ".join([*stack[stack.index(target) :], target]))
            elif target not in done:
                visit(target)
        stack.pop()
        done.add(module)

    for module in sorted(graph):
        if module not in done:
            visit(module)
    return cycles


def oversized_modules(modules: list[Module], limit: int) -> list[str]:
    sizes = {m.rel: len(m.path.read_text().splitlines()) for m in modules}
    return [f"{rel}: {n} lines (limit {limit}; split it by concern)" for rel, n in sorted(sizes.items()) if n > limit]


def _package_types(tp: object, prefix: str, out: set[type]) -> None:
    if isinstance(tp, type):
        if tp.__module__.split(".")[0] == prefix:
            out.add(tp)
        return
    for arg in typing.get_args(tp):
        _package_types(arg, prefix, out)


def _imported_name(module: ModuleType, name: str) -> object:
    """``name`` as the module imports it (under ``if TYPE_CHECKING:`` too), imported now."""
    source = inspect.getsource(module)
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                if (alias.asname or alias.name) == name:
                    return getattr(importlib.import_module(node.module), alias.name)
    raise NameError(f"{module.__name__}: cannot resolve {name!r} in a return annotation")


def _returns(fn: Callable[..., Any], prefix: str) -> set[type]:
    """The package's types in ``fn``'s return annotation (names imported only for type checkers are
    imported here, so nothing hides behind ``TYPE_CHECKING``)."""
    extra: dict[str, object] = {}
    module = sys.modules[fn.__module__]
    while True:
        try:
            hints = typing.get_type_hints(fn, localns=extra)
            break
        except NameError as exc:
            if exc.name is None or exc.name in extra:
                raise
            extra[exc.name] = _imported_name(module, exc.name)
    out: set[type] = set()
    _package_types(hints.get("return"), prefix, out)
    return out


def _own_public_callables(cls: type, prefix: str) -> Iterator[tuple[str, Callable[..., Any]]]:
    """Public methods and properties defined by the package's own classes in ``cls``'s MRO."""
    seen: set[str] = set()
    for klass in cls.__mro__:
        if klass.__module__.split(".")[0] != prefix:
            continue
        for name, member in vars(klass).items():
            if name.startswith("_") or name in seen:
                continue
            seen.add(name)
            if isinstance(member, property) and member.fget is not None:
                yield name, member.fget
            elif isinstance(member, staticmethod | classmethod):
                yield name, member.__func__  # pyright: ignore[reportUnknownMemberType]  # descriptor's function
            elif inspect.isfunction(member):
                yield name, member


def public_api_problems(api: ModuleType) -> list[str]:
    """What is wrong with ``api.__all__`` (the curated public API of a package)."""
    exported: list[str] = list(getattr(api, "__all__", []))
    prefix = api.__name__.split(".")[0]
    problems: list[str] = []
    if exported != sorted(exported):
        problems.append("__all__ is not sorted")
    if len(set(exported)) != len(exported):
        problems.append("__all__ names a symbol twice")
    names = set(exported)
    for name in exported:
        if not hasattr(api, name):
            problems.append(f"{name}: listed in __all__ but not importable")
            continue
        obj = getattr(api, name)
        if isinstance(obj, type) and issubclass(obj, Exception) and not name.endswith("Error"):
            problems.append(f"{name}: an exception whose name does not end in Error")
        members: list[tuple[str, Callable[..., Any]]] = []
        if isinstance(obj, type):
            members = [(f"{name}.{m}", fn) for m, fn in _own_public_callables(obj, prefix)]
        elif inspect.isfunction(obj):
            members = [(name, obj)]
        for where, fn in members:
            for tp in _returns(fn, prefix):
                if tp.__name__ not in names or getattr(api, tp.__name__, None) is not tp:
                    problems.append(f"{where} returns {tp.__module__}.{tp.__qualname__}, which __all__ does not export")
    return problems

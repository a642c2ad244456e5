"""Guards on the shape of the package: one direction of imports, engines kept in one place,
and a curated public API."""

from __future__ import annotations

import ast
from pathlib import Path

import agentkit

PACKAGE = Path(agentkit.__file__).parent

# Lower layers never import higher ones (DESIGN.md):
# features <- governance <- retrieval <- project <- server <- tools <- agent <- eval <- cli
LAYERS = {
    "errors": 0,
    "scoping": 4,
    "config": 0,
    "features": 1,
    "governance": 2,
    "retrieval": 3,
    "project": 4,
    "server": 5,
    "tools": 6,
    "agent": 7,
    "eval": 8,
    "scaffold": 9,
    "chat": 9,
    "cli": 9,
    "__init__": 10,
}

# Each third-party engine stays behind one part of the package.
ENGINES = {
    "pyiceberg": {"features/offline.py"},
    "duckdb": {"features/offline.py"},
    "redis": {"features/online_redis.py"},
    "mcp": {"server", "tools"},  # the server SDK in server/, the client in tools/
    "langgraph": {"agent", "tools", "chat.py"},
    "langchain": {"agent", "tools", "chat.py"},
    "langchain_core": {"agent", "tools", "chat.py"},
    "langchain_mcp_adapters": {"tools"},
    "sentence_transformers": {"retrieval/embedder.py"},
    "torch": {"retrieval/embedder.py"},
    "click": {"cli.py"},
    "uvicorn": {"cli.py", "server"},
    "starlette": {"server"},
    "jwt": {"server"},
}


def modules() -> list[tuple[Path, str]]:
    return [(p, p.relative_to(PACKAGE).as_posix()) for p in sorted(PACKAGE.rglob("*.py"))]


def layer_of(rel: str) -> int:
    head = rel.split("/", 1)[0].removesuffix(".py")
    return LAYERS[head]


def imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_every_module_belongs_to_a_known_layer() -> None:
    for _, rel in modules():
        layer_of(rel)


def test_lower_layers_never_import_higher_ones() -> None:
    violations = []
    for path, rel in modules():
        mine = layer_of(rel)
        for name in imported(path):
            if name.startswith("agentkit."):
                target = name.split(".")[1]
                if LAYERS.get(target, 0) > mine:
                    violations.append(f"{rel} imports {name}")
    assert violations == []


def test_third_party_engines_stay_in_their_modules() -> None:
    violations = []
    for path, rel in modules():
        for name in imported(path):
            root = name.split(".")[0]
            allowed = ENGINES.get(root)
            if allowed is not None and not any(rel == a or rel.startswith(a + "/") for a in allowed):
                violations.append(f"{rel} imports {name}")
    assert violations == []


def test_public_api_is_curated_and_importable() -> None:
    assert sorted(agentkit.__all__) == agentkit.__all__ or len(set(agentkit.__all__)) == len(agentkit.__all__)
    for name in agentkit.__all__:
        assert hasattr(agentkit, name), name
    for name in agentkit.__all__:
        obj = getattr(agentkit, name)
        if isinstance(obj, type) and issubclass(obj, Exception):
            assert name.endswith("Error"), name


def test_importing_agentkit_does_not_import_heavy_engines() -> None:
    import subprocess
    import sys

    code = (
        "import sys, agentkit; heavy = [m for m in ('torch', 'sentence_transformers', 'mcp', 'langgraph', "
        "'pyiceberg', 'duckdb', 'redis') if m in sys.modules]; print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == ""

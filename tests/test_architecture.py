"""Guards on the shape of the package: one direction of imports, no import cycles, engines kept in
one place, modules of a readable size, and a curated public API. Each guard is also shown to fail on
a scratch package that breaks it (the checks live in ``tests/architecture.py``)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import types
from pathlib import Path

import pytest

import agentkit
from tests.architecture import (
    engine_violations,
    import_cycles,
    layer_violations,
    oversized_modules,
    public_api_problems,
    scan,
)

PACKAGE = Path(agentkit.__file__).parent
MAX_LINES = 500

# Lower layers never import higher ones (DESIGN.md, "Layers"):
# errors/config <- features <- governance <- retrieval <- reads <- project <- server <- tools <- agent
# <- eval <- cli/chat/scaffold/examples <- the package root
LAYERS = {
    "_version": 0,
    "errors": 0,
    "redaction": 0,  # credentials out of messages and logs; config imports it
    "config": 0,
    "features": 1,
    "governance": 2,
    "retrieval": 3,
    "reads": 4,
    "project": 5,
    "server": 6,
    "tools": 7,
    "agent": 8,
    "eval": 9,
    "scaffold": 10,
    "chat": 10,
    "cli": 10,
    "examples": 10,  # shipped examples: only the public API (`agentkit`) and their own modules
    "__init__": 11,
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
    "sentence_transformers": {"retrieval/_engines.py"},
    "transformers": {"retrieval/_engines.py"},
    "torch": {"retrieval/_engines.py"},
    "bm25s": {"retrieval/_engines.py"},
    "click": {"cli"},
    "uvicorn": {"cli", "server"},
    "starlette": {"server"},
    "jwt": {"server"},
}


def test_every_module_belongs_to_a_known_layer_and_lower_layers_never_import_higher_ones() -> None:
    assert layer_violations(scan(PACKAGE), LAYERS) == []


def test_shipped_examples_use_only_the_public_api() -> None:
    problems = [
        f"{m.rel} imports {i.target}"
        for m in scan(PACKAGE)
        if m.top == "examples"
        for i in m.imports
        if i.target.startswith("agentkit.") and not i.target.startswith("agentkit.examples")
    ]
    assert problems == []


def test_third_party_engines_stay_in_their_modules() -> None:
    assert engine_violations(scan(PACKAGE), ENGINES) == []


def test_no_import_cycles_between_modules() -> None:
    assert import_cycles(scan(PACKAGE)) == []


def test_no_module_is_over_the_line_limit() -> None:
    assert oversized_modules(scan(PACKAGE), MAX_LINES) == []


def test_public_api_is_curated_and_exports_what_it_returns() -> None:
    assert public_api_problems(agentkit) == []


def test_importing_agentkit_does_not_import_heavy_engines() -> None:
    code = (
        "import sys, agentkit; heavy = [m for m in ('torch', 'sentence_transformers', 'mcp', 'langgraph', "
        "'pyiceberg', 'duckdb', 'redis', 'bm25s', 'click') if m in sys.modules]; print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == ""


# --- each guard fails on a violation -------------------------------------------------------------

SCRATCH_LAYERS = {"low": 0, "mid": 1, "high": 2, "__init__": 3}


@pytest.fixture
def scratch(tmp_path: Path) -> Path:
    """A scratch package ``scratchkit`` with layers low <- mid <- high, clean to start with."""
    root = tmp_path / "scratchkit"
    for folder in ("", "low", "mid", "high"):
        (root / folder).mkdir(exist_ok=True)
        (root / folder / "__init__.py").write_text("")
    (root / "low" / "base.py").write_text("VALUE = 1\n")
    (root / "mid" / "a.py").write_text("from scratchkit.low.base import VALUE\n")
    (root / "mid" / "b.py").write_text("from . import a\n")
    (root / "high" / "top.py").write_text("import json\n\nfrom ..mid import b\n")
    return root


def write(path: Path, text: str) -> None:
    path.write_text(textwrap.dedent(text))


def test_the_scratch_package_starts_clean(scratch: Path) -> None:
    modules = scan(scratch)
    assert layer_violations(modules, SCRATCH_LAYERS) == []
    assert engine_violations(modules, {"json": {"high"}}) == []
    assert import_cycles(modules) == []
    assert oversized_modules(modules, 10) == []


def test_the_layer_guard_sees_absolute_relative_and_lazy_upward_imports(scratch: Path) -> None:
    write(scratch / "low" / "rel.py", "from ..mid.a import VALUE\n")
    write(scratch / "low" / "lazy.py", "def f():\n    import scratchkit.high.top\n")
    write(scratch / "low" / "absolute.py", "from scratchkit.high import top\n")
    write(scratch / "stray.py", "X = 1\n")
    problems = layer_violations(scan(scratch), SCRATCH_LAYERS)
    assert problems == [
        "low/absolute.py imports scratchkit.high.top (layer 2 > 0)",
        "low/lazy.py imports scratchkit.high.top (layer 2 > 0)",
        "low/rel.py imports scratchkit.mid.a (layer 1 > 0)",
        "stray.py: in no layer (add 'stray' to LAYERS)",
    ]


def test_the_cycle_guard_sees_a_cycle_within_one_layer_through_relative_and_lazy_imports(scratch: Path) -> None:
    write(scratch / "mid" / "a.py", "def f():\n    from .b import g\n")
    (cycle,) = import_cycles(scan(scratch))
    assert cycle in (
        "scratchkit.mid.a -> scratchkit.mid.b -> scratchkit.mid.a",
        "scratchkit.mid.b -> scratchkit.mid.a -> scratchkit.mid.b",
    )


def test_the_cycle_guard_ignores_imports_that_only_type_checkers_run(scratch: Path) -> None:
    write(scratch / "mid" / "a.py", "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from . import b\n")
    assert import_cycles(scan(scratch)) == []


def test_the_engine_guard_sees_an_engine_outside_its_module(scratch: Path) -> None:
    write(scratch / "mid" / "a.py", "def f():\n    import json.decoder\n")
    assert engine_violations(scan(scratch), {"json": {"high"}}) == ["mid/a.py imports json.decoder"]


def test_the_size_guard_sees_a_long_module(scratch: Path) -> None:
    write(scratch / "mid" / "a.py", "X = 1\n" * 11)
    assert oversized_modules(scan(scratch), 10) == ["mid/a.py: 11 lines (limit 10; split it by concern)"]


class Hidden:
    """A type the scratch API returns but does not export."""


class Shown:
    def hidden(self) -> Hidden:
        return Hidden()

    @property
    def items(self) -> list[Hidden]:
        return []


class Oops(Exception):
    pass


def test_the_public_api_guard_fails_on_unsorted_names_and_unexported_return_types() -> None:
    api = types.ModuleType("tests.scratch_api")
    api.__dict__.update({"Shown": Shown, "Oops": Oops, "Hidden": Hidden})
    api.__all__ = ["Shown", "Oops"]  # pyright: ignore[reportAttributeAccessIssue]  # a scratch module
    problems = public_api_problems(api)
    assert problems == [
        "__all__ is not sorted",
        "Shown.hidden returns tests.test_architecture.Hidden, which __all__ does not export",
        "Shown.items returns tests.test_architecture.Hidden, which __all__ does not export",
        "Oops: an exception whose name does not end in Error",
    ]
    api.__all__ = ["Hidden", "Shown"]  # pyright: ignore[reportAttributeAccessIssue]  # the positive control
    assert public_api_problems(api) == []

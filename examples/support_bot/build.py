"""Build the Dashly example into a folder: copy it, generate its data, apply, ingest, materialize.

    python examples/support_bot/build.py [TARGET]

Without ``TARGET`` the example is built in place (``data/`` and ``.agentkit/`` beside this file,
both git-ignored). Every build starts fresh: ``TARGET/data`` and ``TARGET/.agentkit`` are removed
first. From Python::

    from pathlib import Path
    config = build_example(Path("/tmp/dashly"))      # -> /tmp/dashly/agentkit.toml
    project = agentkit.Project.load(config)
"""

from __future__ import annotations

import importlib.util
import shutil
import sys
import time
from pathlib import Path
from types import ModuleType

import agentkit as ak

__all__ = ["EXAMPLE", "build_example"]

EXAMPLE = Path(__file__).resolve().parent
FILES = ("features.py", "agentkit.toml", "transcripts.jsonl", "retrieval_eval.jsonl")
FOLDERS = ("help_center",)


def _generator() -> ModuleType:
    """``generate.py`` beside this file, whether this runs as a script or is imported by path."""
    name = "_support_bot_generate"
    module = sys.modules.get(name)
    if module is None:
        spec = importlib.util.spec_from_file_location(name, EXAMPLE / "generate.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # dataclasses look their module up while the file executes
        spec.loader.exec_module(module)
    return module


def build_example(target: Path, *, seed: int | None = None) -> Path:
    """Copy the example into ``target`` and build it; returns the path of its ``agentkit.toml``."""
    target = target.resolve()
    target.mkdir(parents=True, exist_ok=True)
    if target != EXAMPLE:
        for name in FILES:
            if (EXAMPLE / name).exists():
                shutil.copy2(EXAMPLE / name, target / name)
        for name in FOLDERS:
            shutil.copytree(EXAMPLE / name, target / name, dirs_exist_ok=True)
    for generated in (target / "data", target / ".agentkit"):
        shutil.rmtree(generated, ignore_errors=True)
    gen = _generator()
    files = gen.write(gen.generate(gen.SEED if seed is None else seed), target / "data")
    config = target / "agentkit.toml"
    with ak.Project.load(config) as project:
        project.apply()
        for path in files:
            project.ingest(path.stem, path)
        project.materialize()
    return config


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) > 1 or (args and args[0].startswith("-")):
        print("usage: python build.py [TARGET]", file=sys.stderr)
        return 2
    started = time.perf_counter()
    config = build_example(Path(args[0]) if args else EXAMPLE)
    print(f"built {config} in {time.perf_counter() - started:.1f}s")
    print(f"try: agentkit --config {config} policy explain --agent support_bot --user c_0001")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

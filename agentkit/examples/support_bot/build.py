"""Build the Dashly example into a folder: copy it, generate its data, apply, ingest, materialize.

    python -m agentkit.examples.support_bot.build [TARGET]

Without ``TARGET`` the example is built in place (``data/`` and ``.agentkit/`` beside this file,
both git-ignored; in a source checkout). Every build starts fresh: ``TARGET/data`` and
``TARGET/.agentkit`` are removed first. From Python::

    from pathlib import Path
    config = build_example(Path("/tmp/dashly"))      # -> /tmp/dashly/agentkit.toml
    project = agentkit.Project.load(config)
"""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path

import agentkit as ak
from agentkit.examples.support_bot.generate import SEED, generate, write

__all__ = ["EXAMPLE", "FILES", "FOLDERS", "build_example", "main"]

EXAMPLE = Path(__file__).resolve().parent
FILES = ("features.py", "agentkit.toml", "transcripts.jsonl", "retrieval_eval.jsonl")
FOLDERS = ("help_center",)


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
    files = write(generate(SEED if seed is None else seed), target / "data")
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
        print("usage: python -m agentkit.examples.support_bot.build [TARGET]", file=sys.stderr)
        return 2
    started = time.perf_counter()
    config = build_example(Path(args[0]) if args else EXAMPLE)
    print(f"built {config} in {time.perf_counter() - started:.1f}s")
    print(f"try: agentkit --config {config} policy explain --agent support_bot --user c_0001")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

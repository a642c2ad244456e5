"""One side of ``bench_checkouts.py``: builds the serving benchmark's project with the agentkit found
first on ``sys.path`` (the checkout under test, via ``PYTHONPATH``), then answers rounds on stdin.

Protocol (JSON lines): the parent writes ``{"seed": S, "calls": N}``; the worker answers
``{"agentkit": PATH, "scoped_key": [ns...], "scoped_own": [...], "unscoped": [...]}`` with one timing
per call, every candidate over the same seeded keys. ``{"stop": true}`` ends it.
"""

from __future__ import annotations

import json
import random
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(1, str(HERE / "peers"))
sys.path.insert(1, str(HERE))

from data import make_user_features, user_ids  # noqa: E402  # pyright: ignore[reportMissingImports]
from serving_lib import AGENT, REFS, VIEW, timed_calls, write_project  # noqa: E402  # pyright: ignore[reportMissingImports]

import agentkit  # noqa: E402
from agentkit import Principal, Project  # noqa: E402


def unscoped_read(project: Project) -> Callable[[list[str], list[str]], Any]:
    """The unscoped read under either name (renamed to ``read_features_unscoped`` in issue 10)."""
    fn = getattr(project, "read_features_unscoped", None)
    return fn if fn is not None else project.read_features  # pyright: ignore[reportDeprecated]


def main() -> None:
    n = int(sys.argv[1])
    with tempfile.TemporaryDirectory(prefix="bench_checkout_") as tmp:
        root = Path(tmp)
        table = make_user_features(n)
        write_project(root, table.schema)
        project = Project.load(root / "agentkit.toml")
        project.apply()
        project.ingest(VIEW, table.drop_columns(["created"]))
        project.materialize(full=True)
        read = unscoped_read(project)
        pool = user_ids(n)
        # Each candidate takes a batch of one key (serving_lib.timed_calls' shape).
        candidates: dict[str, Callable[[list[str]], Any]] = {
            "scoped_key": lambda b: project.get_features(Principal(agent=AGENT, subject=b[0]), REFS, entity_key=b[0]),
            "scoped_own": lambda b: project.get_features(Principal(agent=AGENT, subject=b[0]), REFS),
            "unscoped": lambda b: read(REFS, b),
        }
        print(json.dumps({"ready": True, "agentkit": agentkit.__file__}), flush=True)
        for line in sys.stdin:
            msg = json.loads(line)
            if msg.get("stop"):
                break
            rng = random.Random(msg["seed"])
            batches = [[pool[rng.randrange(len(pool))]] for _ in range(msg["calls"])]
            reply: dict[str, Any] = {"agentkit": agentkit.__file__}
            for name, fn in candidates.items():
                reply[name] = timed_calls(fn, batches)
            print(json.dumps(reply), flush=True)
        project.close()


if __name__ == "__main__":
    main()

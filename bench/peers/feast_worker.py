"""Feast 0.67 peer worker: line-delimited JSON over stdin/stdout, run inside the Feast venv.

Requests (one JSON object per line) and responses (one per line; errors are
``{"ok": false, "error": ...}``; everything else Feast prints goes to stderr):

  {"cmd": "setup", "data": PARQUET, "workdir": DIR}  -> {"ok": true}
  {"cmd": "materialize"}                             -> {"ok": true, "seconds": s}   (in-process)
  {"cmd": "materialize_cli"}                         -> {"ok": true, "seconds": s}   (`feast materialize`, wall)
  {"cmd": "read", "keys": [[k, ...], ...], "features": [f, ...]}
                                                     -> {"ok": true, "ns": [...], "sample": {...}}
  {"cmd": "quit"}                                    -> {"ok": true}, then exit

The repo: entity ``user`` (join key ``user_id``, STRING), one
FeatureView ``user_features`` over a FileSource, sqlite online store, serialization version 3.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import traceback
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path.pop(0)  # keep bench/peers/*.py from shadowing installed modules

os.environ.setdefault("FEAST_USAGE", "False")

PROJECT = "agentkit_peer"
# parquet type -> feast.types name
FEAST_TYPES = {
    "int64": "Int64",
    "double": "Float64",
    "float": "Float32",
    "bool": "Bool",
    "string": "String",
}

STORE_YAML = f"""project: {PROJECT}
registry: data/registry.db
provider: local
online_store:
    type: sqlite
    path: data/online_store.db
entity_key_serialization_version: 3
auth:
    type: no_auth
"""

FEATURES_PY = """from datetime import timedelta
from feast import Entity, FeatureView, Field, FileSource, ValueType
from feast.types import {types}

user = Entity(name="user", join_keys=["user_id"], value_type=ValueType.STRING)

src = FileSource(
    name="user_features_src",
    path={path!r},
    timestamp_field="event_timestamp",
    created_timestamp_column="created",
)

user_features = FeatureView(
    name="user_features",
    entities=[user],
    ttl=timedelta(days=3650),
    schema=[
{fields}
    ],
    online=True,
    source=src,
)
"""


class Worker:
    """Holds the FeatureStore and the materialization window between requests."""

    def __init__(self) -> None:
        self.store: Any = None
        self.repo: Path | None = None
        self.start: datetime | None = None
        self.end: datetime | None = None

    def setup(self, data: str, workdir: str) -> dict[str, Any]:
        """Write feature_store.yaml + features.py into workdir and apply them in-process."""
        import runpy

        import pyarrow.compute as pc
        import pyarrow.parquet as pq
        from feast import FeatureStore

        data_path = Path(data).resolve()
        schema = pq.read_schema(data_path)
        feats = [f for f in schema.names if f not in ("user_id", "event_timestamp", "created")]
        types = {f: FEAST_TYPES[str(schema.field(f).type)] for f in feats}
        repo = Path(workdir).resolve()
        (repo / "data").mkdir(parents=True, exist_ok=True)
        for stale in ("registry.db", "online_store.db"):
            (repo / "data" / stale).unlink(missing_ok=True)
        (repo / "feature_store.yaml").write_text(STORE_YAML)
        fields = "\n".join(f'        Field(name="{f}", dtype={t}),' for f, t in types.items())
        (repo / "features.py").write_text(
            FEATURES_PY.format(
                types=", ".join(sorted(set(types.values()))),
                path=str(data_path),
                fields=fields,
            )
        )
        ts = pq.read_table(data_path, columns=["event_timestamp"])["event_timestamp"]
        mm = pc.call_function("min_max", [ts])
        self.start = mm["min"].as_py().astimezone(UTC) - timedelta(days=1)
        self.end = mm["max"].as_py().astimezone(UTC) + timedelta(days=1)
        defs = runpy.run_path(str(repo / "features.py"))
        self.store = FeatureStore(repo_path=str(repo))
        self.store.apply([defs["user"], defs["user_features"]])
        self.repo = repo
        return {"ok": True, "features": feats}

    def _need_setup(self) -> None:
        if self.store is None:
            raise RuntimeError("run setup first")

    def materialize(self) -> dict[str, Any]:
        """In-process FeatureStore.materialize over all event times."""
        self._need_setup()
        t0 = time.perf_counter()
        self.store.materialize(start_date=self.start, end_date=self.end)
        return {"ok": True, "seconds": time.perf_counter() - t0}

    def materialize_cli(self) -> dict[str, Any]:
        """`feast materialize START END` as a fresh process in the repo (wall time)."""
        self._need_setup()
        assert self.start is not None
        assert self.end is not None
        feast_bin = Path(sys.executable).parent / "feast"
        fmt = "%Y-%m-%dT%H:%M:%S"
        cmd = [
            str(feast_bin),
            "materialize",
            self.start.strftime(fmt),
            self.end.strftime(fmt),
        ]
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, cwd=self.repo, stdout=sys.stderr, stderr=sys.stderr, check=False)
        seconds = time.perf_counter() - t0
        if proc.returncode != 0:
            raise RuntimeError(f"feast materialize exited {proc.returncode}")
        return {"ok": True, "seconds": seconds}

    def read(self, keys: list[list[str]], features: list[str]) -> dict[str, Any]:
        """Time one get_online_features(...).to_dict() per key batch (entity_rows built inside)."""
        self._need_setup()
        refs = [f"user_features:{f}" for f in features]
        get = self.store.get_online_features
        pc_ns = time.perf_counter_ns
        ns: list[int] = []
        sample: dict[str, Any] | None = None
        for batch in keys:
            t0 = pc_ns()
            out = get(features=refs, entity_rows=[{"user_id": k} for k in batch]).to_dict()
            ns.append(pc_ns() - t0)
            if sample is None:
                sample = out
        return {"ok": True, "ns": ns, "sample": sample}


def serve(inp: TextIO, out: TextIO) -> None:
    """Answer one JSON request per input line until quit or EOF."""
    w = Worker()
    for line in inp:
        if not line.strip():
            continue
        quit_ = False
        try:
            req = json.loads(line)
            cmd = req.get("cmd")
            if cmd == "setup":
                resp = w.setup(req["data"], req["workdir"])
            elif cmd == "materialize":
                resp = w.materialize()
            elif cmd == "materialize_cli":
                resp = w.materialize_cli()
            elif cmd == "read":
                resp = w.read(req["keys"], req["features"])
            elif cmd == "quit":
                resp, quit_ = {"ok": True}, True
            else:
                resp = {"ok": False, "error": f"unknown cmd {cmd!r}"}
        except Exception as e:
            traceback.print_exc(file=sys.stderr)
            resp = {"ok": False, "error": f"{type(e).__name__}: {e}"}
        out.write(json.dumps(resp, default=str) + "\n")
        out.flush()
        if quit_:
            break


def main() -> None:
    """Keep fd 1 for the protocol only: everything else (prints, C code, CLI) goes to stderr."""
    proto = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    serve(sys.stdin, proto)


if __name__ == "__main__":
    main()

"""Drive the Feast peer worker (bench/peers/feast_worker.py) from agentkit's venv (stdlib only)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import IO, Any, Self

HERE = Path(__file__).resolve().parent
WORKER = HERE / "feast_worker.py"
DEFAULT_VENV = "/tmp/agentkit-feast-venv"


def feast_venv() -> Path:
    """The Feast venv: $AGENTKIT_FEAST_VENV or /tmp/agentkit-feast-venv."""
    return Path(os.environ.get("AGENTKIT_FEAST_VENV") or DEFAULT_VENV)


class FeastPeer:
    """One long-lived Feast worker process; each method is one JSON request/response."""

    def __init__(self, venv: str | Path | None = None, stderr: int | IO[Any] | None = None) -> None:
        """Start the worker. ``stderr``: where Feast's own output goes (default: inherited)."""
        v = Path(venv) if venv is not None else feast_venv()
        python = v / "bin" / "python"
        if not python.exists() or not list(v.glob("lib/python*/site-packages/feast")):
            raise RuntimeError(
                f"Feast venv not found at {v}: run bench/peers/setup_feast.sh "
                "(set AGENTKIT_FEAST_VENV to use another path)"
            )
        env = {k: val for k, val in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
        env["FEAST_USAGE"] = "False"
        self.last_sample: dict[str, Any] | None = None
        self._proc = subprocess.Popen(
            [str(python), str(WORKER)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
            encoding="utf-8",
            bufsize=1,
            env=env,
        )

    def request(self, msg: dict[str, Any]) -> dict[str, Any]:
        """Send one request; return the response or raise RuntimeError on error/worker exit."""
        p = self._proc
        if p.stdin is None or p.stdout is None or p.poll() is not None:
            raise RuntimeError(f"Feast worker is not running (exit code {p.poll()})")
        p.stdin.write(json.dumps(msg) + "\n")
        p.stdin.flush()
        line = p.stdout.readline()
        if not line:
            raise RuntimeError(f"Feast worker exited (code {p.wait()}) during {msg.get('cmd')!r}; see its stderr")
        resp: dict[str, Any] = json.loads(line)
        if not resp.get("ok"):
            raise RuntimeError(f"Feast worker {msg.get('cmd')!r} failed: {resp.get('error')}")
        return resp

    def setup(self, data: str | Path, workdir: str | Path) -> None:
        """Write + apply a Feast repo in ``workdir`` over the parquet file ``data``."""
        self.request({"cmd": "setup", "data": str(data), "workdir": str(workdir)})

    def materialize(self) -> float:
        """In-process ``store.materialize`` over all event times; seconds."""
        return float(self.request({"cmd": "materialize"})["seconds"])

    def materialize_cli(self) -> float:
        """``feast materialize START END`` as a fresh process; wall seconds."""
        return float(self.request({"cmd": "materialize_cli"})["seconds"])

    def read(self, keys_batches: list[list[str]], features: list[str]) -> list[int]:
        """One get_online_features().to_dict() per batch; ns per call (first result kept in last_sample)."""
        resp = self.request({"cmd": "read", "keys": keys_batches, "features": features})
        self.last_sample = resp.get("sample")
        return [int(x) for x in resp["ns"]]

    def close(self) -> None:
        """Ask the worker to quit; kill it if it does not exit within 10 s."""
        p = self._proc
        if p.poll() is None:
            try:
                self.request({"cmd": "quit"})
                p.wait(timeout=10)
            except (RuntimeError, OSError, subprocess.TimeoutExpired, ValueError):
                p.kill()
                p.wait()
        for f in (p.stdin, p.stdout):
            if f is not None:
                f.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

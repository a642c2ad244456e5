"""Feast 0.67's own MCP feature server as a benchmark peer (driven from agentkit's venv, stdlib only).

Served by ``feast serve`` (gunicorn + one uvicorn worker, access log
off, ``--max-requests 0`` so the only worker is never recycled mid-run) over a repo whose
``feature_store.yaml`` has ``feature_server: {type: mcp, mcp_enabled: true, mcp_transport: http}``.
fastapi-mcp 0.4.0 then exposes every REST route of the feature server as an MCP tool at ``/mcp``;
the read is ``get_online_features_get_online_features_post``.

The repo is built and materialized by ``feast_worker.py`` (same entity, FeatureView and sqlite store
as the plain Feast peer) run inside the Feast-MCP venv, then the ``feature_server`` section is added.
The venv: ``bash bench/peers/setup_feast_mcp.sh`` (``$AGENTKIT_FEAST_MCP_VENV`` or
``/tmp/agentkit-feast-mcp-venv``; feast 0.67.0 + fastapi-mcp 0.4.0 + mcp 1.x).
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import IO, Any

from feast_client import FeastPeer  # pyright: ignore[reportMissingImports]

DEFAULT_VENV = "/tmp/agentkit-feast-mcp-venv"
TOOL_PREFIX = "get_online_features"
FEATURE_SERVER_YAML = """feature_server:
    type: mcp
    enabled: true
    mcp_enabled: true
    mcp_transport: http
    mcp_server_name: "feast-feature-store"
    mcp_server_version: "1.0.0"
"""


def feast_mcp_venv() -> Path:
    """The Feast-MCP venv: $AGENTKIT_FEAST_MCP_VENV or /tmp/agentkit-feast-mcp-venv."""
    return Path(os.environ.get("AGENTKIT_FEAST_MCP_VENV") or DEFAULT_VENV)


def missing_reason(venv: Path | None = None) -> str | None:
    """Why the peer cannot run (None when it can)."""
    v = venv or feast_mcp_venv()
    site = list(v.glob("lib/python*/site-packages"))
    if not (v / "bin" / "feast").exists() or not site:
        return f"Feast-MCP venv not found at {v}: run bash bench/peers/setup_feast_mcp.sh"
    for pkg in ("feast", "fastapi_mcp", "mcp"):
        if not (site[0] / pkg).exists():
            return f"{pkg} is not installed in {v}: run bash bench/peers/setup_feast_mcp.sh"
    return None


def prepare_repo(parquet: Path, workdir: Path, stderr: int | IO[Any] | None = None) -> float:
    """Apply + materialize the Feast repo in ``workdir`` (in-process, inside the venv) and switch its
    feature server to MCP. Returns the materialize seconds."""
    with FeastPeer(venv=feast_mcp_venv(), stderr=stderr) as peer:
        peer.setup(parquet, workdir)
        seconds = peer.materialize()
    yaml = workdir / "feature_store.yaml"
    yaml.write_text(yaml.read_text().rstrip("\n") + "\n" + FEATURE_SERVER_YAML)
    return seconds


def serve_command(port: int) -> list[str]:
    """``feast serve`` for the MCP feature server on 127.0.0.1 (run with cwd = the repo)."""
    feast = feast_mcp_venv() / "bin" / "feast"
    return [
        str(feast),
        "serve",
        "-h",
        "127.0.0.1",
        "-p",
        str(port),
        "--no-access-log",
        "--workers",
        "1",
        "--max-requests",
        "0",
    ]


def serve_env() -> dict[str, str]:
    """The server's environment: no agentkit venv leaking in, Feast telemetry off."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    env["FEAST_USAGE"] = "False"
    return env


def versions() -> dict[str, str]:
    """Package versions inside the Feast-MCP venv (the server side of the Feast rows)."""
    code = (
        "import importlib.metadata as m, json\n"
        "out = {}\n"
        "for p in ('feast', 'fastapi-mcp', 'mcp', 'fastapi', 'uvicorn', 'gunicorn', 'uvloop', 'httptools'):\n"
        "    try: out[p] = m.version(p)\n"
        "    except m.PackageNotFoundError: out[p] = 'not installed'\n"
        "print(json.dumps(out))"
    )
    python = feast_mcp_venv() / "bin" / "python"
    proc = subprocess.run([str(python), "-c", code], capture_output=True, text=True, timeout=60, check=False)
    return json.loads(proc.stdout) if proc.returncode == 0 else {"error": proc.stderr[-300:]}

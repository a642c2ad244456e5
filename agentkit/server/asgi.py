"""ASGI entry point for running several HTTP workers (``agentkit serve --workers N``).

Each worker process builds its own server from ``AGENTKIT_CONFIG`` (set by the CLI). The server is
stateless (streamable HTTP, JSON responses), so any worker or replica can serve any request.
"""

from __future__ import annotations

import os

from starlette.applications import Starlette

from agentkit.project import Project
from agentkit.server.app import build_mcp_server

__all__ = ["create_app"]


def create_app() -> Starlette:
    project = Project.load(os.environ.get("AGENTKIT_CONFIG", "agentkit.toml"))
    host = os.environ.get("AGENTKIT_HOST", "127.0.0.1")
    port = int(os.environ.get("AGENTKIT_PORT", "8000"))
    app = build_mcp_server(project, host=host, port=port).streamable_http_app()
    import gc

    gc.freeze()  # start-up objects never need collecting: avoids long full-collection pauses under load
    return app

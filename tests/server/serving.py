"""The real server under uvicorn on a free loopback port, and bare JSON-RPC requests to it.

(Reconstructed by 11a after overwriting the original by mistake: same names and behaviour as its
callers use — ``serving``, ``rpc``, ``post``, ``JSONRPC_HEADERS``.)
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Generator
from contextlib import contextmanager
from typing import Any

import httpx
import uvicorn

from agentkit.server.app import AgentkitMCP
from tests.server.conftest import free_port

JSONRPC_HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
_ids = itertools.count(1)


@contextmanager
def serving(server: AgentkitMCP, *, start_within: float = 30.0) -> Generator[str]:
    """Serve ``server`` over HTTP on a free loopback port for the block; yields the base URL."""
    port = free_port()
    config = uvicorn.Config(
        server.streamable_http_app(), host="127.0.0.1", port=port, log_level="warning", access_log=False
    )
    uv = uvicorn.Server(config)
    thread = threading.Thread(target=uv.run, name="uvicorn-test", daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + start_within
    while True:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"the server did not start within {start_within} s")
        time.sleep(0.05)
    try:
        yield url
    finally:
        uv.should_exit = True
        thread.join(timeout=20)


def rpc(method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
    """A JSON-RPC request body."""
    return {"jsonrpc": "2.0", "id": next(_ids), "method": method, "params": params or {}}


def post(url: str, token: str, body: dict[str, Any]) -> httpx.Response:
    """POST ``body`` to the server's MCP endpoint with ``token`` as the bearer token."""
    headers = {**JSONRPC_HEADERS, "Authorization": f"Bearer {token}"}
    return httpx.post(f"{url}/mcp", json=body, headers=headers, timeout=60)

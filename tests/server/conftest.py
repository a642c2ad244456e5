"""A served project: the governed test world behind the real MCP server, in memory and over HTTP."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import AsyncGenerator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
import uvicorn
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.memory import create_connected_server_and_client_session

import agentkit as ak
from agentkit.server.app import build_mcp_server
from agentkit.server.tokens import TokenService
from tests.governance.conftest import POLICY, World, build_world, make_governed

SERVER_POLICY = POLICY + '\n[retrieval]\nembedder = "hashing"\n'


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ak.Project, World]]:
    project = make_governed(tmp_path_factory.mktemp("served"), policy=SERVER_POLICY)
    world = build_world(project, customers=50)
    yield project, world
    project.close()


@pytest.fixture(scope="module")
def tokens(served: tuple[ak.Project, World]) -> TokenService:
    return TokenService(served[0].config)


@asynccontextmanager
async def memory_client(project: ak.Project, token: str) -> AsyncGenerator[ClientSession]:
    server = build_mcp_server(project, session_token=token)
    async with create_connected_server_and_client_session(server) as client:
        yield client


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def http_url(served: tuple[ak.Project, World]) -> Iterator[str]:
    """The real server under uvicorn on a loopback port, for the module."""
    project, _ = served
    port = free_port()
    app = build_mcp_server(project, port=port).streamable_http_app()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@asynccontextmanager
async def http_client(url: str, token: str) -> AsyncGenerator[ClientSession]:
    client = httpx.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=30)
    async with (
        client,
        streamable_http_client(f"{url}/mcp", http_client=client) as (read, write, _),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        yield session


def text_of(result: Any) -> str:
    return result.content[0].text

"""The platform's tools as LangChain tools, each call going through the MCP server with the run's
own token: in memory (embedded ``project``) or over streamable HTTP (``mcp_url``).

The model sees only the tool arguments (``query``, ``intent``, ``features``, ``entity_key``, ``k``);
the token comes from the run context. Errors come back as tool messages, never exceptions.
Results carry their parsed JSON as the message artifact, which the agent's trace reads.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Any, TypeVar

import httpx
from langchain_core.tools import BaseTool, StructuredTool
from langgraph.prebuilt import ToolRuntime
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.memory import create_connected_server_and_client_session

from agentkit.errors import AgentkitError
from agentkit.project import Project
from agentkit.server.app import AgentkitMCP, build_mcp_server
from agentkit.server.tokens import TokenService
from agentkit.tools.context import RunContext

__all__ = ["PLATFORM_TOOLS", "McpConnection", "platform_tools"]

T = TypeVar("T")
PLATFORM_TOOLS = ("search_help_center", "search_catalog", "get_features")


class McpConnection:
    """How tool calls reach the server: in memory for a project, or HTTP for a URL."""

    def __init__(
        self, *, project: Project | None = None, url: str | None = None, token_ttl: timedelta = timedelta(minutes=10)
    ):
        if (project is None) == (url is None):
            raise AgentkitError("give exactly one of project= or mcp_url=", code="agent_config_invalid")
        self.project = project
        self.url = url.rstrip("/") if url else None
        self._ttl = token_ttl
        self._servers: OrderedDict[str, AgentkitMCP] = OrderedDict()
        self._tokens = TokenService(project.config) if project is not None else None
        self._lock = threading.Lock()
        self._issued: OrderedDict[tuple[object, object], tuple[str, float]] = OrderedDict()

    def token_for(self, context: RunContext | None) -> str:
        if context is None:
            raise AgentkitError("the run has no RunContext: pass context=RunContext(...)", code="no_run_context")
        if context.token:
            return context.token
        if context.principal is not None and self._tokens is not None:
            key = (context.principal, context.as_of)
            now = time.time()
            cached = self._issued.get(key)
            if cached is not None and cached[1] - now > self._ttl.total_seconds() / 2:
                return cached[0]
            token = self._tokens.issue(
                agent=context.principal.agent,
                subject=context.principal.subject,
                roles=context.principal.roles,
                tenant=context.principal.tenant,
                as_of=context.as_of,
                ttl=self._ttl,
            )
            with self._lock:
                self._issued[key] = (token, now + self._ttl.total_seconds())
                while len(self._issued) > 1024:
                    self._issued.popitem(last=False)
            return token
        raise AgentkitError("the RunContext needs a token (or a principal in embedded mode)", code="no_run_context")

    def _server(self, token: str) -> AgentkitMCP:
        assert self.project is not None
        with self._lock:
            server = self._servers.get(token)
            if server is None:
                server = build_mcp_server(self.project, session_token=token)
                self._servers[token] = server
                while len(self._servers) > 64:
                    self._servers.popitem(last=False)
            return server

    async def call(self, token: str, tool: str, arguments: dict[str, Any]) -> tuple[bool, str]:
        """Call a tool; returns (is_error, text)."""
        if self.url is None:
            server = self._server(token)
            async with create_connected_server_and_client_session(server) as session:
                result = await session.call_tool(tool, arguments)
        else:
            client = httpx.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=30)
            async with (
                client,
                streamable_http_client(f"{self.url}/mcp", http_client=client) as (read, write, _),
                ClientSession(read, write) as session,
            ):
                await session.initialize()
                result = await session.call_tool(tool, arguments)
        text = "".join(getattr(block, "text", "") for block in result.content)
        return bool(result.isError), text


def run_sync(factory: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine from sync code: directly when no loop runs, else on a helper thread."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(factory())
    box: dict[str, Any] = {}

    def worker() -> None:
        try:
            box["value"] = asyncio.run(factory())
        except BaseException as exc:  # re-raised in the caller's thread
            box["error"] = exc

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box["value"]


DESCRIPTIONS = {
    "search_help_center": "Search the help center for policies and how-tos. Returns passages with document ids "
    "to cite. Args: query (what the customer needs to know), k (passages, 1-10).",
    "search_catalog": "Find which customer-data features answer a question. Returns feature refs with meaning and "
    "unit. Args: intent (e.g. 'where is my order'), k (features, 1-20).",
    "get_features": "Read the signed-in customer's own data. Args: features (refs like 'order_status.eta_minutes', "
    "one entity per call), entity_key (one of their records; omit for their latest).",
}


async def _invoke(
    connection: McpConnection, runtime: ToolRuntime[RunContext, dict[str, Any]], name: str, args: dict[str, Any]
) -> tuple[str, Any]:
    try:
        token = connection.token_for(runtime.context)
        is_error, text = await connection.call(token, name, {k: v for k, v in args.items() if v is not None})
    except AgentkitError as exc:
        return f"error: {exc.message}", {"error": exc.message}
    except Exception as exc:  # tool boundary: a failure becomes a message, never a crash
        return f"error: the {name} tool failed ({type(exc).__name__})", {"error": str(exc)}
    if is_error:
        message = text.removeprefix(f"Error executing tool {name}: ")
        return f"error: {message}", {"error": message}
    try:
        return text, json.loads(text)
    except json.JSONDecodeError:
        return text, {"text": text}


def platform_tools(connection: McpConnection, names: tuple[str, ...] = PLATFORM_TOOLS) -> list[BaseTool]:
    """The platform tools to bind (those in ``names``); the server checks the allow-list again."""

    async def search_help_center(
        query: str, runtime: ToolRuntime[RunContext, dict[str, Any]], k: int = 5
    ) -> tuple[str, Any]:
        return await _invoke(connection, runtime, "search_help_center", {"query": query, "k": k})

    async def search_catalog(
        intent: str, runtime: ToolRuntime[RunContext, dict[str, Any]], k: int = 5
    ) -> tuple[str, Any]:
        return await _invoke(connection, runtime, "search_catalog", {"intent": intent, "k": k})

    async def get_features(
        features: list[str], runtime: ToolRuntime[RunContext, dict[str, Any]], entity_key: str | None = None
    ) -> tuple[str, Any]:
        return await _invoke(connection, runtime, "get_features", {"features": features, "entity_key": entity_key})

    def sync_twin(fn: Callable[..., Coroutine[Any, Any, tuple[str, Any]]]) -> Callable[..., tuple[str, Any]]:
        def call(*args: Any, **kwargs: Any) -> tuple[str, Any]:
            return run_sync(lambda: fn(*args, **kwargs))

        call.__dict__["__signature__"] = inspect.signature(fn)  # what LangChain reads to build the schema
        call.__annotations__ = fn.__annotations__
        return call

    fns = {"search_help_center": search_help_center, "search_catalog": search_catalog, "get_features": get_features}
    return [
        StructuredTool.from_function(
            func=sync_twin(fns[name]),
            coroutine=fns[name],
            name=name,
            description=DESCRIPTIONS[name],
            response_format="content_and_artifact",
        )
        for name in names
        if name in fns
    ]

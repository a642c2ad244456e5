"""``build_mcp_server``: the governed platform as an MCP server.

Three tools, small schemas: ``search_catalog(intent, k)``, ``get_features(features, entity_key)``,
``search_help_center(query, k)``. No tool has a parameter that names a user: the principal comes
from the verified bearer token of the HTTP request, or — for stdio and the in-memory transport —
from the token the server session was started with (verified the same way). Only the tools in the
calling agent's allow-list are listed, and calling any other one fails exactly like calling a tool
that does not exist.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncGenerator, Callable, Collection, Generator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager, contextmanager
from datetime import datetime
from typing import Any

from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.auth.settings import AuthSettings
from mcp.server.fastmcp import FastMCP
from mcp.server.fastmcp.exceptions import ToolError
from mcp.server.lowlevel.helper_types import ReadResourceContents
from mcp.types import ContentBlock, Resource
from mcp.types import Tool as MCPTool
from pydantic import AnyHttpUrl, AnyUrl
from starlette.applications import Starlette

from agentkit._version import __version__
from agentkit.errors import AgentkitError
from agentkit.governance.policy import Policy
from agentkit.governance.principal import Principal
from agentkit.project import REGISTRY_RECHECK, Project
from agentkit.server.auth import BearerVerifier
from agentkit.server.failures import public_error, unknown_arguments
from agentkit.server.health import Readiness
from agentkit.server.limits import RequestLimits, request_source
from agentkit.server.metrics import Metrics
from agentkit.server.policy_cache import PolicyCache
from agentkit.server.pool import WorkerPool, pool_for
from agentkit.server.refusals import RefusalLog
from agentkit.server.routes import add_routes
from agentkit.server.tokens import TokenClaims, TokenService, TokenVerificationError, check_agent
from agentkit.server.tools import UNAVAILABLE, add_tools, dumps, offload, rows_payload

__all__ = ["AgentkitMCP", "build_mcp_server", "rows_payload"]

log = logging.getLogger(__name__)

INSTRUCTIONS = (
    "Customer-support data for the signed-in customer. Use search_help_center for policies, "
    "search_catalog to find which features answer a question, and get_features to read the "
    "customer's own values (cite the feature refs and document ids you use)."
)


@contextmanager
def _root_logging_left_alone() -> Generator[None]:
    """Keep the SDK from configuring the application's logging.

    ``FastMCP.__init__`` (mcp 1.x) ends with ``logging.basicConfig(handlers=[RichHandler()], level=...)``
    on the root logger, whatever the settings (modelcontextprotocol/python-sdk issue 1656). Logging
    belongs to the application; ``basicConfig`` does nothing while the root logger has a handler, so a
    ``NullHandler`` stands there for the duration of the constructor and is removed after.
    """
    root = logging.getLogger()
    placeholder = logging.NullHandler()
    root.addHandler(placeholder)
    try:
        yield
    finally:
        root.removeHandler(placeholder)


class AgentkitMCP(FastMCP):
    """FastMCP with per-caller tool and resource lists (the agent's allow-list).

    The event loop only verifies tokens and checks allow-lists (against :class:`PolicyCache`, which
    never waits on a store once loaded); tool bodies and resource reads run on :attr:`pool`.
    """

    def __init__(
        self,
        project: Project,
        tokens: TokenService,
        metrics: Metrics,
        session: TokenClaims | None,
        *,
        refusals: RefusalLog | None = None,
        **kw: Any,
    ):
        with _root_logging_left_alone():
            super().__init__(**kw)
        self.project = project
        self.tokens = tokens
        self.metrics = metrics
        self.refusals = refusals or RefusalLog(lambda: project.audit)
        """Rejected tokens and denied tools, audited in aggregate."""
        self._session = session
        settings = project.config.server
        self.pool: WorkerPool = pool_for(project, settings.worker_threads)
        """Runs every blocking call (tool bodies, resource reads, the warm-up) off the event loop."""
        self.policies = PolicyCache(project, self.pool, every=REGISTRY_RECHECK)
        self.readiness = Readiness(project, self.pool, self.policies, probe_timeout=settings.ready_timeout)

    # --- who is calling ---------------------------------------------------------------------

    def caller(self) -> tuple[Principal, datetime | None]:
        access = get_access_token()
        if access is not None and access.claims:
            c = access.claims
            as_of = datetime.fromisoformat(c["as_of"]) if c.get("as_of") else None
            principal = Principal(
                agent=c["agent"], subject=c.get("sub"), roles=tuple(c.get("roles") or ()), tenant=c.get("tenant")
            )
            return principal, as_of
        if self._session is not None:
            expires = self._session.expires_at
            if expires is not None and expires < time.time() - self.tokens_leeway:
                raise ToolError("the session token has expired; start a new session")
            return self._session.principal, self._session.as_of
        raise ToolError("no verified token for this request")

    @property
    def tokens_leeway(self) -> int:
        return self.project.config.server.leeway_seconds

    async def _policy(self) -> Policy:
        """The applied policy for checks on the event loop (never waits on a store once loaded)."""
        try:
            return await self.policies.get(timeout=self.project.config.server.tool_timeout)
        except TimeoutError:
            raise ToolError(UNAVAILABLE) from None
        except AgentkitError as exc:
            raise public_error(exc, where="the policy check") from None

    async def known_agents(self) -> Collection[str] | None:
        """The applied policy's agents for token checks, or ``None`` when no policy can be loaded."""
        try:
            return (await self.policies.get(timeout=self.project.config.server.tool_timeout)).snapshot.agents
        except (AgentkitError, TimeoutError):
            return None

    # --- tools ----------------------------------------------------------------------------------

    async def list_tools(self) -> list[MCPTool]:
        try:
            principal, _ = self.caller()
        except ToolError:
            return []
        tools = await super().list_tools()
        policy = await self._policy()
        return [t for t in tools if policy.tool_allowed(principal.agent, t.name)]

    async def call_tool(self, name: str, arguments: dict[str, Any]) -> Sequence[ContentBlock] | dict[str, Any]:
        started = time.perf_counter()
        principal, _ = self.caller()
        tool = self._tool_manager.get_tool(name)
        if tool is None or not (await self._policy()).tool_allowed(principal.agent, name):
            self.metrics.count("tool_denied_total", tool="unlisted")
            self.refusals.note(
                "tool_not_allowed",
                source=request_source(),
                agent=principal.agent,
                kind=principal.kind,
                subject=principal.subject,
                tool=name,
            )
            raise ToolError(f"Unknown tool: {name}")
        outcome = "ok"
        try:
            if (refused := unknown_arguments(name, tool.parameters, arguments)) is not None:
                raise refused
            return await super().call_tool(name, arguments)
        except ToolError:
            outcome = "error"
            raise
        finally:
            self.metrics.count("tool_calls_total", tool=name, outcome=outcome)
            self.metrics.observe("tool_seconds", time.perf_counter() - started, tool=name)

    # --- resources: the catalog, filtered the same way ---------------------------------------------

    async def list_resources(self) -> list[Resource]:
        try:
            principal, _ = self.caller()
        except ToolError:
            return []
        return await offload(self, "list_resources", lambda: self._resources(principal))

    def _resources(self, principal: Principal) -> list[Resource]:
        readable = self.project.policy().grants(principal).views
        definitions = self.project.applied().definitions
        return [
            Resource(
                uri=AnyUrl(f"agentkit://catalog/{view.name}"),
                name=view.name,
                description=view.description,
                mimeType="application/json",
            )
            for view in definitions.views
            if view.name in readable
        ]

    async def read_resource(self, uri: AnyUrl | str) -> list[ReadResourceContents]:
        principal, _ = self.caller()
        return await offload(self, "read_resource", lambda: self._resource(principal, str(uri)))

    def _resource(self, principal: Principal, text: str) -> list[ReadResourceContents]:
        prefix = "agentkit://catalog/"
        grants = self.project.policy().grants(principal)
        view_name = text.removeprefix(prefix) if text.startswith(prefix) else ""
        if view_name not in grants.views:
            raise ToolError(f"Unknown resource: {text}")
        view = self.project.applied().definitions.view(view_name)
        body = {
            "view": view.name,
            "entity": view.entity.name,
            "description": view.description,
            "features": [
                {"ref": f"{view.name}.{f.name}", "type": f.type_label(), "unit": f.unit, "description": f.description}
                for f in view.features
                if f"{view.name}.{f.name}" in grants.readable
            ],
        }
        return [ReadResourceContents(content=dumps(body), mime_type="application/json")]

    # --- lifecycle over HTTP ----------------------------------------------------------------------

    def streamable_http_app(self) -> Starlette:
        """The ASGI app. Its lifespan starts the warm-up in the background (``/readyz`` turns 200
        when it is done) and, at shutdown — after uvicorn has let in-flight calls finish — flushes
        the audit spool."""
        app = super().streamable_http_app()
        app.router.lifespan_context = _lifecycle(self, app.router.lifespan_context)
        settings = self.project.config.server
        app.add_middleware(  # outermost: before authentication and before anything parses the body
            RequestLimits,
            max_body_bytes=settings.max_body_bytes,
            max_json_depth=settings.max_json_depth,
            metrics=self.metrics,
        )
        return app


def _lifecycle(
    server: AgentkitMCP, inner: Callable[[Starlette], AbstractAsyncContextManager[Any]]
) -> Callable[[Starlette], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncGenerator[None]:
        server.readiness.start()
        try:
            async with inner(app):
                yield
        finally:
            server.refusals.flush()
            server.project.audit.flush()

    return lifespan


def build_mcp_server(
    project: Project,
    *,
    session_token: str | None = None,
    host: str = "127.0.0.1",
    port: int = 8000,
    metrics: Metrics | None = None,
) -> AgentkitMCP:
    """The MCP server for ``project``.

    Over HTTP every request must carry a bearer token; ``session_token`` (verified now, refused if
    invalid) is the identity for stdio and in-memory sessions. There is no unauthenticated mode.
    """
    tokens = TokenService(project.config)
    metrics = metrics or Metrics()
    session: TokenClaims | None = None
    if session_token is not None:
        try:
            session = tokens.verify(session_token)
            agents = _applied_agents(project)
            if agents is not None:
                check_agent(session.principal, agents)
        except TokenVerificationError as exc:
            raise AgentkitError(f"the session token was refused: {exc}", code="token_invalid") from exc
    refusals = RefusalLog(lambda: project.audit)

    async def known_agents() -> Collection[str] | None:  # asked per request, once `server` exists
        return await server.known_agents()

    server = AgentkitMCP(
        project,
        tokens,
        metrics,
        session,
        refusals=refusals,
        name="agentkit",
        instructions=INSTRUCTIONS,
        host=host,
        port=port,
        stateless_http=True,
        json_response=True,
        log_level="WARNING",
        token_verifier=BearerVerifier(tokens, metrics, refusals, known_agents),
        auth=AuthSettings(
            issuer_url=AnyHttpUrl(f"http://{host}:{port}/issuer"),  # advertised only; tokens come from your IdP
            resource_server_url=AnyHttpUrl(f"http://{host}:{port}/mcp"),
            required_scopes=[],
            validate_token_resource=False,
        ),
    )
    # The SDK otherwise reads its own package metadata on every stateless request (~0.25 ms).
    server._mcp_server.version = __version__  # pyright: ignore[reportPrivateUsage]
    add_tools(server)
    add_routes(server)
    return server


def _applied_agents(project: Project) -> Collection[str] | None:
    """The applied policy's agents (``None`` when none can be loaded: the calls fail on their own)."""
    try:
        return project.policy().snapshot.agents
    except AgentkitError:
        return None

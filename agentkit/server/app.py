"""``build_mcp_server``: the governed platform as an MCP server.

Three tools, small schemas: ``search_catalog(intent, k)``, ``get_features(features, entity_key)``,
``search_help_center(query, k)``. No tool has a parameter that names a user: the principal comes
from the verified bearer token of the HTTP request, or — for stdio and the in-memory transport —
from the token the server session was started with (verified the same way). Only the tools in the
calling agent's allow-list are listed, and calling any other one fails exactly like calling a tool
that does not exist.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Generator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, TypeVar

from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.auth.provider import AccessToken, TokenVerifier
from mcp.server.auth.settings import AuthSettings
from mcp.server.fastmcp import FastMCP
from mcp.server.fastmcp.exceptions import ToolError
from mcp.server.lowlevel.helper_types import ReadResourceContents
from mcp.types import ContentBlock, Resource, TextContent
from mcp.types import Tool as MCPTool
from pydantic import AnyHttpUrl, AnyUrl
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from agentkit._version import __version__
from agentkit.errors import AgentkitError
from agentkit.features.results import FeatureRows, jsonable
from agentkit.governance.principal import Principal
from agentkit.project import Project
from agentkit.server.metrics import Metrics
from agentkit.server.tokens import TokenClaims, TokenService, TokenVerificationError

__all__ = ["AgentkitMCP", "build_mcp_server"]

log = logging.getLogger(__name__)

INSTRUCTIONS = (
    "Customer-support data for the signed-in customer. Use search_help_center for policies, "
    "search_catalog to find which features answer a question, and get_features to read the "
    "customer's own values (cite the feature refs and document ids you use)."
)
T = TypeVar("T")
_dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, default=jsonable).encode


class _Verifier(TokenVerifier):
    """The SDK's token-verifier hook over :class:`TokenService`."""

    def __init__(self, tokens: TokenService, metrics: Metrics) -> None:
        self._tokens = tokens
        self._metrics = metrics

    async def verify_token(self, token: str) -> AccessToken | None:
        try:
            claims = self._tokens.verify(token)
        except TokenVerificationError as exc:
            self._metrics.count("auth_rejected_total", reason=_reason(str(exc)))
            log.info("token rejected: %s", exc)
            return None
        p = claims.principal
        return AccessToken(
            token=token,
            client_id=p.agent,
            scopes=[],
            expires_at=claims.expires_at,
            subject=p.subject,
            claims={
                "agent": p.agent,
                "sub": p.subject,
                "roles": list(p.roles),
                "tenant": p.tenant,
                "as_of": claims.as_of.isoformat() if claims.as_of else None,
            },
        )


def _reason(message: str) -> str:
    lowered = message.lower()
    for key in ("expired", "signature", "audience", "issuer", "not yet valid", "malformed", "unknown key", "algorithm"):
        if key in lowered:
            return key.replace(" ", "_")
    return "invalid"


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
    """FastMCP with per-caller tool and resource lists (the agent's allow-list)."""

    def __init__(
        self, project: Project, tokens: TokenService, metrics: Metrics, session: TokenClaims | None, **kw: Any
    ):
        with _root_logging_left_alone():
            super().__init__(**kw)
        self.project = project
        self.tokens = tokens
        self.metrics = metrics
        self._session = session

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

    def _allowed(self, principal: Principal, tool: str) -> bool:
        return self.project.policy().tool_allowed(principal.agent, tool)

    # --- tools ----------------------------------------------------------------------------------

    async def list_tools(self) -> list[MCPTool]:
        try:
            principal, _ = self.caller()
        except ToolError:
            return []
        tools = await super().list_tools()
        return [t for t in tools if self._allowed(principal, t.name)]

    async def call_tool(self, name: str, arguments: dict[str, Any]) -> Sequence[ContentBlock] | dict[str, Any]:
        started = time.perf_counter()
        principal, _ = self.caller()
        if self._tool_manager.get_tool(name) is None or not self._allowed(principal, name):
            self.metrics.count("tool_denied_total", tool="unlisted")
            raise ToolError(f"Unknown tool: {name}")
        outcome = "ok"
        try:
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
        text = str(uri)
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
        return [ReadResourceContents(content=_dumps(body), mime_type="application/json")]


def rows_payload(rows: FeatureRows, *, max_rows: int, max_bytes: int) -> str:
    items: list[dict[str, Any]] = [
        {
            "key": r.key,
            "values": r.values,
            "source": [{"view": p.view, "snapshot": p.snapshot_id, "event_time": p.event_time} for p in r.provenance],
        }
        for r in rows.rows
    ]
    payload: dict[str, Any] = {"entity": rows.entity, "rows": items[:max_rows]}
    if rows.as_of is not None:
        payload["as_of"] = rows.as_of
    hidden = len(items) - len(payload["rows"])
    text = _dumps(payload)
    while len(text.encode()) > max_bytes and payload["rows"]:
        payload["rows"] = payload["rows"][:-1]
        hidden += 1
        payload["truncated"] = f"{hidden} more row(s) not shown (result size limit); ask for one entity_key"
        text = _dumps(payload)
    if hidden and "truncated" not in payload:
        payload["truncated"] = f"{hidden} more row(s) not shown (row limit); ask for one entity_key"
        text = _dumps(payload)
    return text


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
        except TokenVerificationError as exc:
            raise AgentkitError(f"the session token was refused: {exc}", code="token_invalid") from exc
    server = AgentkitMCP(
        project,
        tokens,
        metrics,
        session,
        name="agentkit",
        instructions=INSTRUCTIONS,
        host=host,
        port=port,
        stateless_http=True,
        json_response=True,
        log_level="WARNING",
        token_verifier=_Verifier(tokens, metrics),
        auth=AuthSettings(
            issuer_url=AnyHttpUrl(f"http://{host}:{port}/issuer"),  # advertised only; tokens come from your IdP
            resource_server_url=AnyHttpUrl(f"http://{host}:{port}/mcp"),
            required_scopes=[],
            validate_token_resource=False,
        ),
    )
    # The SDK otherwise reads its own package metadata on every stateless request (~0.25 ms).
    server._mcp_server.version = __version__  # pyright: ignore[reportPrivateUsage]
    settings = project.config.server

    @server.tool(
        structured_output=False,
        description='Find the customer-data features that answer an intent, e.g. "where is my order". '
        "Returns feature refs (view.feature) with meaning, type and unit.",
    )
    def search_catalog(intent: str, k: int = 5) -> list[ContentBlock]:
        """Find the customer-data features that answer an intent, e.g. "where is my order".
        Returns feature refs (view.feature) with their meaning, type and unit."""
        principal, _ = server.caller()
        hits = _call(lambda: server.project.search_catalog(principal, intent, k=max(1, min(k, 20))))
        body = [{"feature": h.ref, "description": h.description, "type": h.dtype, "unit": h.unit} for h in hits]
        return [TextContent(type="text", text=_dumps(body))]

    @server.tool(
        structured_output=False,
        description='Read feature values (refs like "order_status.eta_minutes", one entity per call) of the '
        "signed-in customer's own records. Without entity_key: their most recent records.",
    )
    def get_features(features: list[str], entity_key: str | None = None) -> list[ContentBlock]:
        """Read feature values (refs like "order_status.eta_minutes", all of one entity) for the
        signed-in customer's own records. Without entity_key: their most recent records."""
        principal, as_of = server.caller()
        rows = _call(
            lambda: server.project.get_features(principal, features, entity_key=entity_key, as_of=as_of, surface="mcp")
        )
        text = rows_payload(rows, max_rows=settings.max_result_rows, max_bytes=settings.max_result_bytes)
        return [TextContent(type="text", text=text)]

    @server.tool(
        structured_output=False,
        description="Search the help center. Returns passages with document ids to cite.",
    )
    def search_help_center(query: str, k: int = 5) -> list[ContentBlock]:
        """Search the help center. Returns passages with document ids to cite."""
        _, as_of = server.caller()
        hits = _call(lambda: server.project.search_docs(query, k=max(1, min(k, 10)), as_of=as_of))
        body = [
            {"document_id": h.document_id, "title": h.title, "section": h.heading, "text": h.text[:700], "url": h.url}
            for h in hits
        ]
        return [TextContent(type="text", text=_dumps(body))]

    @server.custom_route("/healthz", methods=["GET"])
    async def healthz(request: Request) -> Response:  # pyright: ignore[reportUnusedFunction]
        return JSONResponse(
            {"status": "ok", "applied_version": server.project.applied().version, "time": datetime.now(UTC).isoformat()}
        )

    @server.custom_route("/metrics", methods=["GET"])
    async def metrics_route(request: Request) -> Response:  # pyright: ignore[reportUnusedFunction]
        return PlainTextResponse(server.metrics.render(), media_type="text/plain; version=0.0.4")

    return server


def _call(fn: Callable[[], T]) -> T:
    """Run a platform call; agentkit errors become tool errors (their message is model-safe)."""
    try:
        return fn()
    except AgentkitError as exc:
        raise ToolError(exc.message) from exc

"""The three MCP tools: ``search_catalog(intent, k)``, ``get_features(features, entity_key)`` and
``search_help_center(query, k)``.

Each tool is an ``async`` function that resolves the caller on the event loop (cheap: the token was
verified by then) and runs its body — the platform call and the JSON encoding — on the server's
worker pool (:mod:`agentkit.server.pool`), bounded by ``[server] tool_timeout``. A call that does not
finish in time gets a "temporarily unavailable" tool error, and a slow or hung dependency never
holds up other callers.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from mcp.server.fastmcp.exceptions import ToolError
from mcp.types import ContentBlock, TextContent

from agentkit.features.results import FeatureRows, jsonable
from agentkit.governance.principal import Principal
from agentkit.server.failures import public_error

if TYPE_CHECKING:
    from agentkit.server.app import AgentkitMCP

__all__ = ["UNAVAILABLE", "add_tools", "rows_payload"]

log = logging.getLogger(__name__)

T = TypeVar("T")
UNAVAILABLE = "the service is temporarily unavailable (the call did not finish in time); try again shortly"
dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, default=jsonable).encode


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
    if rows.warnings:
        payload["warnings"] = list(rows.warnings)
    hidden = len(items) - len(payload["rows"])
    text = dumps(payload)
    while len(text.encode()) > max_bytes and payload["rows"]:
        payload["rows"] = payload["rows"][:-1]
        hidden += 1
        payload["truncated"] = f"{hidden} more row(s) not shown (result size limit); ask for one entity_key"
        text = dumps(payload)
    if hidden and "truncated" not in payload:
        payload["truncated"] = f"{hidden} more row(s) not shown (row limit); ask for one entity_key"
        text = dumps(payload)
    return text


def _call(fn: Callable[[], T], tool: str) -> T:
    """Run a platform call at the tool boundary: errors become model-safe tool errors (see
    :func:`~agentkit.server.failures.public_error`: a platform failure shows only a request id)."""
    try:
        return fn()
    except Exception as exc:  # the tool boundary
        raise public_error(exc, where=tool) from None


async def offload(server: AgentkitMCP, tool: str, body: Callable[[], T]) -> T:
    """Run a tool body on the worker pool, bounded by ``[server] tool_timeout``."""
    timeout = server.project.config.server.tool_timeout
    try:
        return await server.pool.run(lambda: _call(body, tool), timeout=timeout)
    except TimeoutError:
        server.metrics.count("tool_timeouts_total", tool=tool)
        log.warning("%s did not finish within %g s (a dependency may be slow or hung)", tool, timeout)
        raise ToolError(UNAVAILABLE) from None


# --- the bodies (run on a worker) ---------------------------------------------------------------


def _search_catalog(server: AgentkitMCP, principal: Principal, intent: str, k: int) -> list[ContentBlock]:
    hits = server.project.search_catalog(principal, intent, k=max(1, min(k, 20)))
    body = [{"feature": h.ref, "description": h.description, "type": h.dtype, "unit": h.unit} for h in hits]
    return [TextContent(type="text", text=dumps(body))]


def _get_features(
    server: AgentkitMCP, principal: Principal, as_of: datetime | None, features: list[str], entity_key: str | None
) -> list[ContentBlock]:
    settings = server.project.config.server
    rows = server.project.get_features(principal, features, entity_key=entity_key, as_of=as_of, surface="mcp")
    text = rows_payload(rows, max_rows=settings.max_result_rows, max_bytes=settings.max_result_bytes)
    return [TextContent(type="text", text=text)]


def _search_help_center(server: AgentkitMCP, as_of: datetime | None, query: str, k: int) -> list[ContentBlock]:
    hits = server.project.search_docs(query, k=max(1, min(k, 10)), as_of=as_of)
    body = [
        {"document_id": h.document_id, "title": h.title, "section": h.heading, "text": h.text[:700], "url": h.url}
        for h in hits
    ]
    return [TextContent(type="text", text=dumps(body))]


# --- registration -----------------------------------------------------------------------------------


def add_tools(server: AgentkitMCP) -> None:
    """Register the platform's tools on ``server``."""

    @server.tool(
        structured_output=False,
        description='Find the customer-data features that answer an intent, e.g. "where is my order". '
        "Returns feature refs (view.feature) with meaning, type and unit.",
    )
    async def search_catalog(intent: str, k: int = 5) -> list[ContentBlock]:
        """Find the customer-data features that answer an intent, e.g. "where is my order".
        Returns feature refs (view.feature) with their meaning, type and unit."""
        principal, _ = server.caller()
        return await offload(server, "search_catalog", lambda: _search_catalog(server, principal, intent, k))

    @server.tool(
        structured_output=False,
        description='Read feature values (refs like "order_status.eta_minutes", one entity per call) of the '
        "signed-in customer's own records. Without entity_key: their most recent records.",
    )
    async def get_features(features: list[str], entity_key: str | None = None) -> list[ContentBlock]:
        """Read feature values (refs like "order_status.eta_minutes", all of one entity) for the
        signed-in customer's own records. Without entity_key: their most recent records."""
        principal, as_of = server.caller()
        return await offload(
            server, "get_features", lambda: _get_features(server, principal, as_of, features, entity_key)
        )

    @server.tool(
        structured_output=False,
        description="Search the help center. Returns passages with document ids to cite.",
    )
    async def search_help_center(query: str, k: int = 5) -> list[ContentBlock]:
        """Search the help center. Returns passages with document ids to cite."""
        _, as_of = server.caller()
        return await offload(server, "search_help_center", lambda: _search_help_center(server, as_of, query, k))

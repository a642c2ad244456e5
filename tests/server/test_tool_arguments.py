"""Unknown tool arguments are refused with a clear tool error naming them — never silently dropped
(a caller asking for ``as_of`` through an argument would otherwise get live data without notice).
Checked with the real MCP client, in memory and over HTTP."""

from __future__ import annotations

import json

import agentkit as ak
from agentkit.server.tokens import TokenService
from tests.governance.conftest import World
from tests.server.conftest import http_client, memory_client, text_of

REFS = ["order_status.customer_id", "order_status.status"]
EXTRAS: list[tuple[str, dict[str, object], str]] = [
    ("get_features", {"features": REFS, "customer_id": "c_0002"}, "customer_id"),
    ("get_features", {"features": REFS, "as_of": "2026-01-01T00:00:00Z"}, "as_of"),
    ("search_catalog", {"intent": "eta", "agent": "risk_bot"}, "agent"),
    ("search_help_center", {"query": "refund", "as_of": "2020-01-01T00:00:00Z"}, "as_of"),
]


def check(name: str, extra: str, text: str) -> None:
    assert f"'{extra}'" in text and name in text, text
    assert "token" in text  # says where the user and the time come from


async def test_unknown_arguments_are_refused_in_memory(served: tuple[ak.Project, World], tokens: TokenService) -> None:
    project, world = served
    me = world.customers[0]
    async with memory_client(project, tokens.issue(agent="support_bot", subject=me)) as client:
        for name, args, extra in EXTRAS:
            result = await client.call_tool(name, args)
            assert result.isError, (name, args)
            check(name, extra, text_of(result))
        ok = await client.call_tool("get_features", {"features": REFS})  # positive control
        assert not ok.isError and {
            r["values"]["order_status.customer_id"] for r in json.loads(text_of(ok))["rows"]
        } == {me}
        both = await client.call_tool("get_features", {"features": REFS, "customer_id": "x", "tenant": "y"})
        assert both.isError and "'customer_id'" in text_of(both) and "'tenant'" in text_of(both)


async def test_unknown_arguments_are_refused_over_http(
    http_url: str, served: tuple[ak.Project, World], tokens: TokenService
) -> None:
    _, world = served
    me = world.customers[1]
    async with http_client(http_url, tokens.issue(agent="support_bot", subject=me)) as session:
        for name, args, extra in EXTRAS:
            result = await session.call_tool(name, args)
            assert result.isError, (name, args)
            check(name, extra, text_of(result))
        ok = await session.call_tool("get_features", {"features": REFS, "entity_key": None})  # positive control
        assert not ok.isError, text_of(ok)

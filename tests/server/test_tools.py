"""The three tools over the real MCP protocol (in-memory transport): scope, allow-lists, errors."""

from __future__ import annotations

import json
import random
import string

import pytest
from mcp.types import TextResourceContents
from pydantic import AnyUrl

import agentkit as ak
from agentkit.server.tokens import TokenService
from tests.governance.conftest import World
from tests.server.conftest import memory_client, text_of

ORDER_REFS = ["order_status.customer_id", "order_status.eta_minutes"]


async def test_get_features_returns_only_the_token_subjects_rows(
    served: tuple[ak.Project, World], tokens: TokenService
) -> None:
    project, world = served
    me = world.customers[0]
    async with memory_client(project, tokens.issue(agent="support_bot", subject=me)) as client:
        result = await client.call_tool("get_features", {"features": ORDER_REFS})
        assert not result.isError, text_of(result)
        rows = json.loads(text_of(result))["rows"]
        assert rows and {r["values"]["order_status.customer_id"] for r in rows} == {me}
        assert rows[0]["source"][0]["view"] == "order_status"
        other = next(o for o, c in world.orders.items() if c != me)
        denied = await client.call_tool("get_features", {"features": ORDER_REFS, "entity_key": other})
        assert denied.isError and f"no order '{other}' is available to you" in text_of(denied)
        assert world.orders[other] not in text_of(denied)


async def test_no_tool_takes_a_user_argument(served: tuple[ak.Project, World], tokens: TokenService) -> None:
    project, world = served
    async with memory_client(project, tokens.issue(agent="support_bot", subject=world.customers[0])) as client:
        tools = (await client.list_tools()).tools
        assert {t.name for t in tools} == {"search_catalog", "get_features", "search_help_center"}
        for tool in tools:
            for arg in tool.inputSchema["properties"]:
                assert not any(word in arg for word in ("user", "customer", "subject", "principal", "tenant", "as_of"))
        # an extra argument naming someone else is refused, never obeyed (more in test_tool_arguments.py)
        forged = await client.call_tool("get_features", {"features": ORDER_REFS, "customer_id": world.customers[1]})
        assert forged.isError and "'customer_id'" in text_of(forged) and world.customers[1] not in text_of(forged)


AGENTS: dict[str, set[str]] = {
    "support_bot": {"search_catalog", "get_features", "search_help_center"},
    "faq_bot": {"search_help_center"},
    "refund_bot": {"get_features"},
    "risk_bot": {"get_features"},
}
ARGS = {
    "search_catalog": {"intent": "eta"},
    "get_features": {"features": ["order_status.status"]},
    "search_help_center": {"query": "refund"},
}


async def test_allow_list_matrix_and_fuzzed_tool_names(served: tuple[ak.Project, World], tokens: TokenService) -> None:
    project, world = served
    rng = random.Random(3)
    executed_unlisted = 0
    for agent, allowed in AGENTS.items():
        async with memory_client(project, tokens.issue(agent=agent, subject=world.customers[0])) as client:
            listed = {t.name for t in (await client.list_tools()).tools}
            assert listed == allowed
            for tool, args in ARGS.items():
                result = await client.call_tool(tool, args)
                if tool in allowed:
                    assert not result.isError or "not available" in text_of(result) or "no " in text_of(result)
                else:
                    assert result.isError and text_of(result) == f"Unknown tool: {tool}"
                    executed_unlisted += 0 if result.isError else 1
            for _ in range(20):
                name = rng.choice(
                    [
                        "get_features ",
                        "GET_FEATURES",
                        "get_features\x00",
                        "search_catalog/../x",
                        "".join(rng.choices(string.printable, k=rng.randint(1, 30))),
                    ]
                )
                result = await client.call_tool(name, {})
                assert result.isError and text_of(result).startswith("Unknown tool")
    assert executed_unlisted == 0
    # An agent outside the applied policy gets no session at all (its token is refused).
    from agentkit.server.app import build_mcp_server

    with pytest.raises(ak.AgentkitError, match="not in the applied policy"):
        build_mcp_server(project, session_token=tokens.issue(agent="nobody", subject=world.customers[0]))


async def test_agent_only_token_searches_the_catalog_but_reads_no_customer_data(
    served: tuple[ak.Project, World], tokens: TokenService
) -> None:
    project, _ = served
    async with memory_client(project, tokens.issue(agent="support_bot", subject=None)) as client:
        hits = json.loads(text_of(await client.call_tool("search_catalog", {"intent": "how late is my order"})))
        assert hits and all("." in h["feature"] for h in hits)
        assert not any(h["feature"].startswith("account_risk") for h in hits)  # not readable: never named
        result = await client.call_tool("get_features", {"features": ORDER_REFS})
        assert result.isError and "no end user" in text_of(result)


async def test_as_of_claim_makes_reads_point_in_time(served: tuple[ak.Project, World], tokens: TokenService) -> None:
    from datetime import UTC, datetime

    project, world = served
    me = world.customers[0]
    before = tokens.issue(agent="support_bot", subject=me, as_of=datetime(2026, 11, 1, 9, tzinfo=UTC))
    async with memory_client(project, before) as client:
        rows = json.loads(text_of(await client.call_tool("get_features", {"features": ORDER_REFS})))
        assert rows["rows"] == [] and rows["as_of"].startswith("2026-11-01T09:00")


async def test_results_are_capped_with_a_truncation_marker(
    served: tuple[ak.Project, World], tokens: TokenService
) -> None:
    from agentkit.features.results import FeatureRow, FeatureRows
    from agentkit.server.app import rows_payload

    rows = FeatureRows("order", ("v.f",), tuple(FeatureRow(f"o_{i}", {"v.f": "x" * 100}, ()) for i in range(50)))
    capped = json.loads(rows_payload(rows, max_rows=20, max_bytes=1_000))
    assert len(capped["rows"]) < 20 and "not shown" in capped["truncated"]
    by_rows = json.loads(rows_payload(rows, max_rows=5, max_bytes=100_000))
    assert len(by_rows["rows"]) == 5 and "45 more row(s)" in by_rows["truncated"]


async def test_catalog_resources_are_filtered_like_tools(
    served: tuple[ak.Project, World], tokens: TokenService
) -> None:
    project, world = served
    async with memory_client(project, tokens.issue(agent="support_bot", subject=world.customers[0])) as client:
        names = {r.name for r in (await client.list_resources()).resources}
        assert names == {"customer_profile", "order_status", "courier_location", "restaurant_status"}
        contents = (await client.read_resource(AnyUrl("agentkit://catalog/customer_profile"))).contents[0]
        assert isinstance(contents, TextResourceContents)
        body = json.loads(contents.text)
        assert {f["ref"] for f in body["features"]} >= {"customer_profile.email", "customer_profile.tier"}
        with pytest.raises(Exception, match="Unknown resource"):
            await client.read_resource(AnyUrl("agentkit://catalog/account_risk"))


def test_a_bad_session_token_refuses_to_start(served: tuple[ak.Project, World]) -> None:
    from agentkit.server.app import build_mcp_server

    with pytest.raises(ak.AgentkitError, match="session token was refused"):
        build_mcp_server(served[0], session_token="not-a-token")

"""The real server over stateless streamable HTTP on loopback: auth, isolation under concurrency,
health and metrics, and third-party clients (langchain-mcp-adapters, the MCP Inspector CLI)."""

from __future__ import annotations

import asyncio
import json
import os
import random
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import cast

import httpx
import pytest

import agentkit as ak
from agentkit.server.tokens import TokenService
from tests.conftest import REQUIRE_SERVICES
from tests.governance.conftest import World
from tests.server.conftest import http_client, text_of

REFS = ["order_status.customer_id", "order_status.eta_minutes"]
ROOT = Path(__file__).parents[2]


def test_missing_bad_and_expired_tokens_get_401_with_the_right_header(http_url: str, tokens: TokenService) -> None:
    body: dict[str, object] = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}
    headers = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
    expired = tokens.issue(
        agent="support_bot", subject="c_0001", ttl=timedelta(minutes=1), now=datetime.now(UTC) - timedelta(hours=1)
    )
    for token in (None, "garbage", expired):
        auth = {"Authorization": f"Bearer {token}"} if token else {}
        response = httpx.post(f"{http_url}/mcp", json=body, headers={**headers, **auth})
        assert response.status_code == 401
        assert response.headers["www-authenticate"].startswith("Bearer")
        assert "invalid_token" in response.headers["www-authenticate"]
    good = tokens.issue(agent="support_bot", subject="c_0001")
    ok = httpx.post(f"{http_url}/mcp", json=body, headers={**headers, "Authorization": f"Bearer {good}"})
    assert ok.status_code == 200 and "get_features" in ok.text  # positive control


def test_health_and_metrics(http_url: str, tokens: TokenService) -> None:
    assert httpx.get(f"{http_url}/healthz").json()["status"] == "ok"
    httpx.post(
        f"{http_url}/mcp",
        json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
        headers={"Authorization": "Bearer nope", "Accept": "application/json, text/event-stream"},
    )
    text = httpx.get(f"{http_url}/metrics").text
    assert "# TYPE agentkit_auth_rejected_total counter" in text
    assert 'agentkit_auth_rejected_total{reason="malformed"}' in text


async def test_fifty_users_at_once_each_see_only_their_own_rows(
    http_url: str, served: tuple[ak.Project, World], tokens: TokenService
) -> None:
    _, world = served
    users = world.customers[:50]
    foreign = calls = 0

    async def one_user(customer: str) -> tuple[int, int]:
        rng = random.Random(customer)
        bad = n = 0
        async with http_client(http_url, tokens.issue(agent="support_bot", subject=customer)) as session:
            for _ in range(100):
                args: dict[str, object] = {"features": REFS}
                if rng.random() < 0.3:  # ask for someone else's order now and then
                    args["entity_key"] = rng.choice(sorted(world.orders))
                result = await session.call_tool("get_features", args)
                n += 1
                if not result.isError:
                    for row in json.loads(text_of(result))["rows"]:
                        bad += row["values"]["order_status.customer_id"] != customer
                await asyncio.sleep(0)
        return bad, n

    results = await asyncio.gather(*(one_user(c) for c in users))
    foreign = sum(r[0] for r in results)
    calls = sum(r[1] for r in results)
    assert calls == 5_000
    assert foreign == 0


async def test_langchain_mcp_adapters_client(
    http_url: str, served: tuple[ak.Project, World], tokens: TokenService
) -> None:
    from langchain_mcp_adapters.client import MultiServerMCPClient

    _, world = served
    me = world.customers[3]
    client = MultiServerMCPClient(
        {
            "agentkit": {
                "transport": "streamable_http",
                "url": f"{http_url}/mcp",
                "headers": {"Authorization": f"Bearer {tokens.issue(agent='support_bot', subject=me)}"},
            }
        }
    )
    tools = {t.name: t for t in await client.get_tools()}
    assert set(tools) == {"search_catalog", "get_features", "search_help_center"}
    out = await tools["get_features"].ainvoke({"features": REFS})
    # content blocks ([{"type": "text", "text": ...}]) or a plain string
    text = cast("list[dict[str, str]]", out)[0]["text"] if isinstance(out, list) else str(out)
    assert {r["values"]["order_status.customer_id"] for r in json.loads(text)["rows"]} == {me}


async def test_stdio_transport_verifies_its_start_up_token(
    served: tuple[ak.Project, World], tokens: TokenService, tmp_path: Path
) -> None:
    from mcp import ClientSession, StdioServerParameters
    from mcp.client.stdio import stdio_client

    project, world = served
    me = world.customers[4]
    token_file = tmp_path / "token"
    token_file.write_text(tokens.issue(agent="support_bot", subject=me))
    params = StdioServerParameters(
        command=sys.executable,
        args=[
            "-m",
            "agentkit.cli",
            "--config",
            str(project.root / "agentkit.toml"),
            "serve",
            "--transport",
            "stdio",
            "--token-file",
            str(token_file),
        ],
        env={**os.environ},
    )
    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        result = await session.call_tool("get_features", {"features": REFS})
        rows = json.loads(text_of(result))["rows"]
        assert rows and {r["values"]["order_status.customer_id"] for r in rows} == {me}
    token_file.write_text("forged.token.value")
    refused = subprocess.run(
        params.args and [params.command, *params.args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    assert refused.returncode == 2 and "session token was refused" in refused.stderr
    no_token = subprocess.run(
        [
            sys.executable,
            "-m",
            "agentkit.cli",
            "--config",
            str(project.root / "agentkit.toml"),
            "serve",
            "--transport",
            "stdio",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={k: v for k, v in os.environ.items() if k != "AGENTKIT_TOKEN_FILE"},
    )
    assert no_token.returncode == 2 and "no unauthenticated mode" in no_token.stderr


@pytest.mark.slow
def test_the_official_mcp_inspector_cli_lists_and_calls_tools(
    http_url: str, served: tuple[ak.Project, World], tokens: TokenService
) -> None:
    inspector = ROOT / "tools" / "inspector" / "node_modules" / ".bin" / "mcp-inspector"
    if not inspector.exists() or shutil.which("node") is None:
        message = "MCP Inspector not installed: run `npm install --prefix tools/inspector` (node 20+)"
        if REQUIRE_SERVICES:
            pytest.fail(message)
        pytest.skip(message)
    _, world = served
    me = world.customers[5]
    header = f"Authorization: Bearer {tokens.issue(agent='support_bot', subject=me)}"
    base = ["node", str(inspector), "--cli", f"{http_url}/mcp", "--header", header]
    listed = subprocess.run([*base, "--method", "tools/list"], capture_output=True, text=True, timeout=120, check=False)
    assert listed.returncode == 0, listed.stderr
    assert {t["name"] for t in json.loads(listed.stdout)["tools"]} == {
        "search_catalog",
        "get_features",
        "search_help_center",
    }
    called = subprocess.run(
        [
            *base,
            "--method",
            "tools/call",
            "--tool-name",
            "search_catalog",
            "--tool-arg",
            "intent=when will my order arrive",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert called.returncode == 0, called.stderr
    result = json.loads(called.stdout)
    assert result["isError"] is False and "order_status" in result["content"][0]["text"]
    unauthorized = subprocess.run(
        [
            "node",
            str(inspector),
            "--cli",
            f"{http_url}/mcp",
            "--method",
            "tools/list",
            "--header",
            "Authorization: Bearer forged",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert unauthorized.returncode != 0


async def test_audit_records_of_served_calls_never_hold_the_token(
    http_url: str, served: tuple[ak.Project, World], tokens: TokenService
) -> None:
    project, world = served
    token = tokens.issue(agent="support_bot", subject=world.customers[6])
    async with http_client(http_url, token) as session:
        for _ in range(5):
            await session.call_tool("get_features", {"features": REFS})
    project.audit.flush()
    text = "".join(p.read_text() for p in project.audit.spool_files())
    assert '"surface":"mcp"' in text  # positive control: the calls were audited
    assert token not in text and token.split(".")[2] not in text and "Bearer" not in text

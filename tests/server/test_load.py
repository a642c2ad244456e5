"""200 callers at once against the real HTTP server on loopback, each with its own user's token:
every answer is right (each caller gets only its own rows; a foreign key is refused), in bounded time.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import Generator

import httpx
import pytest

import agentkit as ak
from agentkit.server.app import build_mcp_server
from agentkit.server.tokens import TokenService
from tests.governance.conftest import World, build_world, make_governed
from tests.server.conftest import SERVER_POLICY
from tests.server.serving import JSONRPC_HEADERS, rpc, serving

CALLERS = 200
REFS = ["order_status.customer_id", "order_status.eta_minutes"]


@pytest.fixture(scope="module")
def crowd(tmp_path_factory: pytest.TempPathFactory) -> Generator[tuple[ak.Project, World]]:
    project = make_governed(tmp_path_factory.mktemp("crowd"), policy=SERVER_POLICY)
    world = build_world(project, customers=CALLERS)
    yield project, world
    project.close()


def rows_of(response: httpx.Response) -> tuple[bool, list[dict[str, dict[str, object]]]]:
    result = response.json()["result"]
    text = result["content"][0]["text"]
    return bool(result["isError"]), ([] if result["isError"] else json.loads(text)["rows"])


async def test_two_hundred_users_at_once_each_get_only_their_own_rows(crowd: tuple[ak.Project, World]) -> None:
    project, world = crowd
    issue = TokenService(project.config).issue
    orders = sorted(world.orders)
    latencies: list[float] = []
    wrong: list[str] = []

    async def one_user(client: httpx.AsyncClient, url: str, customer: str) -> int:
        rng = random.Random(customer)
        headers = {"Authorization": f"Bearer {issue(agent='support_bot', subject=customer)}"}
        mine = sorted(world.orders_of(customer))
        foreign = rng.choice([o for o in orders if world.orders[o] != customer])
        done = 0
        for key in (None, rng.choice(mine), foreign):  # their recent orders, one of theirs, someone else's
            arguments: dict[str, object] = {"features": REFS}
            if key is not None:
                arguments["entity_key"] = key
            body = rpc("tools/call", {"name": "get_features", "arguments": arguments})
            started = time.perf_counter()
            response = await client.post(f"{url}/mcp", json=body, headers=headers)
            latencies.append(time.perf_counter() - started)
            is_error, rows = rows_of(response)
            owners = {r["values"]["order_status.customer_id"] for r in rows}
            keys = {str(r["key"]) for r in rows}
            if key == foreign:
                ok = is_error and not rows  # refused like a key that does not exist
            elif key is None:
                ok = not is_error and bool(rows) and owners == {customer} and keys <= set(mine)
            else:
                ok = not is_error and keys == {key} and owners == {customer}
            if not ok:
                wrong.append(f"{customer} asked {key}: {response.text[:200]}")
            done += 1
        return done

    limits = httpx.Limits(max_connections=CALLERS, max_keepalive_connections=CALLERS)
    with serving(build_mcp_server(project)) as url:
        async with httpx.AsyncClient(headers=JSONRPC_HEADERS, timeout=60, limits=limits) as client:
            started = time.perf_counter()
            calls = await asyncio.wait_for(
                asyncio.gather(*(one_user(client, url, c) for c in world.customers[:CALLERS])), timeout=120
            )
            seconds = time.perf_counter() - started
    latencies.sort()
    p50, p99 = latencies[len(latencies) // 2], latencies[int(len(latencies) * 0.99)]
    print(
        f"\n{sum(calls)} calls by {CALLERS} users at once in {seconds:.1f} s; p50 {p50 * 1e3:.0f} ms, p99 {p99 * 1e3:.0f} ms"
    )
    assert sum(calls) == 3 * CALLERS
    assert wrong == []

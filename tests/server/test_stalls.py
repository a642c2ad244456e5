"""A hung dependency stalls only the calls that need it.

A private ``redis-server`` (the project's online store) is hung with SIGSTOP while one call waits
inside it. Everything that needs no Redis — liveness, a 401 for a bad token, ``tools/list``, another
user's help-center search — must still answer within a generous bound, and ``/readyz`` must say
"not ready". The positive control runs the same scenario on the same server through a tool that
calls the platform directly on the event loop (what every tool did before): it must miss the bound,
or the test proves nothing and fails as inconclusive.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Generator, Sequence
from pathlib import Path
from typing import Any

import httpx
import pytest

import agentkit as ak
from agentkit.errors import OnlineStoreError
from agentkit.retrieval.embedder import HashingEmbedder, Vectors
from agentkit.server.app import AgentkitMCP, build_mcp_server
from agentkit.server.tokens import TokenService
from agentkit.server.tools import UNAVAILABLE
from tests.conftest import write_project
from tests.governance.conftest import DEFINITIONS, POLICY, World, build_world
from tests.server.conftest import memory_client, text_of
from tests.server.private_redis import PrivateRedis, private_redis
from tests.server.serving import JSONRPC_HEADERS, rpc, serving

BOUND = 5.0
"""Seconds an answer that needs no Redis may take while Redis hangs (it hangs for up to 30 s)."""
REFS = ["order_status.customer_id", "order_status.eta_minutes"]
CONTROL_TOOL = "blocking_get_features"


def stall_project(root: Path, redis_url: str) -> ak.Project:
    """The governed test project on the private Redis: reads wait up to 30 s for it."""
    config = write_project(root, definitions=DEFINITIONS, online=redis_url, key_prefix=f"stall{uuid.uuid4().hex[:8]}")
    policy = POLICY.replace("[policy]\n", f'[policy]\nextra_tools = ["{CONTROL_TOOL}"]\n', 1).replace(
        'tools = ["search_help_center", "search_catalog", "get_features"]',
        f'tools = ["search_help_center", "search_catalog", "get_features", "{CONTROL_TOOL}"]',
        1,
    )
    text = config.read_text().replace("[online]\n", "[online]\ntimeout = 30\n", 1)
    server = "[server]\nworker_threads = 4\ntool_timeout = 60\nready_timeout = 1\n"
    config.write_text(text + "\n" + policy + '\n[retrieval]\nembedder = "hashing"\n\n' + server)
    project = ak.Project.load(config)
    project.apply()
    return project


@pytest.fixture(scope="module")
def stalled(tmp_path_factory: pytest.TempPathFactory) -> Generator[tuple[ak.Project, World, PrivateRedis]]:
    with private_redis(tmp_path_factory.mktemp("redis")) as redis:
        project = stall_project(tmp_path_factory.mktemp("stall"), redis.url)
        world = build_world(project, customers=5)
        yield project, world, redis
        project.close()


def with_loop_blocking_control(server: AgentkitMCP) -> AgentkitMCP:
    """Register the control: a plain ``def`` tool, which FastMCP runs on the event loop."""

    def blocking_get_features() -> str:
        principal, _ = server.caller()
        return json.dumps([r.key for r in server.project.get_features(principal, REFS, surface="mcp").rows])

    server.tool(name=CONTROL_TOOL, structured_output=False)(blocking_get_features)
    return server


async def timed(request: Callable[[], Awaitable[httpx.Response]]) -> tuple[float, httpx.Response | None]:
    """Seconds until the answer (``None`` for the answer when the client gave up first)."""
    started = time.perf_counter()
    try:
        response = await request()
    except httpx.TimeoutException:
        return time.perf_counter() - started, None
    return time.perf_counter() - started, response


async def measure_while_hung(
    client: httpx.AsyncClient, url: str, hung_call: dict[str, Any], tokens: dict[str, str], *, only: str | None = None
) -> tuple[dict[str, float], dict[str, httpx.Response | None], asyncio.Task[httpx.Response]]:
    """Start ``hung_call`` (Redis is hung), then time, one by one, the calls that need no Redis."""
    mine = {"Authorization": f"Bearer {tokens['me']}"}
    hung = asyncio.create_task(client.post(f"{url}/mcp", json=hung_call, headers=mine, timeout=60))
    await asyncio.sleep(0.5)  # the call reaches Redis and waits there
    search = rpc("tools/call", {"name": "search_help_center", "arguments": {"query": "refund"}})
    probes: dict[str, Callable[[], Awaitable[httpx.Response]]] = {
        "healthz": lambda: client.get(f"{url}/healthz"),
        "401 for a bad token": lambda: client.post(
            f"{url}/mcp", json=rpc("tools/list"), headers={"Authorization": "Bearer forged.token.value"}
        ),
        "tools/list": lambda: client.post(f"{url}/mcp", json=rpc("tools/list"), headers=mine),
        "another user's help-center search": lambda: client.post(
            f"{url}/mcp", json=search, headers={"Authorization": f"Bearer {tokens['other']}"}
        ),
        "readyz": lambda: client.get(f"{url}/readyz"),
    }
    seconds: dict[str, float] = {}
    answers: dict[str, httpx.Response | None] = {}
    for name, request in probes.items():
        if only is None or name == only:
            seconds[name], answers[name] = await timed(request)
    return seconds, answers, hung


async def test_a_hung_store_stalls_only_the_calls_that_need_it(
    stalled: tuple[ak.Project, World, PrivateRedis],
) -> None:
    project, world, redis = stalled
    issue = TokenService(project.config).issue
    tokens = {
        "me": issue(agent="support_bot", subject=world.customers[0]),
        "other": issue(agent="support_bot", subject=world.customers[1]),
    }
    server = with_loop_blocking_control(build_mcp_server(project))
    with serving(server) as url:
        async with httpx.AsyncClient(headers=JSONRPC_HEADERS, timeout=BOUND + 0.5) as client:
            deadline = time.monotonic() + 30
            while (await client.get(f"{url}/readyz")).status_code != 200:  # warm-up finishes
                assert time.monotonic() < deadline, "the server never became ready"
                await asyncio.sleep(0.05)

            with redis.hung():
                get_features = rpc("tools/call", {"name": "get_features", "arguments": {"features": REFS}})
                seconds, answers, hung = await measure_while_hung(client, url, get_features, tokens)
                still_waiting = not hung.done()
            answer = await asyncio.wait_for(hung, 30)  # Redis answers again: so does the call

            with redis.hung():
                control = rpc("tools/call", {"name": CONTROL_TOOL, "arguments": {}})
                control_seconds, control_answers, blocked = await measure_while_hung(
                    client, url, control, tokens, only="healthz"
                )
            await asyncio.wait_for(blocked, 30)

    print(f"\nwhile Redis hung: {seconds}\ncontrol (tool on the event loop): {control_seconds}")
    assert still_waiting, "the call that needs Redis answered while Redis was hung: nothing was measured"
    slow = {name: s for name, s in seconds.items() if s >= BOUND}
    assert not slow, f"answers that need no Redis waited for it: {slow}"
    assert answers["healthz"] is not None and answers["healthz"].status_code == 200
    refused = answers["401 for a bad token"]
    assert refused is not None and refused.status_code == 401
    listed = answers["tools/list"]
    assert listed is not None and "get_features" in listed.text
    searched = answers["another user's help-center search"]
    assert searched is not None and searched.status_code == 200 and not searched.json()["result"]["isError"]
    ready = answers["readyz"]
    assert ready is not None and ready.status_code == 503
    assert ready.json()["checks"]["online_store"] == "no answer within 1 s"
    assert ready.json()["checks"]["warm_up"] == "ok"
    rows = json.loads(answer.json()["result"]["content"][0]["text"])["rows"]
    assert rows and {r["values"]["order_status.customer_id"] for r in rows} == {world.customers[0]}
    if control_seconds["healthz"] < BOUND:
        pytest.fail(f"inconclusive: the loop-blocking control answered /healthz in {control_seconds['healthz']:.2f} s")
    assert control_answers["healthz"] is None  # the client gave up: the loop was blocked


async def test_a_call_that_outlives_the_tool_timeout_is_temporarily_unavailable(
    stalled: tuple[ak.Project, World, PrivateRedis],
) -> None:
    project, world, redis = stalled
    settings = project.config.server.model_copy(update={"tool_timeout": 1.0})
    impatient = ak.Project(project.config.model_copy(update={"server": settings}))
    try:
        token = TokenService(project.config).issue(agent="support_bot", subject=world.customers[0])
        async with memory_client(impatient, token) as session:
            warm = await session.call_tool("get_features", {"features": REFS})
            assert not warm.isError  # positive control: with Redis answering, the call works
            with redis.hung():
                started = time.perf_counter()
                result = await session.call_tool("get_features", {"features": REFS})
                seconds = time.perf_counter() - started
    finally:
        impatient.close()
    assert result.isError and text_of(result).endswith(UNAVAILABLE)
    assert 1.0 <= seconds < BOUND


def test_a_hung_redis_fails_a_read_after_the_online_timeout(
    stalled: tuple[ak.Project, World, PrivateRedis],
) -> None:
    project, world, redis = stalled
    online = project.config.online.model_copy(update={"timeout": 1.0})
    impatient = ak.Project(project.config.model_copy(update={"online": online}))
    principal = ak.Principal(agent="support_bot", subject=world.customers[0])
    outcome: list[BaseException | ak.FeatureRows] = []

    def read() -> None:
        try:
            outcome.append(impatient.get_features(principal, REFS))
        except BaseException as exc:  # handed to the test thread
            outcome.append(exc)

    try:
        assert impatient.get_features(principal, REFS).rows  # positive control: Redis answers
        with redis.hung():
            started = time.perf_counter()
            reader = threading.Thread(target=read, daemon=True)
            reader.start()
            reader.join(timeout=BOUND)
            seconds = time.perf_counter() - started
            finished = not reader.is_alive()
    finally:
        impatient.close()
    assert finished, f"the read was still waiting on the hung Redis after {seconds:.1f} s"
    (error,) = outcome
    assert isinstance(error, OnlineStoreError) and error.code == "online_store_unreachable"
    assert 1.0 <= seconds < BOUND


class SlowEmbedder:
    """The hashing embedder, but every call takes ``delay`` seconds (as loading MiniLM does)."""

    def __init__(self, delay: float) -> None:
        self._inner = HashingEmbedder()
        self._delay = delay
        self.model_id = self._inner.model_id
        self.dimension = self._inner.dimension

    def embed(self, texts: Sequence[str]) -> Vectors:
        time.sleep(self._delay)
        return self._inner.embed(texts)


async def test_readiness_waits_for_the_warm_up_and_a_cold_catalog_holds_up_no_one(
    stalled: tuple[ak.Project, World, PrivateRedis],
) -> None:
    project, world, _ = stalled
    cold = ak.Project(project.config, embedder=SlowEmbedder(1.5))  # a fresh process: nothing embedded yet
    issue = TokenService(project.config).issue
    mine = {"Authorization": f"Bearer {issue(agent='support_bot', subject=world.customers[0])}"}
    other = {"Authorization": f"Bearer {issue(agent='support_bot', subject=world.customers[1])}"}
    try:
        with serving(build_mcp_server(cold)) as url:
            async with httpx.AsyncClient(headers=JSONRPC_HEADERS, timeout=30) as client:
                first = await client.get(f"{url}/readyz")
                search = rpc("tools/call", {"name": "search_catalog", "arguments": {"intent": "where is my order"}})
                searching = asyncio.create_task(client.post(f"{url}/mcp", json=search, headers=mine))
                await asyncio.sleep(0.2)  # the search waits for the catalog's embeddings
                read = rpc("tools/call", {"name": "get_features", "arguments": {"features": REFS}})
                seconds, answer = await timed(lambda: client.post(f"{url}/mcp", json=read, headers=other))
                searched_meanwhile = searching.done()
                deadline = time.monotonic() + 30
                while (ready := await client.get(f"{url}/readyz")).status_code != 200:
                    assert time.monotonic() < deadline, f"never ready: {ready.text}"
                    await asyncio.sleep(0.1)
                found = await asyncio.wait_for(searching, 30)
    finally:
        cold.close()
    assert first.status_code == 503 and first.json()["checks"]["warm_up"] in {"starting", "running"}
    assert ready.json() == {"status": "ready", "checks": {"warm_up": "ok", "online_store": "ok"}}
    assert not searched_meanwhile  # the read below really overlapped the cold catalog
    assert answer is not None and not answer.json()["result"]["isError"] and seconds < BOUND
    assert "order_status" in found.json()["result"]["content"][0]["text"]


async def test_a_warm_up_that_failed_on_a_hung_store_is_retried_until_ready(
    stalled: tuple[ak.Project, World, PrivateRedis],
) -> None:
    project, _, redis = stalled
    online = project.config.online.model_copy(update={"timeout": 1.0})
    fresh = ak.Project(project.config.model_copy(update={"online": online}))  # a process starting now
    redis.pause()  # before the server starts: its warm-up meets a hung store
    try:
        with serving(build_mcp_server(fresh)) as url:
            async with httpx.AsyncClient(timeout=BOUND) as client:
                deadline = time.monotonic() + 15
                while not (hung := (await client.get(f"{url}/readyz")).json())["checks"]["warm_up"].startswith(
                    "failed"
                ):
                    assert time.monotonic() < deadline, f"the warm-up never failed: {hung}"
                    await asyncio.sleep(0.1)
                redis.resume()
                deadline = time.monotonic() + 15
                while (ready := await client.get(f"{url}/readyz")).status_code != 200:
                    assert time.monotonic() < deadline, f"never ready after Redis came back: {ready.text}"
                    await asyncio.sleep(0.1)
    finally:
        redis.resume()
        fresh.close()
    assert hung == {
        "status": "not ready",
        "checks": {"warm_up": "failed: online_store_unreachable", "online_store": "no answer within 1 s"},
    }
    assert redis.url not in json.dumps(hung)

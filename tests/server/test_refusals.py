"""Refusals are audited in aggregate: rejected tokens and denied tools leave records (with their
reason, source and count), and a flood of them leaves a bounded number — never the token itself."""

from __future__ import annotations

import json
import socket
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

import agentkit as ak
from agentkit.server.app import build_mcp_server
from agentkit.server.refusals import parse_reason
from agentkit.server.tokens import TokenService
from tests.governance.conftest import POLICY, make_governed
from tests.server.conftest import memory_client, text_of
from tests.server.serving import JSONRPC_HEADERS, rpc, serving


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ak.Project]:
    project = make_governed(
        tmp_path_factory.mktemp("refusals"), policy=POLICY + '\n[retrieval]\nembedder = "hashing"\n'
    )
    yield project
    project.close()


def refusals_since(project: ak.Project, since: datetime) -> list[dict[str, object]]:
    project.audit.flush()
    records = [
        json.loads(line)
        for path in project.audit.spool_files()
        for line in path.read_text().splitlines()
        if line.strip()
    ]
    return [r for r in records if datetime.fromisoformat(str(r["time"])) >= since and r["decision"] == "deny"]


def flood(url: str, tokens: list[str]) -> int:
    """Send one ``tools/list`` per token, pipelined on one keep-alive connection (the client costs
    next to nothing, so the server sets the pace); returns how many got 401."""
    port = int(url.rsplit(":", 1)[1])
    body = json.dumps(rpc("tools/list")).encode()
    head = "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/json, text/event-stream\r\n"
    head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
    requests = b"".join(f"{head}Authorization: Bearer {t}\r\n\r\n".encode() + body for t in tokens)
    received = b""
    with socket.create_connection(("127.0.0.1", port), timeout=60) as connection:
        connection.sendall(requests)
        while received.count(b"HTTP/1.1 ") < len(tokens):
            chunk = connection.recv(1 << 20)
            if not chunk:
                break
            received += chunk
    return received.count(b"HTTP/1.1 401 ")


def test_a_flood_of_5000_bad_tokens_leaves_few_records_with_the_right_counts(project: ak.Project) -> None:
    tokens = TokenService(project.config)
    good = tokens.issue(agent="support_bot", subject="c_0001")
    header, payload, _ = good.split(".")
    expired = tokens.issue(agent="support_bot", subject="c_0001", now=datetime.now(UTC) - timedelta(hours=2))
    bad = {"malformed": "not-a-token", "signature": f"{header}.{payload}.{'A' * 43}", "expired": expired}
    kinds = [("malformed", "signature", "expired")[i % 3] for i in range(5_000)]
    server = build_mcp_server(project)
    since = datetime.now(UTC)
    started = time.monotonic()
    with serving(server) as url:
        assert flood(url, [bad[k] for k in kinds]) == 5_000
        ok = httpx.post(
            f"{url}/mcp", json=rpc("tools/list"), headers={**JSONRPC_HEADERS, "Authorization": f"Bearer {good}"}
        )
        assert ok.status_code == 200  # positive control: a good token still passes after the flood
        server.refusals.flush()
    elapsed = time.monotonic() - started
    records = [r for r in refusals_since(project, since) if str(r["reason"]).startswith("token_rejected")]
    counted: Counter[str] = Counter()
    for record in records:
        reason, source, count = parse_reason(str(record["reason"]))
        assert source == "127.0.0.1" and record["agent"] == "-" and record["subject"] is None
        counted[reason.removeprefix("token_rejected:")] += count
    assert counted == Counter(kinds)  # every refusal is counted, under its own reason
    assert len(records) <= len(bad) * (int(elapsed) + 2), (len(records), elapsed)  # one per reason and second
    spool = "".join(p.read_text() for p in project.audit.spool_files())
    assert not any(t in spool for t in (*bad.values(), payload))  # never the token itself


async def test_a_denied_tool_call_is_audited_with_its_reason(project: ak.Project) -> None:
    tokens = TokenService(project.config)
    since = datetime.now(UTC)
    async with memory_client(project, tokens.issue(agent="faq_bot", subject="c_0007")) as client:
        for _ in range(300):
            denied = await client.call_tool("get_features", {"features": ["order_status.status"]})
            assert denied.isError and text_of(denied) == "Unknown tool: get_features"
        allowed = await client.call_tool("search_help_center", {"query": "refund"})
        assert not allowed.isError  # positive control: an allowed tool runs and is not a refusal
    deadline = time.monotonic() + 15  # the last window is written about a second after it closes
    records: list[dict[str, object]] = []
    while time.monotonic() < deadline:
        records = [r for r in refusals_since(project, since) if "tool_not_allowed" in str(r["reason"])]
        if sum(parse_reason(str(r["reason"]))[2] for r in records) >= 300:
            break
        time.sleep(0.1)
    assert {(r["agent"], r["subject"], r["tool"]) for r in records} == {("faq_bot", "c_0007", "get_features")}
    assert sum(parse_reason(str(r["reason"]))[2] for r in records) == 300
    assert 1 <= len(records) <= 5


def test_a_metric_label_cannot_forge_a_line_of_the_exposition() -> None:
    from agentkit.server.metrics import Metrics

    metrics = Metrics()
    metrics.count("tool_calls_total", tool='x"} 1\nagentkit_forged_total{a="b')
    metrics.count("tool_calls_total", tool="plain")
    lines = metrics.render().splitlines()
    assert not any(line.startswith("agentkit_forged_total") for line in lines)
    assert 'agentkit_tool_calls_total{tool="plain"} 1' in lines  # positive control

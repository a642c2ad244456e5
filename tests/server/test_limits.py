"""Request limits over real HTTP: body size (413) and JSON nesting depth (400), each answered with
one log line and no traceback; ordinary requests (and brackets inside strings) still pass."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import httpx
import pytest

import agentkit as ak
from agentkit.server.app import build_mcp_server
from agentkit.server.tokens import TokenService
from tests.governance.conftest import POLICY, make_governed
from tests.server.serving import JSONRPC_HEADERS, post, rpc, serving


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ak.Project]:
    project = make_governed(tmp_path_factory.mktemp("limits"), policy=POLICY + '\n[retrieval]\nembedder = "hashing"\n')
    yield project
    project.close()


@pytest.fixture(scope="module")
def url(project: ak.Project) -> Iterator[str]:
    with serving(build_mcp_server(project)) as base:
        yield base


@pytest.fixture(scope="module")
def token(project: ak.Project) -> str:
    return TokenService(project.config).issue(agent="support_bot", subject="c_0001")


def raw_post(url: str, token: str, content: bytes | Iterator[bytes]) -> httpx.Response:
    headers = {**JSONRPC_HEADERS, "Authorization": f"Bearer {token}"}
    return httpx.post(f"{url}/mcp", content=content, headers=headers, timeout=60)


def deep(depth: int) -> bytes:
    head = b'{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"search_catalog","arguments":{"intent":'
    return head + b"[" * depth + b"]" * depth + b"}}}"


def problems(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_a_100000_deep_json_body_gets_400_and_one_log_line(
    url: str, token: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    response = raw_post(url, token, deep(100_000))
    assert response.status_code == 400, response.text
    assert "nest" in response.json()["error"]["message"]
    logged = problems(caplog)
    assert len(logged) == 1 and logged[0].exc_info is None, [r.getMessage() for r in logged]
    assert "\n" not in logged[0].getMessage()
    caplog.clear()
    fine = post(url, token, rpc("tools/call", {"name": "search_catalog", "arguments": {"intent": "[" * 500}}))
    assert fine.status_code == 200 and '"isError":false' in fine.text  # brackets inside a string are text
    nested_ok = raw_post(url, token, deep(10))  # positive control: shallow nesting reaches the server
    assert nested_ok.status_code == 200, nested_ok.text
    assert problems(caplog) == []


def test_an_unauthenticated_deep_body_is_refused_the_same_way(url: str) -> None:
    response = httpx.post(f"{url}/mcp", content=deep(100_000), headers=JSONRPC_HEADERS, timeout=60)
    assert response.status_code == 400


def test_a_body_over_the_cap_gets_413_with_or_without_a_length(
    url: str, token: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    big = json.dumps(rpc("tools/list", {"_meta": {"pad": "x" * (2 << 20)}})).encode()
    declared = raw_post(url, token, big)
    assert declared.status_code == 413, declared.text

    def chunks() -> Iterator[bytes]:  # chunked transfer: no Content-Length to trust
        for i in range(0, len(big), 64 << 10):
            yield big[i : i + (64 << 10)]

    streamed = raw_post(url, token, chunks())
    assert streamed.status_code == 413, streamed.text
    assert len(problems(caplog)) == 2 and all(r.exc_info is None for r in problems(caplog))
    near = json.dumps(rpc("tools/list", {"_meta": {"pad": "x" * 900_000}})).encode()
    assert raw_post(url, token, near).status_code == 200  # positive control: under 1 MiB passes


def test_the_caps_are_configurable(project: ak.Project) -> None:
    strict = project.root / "strict.toml"
    text = (project.root / "agentkit.toml").read_text()
    strict.write_text(text + "\n[server]\nmax_body_bytes = 4096\nmax_json_depth = 16\n")
    small = ak.Project.load(strict)
    token = TokenService(small.config).issue(agent="support_bot", subject="c_0001")
    try:
        with serving(build_mcp_server(small)) as url:
            padded = rpc("tools/list", {"_meta": {"pad": "x" * 5_000}})
            assert post(url, token, padded).status_code == 413
            assert raw_post(url, token, deep(20)).status_code == 400
            assert raw_post(url, token, deep(10)).status_code == 200  # positive control
            assert post(url, token, rpc("tools/list", {"_meta": {"pad": "x" * 3_000}})).status_code == 200
    finally:
        small.close()

"""Graceful shutdown of a real ``agentkit serve`` process.

On SIGTERM the server stops accepting connections, lets the calls in flight finish within
``[server] shutdown_timeout``, flushes the audit spool and exits with status 0. The in-flight call is
made slow by hanging the project's private ``redis-server`` (SIGSTOP) while it waits inside it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Generator
from pathlib import Path

import httpx
import pytest

import agentkit as ak
from agentkit.server.tokens import TokenService
from tests.conftest import write_project
from tests.governance.conftest import DEFINITIONS, POLICY, World, build_world
from tests.server.conftest import free_port
from tests.server.private_redis import PrivateRedis, private_redis
from tests.server.serving import JSONRPC_HEADERS, rpc

REFS = ["order_status.customer_id", "order_status.eta_minutes"]
GRACE = 20
"""``[server] shutdown_timeout`` of the served project (seconds)."""


@pytest.fixture(scope="module")
def project_on_redis(tmp_path_factory: pytest.TempPathFactory) -> Generator[tuple[Path, World, PrivateRedis]]:
    with private_redis(tmp_path_factory.mktemp("redis")) as redis:
        root = tmp_path_factory.mktemp("shutdown")
        config = write_project(root, definitions=DEFINITIONS, online=redis.url, key_prefix=f"sd{uuid.uuid4().hex[:8]}")
        text = config.read_text().replace("[online]\n", "[online]\ntimeout = 30\n", 1)
        server = f"[server]\nshutdown_timeout = {GRACE}\n"
        config.write_text(text + "\n" + POLICY + '\n[retrieval]\nembedder = "hashing"\n\n' + server)
        with ak.Project.load(config) as project:
            project.apply()
            world = build_world(project, customers=3)
        yield config, world, redis


def start_server(config: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    with open(log, "wb") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "agentkit.cli", "--config", str(config), "serve", "--port", str(port)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
    deadline = time.monotonic() + 90
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                return process
        except httpx.HTTPError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise AssertionError(f"the server did not become ready:\n{log.read_text()[-2000:]}")
        time.sleep(0.1)


def call_in_background(url: str, token: str) -> tuple[threading.Thread, list[httpx.Response | Exception]]:
    answers: list[httpx.Response | Exception] = []
    body = rpc("tools/call", {"name": "get_features", "arguments": {"features": REFS}})
    headers = {**JSONRPC_HEADERS, "Authorization": f"Bearer {token}"}

    def call() -> None:
        try:
            answers.append(httpx.post(f"{url}/mcp", json=body, headers=headers, timeout=60))
        except httpx.HTTPError as exc:
            answers.append(exc)

    thread = threading.Thread(target=call, daemon=True)
    thread.start()
    return thread, answers


def audit_records(config: Path) -> list[dict[str, object]]:
    spool = config.parent / ".agentkit" / "audit"
    return [json.loads(line) for path in sorted(spool.glob("spool-*.jsonl")) for line in path.read_text().splitlines()]


def test_sigterm_lets_the_call_in_flight_finish_and_exits_0_with_its_audit_record(
    project_on_redis: tuple[Path, World, PrivateRedis], tmp_path: Path
) -> None:
    config, world, redis = project_on_redis
    me = world.customers[1]
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process = start_server(config, port, tmp_path / "serve.log")
    try:
        token = TokenService(ak.load_config(config)).issue(agent="support_bot", subject=me)
        with redis.hung():
            caller, answers = call_in_background(url, token)
            time.sleep(0.5)  # the call is accepted and waits inside Redis
            process.send_signal(signal.SIGTERM)
            signalled = time.monotonic()
            time.sleep(0.5)
            with pytest.raises(httpx.ConnectError):  # no longer accepting
                httpx.get(f"{url}/healthz", timeout=2)
            assert process.poll() is None and not answers  # still waiting for the call in flight
        caller.join(timeout=30)
        status = process.wait(timeout=GRACE + 10)
        seconds = time.monotonic() - signalled
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
    print(f"\nexited {seconds:.2f} s after SIGTERM (Redis, and so the call in flight, resumed ~0.5 s after it)")
    assert status == 0, (tmp_path / "serve.log").read_text()[-2000:]
    assert seconds < GRACE
    (answer,) = answers
    assert isinstance(answer, httpx.Response) and answer.status_code == 200
    rows = json.loads(answer.json()["result"]["content"][0]["text"])["rows"]
    assert rows and {r["values"]["order_status.customer_id"] for r in rows} == {me}
    mine = [r for r in audit_records(config) if r["subject"] == me and r["surface"] == "mcp"]
    assert len(mine) == 1 and mine[0]["decision"] == "allow" and mine[0]["keys_served"]


def test_a_call_still_hung_at_the_shutdown_timeout_does_not_keep_the_process_alive(
    project_on_redis: tuple[Path, World, PrivateRedis], tmp_path: Path
) -> None:
    config, world, redis = project_on_redis
    impatient = config.with_name("agentkit-impatient.toml")
    impatient.write_text(config.read_text().replace(f"shutdown_timeout = {GRACE}", "shutdown_timeout = 1"))
    port = free_port()
    process = start_server(impatient, port, tmp_path / "serve.log")
    try:
        token = TokenService(ak.load_config(config)).issue(agent="support_bot", subject=world.customers[2])
        with redis.hung():  # hung for longer than the shutdown timeout
            caller, answers = call_in_background(f"http://127.0.0.1:{port}", token)
            time.sleep(0.5)
            process.send_signal(signal.SIGTERM)
            signalled = time.monotonic()
            try:
                status = process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                pytest.fail("the process was still running 15 s after SIGTERM with a 1 s shutdown timeout")
            seconds = time.monotonic() - signalled
        caller.join(timeout=30)
    finally:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
    print(f"\nexited {seconds:.2f} s after SIGTERM with a call still hung")
    assert status == 0, (tmp_path / "serve.log").read_text()[-2000:]
    assert 1 <= seconds < 10
    (cut_off,) = answers  # the call got an error (uvicorn answers 500 when it cuts a request off), not data
    assert not isinstance(cut_off, httpx.Response) or cut_off.status_code >= 500

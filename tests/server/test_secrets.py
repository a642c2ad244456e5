"""No secret in any reply: a password in every configured URL (Redis, a PostgreSQL catalog, a REST
catalog) never appears in a tool result, an HTTP response, a log line, an audit record or a metric —
while the dependency is unreachable, which is when drivers put URLs into their errors.

Every scan has a positive control: the same scan finds the password in a deliberately leaky string.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest
from mcp.shared.memory import create_connected_server_and_client_session
from pydantic import AnyUrl

import agentkit as ak
from agentkit.redaction import redact
from agentkit.server.app import build_mcp_server
from agentkit.server.tokens import TokenService
from tests.conftest import write_project
from tests.governance.conftest import DEFINITIONS, POLICY
from tests.server.conftest import free_port
from tests.server.serving import post, rpc, serving

PASSWORD = "pw-" + uuid.uuid4().hex  # unique: found only where it leaked from this test's config
REQUEST_ID = re.compile(r"request id ([0-9a-f]{12,})")
TOOL_CALLS: dict[str, dict[str, object]] = {
    "search_catalog": {"intent": "where is my order"},
    "get_features": {"features": ["order_status.status"]},
    "search_help_center": {"query": "refund"},
}


def leaks(secret: str, texts: Iterable[str]) -> list[str]:
    """The texts that hold ``secret`` (as written, or percent-encoded)."""
    forms = {secret, secret.replace("-", "%2D")}
    return [t for t in texts if any(f in t for f in forms)]


def make(root: Path, *, online: str | None = None, catalog: str | None = None) -> ak.Project:
    config = write_project(root, definitions=DEFINITIONS, online=online, catalog=catalog)
    config.write_text(config.read_text() + "\n" + POLICY + '\n[retrieval]\nembedder = "hashing"\n')
    return ak.Project.load(config)


def with_password(uri: str) -> str:
    parts = urlsplit(uri)
    user = parts.username or "postgres"
    host = parts.hostname or "127.0.0.1"
    netloc = f"{user}:{PASSWORD}@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


UNREACHABLE: dict[str, Callable[[int], dict[str, str]]] = {
    "redis": lambda port: {"online": f"redis://:{PASSWORD}@127.0.0.1:{port}/0"},
    "postgres": lambda port: {"catalog": f"postgresql+psycopg2://postgres:{PASSWORD}@127.0.0.1:{port}/test"},
    "rest": lambda port: {"catalog": f"http://agentkit:{PASSWORD}@127.0.0.1:{port}/catalog"},
}


def log_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    return [formatter.format(record) for record in caplog.records]


async def in_memory_replies(project: ak.Project, token: str) -> list[str]:
    """Every reply of a real MCP client session (in memory) that touches the dependency."""
    replies: list[str] = []
    server = build_mcp_server(project, session_token=token)
    async with create_connected_server_and_client_session(server) as client:
        for action in (
            client.list_tools(),
            *(client.call_tool(name, args) for name, args in TOOL_CALLS.items()),
            client.list_resources(),
            client.read_resource(AnyUrl("agentkit://catalog/order_status")),
        ):
            try:
                replies.append((await action).model_dump_json())
            except Exception as exc:  # an MCP error reply: its message is what the client sees
                replies.append(f"{type(exc).__name__}: {exc}")
    return replies


def http_replies(project: ak.Project, token: str) -> list[str]:
    """Every reply of the real HTTP server: JSON-RPC calls, health, readiness, metrics, a refused token."""
    server = build_mcp_server(project)
    replies: list[str] = []
    with serving(server) as url:
        bodies = [rpc("tools/list"), rpc("resources/list")]
        bodies += [rpc("tools/call", {"name": n, "arguments": a}) for n, a in TOOL_CALLS.items()]
        bodies.append(rpc("resources/read", {"uri": "agentkit://catalog/order_status"}))
        responses = [post(url, token, body) for body in bodies]
        responses.append(post(url, "forged.token.value", rpc("tools/list")))
        responses += [httpx.get(f"{url}/{route}", timeout=30) for route in ("healthz", "readyz", "metrics")]
        for response in responses:
            replies.append(f"{response.status_code} {dict(response.headers)} {response.text}")
        server.refusals.flush()
    return replies


def audit_text(project: ak.Project) -> str:
    project.audit.flush()
    return "".join(p.read_text() for p in project.audit.spool_files())


def test_redaction_keeps_the_place_and_drops_the_password() -> None:
    cases = {
        f"redis://:{PASSWORD}@10.0.0.5:6379/0": "redis://:***@10.0.0.5:6379/0",
        f"postgresql+psycopg2://app:{PASSWORD}@db:5432/x": "postgresql+psycopg2://app:***@db:5432/x",
        f"error at https://u:{PASSWORD}@catalog.example/v1: refused": "error at https://u:***@catalog.example/v1: refused",
        f"https://catalog.example/v1?password={PASSWORD}&x=1": "https://catalog.example/v1?password=***&x=1",
        f"host=db password={PASSWORD} user=app": "host=db password=*** user=app",
        f"rediss://:p@ss{PASSWORD}@h:1": "rediss://:***@h:1",
    }
    for raw, expected in cases.items():
        assert redact(raw) == expected
    untouched = ["redis://127.0.0.1:6379/0", "http://host:8080/p?x=a@b", "sqlite:///x.db", "plain text"]
    assert [redact(t) for t in untouched] == untouched  # positive control: nothing else changes
    assert leaks(PASSWORD, cases) == list(cases)  # the scan sees every raw form


@pytest.mark.parametrize("dependency", sorted(UNREACHABLE))
async def test_an_unreachable_dependency_never_shows_its_password(
    dependency: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    port = free_port()
    project = make(tmp_path / dependency, **UNREACHABLE[dependency](port))
    configured = project.config.online.store if dependency == "redis" else project.config.offline.catalog
    token = TokenService(project.config).issue(agent="support_bot", subject="c_0001")
    try:
        replies = await in_memory_replies(project, token)
        replies += http_replies(project, token)
        logs = log_lines(caplog)
        records = audit_text(project)
    finally:
        project.close()
    leaky = f"cannot reach {configured}"
    assert leaks(PASSWORD, [*replies, *logs, records, leaky]) == [leaky]  # positive control: the scan works
    # The client learns that the service is unavailable and a request id — not the dependency's address.
    failed = [r for r in replies if "temporarily unavailable" in r]
    assert len(failed) >= 6, replies
    where = (redact(configured), f"127.0.0.1:{port}", f"port {port}")
    assert [r for r in replies if any(w in r for w in where)] == []
    ids = {m for r in failed for m in REQUEST_ID.findall(r)}
    assert ids, failed
    # The server log has the details for each request id, the password masked.
    detailed = [line for line in logs if any(i in line for i in ids)]
    assert detailed and all("***" in line for line in detailed), detailed
    assert '"decision":"deny"' in records and "token_rejected" in records  # audited, without secrets


def test_the_server_refusing_to_start_shows_no_password(tmp_path: Path) -> None:
    """``agentkit serve`` checks its stores before it serves: the one line it prints is redacted."""
    from click.testing import CliRunner

    from agentkit.cli import main

    for dependency, settings in UNREACHABLE.items():
        project = make(tmp_path / dependency, **settings(free_port()))
        project.close()
        result = CliRunner().invoke(main, ["--config", str(project.root), "serve", "--port", str(free_port())])
        assert result.exit_code == 2, (dependency, result.output)
        assert leaks(PASSWORD, [result.output, result.stderr]) == [], (dependency, result.stderr)
        assert "***" in result.stderr and "Traceback" not in result.output, (dependency, result.stderr)
        assert len(result.stderr.strip().splitlines()) == 1  # one line, credentials masked


def test_config_errors_never_echo_a_password(tmp_path: Path) -> None:
    root = tmp_path / "p"
    write_project(root)
    config = root / "agentkit.toml"
    text = config.read_text()
    url = f"redis://:{PASSWORD}@127.0.0.1:6379/0"
    config.write_text(text.replace("[online]", f'online_url = "{url}"\n[online]', 1))  # a misplaced key
    with pytest.raises(ak.ConfigError) as unknown:
        ak.load_config(config)
    config.write_text(f'online = "{url}"\n' + text.replace("[online]\n", "").replace('key_prefix = "agentkit"\n', ""))
    with pytest.raises(ak.ConfigError) as wrong_type:
        ak.load_config(config)
    config.write_text(text.replace("[online]\n", f'[online]\nstore = "memcached://:{PASSWORD}@127.0.0.1:1"\n'))
    with pytest.raises(ak.AgentkitError) as unsupported:
        ak.Project.load(config).applied()
    messages = [str(unknown.value), str(wrong_type.value), str(unsupported.value)]
    assert leaks(PASSWORD, [*messages, url]) == [url]  # positive control
    assert "online" in messages[1] and "***" in messages[1]  # the message still says what is wrong
    assert "memcached://:***@" in messages[2]


async def test_a_reachable_postgres_catalog_with_a_password_never_shows_it(
    postgres_uri: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Trust authentication ignores the password, so the whole read path runs with it configured."""
    caplog.set_level(logging.DEBUG)
    namespace = "s" + uuid.uuid4().hex[:12]
    config = write_project(tmp_path / "pg", definitions=DEFINITIONS, catalog=with_password(postgres_uri))
    config.write_text(
        config.read_text().replace('namespace = "agentkit"', f'namespace = "{namespace}"')
        + "\n"
        + POLICY
        + '\n[retrieval]\nembedder = "hashing"\n'
    )
    project = ak.Project.load(config)
    try:
        project.apply()
        token = TokenService(project.config).issue(agent="support_bot", subject="c_0001")
        replies = await in_memory_replies(project, token)
        replies += http_replies(project, token)
        records = audit_text(project)
    finally:
        project.close()
    logs = log_lines(caplog)
    leaky = json.dumps({"catalog": project.config.offline.catalog})
    assert leaks(PASSWORD, [*replies, *logs, records, leaky]) == [leaky]  # positive control
    assert any('"isError":false' in r for r in replies)  # the calls really ran

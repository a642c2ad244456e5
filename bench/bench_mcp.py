"""MCP serving benchmark (issue #5): agentkit's MCP server vs the MCP protocol floor and Feast's own
MCP feature server, side by side in ONE run, same client.

Usage: ``.venv/bin/python bench/bench_mcp.py [--n 100000] [--quick] [--no-feast] [--what-if] [--out PATH]
[--keep-profile PATH]``  (full run ~7 min on 2 vCPUs; ``--quick`` < 90 s)

Servers (separate processes, uvicorn, 1 worker, access log off, 127.0.0.1 only; started and stopped
here, ready when ``/healthz`` answers):
- ``agentkit``: ``build_mcp_server(project).streamable_http_app()`` (``bench/mcp_servers.py``) over a
  temporary project shaped like ``bench_serving.py``'s (n users x 10 features, entity ``user`` with
  ``scope=Scope.subject()``, role ``customer``, agent ``bench_bot`` with tools get_features,
  search_catalog, search_help_center and view user_features, ``[retrieval] embedder = "hashing"``),
  applied, ingested and materialized. Bearer token per user from ``TokenService.issue``.
- ``floor``: a plain FastMCP (stateless_http, json_response), one tool returning a constant dict of
  10 features as compact JSON text, no auth. ``floor_auth``: the same behind the SDK's bearer auth
  with a trivial verifier (token == constant): the auth middleware's own cost.
- ``feast_mcp``: ``feast serve`` with ``feature_server: {type: mcp}`` (fastapi-mcp 0.4.0, its own
  venv: ``bash bench/peers/setup_feast_mcp.sh``), gunicorn with one uvicorn worker, --no-access-log,
  --max-requests 0, same rows materialized into its sqlite online store.

Client: the official ``mcp`` 1.x SDK in this venv: ``streamable_http_client`` + ``ClientSession``,
one persistent session per server, its own ``httpx.AsyncClient``. The Authorization header is set
before every call (each call is one stateless POST), so agentkit sees a different user's token on
every call; the other servers get the same header write (floor_auth: its constant token).

Method: one seeded random user sequence consumed
identically by every target; warm-up; R interleaved rounds (order rotated every round); every call
timed alone with ``perf_counter_ns``; p50/p99 pool all calls; ratios are medians over rounds of
round-p50 ratios. The read: agentkit ``get_features(10 refs, entity_key=<the token's subject>)``
(1 key x 10 features, the caller's own row), the floors' ``get_user_features(user_id)``, Feast's
``get_online_features`` tool for 1 user x 10 features. Throughput: 8 asyncio tasks, each with its own
session, N calls each, all started together; calls/s = calls / wall; also server CPU per call (from
/proc, user+system of the server process tree) and the client's CPU per call (this process: on a
small machine the Python client can be the limit). Bytes: plain JSON-RPC POSTs (initialize,
tools/list, one tools/call) -> HTTP body bytes; plus the SDK's ListToolsResult JSON (what a client
keeps of the tool list). Profile: the agentkit server under cProfile for a sequential run (enabled only around it)
and, without a profiler, the in-process parts of its path (token verify, Project.get_features,
the JSON payload) timed in this process.

``--what-if`` adds one more agentkit server whose low-level ``serverInfo.version`` is set once (the
SDK otherwise reads the ``mcp`` package METADATA on every stateless request, the floor included):
what agentkit would gain from that one line. ``--keep-profile`` keeps the server's pstats file.

Writes ``bench/results/mcp.json`` (``mcp_quick.json`` with --quick) and prints a table with the
targets as PASS/FAIL (reported, never asserted): agentkit p50 <= 1.5x floor p50; Feast-MCP p50 >= 3x
agentkit p50; agentkit throughput >= 70% of the floor's (8 clients).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import importlib.metadata as md
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "peers"))
sys.path.insert(0, str(HERE))
from data import FEATURES, make_user_features, user_ids, write_parquet  # noqa: E402  # pyright: ignore[reportMissingImports]
from feast_mcp_peer import (  # noqa: E402  # pyright: ignore[reportMissingImports]
    TOOL_PREFIX,
    feast_mcp_venv,
    missing_reason,
    prepare_repo,
    serve_command,
    serve_env,
)
from feast_mcp_peer import versions as feast_versions  # noqa: E402  # pyright: ignore[reportMissingImports]
from mcp_lib import (  # noqa: E402  # pyright: ignore[reportMissingImports]
    Client,
    ServerProc,
    free_port,
    mcp_client,
    median_ratio,
    pct,
    profile_report,
    raw_exchange,
    summarize,
)
from provenance import write_result  # noqa: E402  # pyright: ignore[reportMissingImports]
from serving_lib import AGENT, REFS, VIEW, same, write_project  # noqa: E402  # pyright: ignore[reportMissingImports]

from agentkit import Principal, Project  # noqa: E402
from agentkit.server.tokens import TokenService  # noqa: E402

SERVERS = HERE / "mcp_servers.py"
FLOOR_TOKEN = "bench-floor-token"
TARGET_LABELS = {
    "agentkit": "agentkit get_features",
    "floor": "MCP floor (no auth)",
    "floor_auth": "MCP floor + bearer auth",
    "feast_mcp": "Feast MCP get_online_features",
    "agentkit_pinned": "what-if: agentkit, version pinned",
}
TARGETS = {"over_floor_max": 1.5, "feast_over_min": 3.0, "throughput_share_min": 0.70}
POLICY = f"""
[policy]
default_roles = ["customer"]

[roles.customer]
views = ["{VIEW}"]

[agents.{AGENT}]
tools = ["get_features", "search_catalog", "search_help_center"]
views = ["{VIEW}"]

[retrieval]
embedder = "hashing"
"""


@dataclass
class Target:
    """One server as the client sees it: the tool to call, its arguments and bearer token per user."""

    name: str
    server: ServerProc
    tool: str
    args: Callable[[str], dict[str, Any]]
    token: Callable[[str], str]


# --- set-up ------------------------------------------------------------------------------------------


def build_project(root: Path, n: int) -> tuple[Project, Any]:
    """The agentkit project (bench_serving's catalog, this issue's policy), applied + materialized."""
    table = make_user_features(n)
    write_project(root, table.schema)
    base = '[project]\nname = "bench-mcp"\ndefinitions = "features.py"\n'
    (root / "agentkit.toml").write_text(base + POLICY)
    (root / "agentkit-redis.toml").unlink(missing_ok=True)
    project = Project.load(root / "agentkit.toml")
    project.apply()
    project.ingest(VIEW, table.drop_columns(["created"]))
    project.materialize(full=True)
    return project, table


class Tokens:
    """Bearer tokens per user (issued once, valid for the whole run)."""

    def __init__(self, project: Project) -> None:
        self._svc = TokenService(project.config)
        self._cache: dict[str, str] = {}

    def __call__(self, user: str) -> str:
        tok = self._cache.get(user)
        if tok is None:
            tok = self._cache[user] = self._svc.issue(agent=AGENT, subject=user, ttl=timedelta(hours=3))
        return tok


# --- measurements -----------------------------------------------------------------------------------


async def timed_calls(client: Client, t: Target, users: list[str]) -> tuple[list[int], int]:
    """ns per call (each call timed alone) and the number of error results."""
    clock = time.perf_counter_ns
    call = client.session.call_tool
    out: list[int] = []
    errors = 0
    for u in users:
        args = t.args(u)
        client.auth(t.token(u))
        t0 = clock()
        res = await call(t.tool, args)
        out.append(clock() - t0)
        errors += bool(res.isError)
    return out, errors


async def sequential(targets: list[Target], pool: list[str], cfg: dict[str, int], seed: int) -> dict[str, Any]:
    """Warm-up, then interleaved rounds (order rotated each round) over the same user sequence."""
    rng = np.random.default_rng(seed)

    def sample(k: int) -> list[str]:
        return [pool[i] for i in rng.integers(0, len(pool), size=k)]

    per_round: dict[str, list[list[int]]] = {t.name: [] for t in targets}
    cpu: dict[str, float] = dict.fromkeys(per_round, 0.0)
    errors: dict[str, int] = dict.fromkeys(per_round, 0)
    async with contextlib.AsyncExitStack() as stack:
        clients = {t.name: await stack.enter_async_context(mcp_client(t.server.url, t.token(pool[0]))) for t in targets}
        warm = sample(cfg["warmup"])
        for t in targets:
            await timed_calls(clients[t.name], t, warm)
        for r in range(cfg["rounds"]):
            seq = sample(cfg["calls"])
            order = targets[r % len(targets) :] + targets[: r % len(targets)]
            for t in order:
                c0 = t.server.cpu_seconds() or 0.0
                ns, err = await timed_calls(clients[t.name], t, seq)
                cpu[t.name] += (t.server.cpu_seconds() or 0.0) - c0
                per_round[t.name].append(ns)
                errors[t.name] += err
    out: dict[str, Any] = {"rounds": cfg["rounds"], "calls_per_round": cfg["calls"], "warmup": cfg["warmup"]}
    for name, rounds in per_round.items():
        pooled = [x for r in rounds for x in r]
        out[name] = summarize(pooled) | {
            "round_p50_us": [pct(r, 50) / 1e3 for r in rounds],
            "round_p99_us": [pct(r, 99) / 1e3 for r in rounds],
            "errors": errors[name],
            "server_cpu_us_per_call": cpu[name] / len(pooled) * 1e6,
        }
    return out


async def concurrent_once(t: Target, users: list[list[str]], warmup: int) -> dict[str, Any]:
    """len(users) clients, each its own session, all released together; users[i] = client i's calls."""
    async with contextlib.AsyncExitStack() as stack:
        clients = [
            await stack.enter_async_context(mcp_client(t.server.url, t.token(seq[0] if seq else "u"))) for seq in users
        ]
        await asyncio.gather(*(timed_calls(c, t, seq[:warmup]) for c, seq in zip(clients, users, strict=True)))
        cpu0, proc0 = t.server.cpu_seconds() or 0.0, time.process_time()
        t0 = time.perf_counter()
        results = await asyncio.gather(*(timed_calls(c, t, seq) for c, seq in zip(clients, users, strict=True)))
        wall = time.perf_counter() - t0
        cpu = (t.server.cpu_seconds() or 0.0) - cpu0
        client_cpu = time.process_time() - proc0
    ns = [x for r, _ in results for x in r]
    return {
        "calls": len(ns),
        "wall_s": wall,
        "calls_per_s": len(ns) / wall,
        "p50_us": pct(ns, 50) / 1e3,
        "p99_us": pct(ns, 99) / 1e3,
        "errors": sum(e for _, e in results),
        "server_cpu_us_per_call": cpu / len(ns) * 1e6,
        "server_cpu_share": cpu / wall,
        "client_cpu_us_per_call": client_cpu / len(ns) * 1e6,
        "client_cpu_share": client_cpu / wall,
        "ns": ns,
    }


async def concurrency(targets: list[Target], pool: list[str], cfg: dict[str, int], seed: int) -> dict[str, Any]:
    """``clients`` concurrent sessions x ``conc_calls`` calls, ``conc_rounds`` interleaved rounds."""
    rng = np.random.default_rng(seed)
    k, n = cfg["clients"], cfg["conc_calls"]
    per_round: dict[str, list[dict[str, Any]]] = {t.name: [] for t in targets}
    for r in range(cfg["conc_rounds"]):
        seqs = [[pool[i] for i in rng.integers(0, len(pool), size=n)] for _ in range(k)]
        order = targets[r % len(targets) :] + targets[: r % len(targets)]
        for t in order:
            per_round[t.name].append(await concurrent_once(t, seqs, cfg["conc_warmup"]))
    out: dict[str, Any] = {"clients": k, "calls_per_client": n, "rounds": cfg["conc_rounds"]}
    for name, rounds in per_round.items():
        pooled = [x for r in rounds for x in r.pop("ns")]
        out[name] = {
            "calls_per_s_median": statistics.median(r["calls_per_s"] for r in rounds),
            "calls_per_s_rounds": [r["calls_per_s"] for r in rounds],
            "p50_us": pct(pooled, 50) / 1e3,
            "p99_us": pct(pooled, 99) / 1e3,
            "errors": sum(r["errors"] for r in rounds),
            "server_cpu_us_per_call": statistics.median(r["server_cpu_us_per_call"] for r in rounds),
            "server_cpu_share": statistics.median(r["server_cpu_share"] for r in rounds),
            "client_cpu_us_per_call": statistics.median(r["client_cpu_us_per_call"] for r in rounds),
            "client_cpu_share": statistics.median(r["client_cpu_share"] for r in rounds),
            "rounds": rounds,
        }
    return out


async def payload_bytes(targets: list[Target], user: str) -> dict[str, Any]:
    """tools/list and one 1x10 read: HTTP body bytes (plain JSON-RPC), result text bytes, and the SDK's
    ListToolsResult JSON (what a client keeps of the tool list)."""
    out: dict[str, Any] = {}
    for t in targets:
        raw = await raw_exchange(
            t.server.url,
            t.token(user),
            [("tools/list", {}), ("tools/call", {"name": t.tool, "arguments": t.args(user)})],
        )
        tl, call = raw
        tools = tl["message"].get("result", {}).get("tools", [])
        content = call["message"].get("result", {}).get("content") or [{}]
        async with mcp_client(t.server.url, t.token(user)) as c:
            listed = await c.session.list_tools()
        out[t.name] = {
            "tools": [x.get("name") for x in tools],
            "tools_list_body_bytes": tl["body_bytes"],
            "tools_list_result_json_bytes": len(listed.model_dump_json(by_alias=True, exclude_none=True)),
            "tools_list_content_type": tl["content_type"],
            "call_body_bytes": call["body_bytes"],
            "call_result_text_bytes": len(str(content[0].get("text", "")).encode()),
            "call_status": call["status"],
            "call_is_error": call["message"].get("result", {}).get("isError"),
        }
    return out


async def correctness(targets: dict[str, Target], table: Any, i: int) -> dict[str, Any]:
    """agentkit's and Feast's answers for one user against the source row; agentkit refuses another
    user's key and a tool outside the agent's list; search_catalog answers."""
    key = table.column("user_id")[i].as_py()
    other = table.column("user_id")[i + 1].as_py()
    want = {f: table.column(f)[i].as_py() for f in FEATURES}
    out: dict[str, Any] = {"key": key}
    ak = targets["agentkit"]
    async with mcp_client(ak.server.url, ak.token(key)) as c:
        res = await c.session.call_tool("get_features", ak.args(key))
        rows = json.loads(res.content[0].text)["rows"]  # type: ignore[union-attr]
        got = rows[0]["values"] if rows else {}
        out["agentkit_matches_source"] = len(rows) == 1 and all(
            same(got.get(f"{VIEW}.{f}"), w) for f, w in want.items()
        )
        out["agentkit_other_key_refused"] = (await c.session.call_tool("get_features", ak.args(other))).isError
        out["agentkit_unlisted_tool_refused"] = (await c.session.call_tool("delete_everything", {})).isError
        found = await c.session.call_tool("search_catalog", {"intent": "how much did the user spend", "k": 3})
        out["agentkit_search_catalog_ok"] = not found.isError
        out["agentkit_search_catalog_top"] = [h["feature"] for h in json.loads(found.content[0].text)][:3]  # type: ignore[union-attr]
    if "feast_mcp" in targets:
        fe = targets["feast_mcp"]
        async with mcp_client(fe.server.url, None) as c:
            res = await c.session.call_tool(fe.tool, fe.args(key))
            body = json.loads(res.content[0].text)  # type: ignore[union-attr]
        names = body.get("metadata", {}).get("feature_names", [])
        values = {n: r.get("values", [None])[0] for n, r in zip(names, body.get("results", []), strict=False)}
        out["feast_matches_source"] = all(same(values.get(f), w) for f, w in want.items())
    return out


async def profile_agentkit(server: ServerProc, target: Target, pool: list[str], calls: int) -> dict[str, Any]:
    """cProfile in the agentkit server around ``calls`` sequential calls (after a warm-up)."""
    import httpx

    users = [pool[i] for i in np.random.default_rng(99).integers(0, len(pool), size=calls + 50)]
    async with mcp_client(server.url, target.token(users[0])) as c, httpx.AsyncClient() as http:
        await timed_calls(c, target, users[:50])
        (await http.post(f"{server.url}/_bench/profile/start")).raise_for_status()
        ns, errors = await timed_calls(c, target, users[50:])
        stopped = await http.post(f"{server.url}/_bench/profile/stop")
        stopped.raise_for_status()
    stats_path = Path(server.cmd[server.cmd.index("--profile") + 1])
    gc_report = stopped.json()["gc"]
    gc_report["ms_per_request"] = sum(gc_report["ms_by_generation"]) / calls
    out = {"client_p50_us_under_profile": pct(ns, 50) / 1e3, "errors": errors, "gc_during_profile": gc_report}
    return out | profile_report(stats_path, calls)


def inprocess_parts(project: Project, tokens: Tokens, pool: list[str], calls: int) -> dict[str, Any]:
    """The agentkit-specific parts of a get_features request, timed in this process (no profiler):
    token verify (PyJWT), Project.get_features (policy + scope + read + audit), the JSON payload."""
    from agentkit.server.tools import rows_payload

    svc = TokenService(project.config)
    settings = project.config.server
    users = [pool[i] for i in np.random.default_rng(5).integers(0, len(pool), size=calls)]
    toks = [tokens(u) for u in users]
    clock = time.perf_counter_ns
    parts: dict[str, list[int]] = {"token_verify": [], "project_get_features": [], "rows_payload_json": []}
    for _ in range(2):  # first pass warms up, second is kept
        for v in parts.values():
            v.clear()
        for u, tok in zip(users, toks, strict=True):
            t0 = clock()
            claims = svc.verify(tok)
            t1 = clock()
            rows = project.get_features(claims.principal, REFS, entity_key=u, surface="mcp")
            t2 = clock()
            rows_payload(rows, max_rows=settings.max_result_rows, max_bytes=settings.max_result_bytes)
            t3 = clock()
            parts["token_verify"].append(t1 - t0)
            parts["project_get_features"].append(t2 - t1)
            parts["rows_payload_json"].append(t3 - t2)
    out = {name: summarize(ns) for name, ns in parts.items()}
    out["sum_p50_us"] = sum(v["p50_us"] for v in out.values())
    meta_ns = []
    for _ in range(min(calls, 1000)):  # what the SDK's stateless path does per request (both servers)
        t0 = clock()
        md.version("mcp")
        meta_ns.append(clock() - t0)
    out["sdk_importlib_metadata_version_mcp"] = summarize(meta_ns)
    full: list[float] = []
    for _ in range(3):  # a full (generation 2) collection in this process, which holds the same project
        t0 = time.perf_counter()
        gc.collect()
        full.append((time.perf_counter() - t0) * 1e3)
    out["gc_full_collect_ms_this_process"] = {"median": statistics.median(full), "tracked": len(gc.get_objects())}
    principal = Principal(agent=AGENT, subject=users[0])
    out["check_principal_roundtrip"] = svc.verify(toks[0]).principal == principal
    return out


# --- report ---------------------------------------------------------------------------------------------


def targets_table(res: dict[str, Any]) -> list[dict[str, Any]]:
    seq, conc = res["sequential"], res["concurrent"]
    checks: list[tuple[str, float | None, float, int]] = [
        ("agentkit p50 / floor p50 <= 1.5x", seq.get("agentkit_over_floor"), TARGETS["over_floor_max"], -1),
        ("Feast-MCP p50 / agentkit p50 >= 3x", seq.get("feast_over_agentkit"), TARGETS["feast_over_min"], 1),
        (
            "8-client calls/s agentkit / floor >= 70%",
            conc.get("agentkit_throughput_share"),
            TARGETS["throughput_share_min"],
            1,
        ),
    ]
    return [
        {
            "target": name,
            "value": v,
            "limit": limit,
            "pass": v is not None and (v >= limit if sign > 0 else v <= limit),
            **({"why_missing": res["feast"].get("skipped")} if v is None and "Feast" in name else {}),
        }
        for name, v, limit, sign in checks
    ]


def print_table(res: dict[str, Any]) -> None:
    seq, conc, size = res["sequential"], res["concurrent"], res["bytes"]
    names = [n for n in TARGET_LABELS if n in seq]
    print(f"\n=== MCP tool call, 1 key x 10 features, n={res['meta']['n']} users, official mcp client ===")
    print(
        f"sequential, 1 session each ({seq['rounds']} rounds x {seq['calls_per_round']} calls, interleaved)\n"
        f"{'':<32}{'p50 ms':>8}{'p90 ms':>8}{'p99 ms':>8}{'/floor':>8}{'/f+auth':>8}{'srv CPU us':>11}{'err':>5}"
    )
    for n in names:
        s = seq[n]
        print(
            f"  {TARGET_LABELS[n]:<30}{s['p50_us'] / 1e3:>8.3f}{s['p90_us'] / 1e3:>8.3f}{s['p99_us'] / 1e3:>8.3f}"
            f"{s['over_floor']:>7.2f}x{s['over_floor_auth']:>7.2f}x{s['server_cpu_us_per_call']:>11.0f}{s['errors']:>5}"
        )
    print(
        f"\n{conc['clients']} concurrent clients x {conc['calls_per_client']} calls ({conc['rounds']} rounds)\n"
        f"{'':<32}{'calls/s':>9}{'p50 ms':>8}{'p99 ms':>8}{'/floor':>8}{'srv CPU':>9}{'cli CPU':>9}{'err':>5}"
    )
    for n in names:
        c = conc[n]
        print(
            f"  {TARGET_LABELS[n]:<30}{c['calls_per_s_median']:>9.0f}{c['p50_us'] / 1e3:>8.2f}{c['p99_us'] / 1e3:>8.2f}"
            f"{c['share_of_floor']:>7.0%} {c['server_cpu_share']:>8.0%}{c['client_cpu_share']:>9.0%}{c['errors']:>5}"
        )
    print("  (srv/cli CPU: busy share of one core, server process tree / this client process)")
    print(
        f"\nbytes{'':<27}{'tools':>6}{'tools/list body':>17}{'(SDK JSON)':>12}{'1x10 call body':>16}{'result text':>13}"
    )
    for n in [n for n in TARGET_LABELS if n in size]:
        b = size[n]
        print(
            f"  {TARGET_LABELS[n]:<30}{len(b['tools']):>6}{b['tools_list_body_bytes']:>17,}"
            f"{b['tools_list_result_json_bytes']:>12,}{b['call_body_bytes']:>16,}{b['call_result_text_bytes']:>13,}"
        )
    parts = res.get("inprocess_parts")
    if parts:
        print("\nagentkit-specific work per request, in-process, no profiler (p50 us):")
        for k in ("token_verify", "project_get_features", "rows_payload_json"):
            print(f"  {k:<28}{parts[k]['p50_us']:>8.1f}")
        floor_auth_cpu = seq.get("floor_auth", {}).get("server_cpu_us_per_call", 0.0)
        print(
            f"  {'sum':<28}{parts['sum_p50_us']:>8.1f}   (server CPU/call agentkit - floor+auth: "
            f"{seq['agentkit']['server_cpu_us_per_call'] - floor_auth_cpu:.0f} us)"
        )
        meta = parts["sdk_importlib_metadata_version_mcp"]["p50_us"]
        print(f"  SDK, every stateless request (floor too): importlib.metadata.version('mcp') {meta:.1f} us")
    prof = res.get("profile")
    if prof:
        print(
            f"\ncProfile of the agentkit server, {prof['requests']} sequential get_features requests "
            f"(inflated; per request):"
        )
        for label, row in prof["request_path_cum"].items():
            print(f"  cum {row['cum_us_per_request']:>8.1f} us  x{row['calls_per_request']:.2f}  {label}")
        g = prof["gc_during_profile"]
        print(
            f"  cyclic GC during it: runs by generation {g['runs_by_generation']}, "
            f"ms {[round(x, 1) for x in g['ms_by_generation']]}"
            f" ({g['ms_per_request'] * 1e3:.0f} us/request), {g['tracked_objects']:,} tracked objects"
        )
        print("  top self time:")
        for row in prof["top_self"][:12]:
            print(f"  self {row['self_us_per_request']:>7.1f} us  x{row['calls_per_request']:.2f}  {row['function']}")
    if "skipped" in res["feast"]:
        print(f"\nFeast-MCP not run: {res['feast']['skipped']}")
    print(f"\ncorrectness: {res['check']}")
    print("\ntargets:")
    for t in res["targets"]:
        v = t["value"]
        shown = "n/a" if v is None else f"{v:.3f}"
        print(f"  [{'PASS' if t['pass'] else 'FAIL'}] {t['target']:<42} {shown}")


# --- main -----------------------------------------------------------------------------------------------


def start_servers(tmp: Path, root: Path, feast_repo: Path | None, what_if: bool) -> dict[str, ServerProc]:
    py = sys.executable
    procs: dict[str, ServerProc] = {}
    specs: list[tuple[str, list[str]]] = [
        ("agentkit", ["agentkit", "--config", str(root / "agentkit.toml")]),
        ("floor", ["floor"]),
        ("floor_auth", ["floor_auth", "--token", FLOOR_TOKEN]),
        ("agentkit_profiled", ["agentkit", "--config", str(root / "agentkit.toml"), "--profile", str(tmp / "ak.prof")]),
    ]
    if what_if:
        specs.append(("agentkit_pinned", ["agentkit", "--config", str(root / "agentkit.toml"), "--pin-server-version"]))
    for name, args in specs:
        port = free_port()
        procs[name] = ServerProc(name, [py, str(SERVERS), *args, "--port", str(port)], port, tmp / f"{name}.log")
    if feast_repo is not None:
        port = free_port()
        procs["feast_mcp"] = ServerProc(
            "feast_mcp",
            serve_command(port),
            port,
            tmp / "feast_mcp.log",
            cwd=feast_repo,
            env=serve_env(),
            health_path="/health",
        )
    for p in procs.values():
        p.start()
    return procs


async def measure(
    procs: dict[str, ServerProc], tokens: Tokens, pool: list[str], table: Any, cfg: dict[str, int]
) -> dict[str, Any]:
    floor_args: Callable[[str], dict[str, Any]] = lambda u: {"user_id": u}  # noqa: E731
    targets: dict[str, Target] = {
        "agentkit": Target(
            "agentkit", procs["agentkit"], "get_features", lambda u: {"features": REFS, "entity_key": u}, tokens
        ),
        "floor": Target("floor", procs["floor"], "get_user_features", floor_args, lambda u: "-"),
        "floor_auth": Target("floor_auth", procs["floor_auth"], "get_user_features", floor_args, lambda u: FLOOR_TOKEN),
    }
    if "agentkit_pinned" in procs:
        ak = targets["agentkit"]
        targets["agentkit_pinned"] = Target("agentkit_pinned", procs["agentkit_pinned"], ak.tool, ak.args, tokens)
    res: dict[str, Any] = {}
    if "feast_mcp" in procs:
        async with mcp_client(procs["feast_mcp"].url, None) as c:
            names = [t.name for t in (await c.session.list_tools()).tools]
        tool = next(n for n in names if n.startswith(TOOL_PREFIX))
        frefs = [f"{VIEW}:{f}" for f in FEATURES]
        targets["feast_mcp"] = Target(
            "feast_mcp",
            procs["feast_mcp"],
            tool,
            lambda u: {"features": frefs, "entities": {"user_id": [u]}},
            lambda u: "-",
        )
        res["feast_tool"] = tool
    res["check"] = await correctness(targets, table, 42)
    res["bytes"] = await payload_bytes(list(targets.values()), pool[42])
    print("sequential rounds...", flush=True)
    seq = await sequential(list(targets.values()), pool, cfg, seed=7)
    for name in targets:
        seq[name]["over_floor"] = median_ratio(seq[name]["round_p50_us"], seq["floor"]["round_p50_us"])
        seq[name]["over_floor_auth"] = median_ratio(seq[name]["round_p50_us"], seq["floor_auth"]["round_p50_us"])
    seq["agentkit_over_floor"] = seq["agentkit"]["over_floor"]
    seq["agentkit_over_floor_auth"] = seq["agentkit"]["over_floor_auth"]
    seq["floor_auth_over_floor"] = seq["floor_auth"]["over_floor"]
    if "feast_mcp" in targets:
        seq["feast_over_agentkit"] = median_ratio(seq["feast_mcp"]["round_p50_us"], seq["agentkit"]["round_p50_us"])
        seq["feast_over_floor"] = seq["feast_mcp"]["over_floor"]
    res["sequential"] = seq
    print(f"{cfg['clients']} concurrent clients...", flush=True)
    conc = await concurrency(list(targets.values()), pool, cfg, seed=8)
    floor_rounds = conc["floor"]["calls_per_s_rounds"]
    for name in targets:
        conc[name]["share_of_floor"] = median_ratio(conc[name]["calls_per_s_rounds"], floor_rounds)
    conc["agentkit_throughput_share"] = conc["agentkit"]["share_of_floor"]
    conc["agentkit_throughput_share_of_floor_auth"] = median_ratio(
        conc["agentkit"]["calls_per_s_rounds"], conc["floor_auth"]["calls_per_s_rounds"]
    )
    res["concurrent"] = conc
    if cfg["profile_calls"]:
        print("cProfile of the agentkit server...", flush=True)
        profiled = Target(
            "agentkit_profiled", procs["agentkit_profiled"], "get_features", targets["agentkit"].args, tokens
        )
        res["profile"] = await profile_agentkit(procs["agentkit_profiled"], profiled, pool, cfg["profile_calls"])
    return res


def versions() -> dict[str, str]:
    out = {}
    for pkg in ("mcp", "uvicorn", "starlette", "httpx", "pydantic", "pyjwt", "uvloop", "httptools"):
        try:
            out[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            out[pkg] = "not installed"
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description="agentkit MCP server vs the MCP floor and Feast-MCP (see the docstring)")
    ap.add_argument("--n", type=int, default=None, help="users (default 100000; 10000 with --quick)")
    ap.add_argument("--quick", action="store_true", help="smoke run: n=10000, fewer calls (< 90 s)")
    ap.add_argument("--no-feast", action="store_true", help="skip Feast's MCP server")
    ap.add_argument("--out", type=Path, default=None, help="default bench/results/mcp[_quick].json")
    ap.add_argument(
        "--what-if",
        action="store_true",
        help="add agentkit with serverInfo.version pinned (no per-request metadata read)",
    )
    ap.add_argument("--keep-profile", type=Path, default=None, help="copy the server's cProfile stats here")
    args = ap.parse_args()
    n = args.n or (10_000 if args.quick else 100_000)
    out_path: Path = args.out or HERE / "results" / ("mcp_quick.json" if args.quick else "mcp.json")
    cfg = {"calls": 1000, "rounds": 5, "warmup": 100, "clients": 8, "conc_calls": 250, "conc_rounds": 3}
    cfg |= {"conc_warmup": 10, "profile_calls": 2000, "inproc_calls": 5000}
    if args.quick:
        cfg |= {"calls": 150, "rounds": 3, "warmup": 30, "conc_calls": 40, "conc_rounds": 2, "conc_warmup": 5}
        cfg |= {"profile_calls": 300, "inproc_calls": 1000}
    res: dict[str, Any] = {
        "meta": {
            "n": n,
            "quick": args.quick,
            "config": cfg,
            "python": sys.version.split()[0],
            "machine": platform.platform(),
            "cpus": os.cpu_count(),
            "loadavg_start": os.getloadavg(),
            "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "versions_client_and_agentkit_servers": versions(),
        },
        "feast": {},
    }
    t_start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench_mcp_") as tmp_s:
        tmp = Path(tmp_s)
        (root := tmp / "project").mkdir()
        project, table = build_project(root, n)
        pool = user_ids(n)
        feast_repo: Path | None = None
        why = "--no-feast" if args.no_feast else missing_reason()
        if why is None:
            try:
                with open(tmp / "feast_setup.log", "w") as log:
                    res["feast"]["materialize_s"] = prepare_repo(
                        write_parquet(table, tmp / "data" / "users.parquet"), tmp / "feast_repo", stderr=log
                    )
                feast_repo = tmp / "feast_repo"
                res["feast"]["venv"] = str(feast_mcp_venv())
                res["feast"]["versions"] = feast_versions()
            except Exception as exc:  # report why, run the rest
                why = f"Feast repo set-up failed: {type(exc).__name__}: {exc}"
        if why is not None:
            res["feast"]["skipped"] = why
            print(f"Feast-MCP skipped: {why}", flush=True)
        tokens = Tokens(project)
        procs = start_servers(tmp, root, feast_repo, args.what_if)
        try:
            for name, p in procs.items():
                try:
                    res["meta"][f"ready_s_{name}"] = p.wait_ready()
                except RuntimeError as exc:
                    if name != "feast_mcp":
                        raise
                    res["feast"]["skipped"] = f"feast serve did not start: {exc}"
                    p.stop()
            if "skipped" in res["feast"]:
                procs.pop("feast_mcp", None)
            res["meta"]["setup_s"] = time.perf_counter() - t_start
            print(f"set-up {res['meta']['setup_s']:.1f}s; servers ready", flush=True)
            res |= asyncio.run(measure(procs, tokens, pool, table, cfg))
        finally:
            for name, p in procs.items():
                rc = p.stop()
                res["meta"][f"exit_{name}"] = rc
        if args.keep_profile is not None and (tmp / "ak.prof").exists():
            shutil.copyfile(tmp / "ak.prof", args.keep_profile)
        print("in-process parts of the agentkit path...", flush=True)
        res["inprocess_parts"] = inprocess_parts(project, tokens, pool, cfg["inproc_calls"])
        project.close()
    res["targets"] = targets_table(res)
    res["meta"]["loadavg_end"] = os.getloadavg()
    res["meta"]["total_s"] = time.perf_counter() - t_start
    write_result(out_path, res)
    print_table(res)
    print(f"\nwrote {out_path} ({res['meta']['total_s']:.0f} s)")


if __name__ == "__main__":
    main()

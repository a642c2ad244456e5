"""Server capacity benchmark (issue 11): ``agentkit serve`` vs the bare MCP floor under ``wrk``, in ONE run.

Usage: ``.venv/bin/python bench/bench_capacity.py [--quick] [--duration S] [--no-redis] [--embedder E]``
(full run, 5 s per wrk run: about 4-5 min on 2 vCPUs; ``--quick``, 2 s per run: about 3 min, most of
it set-up). Needs ``wrk`` on PATH (Debian: ``apt-get install -y wrk``); without it the script stops at
once and says so.

Servers (subprocesses, 127.0.0.1 on free ports, ready when ``/readyz`` (agentkit) or ``/healthz`` (floor)
answers below 500, stopped by their own process group):
- ``floor``: the bare FastMCP stateless server (JSON responses, no auth) with one trivial tool
  returning a constant 10-feature row (``bench/mcp_servers.py floor --pin-server-version``: its
  server version set once, as agentkit sets its own, else the SDK reads its package metadata on
  every request and the floor is artificially slow).
- ``agentkit``: ``agentkit -c PROJECT serve --port P [--workers 2]``, the real command, over a project
  built in a temporary directory with the agentkit API: n users (default 20,000) x 10 features, entity
  ``user`` scoped to the token's subject, agent ``bench_bot`` (get_features, search_catalog,
  search_help_center), the example's help center indexed, tokens signed with the project's HS256 dev
  key. Local online store, and Redis (``redis://127.0.0.1:6379/15``, a unique key prefix, every key
  deleted afterwards).

Load: ``wrk`` with ``bench/capacity.lua``: every request a JSON-RPC ``tools/call`` POST to ``/mcp``
(``Accept: application/json, text/event-stream``) with another user's ``Authorization: Bearer`` token,
rotating over ``--tokens`` (>= 10,000) users taken from one seeded sequence and written to a file the
script loads at init; each wrk thread walks them in its own seeded order. agentkit gets
``get_features(10 refs)`` with no key: the server verifies the token and reads that user's own row
live; the floor gets ``get_user_features(user_id)``. The script counts non-200 answers and tool
errors; for every agentkit server a Python client checks 500 answers (200 with --quick), sent while
wrk drives the same server with 32 connections, for the right user: the row's key is the token's
subject; and 20 reads naming another user's key must be refused.

Runs (wrk -t2 -c N -d D --latency; -t1 at N = 1): N in 1, 8, 32, 128 with one worker: floor, agentkit
local, agentkit Redis (order rotated per level); then 32 connections with one and with two workers
(``--workers 2``), local and Redis; then the scenario: agentkit ``get_features`` (8 connections)
alone, with one more client (wrk -t1 -c1) posting ``search_help_center`` with a ~1,500-character query
back to back (every query distinct, so the embedding cache does not answer it), and alone again.
Each run records wrk's own CPU (``os.wait4`` rusage of the wrk process: /proc utime+stime, all
threads) and the server's (its process tree, from /proc). A run is flagged ``generator_limited`` when
wrk kept >= 90 % of its threads' cores busy, and ``cores_saturated`` when wrk + server used >= 90 % of
the machine's cores (then the generator takes CPU from the server: the result is a lower bound), and
``noisy`` when other processes (from /proc/stat, minus wrk and the server) used >= 0.25 cores.

Goals (reported PASS/FAIL, never asserted): agentkit >= 70 % of the floor's req/s at every level with
one worker; p99(128)/p99(1) of agentkit <= 1.25 x the floor's same ratio; at 32 connections two
workers >= 1.3 x one worker; with the searching client, get_features keeps >= 50 % of its req/s alone.

Writes ``bench/results/capacity.json`` (``capacity_quick.json`` with --quick) through ``provenance.py``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "peers"))
sys.path.insert(0, str(HERE))
from data import make_user_features, user_ids  # noqa: E402  # pyright: ignore[reportMissingImports]
from mcp_lib import ACCEPT, WRK_MISSING, ServerProc, WrkRun, free_port, machine_busy_seconds, wrk_version  # noqa: E402  # pyright: ignore[reportMissingImports]
from provenance import write_result  # noqa: E402  # pyright: ignore[reportMissingImports]
from serving_lib import AGENT, AGENTKIT_BIN, REDIS_URL, REFS, VIEW, write_project  # noqa: E402  # pyright: ignore[reportMissingImports]

import agentkit  # noqa: E402
from agentkit import Project, TokenService, load_documents  # noqa: E402

SERVERS = HERE / "mcp_servers.py"
NOISY_CORES = 0.25  # other processes busier than this during a run: the machine was not quiet
HELP_CENTER = Path(agentkit.__file__).resolve().parent / "examples" / "support_bot" / "help_center"
GOALS = {"share_of_floor_min": 0.70, "p99_growth_over_floor_max": 1.25, "two_workers_min": 1.3, "kept_min": 0.50}
POLICY = f"""
[policy]
default_roles = ["customer"]

[roles.customer]
views = ["{VIEW}"]

[agents.{AGENT}]
tools = ["get_features", "search_catalog", "search_help_center"]
views = ["{VIEW}"]
"""
SEARCH_TEXT = (
    "Hello, this is about my order from last night. The courier marked it as delivered but it never "
    "arrived at my door, and the tracking map showed the courier waiting at the wrong address for "
    "twenty minutes before leaving. When I called, nobody answered, and the restaurant said the food "
    "had already left. I was charged the full amount including the delivery fee and the tip. I would "
    "like to know whether I can get a refund to my card or only store credit, how long a refund takes, "
    "and whether the cancellation policy applies when the order was already on its way. Also, one of "
    "the items contained nuts although I had set an allergy note on my account, so I want to know how "
    "allergy and dietary information is handled and how to report a safety problem with a restaurant. "
)


def call_body(tool: str, arguments: dict[str, Any]) -> str:
    return json.dumps(
        {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": tool, "arguments": arguments}},
        separators=(",", ":"),
    )


def search_query(chars: int = 1500) -> str:
    """A long help-center question, ``@USER@`` first (so every user's query differs), ~``chars`` long."""
    text = "(customer @USER@) "
    while len(text) < chars:
        text += SEARCH_TEXT
    return text[:chars].rsplit(" ", 1)[0]


BODIES = {
    "agentkit": call_body("get_features", {"features": REFS}),  # no key: the caller's own row
    "floor": call_body("get_user_features", {"user_id": "@USER@"}),
    "search": call_body("search_help_center", {"query": search_query(), "k": 5}),
}


# --- set-up ------------------------------------------------------------------------------------------


def build_project(root: Path, n: int, embedder: str) -> dict[str, Any]:
    """features.py and the two project files (local store; Redis under a unique prefix), applied,
    ingested, materialized into the local store, and the example's help center indexed."""
    t0 = time.perf_counter()
    table: Any = make_user_features(n)
    write_project(root, table.schema)
    base = f'[project]\nname = "bench-capacity"\ndefinitions = "features.py"\n\n[retrieval]\nembedder = "{embedder}"\n'
    prefix = f"akcap_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    redis = f'\n[online]\nstore = "{REDIS_URL}"\nkey_prefix = "{prefix}"\n'
    (root / "agentkit.toml").write_text(base + POLICY)
    (root / "agentkit-redis.toml").write_text(base + redis + POLICY)
    project = Project.load(root / "agentkit.toml")
    try:
        project.apply()
        project.ingest(VIEW, table.drop_columns(["created"]))
        project.materialize(full=True)
        stats = project.docs.build(load_documents(HELP_CENTER).documents)
        project.save_docs()
    finally:
        project.close()
    return {"users": n, "embedder": embedder, "redis_prefix": prefix, "docs": str(stats), "s": time.perf_counter() - t0}


def materialize_redis(root: Path) -> Project | str:
    """The Redis project, materialized; or why it was skipped."""
    try:
        import redis

        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except Exception as exc:  # report, run the rest
        return f"Redis at {REDIS_URL} not reachable: {type(exc).__name__}: {exc}"
    project = Project.load(root / "agentkit-redis.toml")
    project.materialize(full=True)
    return project


def redis_keys_left(prefix: str) -> int:
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        return sum(1 for _ in client.scan_iter(match=f"{prefix}*", count=1000))
    finally:
        client.close()


def write_tokens(root: Path, path: Path, n: int, count: int, seed: int) -> list[tuple[str, str]]:
    """``count`` distinct users from one seeded permutation, one ``user<TAB>token`` line each."""
    project = Project.load(root / "agentkit.toml")
    try:
        svc = TokenService(project.config)
        pool: list[str] = user_ids(n)
        order: list[int] = np.random.default_rng(seed).permutation(n)[:count].tolist()
        ttl = timedelta(minutes=30)  # the whole benchmark takes ~5 min
        lines = [(pool[i], svc.issue(agent=AGENT, subject=pool[i], ttl=ttl)) for i in order]
    finally:
        project.close()
    path.write_text("".join(f"{u}\t{t}\n" for u, t in lines))
    return lines


def agentkit_proc(tmp: Path, root: Path, name: str, config: str, workers: int) -> ServerProc:
    port = free_port()
    cmd = [str(AGENTKIT_BIN), "-c", str(root / config), "serve", "--port", str(port)]
    if workers > 1:
        cmd += ["--workers", str(workers)]
    # Ready when /readyz says so (embedder and catalog warm); a server without that route answers 404: up.
    return ServerProc(name, cmd, port, tmp / f"{name}.log", cwd=root, health_path="/readyz")


def floor_proc(tmp: Path) -> ServerProc:
    port = free_port()
    cmd = [sys.executable, str(SERVERS), "floor", "--port", str(port), "--pin-server-version"]
    return ServerProc("floor", cmd, port, tmp / "floor.log")


def start_all(procs: list[ServerProc], meta: dict[str, Any]) -> None:
    for p in procs:
        p.start()
    for p in procs:
        meta[f"ready_s_{p.name}"] = p.wait_ready(timeout_s=300.0)  # warm-up loads the embedder: slow on a busy box


# --- runs ------------------------------------------------------------------------------------------


class Runner:
    """wrk runs against the servers, each with the server's CPU over the run and the saturation flags."""

    def __init__(self, tmp: Path, tokens: Path, seed: int) -> None:
        self.tmp = tmp
        self.tokens = tokens
        self.seed = seed
        self.bodies: dict[str, Path] = {}
        for name, body in BODIES.items():
            self.bodies[name] = tmp / f"body_{name}.json"
            self.bodies[name].write_text(body)
        self.count = 0

    def wrk(self, server: ServerProc, body: str, connections: int, duration_s: int, threads: int = 2) -> WrkRun:
        self.count += 1
        log = self.tmp / f"wrk_{self.count:03d}_{server.name}_{connections}.log"
        return WrkRun(
            server.url, connections, duration_s, self.tokens, self.bodies[body], self.seed, log, threads=threads
        )

    def run(self, server: ServerProc, body: str, connections: int, duration_s: int) -> dict[str, Any]:
        cpu = Cpu(server)
        res = self.wrk(server, body, connections, duration_s).start().finish()
        return cpu.annotate(res)


class Cpu:
    """CPU used over a run: the server's process tree, and the machine's (to tell what others used)."""

    def __init__(self, server: ServerProc) -> None:
        self.server = server
        self.server0 = server.cpu_seconds() or 0.0
        self.machine0 = machine_busy_seconds()

    def annotate(self, res: dict[str, Any], *, wrk_cpu_s: float | None = None) -> dict[str, Any]:
        """Add busy cores of the server, wrk and everything else, and the flags; ``wrk_cpu_s``: all wrk
        processes of the run when several ran at once."""
        server_s = (self.server.cpu_seconds() or 0.0) - self.server0
        machine_s = machine_busy_seconds() - self.machine0
        wrk_s = res["wrk_cpu_s"] if wrk_cpu_s is None else wrk_cpu_s
        wall = res["wrk_wall_s"]
        res["server"] = self.server.name
        res["server_cpu_cores"] = server_s / wall
        res["other_cpu_cores"] = max(0.0, machine_s - server_s - wrk_s) / wall  # other processes: noise
        res["generator_limited"] = res.get("wrk_cpu_cores", 0.0) >= 0.9 * res["wrk_threads"]
        res["cores_saturated"] = (wrk_s + server_s) / wall >= 0.9 * (os.cpu_count() or 1)
        res["noisy"] = res["other_cpu_cores"] >= NOISY_CORES
        return res


async def check_answers(url: str, lines: list[tuple[str, str]], calls: int, seed: int) -> dict[str, Any]:
    """``calls`` own-row reads with seeded users' tokens (8 at a time): 200, no tool error, and every row
    keyed by the token's subject; plus 20 reads naming another user's key, which must be refused."""
    rng = np.random.default_rng(seed)
    picks: list[int] = rng.integers(0, len(lines), size=calls + 20).tolist()
    sem = asyncio.Semaphore(8)
    out = {"calls": calls, "right_user": 0, "wrong_user": 0, "failed": 0, "foreign_refused": 0, "foreign_served": 0}
    examples: list[str] = []

    async def one(http: httpx.AsyncClient, user: str, token: str, foreign: str | None) -> None:
        args: dict[str, Any] = {"features": REFS} | ({"entity_key": foreign} if foreign else {})
        headers = {"Authorization": f"Bearer {token}", "Accept": ACCEPT, "Content-Type": "application/json"}
        async with sem:
            r = await http.post(f"{url}/mcp", content=call_body("get_features", args), headers=headers)
        try:
            result = r.json()["result"]
            text = "{}" if result.get("isError") else result["content"][0]["text"]
            rows: list[dict[str, Any]] = json.loads(text).get("rows", [])
        except (ValueError, KeyError, IndexError, TypeError):
            out["failed"] += 1
            examples.append(f"{user}: HTTP {r.status_code} {r.text[:200]}")
            return
        keys = [row["key"] for row in rows]
        if foreign is not None:
            out["foreign_refused" if result.get("isError") else "foreign_served"] += 1
        elif keys == [user]:
            out["right_user"] += 1
        else:
            out["wrong_user" if rows else "failed"] += 1
            examples.append(f"{user}: keys {keys[:3]}")

    async with httpx.AsyncClient(timeout=60.0) as http:
        jobs = [one(http, *lines[i], None) for i in picks[:calls]]
        jobs += [one(http, *lines[i], lines[(i + 1) % len(lines)][0]) for i in picks[calls:]]  # distinct users
        await asyncio.gather(*jobs)
    out["ok"] = out["right_user"] == calls and out["foreign_refused"] == 20
    return out | {"examples": examples[:5]}


def checked_under_load(
    runner: Runner, server: ServerProc, lines: list[tuple[str, str]], cfg: dict[str, Any]
) -> dict[str, Any]:
    """The Python check while wrk drives the same server with 32 connections."""
    run = runner.wrk(server, "agentkit", 32, cfg["check_s"]).start()
    try:
        time.sleep(0.3)
        check = asyncio.run(check_answers(server.url, lines, cfg["check_calls"], seed=cfg["seed"] + 1))
    finally:
        load = run.finish()
    return check | {"load_req_per_s": load.get("req_per_s"), "load_errors": load.get("errors")}


def levels(runner: Runner, servers: dict[str, ServerProc], cfg: dict[str, Any]) -> dict[str, Any]:
    """Every level, every one-worker server (order rotated per level), the same duration."""
    names = list(servers)
    out: dict[str, Any] = {}
    for i, conns in enumerate(cfg["connections"]):
        order = names[i % len(names) :] + names[: i % len(names)]
        row: dict[str, Any] = {}
        for name in order:
            body = "floor" if name == "floor" else "agentkit"
            row[name] = runner.run(servers[name], body, conns, cfg["duration_s"])
            print(f"  c={conns:<4} {name:<16} {_brief(row[name])}", flush=True)
        for name in names:
            if name != "floor":
                row[name]["share_of_floor"] = _rate(row[name]) / max(_rate(row["floor"]), 1e-9)
        out[str(conns)] = row
    return out


def scenario(runner: Runner, server: ServerProc, cfg: dict[str, Any]) -> dict[str, Any]:
    """get_features alone, with one client searching back to back, alone again (same server, same run)."""
    conns, d = cfg["scenario_connections"], cfg["duration_s"]
    alone = runner.run(server, "agentkit", conns, d)
    print(f"  get_features alone        {_brief(alone)}", flush=True)
    cpu = Cpu(server)
    feats = runner.wrk(server, "agentkit", conns, d).start()
    search = runner.wrk(server, "search", 1, d, threads=1).start()
    with_feats, with_search = feats.finish(), search.finish()
    both = with_feats["wrk_cpu_s"] + with_search["wrk_cpu_s"]
    cpu.annotate(with_feats, wrk_cpu_s=both)
    shared = ("server", "server_cpu_cores", "other_cpu_cores", "cores_saturated", "noisy")
    with_search |= {k: with_feats[k] for k in shared}
    with_search["generator_limited"] = with_search.get("wrk_cpu_cores", 0.0) >= 0.9
    print(f"  get_features + search     {_brief(with_feats)}", flush=True)
    print(f"  the searching client      {_brief(with_search)}", flush=True)
    again = runner.run(server, "agentkit", conns, d)
    print(f"  get_features alone again  {_brief(again)}", flush=True)
    alone_rate = statistics.fmean([_rate(alone), _rate(again)])
    return {
        "connections": conns,
        "search_query_chars": len(search_query()),
        "alone": alone,
        "with_search": with_feats,
        "search_client": with_search,
        "alone_again": again,
        "kept": _rate(with_feats) / max(alone_rate, 1e-9),
        "p50_ms_alone": statistics.fmean([alone.get("p50_ms", float("nan")), again.get("p50_ms", float("nan"))]),
        "p50_ms_with_search": with_feats.get("p50_ms"),
    }


def warm_search(url: str, token: str, calls: int = 3) -> float:
    """First searches load the embedder: done here, before anything is timed."""
    t0 = time.perf_counter()
    headers = {"Authorization": f"Bearer {token}", "Accept": ACCEPT, "Content-Type": "application/json"}
    for i in range(calls):
        body = BODIES["search"].replace("@USER@", f"warm{i}")
        httpx.post(f"{url}/mcp", content=body, headers=headers, timeout=180.0).raise_for_status()
    return time.perf_counter() - t0


def _rate(run: dict[str, Any]) -> float:
    return float(run.get("req_per_s") or 0.0)


def _shown(rate: float) -> str:
    return f"{rate:.0f}" if rate >= 100 else f"{rate:.1f}"


def _brief(run: dict[str, Any]) -> str:
    if "failed" in run:
        return f"FAILED: {run['failed'][:300]}"
    flags = "".join(f" {f.upper()}" for f in ("generator_limited", "cores_saturated", "noisy") if run.get(f))
    return (
        f"{_shown(run['req_per_s']):>8} req/s  p50 {run['p50_ms']:7.2f} ms  p99 {run['p99_ms']:8.2f} ms  "
        f"err {run['errors']}  CPU cores: wrk {run['wrk_cpu_cores']:.2f} server {run['server_cpu_cores']:.2f} "
        f"others {run['other_cpu_cores']:.2f}{flags}"
    )


# --- goals and report ------------------------------------------------------------------------------


def goals(res: dict[str, Any], cfg: dict[str, Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    lv = res["levels"]
    lo, hi = str(min(cfg["connections"])), str(max(cfg["connections"]))
    for store in [s for s in ("local", "redis") if f"agentkit_{s}" in lv[lo]]:
        name = f"agentkit_{store}"
        shares = {c: row[name]["share_of_floor"] for c, row in lv.items()}
        worst = min(shares.values())
        out.append(_goal(f"{store}: req/s >= 70% of the floor's at every level (worst)", worst, "share", shares))
        ak = lv[hi][name].get("p99_ms", float("nan")) / lv[lo][name].get("p99_ms", float("nan"))
        fl = lv[hi]["floor"].get("p99_ms", float("nan")) / lv[lo]["floor"].get("p99_ms", float("nan"))
        out.append(
            _goal(
                f"{store}: p99({hi})/p99({lo}) over the floor's <= 1.25x",
                ak / fl,
                "p99",
                {"agentkit": ak, "floor": fl},
            )
        )
    for store, w in res.get("workers", {}).items():
        out.append(_goal(f"{store}: 2 workers / 1 worker req/s at 32 conns >= 1.3x", w["ratio"], "workers", None))
    if "scenario" in res:
        out.append(_goal("get_features kept with a searching client >= 50%", res["scenario"]["kept"], "kept", None))
    return out


def _goal(name: str, value: float, kind: str, detail: dict[str, float] | None) -> dict[str, Any]:
    limit = {
        "share": GOALS["share_of_floor_min"],
        "p99": GOALS["p99_growth_over_floor_max"],
        "workers": GOALS["two_workers_min"],
        "kept": GOALS["kept_min"],
    }[kind]
    ok = value <= limit if kind == "p99" else value >= limit
    return {"goal": name, "value": value, "limit": limit, "pass": bool(ok and not math.isnan(value))} | (
        {"detail": detail} if detail else {}
    )


def print_table(res: dict[str, Any]) -> None:
    meta = res["meta"]
    print(
        f"\n=== capacity, wrk -t2 (-t1 at 1 connection), {meta['tokens']:,} users' tokens, "
        f"{meta['config']['duration_s']} s per run, one worker ===\n"
        f"{'conns':>6}  {'server':<16}{'req/s':>9}{'/floor':>8}{'p50 ms':>9}{'p99 ms':>9}{'err':>6}"
        f"{'wrk CPU':>9}{'srv CPU':>9}{'others':>8}  flags"
    )
    for conns, row in res["levels"].items():
        for name, run in row.items():
            _row(conns, name, run)
    for store, w in res.get("workers", {}).items():
        print(f"\n32 connections, {store}: one worker vs two (ratio {w['ratio']:.2f}x)")
        _row("32", "1 worker", w["one"])
        _row("32", "2 workers", w["two"])
    sc = res.get("scenario")
    if sc:
        print(
            f"\nscenario: get_features ({sc['connections']} conns) alone vs with one client searching "
            f"({sc['search_query_chars']}-char queries) back to back; kept {sc['kept']:.0%}"
        )
        for label in ("alone", "with_search", "search_client", "alone_again"):
            _row(str(sc[label]["connections"]), label, sc[label])
    check = res.get("check", {})
    for name, c in check.items():
        print(
            f"\ncheck {name}: {c['right_user']}/{c['calls']} answers for the token's own user, {c['wrong_user']} for "
            f"another, {c['failed']} failed; {c['foreign_refused']}/20 foreign keys refused"
        )
    noise = res["noise"]
    limited = noise["generator_limited_runs"]
    print(f"\ngenerator limited the result: {', '.join(limited) if limited else 'in no run'}")
    if noise["noisy_runs"]:
        print(
            f"machine NOT quiet: other processes used >= {NOISY_CORES} cores in {noise['noisy_runs']} of "
            f"{noise['runs']} runs (median {noise['other_cpu_cores_median']:.2f} cores): do not cite these numbers"
        )
    print("\ngoals:")
    for g in res["goals"]:
        print(f"  [{'PASS' if g['pass'] else 'FAIL'}] {g['goal']:<58} {g['value']:.3f}")


def all_runs(res: dict[str, Any]) -> list[dict[str, Any]]:
    runs = [r for row in res["levels"].values() for r in row.values()]
    runs += [w[k] for w in res.get("workers", {}).values() for k in ("one", "two")]
    sc = res.get("scenario", {})
    return runs + [sc[k] for k in ("alone", "with_search", "alone_again") if k in sc]


def _row(conns: str, name: str, run: dict[str, Any]) -> None:
    if "failed" in run:
        print(f"{conns:>6}  {name:<16}FAILED: {run['failed'][:200]}")
        return
    share = f"{run['share_of_floor']:>7.0%}" if "share_of_floor" in run else f"{'':>7}"
    flags = " ".join(f for f in ("generator_limited", "cores_saturated", "noisy") if run.get(f))
    print(
        f"{conns:>6}  {name:<16}{_shown(run['req_per_s']):>9}{share:>8}{run['p50_ms']:>9.2f}{run['p99_ms']:>9.2f}"
        f"{run['errors']:>6}{run['wrk_cpu_cores']:>9.2f}{run['server_cpu_cores']:>9.2f}{run['other_cpu_cores']:>8.2f}"
        f"  {flags}"
    )


# --- main ------------------------------------------------------------------------------------------


def main() -> None:
    ap = argparse.ArgumentParser(description="agentkit serve vs the MCP floor under wrk (see the docstring)")
    ap.add_argument("--quick", action="store_true", help="smoke run: 2 s per run, n=10000 (not a number to cite)")
    ap.add_argument("--duration", type=int, default=None, help="seconds per wrk run (default 5; 2 with --quick)")
    ap.add_argument("--n", type=int, default=None, help="users in the project (default 20000; 10000 with --quick)")
    ap.add_argument("--tokens", type=int, default=10_000, help="users' tokens wrk rotates over (>= 10000)")
    ap.add_argument("--connections", default="1,8,32,128", help="comma-separated levels")
    ap.add_argument("--no-redis", action="store_true", help="skip the Redis store")
    ap.add_argument("--embedder", choices=["minilm", "hashing"], default="minilm", help="help-center embedder")
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--out", type=Path, default=None, help="default bench/results/capacity[_quick].json")
    args = ap.parse_args()
    banner = wrk_version()
    if banner is None:
        sys.exit(f"error: {WRK_MISSING}")
    n = args.n or (10_000 if args.quick else 20_000)
    if args.tokens < 10_000 or args.tokens > n:
        sys.exit(f"error: --tokens {args.tokens}: need 10000 <= tokens <= users ({n})")
    duration = args.duration or (2 if args.quick else 5)
    cfg: dict[str, Any] = {
        "duration_s": duration,
        "warmup_s": 1 if args.quick else 2,
        "connections": sorted({int(c) for c in args.connections.split(",")}),
        "check_s": 3 if args.quick else 5,
        "check_calls": 200 if args.quick else 500,
        "scenario_connections": 8,
        "seed": args.seed,
    }
    out_path: Path = args.out or HERE / "results" / ("capacity_quick.json" if args.quick else "capacity.json")
    res: dict[str, Any] = {
        "meta": {
            "quick": args.quick,
            "config": cfg,
            "tokens": args.tokens,
            "wrk": banner,
            "lua": str(HERE / "capacity.lua"),
            "cpus": os.cpu_count(),
            "loadavg_start": os.getloadavg(),
        }
    }
    t_start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench_capacity_") as tmp_s:
        tmp = Path(tmp_s)
        (root := tmp / "project").mkdir()
        print(f"building the project ({n:,} users)...", flush=True)
        res["meta"]["project"] = build_project(root, n, args.embedder)
        redis_project = "--no-redis" if args.no_redis else materialize_redis(root)
        if isinstance(redis_project, str):
            res["meta"]["redis_skipped"] = redis_project
            print(f"Redis skipped: {redis_project}", flush=True)
        try:
            lines = write_tokens(root, tmp / "tokens.tsv", n, args.tokens, args.seed)
            res |= measure(tmp, root, lines, cfg, with_redis=not isinstance(redis_project, str))
        finally:
            if not isinstance(redis_project, str):
                res["meta"]["redis_keys_deleted"] = getattr(redis_project.online, "delete_all", lambda: -1)()
                redis_project.close()
                res["meta"]["redis_keys_left"] = redis_keys_left(res["meta"]["project"]["redis_prefix"])
                print(f"Redis: {res['meta']['redis_keys_left']} key(s) left under the run's prefix", flush=True)
    res["goals"] = goals(res, cfg)
    other = [r.get("other_cpu_cores", 0.0) for r in all_runs(res)]
    res["noise"] = {
        "threshold_cores": NOISY_CORES,
        "noisy_runs": sum(x >= NOISY_CORES for x in other),
        "runs": len(other),
        "other_cpu_cores_median": statistics.median(other) if other else None,
        "generator_limited_runs": [
            f"{r['server']} c={r['connections']}" for r in all_runs(res) if r.get("generator_limited")
        ],
    }
    res["meta"]["loadavg_end"] = os.getloadavg()
    res["meta"]["total_s"] = time.perf_counter() - t_start
    write_result(out_path, res)
    print_table(res)
    print(f"\nwrote {out_path} ({res['meta']['total_s']:.0f} s)")


def measure(
    tmp: Path, root: Path, lines: list[tuple[str, str]], cfg: dict[str, Any], *, with_redis: bool
) -> dict[str, Any]:
    """Start every server at once (idle ones cost nothing), then the phases in order; stop them all."""
    runner = Runner(tmp, tmp / "tokens.tsv", cfg["seed"])
    stores = ["local", "redis"] if with_redis else ["local"]
    configs = {"local": "agentkit.toml", "redis": "agentkit-redis.toml"}
    one = {"floor": floor_proc(tmp)}
    one |= {f"agentkit_{s}": agentkit_proc(tmp, root, f"agentkit_{s}", configs[s], 1) for s in stores}
    two = {s: agentkit_proc(tmp, root, f"agentkit_{s}_2w", configs[s], 2) for s in stores}
    meta: dict[str, Any] = {}
    res: dict[str, Any] = {"check": {}, "workers": {}}
    everything = [*one.values(), *two.values()]
    try:
        start_all(everything, meta)
        for server in everything:  # warm-up, not recorded
            runner.wrk(server, "floor" if server.name == "floor" else "agentkit", 8, cfg["warmup_s"]).start().finish()
        for server in everything[1:]:
            print(f"checking answers of {server.name} under load...", flush=True)
            res["check"][server.name] = checked_under_load(runner, server, lines, cfg)
        print("levels (one worker)...", flush=True)
        res["levels"] = levels(runner, one, cfg)
        print("32 connections, one worker vs two...", flush=True)
        for store in stores:
            pair: dict[str, Any] = {"one": runner.run(one[f"agentkit_{store}"], "agentkit", 32, cfg["duration_s"])}
            pair["two"] = runner.run(two[store], "agentkit", 32, cfg["duration_s"])
            pair["ratio"] = _rate(pair["two"]) / max(_rate(pair["one"]), 1e-9)
            print(f"  {store} 1 worker   {_brief(pair['one'])}\n  {store} 2 workers  {_brief(pair['two'])}", flush=True)
            res["workers"][store] = pair
        print("scenario: get_features with one searching client...", flush=True)
        meta["search_warmup_s"] = warm_search(one["agentkit_local"].url, lines[0][1])
        res["scenario"] = scenario(runner, one["agentkit_local"], cfg)
    finally:
        for p in everything:
            meta[f"exit_{p.name}"] = p.stop()
    res["meta_servers"] = meta
    return res


if __name__ == "__main__":
    main()

"""Helpers for ``bench_mcp.py`` and ``bench_capacity.py``: server processes (start, health wait, CPU
time, stop), MCP client sessions, raw JSON-RPC byte counts, latency summaries, the server-side
cProfile report, and ``wrk`` runs (command, CPU time of the generator, its parsed summary)."""

from __future__ import annotations

import json
import os
import pstats
import shutil
import signal
import socket
import statistics
import subprocess
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import httpx
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client

HOST = "127.0.0.1"
REPO = Path(__file__).resolve().parents[1]  # profile rows name files relative to it
CLK_TCK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
ACCEPT = "application/json, text/event-stream"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


# --- server processes ------------------------------------------------------------------------------


@dataclass
class ServerProc:
    """A server we started in its own session (process group); stopped by its own pid/group only."""

    name: str
    cmd: list[str]
    port: int
    log_path: Path
    cwd: Path | None = None
    env: dict[str, str] | None = None
    health_path: str = "/healthz"
    proc: subprocess.Popen[bytes] | None = None
    _log: IO[bytes] | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self) -> None:
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            self.cmd,
            cwd=self.cwd,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, timeout_s: float = 120.0) -> float:
        """Poll the health path (any HTTP answer < 500 counts for a port without /healthz)."""
        assert self.proc is not None
        t0 = time.monotonic()
        deadline = t0 + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}: {self.log_tail()}")
            try:
                if httpx.get(self.url + self.health_path, timeout=1.0).status_code < 500:
                    return time.monotonic() - t0
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"{self.name} not ready after {timeout_s:.0f}s: {self.log_tail()}")

    def log_tail(self, chars: int = 2000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def cpu_seconds(self) -> float | None:
        """user+system CPU of the server process and its descendants (gunicorn workers), from /proc."""
        if self.proc is None:
            return None
        total = 0.0
        todo, seen = [self.proc.pid], set[int]()
        while todo:  # bounded by the process tree
            pid = todo.pop()
            if pid in seen:
                continue
            seen.add(pid)
            try:
                stat = Path(f"/proc/{pid}/stat").read_text()
            except OSError:
                continue
            fields = stat[stat.rindex(")") + 2 :].split()
            total += (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime, stime
            for task in Path(f"/proc/{pid}/task").glob("*/children"):
                try:
                    todo.extend(int(c) for c in task.read_text().split())
                except OSError:
                    pass
        return total

    def stop(self, timeout_s: float = 15.0) -> int | None:
        """SIGTERM our process group, then SIGKILL it after ``timeout_s``."""
        p = self.proc
        rc: int | None = None
        if p is not None:
            if p.poll() is None:
                try:
                    os.killpg(p.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
                try:
                    rc = p.wait(timeout_s)
                except subprocess.TimeoutExpired:
                    os.killpg(p.pid, signal.SIGKILL)
                    rc = p.wait(10)
            else:
                rc = p.returncode
        if self._log is not None:
            self._log.close()
            self._log = None
        return rc


# --- MCP clients -----------------------------------------------------------------------------------


@dataclass
class Client:
    """One official-SDK client: its own httpx client (whose Authorization header a caller may set per
    call: stateless HTTP sends the client's headers with every POST) and a persistent ClientSession."""

    http: httpx.AsyncClient
    session: ClientSession

    def auth(self, token: str) -> None:
        self.http.headers["Authorization"] = f"Bearer {token}"


@asynccontextmanager
async def mcp_client(url: str, token: str | None) -> AsyncIterator[Client]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    http = httpx.AsyncClient(headers=headers, timeout=httpx.Timeout(30.0, read=60.0))
    async with (
        http,
        streamable_http_client(f"{url}/mcp", http_client=http) as (read, write, _),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        yield Client(http, session)


async def raw_exchange(
    url: str, token: str | None, calls: Sequence[tuple[str, dict[str, Any]]]
) -> list[dict[str, Any]]:
    """Plain JSON-RPC POSTs (initialize, notifications/initialized, then ``calls``): HTTP status, body
    bytes and the parsed JSON-RPC message of each call (SSE bodies: the ``data:`` line)."""
    headers = {"Accept": ACCEPT, "Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    out: list[dict[str, Any]] = []
    async with httpx.AsyncClient(timeout=30.0) as http:
        init = {
            "jsonrpc": "2.0",
            "id": 0,
            "method": "initialize",
            "params": {
                "protocolVersion": "2025-06-18",
                "capabilities": {},
                "clientInfo": {"name": "bench", "version": "0"},
            },
        }
        r = await http.post(f"{url}/mcp", json=init, headers=headers)
        r.raise_for_status()
        if sid := r.headers.get("mcp-session-id"):
            headers["mcp-session-id"] = sid
        if ver := _parse_body(r).get("result", {}).get("protocolVersion"):
            headers["mcp-protocol-version"] = ver
        await http.post(f"{url}/mcp", json={"jsonrpc": "2.0", "method": "notifications/initialized"}, headers=headers)
        for i, (method, params) in enumerate(calls, start=1):
            body = {"jsonrpc": "2.0", "id": i, "method": method, "params": params}
            r = await http.post(f"{url}/mcp", json=body, headers=headers)
            out.append(
                {
                    "status": r.status_code,
                    "content_type": r.headers.get("content-type", ""),
                    "body_bytes": len(r.content),
                    "message": _parse_body(r),
                }
            )
    return out


def _parse_body(r: httpx.Response) -> dict[str, Any]:
    text = r.text
    if "text/event-stream" in r.headers.get("content-type", ""):
        data = [line[5:].strip() for line in text.splitlines() if line.startswith("data:")]
        text = data[-1] if data else "{}"
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError:
        return {"unparsed": text[:200]}
    return parsed if isinstance(parsed, dict) else {"value": parsed}


# --- statistics -------------------------------------------------------------------------------------


def pct(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    s = sorted(values)
    if not s:
        return float("nan")
    k = max(0, min(len(s) - 1, int(-(-q * len(s) // 100)) - 1))
    return float(s[k])


def summarize(ns: Sequence[int]) -> dict[str, float]:
    us = [x / 1e3 for x in ns]
    return {
        "calls": len(us),
        "p50_us": pct(us, 50),
        "p90_us": pct(us, 90),
        "p99_us": pct(us, 99),
        "max_us": max(us) if us else float("nan"),
        "mean_us": statistics.fmean(us) if us else float("nan"),
    }


def median_ratio(a: Sequence[float], b: Sequence[float]) -> float:
    """Median over rounds of a[i] / b[i]."""
    return statistics.median(x / y for x, y in zip(a, b, strict=True))


# --- cProfile of the server ---------------------------------------------------------------------------

# Functions of agentkit's request path whose cumulative time per request is reported:
# label -> (a substring of the file path, the function name).
PATH_FUNCTIONS: dict[str, tuple[str, str]] = {
    "streamable HTTP handle_request": ("streamable_http_manager.py", "handle_request"),
    "bearer auth middleware": ("bearer_auth.py", "authenticate"),
    "verify_token (agentkit BearerVerifier)": ("server/auth.py", "verify_token"),
    "TokenService.verify (PyJWT)": ("server/tokens.py", "verify"),
    "AgentkitMCP.call_tool": ("server/app.py", "call_tool"),
    "AgentkitMCP.caller": ("server/app.py", "caller"),
    "get_features tool body": ("server/tools.py", "get_features"),
    "Project.get_features": ("agentkit/project.py", "get_features"),
    "rows_payload (JSON)": ("server/tools.py", "rows_payload"),
    "FastMCP argument validation": ("func_metadata.py", "call_fn_with_arg_validation"),
    "Metrics.count/observe": ("server/metrics.py", "observe"),
    "jsonschema input validation": ("jsonschema", "validate"),
}


def profile_report(path: Path, calls: int, top: int = 25) -> dict[str, Any]:
    """Per-call self time (top ``top``) and cumulative time of the request-path functions."""
    st = pstats.Stats(str(path))
    raw: dict[Any, Any] = st.stats  # type: ignore[attr-defined]
    rows: list[dict[str, Any]] = []
    for (file, line, func), (cc, nc, tt, ct, _callers) in raw.items():
        short = f"{_short(file)}:{line}({func})"
        rows.append(
            {
                "function": short,
                "file": file,
                "func": func,
                "calls_per_request": nc / calls,
                "self_us_per_request": tt / calls * 1e6,
                "cum_us_per_request": ct / calls * 1e6,
                "primitive_calls": cc,
            }
        )
    total_self = sum(r["self_us_per_request"] for r in rows)
    by_self = [
        {k: v for k, v in r.items() if k not in ("file", "func")}
        for r in sorted(rows, key=lambda r: -r["self_us_per_request"])[:top]
    ]
    path_rows: dict[str, Any] = {}
    for label, (fpart, fname) in PATH_FUNCTIONS.items():
        matches = [r for r in rows if fpart in r["file"] and r["func"] == fname]
        if matches:
            best = max(matches, key=lambda r: r["cum_us_per_request"])
            path_rows[label] = {k: best[k] for k in ("function", "calls_per_request", "cum_us_per_request")}
    by_package: dict[str, float] = {}
    for r in rows:
        by_package[_package(r["function"])] = by_package.get(_package(r["function"]), 0.0) + r["self_us_per_request"]
    return {
        "requests": calls,
        "profiled_self_us_per_request": total_self,
        "top_self": by_self,
        "request_path_cum": path_rows,
        "self_us_by_package": dict(sorted(by_package.items(), key=lambda kv: -kv[1])[:15]),
        "note": "cProfile inflates every Python call (locate, do not size); totals include the idle event loop",
    }


def _short(file: str) -> str:
    for marker in ("site-packages/", f"{REPO}/", "lib/python3."):
        if marker in file:
            return file.split(marker, 1)[1]
    return file


def _package(function: str) -> str:
    if function.startswith("~") or function.startswith("<"):
        return "builtins/C"
    head = function.split("/", 1)[0].split(":", 1)[0]
    return head.removesuffix(".py")


# --- wrk: the load generator of bench_capacity.py ---------------------------------------------------

WRK_LUA = Path(__file__).resolve().parent / "capacity.lua"
WRK_MISSING = (
    "bench_capacity.py needs wrk (the HTTP load generator, with LuaJIT) on PATH and did not find it; "
    "install it from your distribution's packages (Debian/Ubuntu: apt-get install -y wrk), then run again"
)


def wrk_version() -> str | None:
    """wrk's banner line, or None when wrk is not on PATH."""
    exe = shutil.which("wrk")
    if exe is None:
        return None
    done = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=10, check=False)
    lines = (done.stdout or done.stderr).splitlines()
    return lines[0].strip() if lines else "wrk (version unknown)"


@dataclass
class WrkRun:
    """One ``wrk`` process driving ``url`` with ``capacity.lua``: started, then finished by reaping it
    with ``os.wait4`` (its own user+system CPU time, all threads, exactly) and parsing the script's
    ``CAPACITY {json}`` line. Bounded: killed ``grace_s`` after its duration."""

    url: str
    connections: int
    duration_s: int
    tokens: Path
    body: Path
    seed: int
    log_path: Path
    threads: int = 2
    grace_s: float = 30.0
    proc: subprocess.Popen[bytes] | None = None
    _log: IO[bytes] | None = field(default=None, repr=False)
    _t0: float = 0.0

    def command(self) -> list[str]:
        threads = max(1, min(self.threads, self.connections))  # wrk wants connections >= threads
        return [
            "wrk",
            f"-t{threads}",
            f"-c{self.connections}",
            f"-d{self.duration_s}s",
            "--latency",
            "--timeout",
            "30s",
            "-s",
            str(WRK_LUA),
            self.url,
            "--",
            str(self.tokens),
            str(self.body),
            str(self.seed),
        ]

    def start(self) -> WrkRun:
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in finish()
        self._t0 = time.monotonic()
        self.proc = subprocess.Popen(
            self.command(), stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True
        )
        return self

    def finish(self) -> dict[str, Any]:
        """Wait for wrk (bounded), reap it and return its numbers (``failed`` set if it did not report)."""
        p = self.proc
        assert p is not None
        assert self._log is not None
        deadline = self._t0 + self.duration_s + self.grace_s
        killed = False
        while True:  # bounded by the deadline
            pid, status, usage = os.wait4(p.pid, os.WNOHANG)
            if pid != 0:
                break
            if time.monotonic() > deadline:
                os.killpg(p.pid, signal.SIGKILL)
                _, status, usage = os.wait4(p.pid, 0)
                killed = True
                break
            time.sleep(0.02)
        wall = time.monotonic() - self._t0
        p.returncode = os.waitstatus_to_exitcode(status)  # reaped here: Popen must not wait again
        self._log.close()
        self._log = None
        out = self.log_path.read_text(errors="replace")
        cpu = usage.ru_utime + usage.ru_stime
        threads = max(1, min(self.threads, self.connections))
        res: dict[str, Any] = {
            "connections": self.connections,
            "wrk_threads": threads,
            "duration_s": self.duration_s,
            "wrk_cpu_s": cpu,
            "wrk_wall_s": wall,
            "exit_code": p.returncode,
        }
        line = next((x for x in out.splitlines() if x.startswith("CAPACITY ")), None)
        if line is None or killed:
            return res | {"failed": f"wrk {'was killed' if killed else 'gave no summary'}: {out[-1500:]}"}
        summary: dict[str, Any] = json.loads(line.removeprefix("CAPACITY "))
        seconds = summary["duration_us"] / 1e6
        lat = summary["latency_us"]
        sock = summary["socket_errors"]  # its "status" (non-2xx/3xx) is what non200 counts too
        errors = sock["connect"] + sock["read"] + sock["write"] + sock["timeout"] + summary["non200"]
        errors += summary["tool_errors"]
        init = min(cpu, summary["init_cpu_s"])  # reading the tokens file, before wrk's clock starts
        return res | {
            "requests": summary["requests"],
            "req_per_s": summary["requests"] / seconds,
            "p50_ms": lat["p50"] / 1e3,
            "p90_ms": lat["p90"] / 1e3,
            "p99_ms": lat["p99"] / 1e3,
            "max_ms": lat["max"] / 1e3,
            "mean_ms": lat["mean"] / 1e3,
            "errors": errors,
            "non200": summary["non200"],
            "tool_errors": summary["tool_errors"],
            "socket_errors": summary["socket_errors"],
            "tokens_per_thread": summary["tokens_per_thread"],
            "wrk_init_cpu_s": init,
            "wrk_cpu_cores": (cpu - init) / seconds,  # busy cores while it ran: at most wrk_threads
        }


def machine_busy_seconds() -> float:
    """CPU seconds all processes on this machine have used since boot (/proc/stat, not idle or iowait)."""
    try:
        with open("/proc/stat") as f:
            fields = f.readline().split()[1:]
    except OSError:
        return float("nan")
    ticks = [int(x) for x in fields]  # user nice system idle iowait irq softirq steal ...
    busy = ticks[0] + ticks[1] + ticks[2] + ticks[5] + ticks[6]
    return busy / CLK_TCK

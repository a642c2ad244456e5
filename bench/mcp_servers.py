"""MCP server processes for ``bench_mcp.py`` (one per process, uvicorn, 1 worker, access log off).

Usage (from the repo root, with the project venv)::

    python bench/mcp_servers.py agentkit   --port P --config PROJECT/agentkit.toml [--profile OUT.pstats]
    python bench/mcp_servers.py floor      --port P
    python bench/mcp_servers.py floor_auth --port P --token SECRET

- ``agentkit``: ``build_mcp_server(project, host, port).streamable_http_app()``, as ``agentkit serve``
  runs it (stateless streamable HTTP, JSON responses, bearer-token auth).
- ``floor``: a plain ``FastMCP`` (``stateless_http=True, json_response=True``), no auth, one tool
  ``get_user_features(user_id)`` returning a small constant dict (one user's 10 features) as compact
  JSON text: the MCP protocol floor (what the SDK costs for one tool call).
- ``floor_auth``: the same with a trivial ``TokenVerifier`` (the bearer token must equal ``--token``),
  wired exactly like agentkit's (``token_verifier`` + ``AuthSettings``): the SDK's auth middleware cost.

``--pin-server-version`` (any mode) sets the low-level server's ``version``: without it the SDK's
stateless path calls ``importlib.metadata.version("mcp")`` (reads and parses the package METADATA)
on every request to fill ``serverInfo.version``; this is the what-if for removing that cost.

Every server answers ``GET /healthz``. With ``--profile OUT`` two more routes exist:
``POST /_bench/profile/start`` enables cProfile in the server's event-loop thread and
``POST /_bench/profile/stop`` disables it and writes the stats to OUT, so exactly the requests in
between are profiled (not the start-up, not the warm-up).
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import json
import sys
import time
from pathlib import Path
from typing import Any

import uvicorn
from mcp.server.auth.provider import AccessToken, TokenVerifier
from mcp.server.auth.settings import AuthSettings
from mcp.server.fastmcp import FastMCP
from mcp.types import ContentBlock, TextContent
from pydantic import AnyHttpUrl
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

HOST = "127.0.0.1"
# One user's 10 features (same names and types as bench/peers/data.py), constant.
CONSTANT_ROW: dict[str, Any] = {
    "f_orders_30d": 42,
    "f_spend_30d": 512.25,
    "f_avg_basket": 37.5,
    "f_days_since_login": 3,
    "f_tickets_open": 1,
    "f_csat": 4.25,
    "f_tenure_days": 1200,
    "f_is_premium": True,
    "f_churn_score": 0.125,
    "f_plan_tier": "pro",
}
CONSTANT_TEXT = json.dumps(CONSTANT_ROW, separators=(",", ":"))


class ConstantVerifier(TokenVerifier):
    """Accepts exactly one bearer token: the cheapest verifier the SDK's auth path allows."""

    def __init__(self, token: str) -> None:
        self._token = token

    async def verify_token(self, token: str) -> AccessToken | None:
        if token != self._token:
            return None
        return AccessToken(token=token, client_id="bench", scopes=[], expires_at=None)


def floor_server(port: int, token: str | None) -> FastMCP:
    """The protocol floor: one tool, a constant answer; with ``token``, the SDK's bearer auth."""
    auth: dict[str, Any] = {}
    if token is not None:
        auth = {
            "token_verifier": ConstantVerifier(token),
            "auth": AuthSettings(
                issuer_url=AnyHttpUrl(f"http://{HOST}:{port}/issuer"),
                resource_server_url=AnyHttpUrl(f"http://{HOST}:{port}/mcp"),
                required_scopes=[],
            ),
        }
    server = FastMCP(
        name="mcp-floor",
        host=HOST,
        port=port,
        stateless_http=True,
        json_response=True,
        log_level="WARNING",
        **auth,
    )

    @server.tool(structured_output=False)
    def get_user_features(user_id: str) -> list[ContentBlock]:
        """Return the 10 features of one user."""
        return [TextContent(type="text", text=CONSTANT_TEXT)]

    _healthz(server)
    return server


def agentkit_server(config: Path, port: int) -> FastMCP:
    from agentkit import Project
    from agentkit.server.app import build_mcp_server

    project = Project.load(config)
    return build_mcp_server(project, host=HOST, port=port)  # it has its own /healthz


def _healthz(server: FastMCP) -> None:
    @server.custom_route("/healthz", methods=["GET"])
    async def healthz(request: Request) -> Response:  # pyright: ignore[reportUnusedFunction]
        return JSONResponse({"status": "ok"})


class GcProbe:
    """Counts the cyclic garbage collector's runs and their wall time, by generation."""

    def __init__(self) -> None:
        self.runs = [0, 0, 0]
        self.seconds = [0.0, 0.0, 0.0]
        self.collected = [0, 0, 0]
        self._t0 = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._t0 = time.perf_counter()
            return
        g = info["generation"]
        self.runs[g] += 1
        self.seconds[g] += time.perf_counter() - self._t0
        self.collected[g] += info.get("collected", 0)

    def report(self) -> dict[str, Any]:
        return {
            "runs_by_generation": self.runs,
            "ms_by_generation": [s * 1e3 for s in self.seconds],
            "collected_by_generation": self.collected,
            "tracked_objects": len(gc.get_objects()),
            "thresholds": gc.get_threshold(),
        }


def _profile_routes(server: FastMCP, out: Path) -> None:
    prof = cProfile.Profile(time.thread_time)  # CPU time of the event-loop thread: robust to a busy box
    probe = GcProbe()

    @server.custom_route("/_bench/profile/start", methods=["POST"])
    async def start(request: Request) -> Response:  # pyright: ignore[reportUnusedFunction]
        gc.callbacks.append(probe)
        prof.enable()
        return JSONResponse({"profiling": True})

    @server.custom_route("/_bench/profile/stop", methods=["POST"])
    async def stop(request: Request) -> Response:  # pyright: ignore[reportUnusedFunction]
        prof.disable()
        gc.callbacks.remove(probe)
        prof.dump_stats(str(out))
        return JSONResponse({"profiling": False, "stats": str(out), "gc": probe.report()})


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("mode", choices=["agentkit", "floor", "floor_auth"])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--config", type=Path, help="agentkit.toml (mode agentkit)")
    ap.add_argument("--token", help="the one accepted bearer token (mode floor_auth)")
    ap.add_argument("--pin-server-version", action="store_true", help="set serverInfo.version once")
    ap.add_argument("--profile", type=Path, help="add the cProfile start/stop routes; stats go here")
    args = ap.parse_args()
    if args.mode == "agentkit":
        if args.config is None:
            ap.error("agentkit needs --config")
        server = agentkit_server(args.config, args.port)
    elif args.mode == "floor_auth":
        if not args.token:
            ap.error("floor_auth needs --token")
        server = floor_server(args.port, args.token)
    else:
        server = floor_server(args.port, None)
    if args.pin_server_version:
        import importlib.metadata

        server._mcp_server.version = importlib.metadata.version("mcp")  # pyright: ignore[reportPrivateUsage]
    if args.profile is not None:
        _profile_routes(server, args.profile)
    app = server.streamable_http_app()
    print(
        f"{args.mode} on http://{HOST}:{args.port}/mcp (python {sys.version.split()[0]})", file=sys.stderr, flush=True
    )
    uvicorn.run(app, host=HOST, port=args.port, log_level="warning", access_log=False, workers=1)


if __name__ == "__main__":
    main()

"""The server's plain HTTP routes: ``/healthz`` (liveness), ``/readyz`` (readiness) and ``/metrics``.

None of them needs a token. ``/healthz`` and ``/metrics`` answer from memory; ``/readyz`` waits at
most ``[server] ready_timeout`` for the online store (see :mod:`agentkit.server.health`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from agentkit._version import __version__

if TYPE_CHECKING:
    from agentkit.server.app import AgentkitMCP

__all__ = ["add_routes"]


def add_routes(server: AgentkitMCP) -> None:
    """Register the health, readiness and metrics routes on ``server``."""

    async def healthz(request: Request) -> Response:
        return JSONResponse(
            {
                "status": "ok",
                "version": __version__,
                "applied_version": server.policies.version,  # as last seen; never read here
                "time": datetime.now(UTC).isoformat(),
            }
        )

    async def readyz(request: Request) -> Response:
        report = await server.readiness.check()
        return JSONResponse(report.body(), status_code=200 if report.ready else 503)

    async def metrics(request: Request) -> Response:
        return PlainTextResponse(server.metrics.render(), media_type="text/plain; version=0.0.4")

    server.custom_route("/healthz", methods=["GET"])(healthz)
    server.custom_route("/readyz", methods=["GET"])(readyz)
    server.custom_route("/metrics", methods=["GET"])(metrics)

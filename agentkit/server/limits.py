"""``RequestLimits``: the HTTP front door — body size and JSON nesting caps, and who is asking.

An ASGI middleware around the whole app, in front of authentication:

- a body larger than ``[server] max_body_bytes`` gets ``413`` — at once when ``Content-Length``
  says so, else as soon as the streamed body passes the cap (nothing more is read);
- a JSON body nested deeper than ``[server] max_json_depth`` gets ``400``. The SDK parses bodies with
  the recursive ``json`` module: a 100,000-deep body would exhaust its recursion and answer ``500``
  with a traceback in the log. The depth is found without parsing (brackets outside strings);
- each refusal is one log line (no traceback) and a ``request_refused_total`` metric.

It also records the peer address of each request (:func:`request_source`) for the audit records
of refusals (:mod:`agentkit.server.refusals`). Other ASGI traffic (lifespan) passes untouched.
"""

from __future__ import annotations

import json
import logging
import re
from contextvars import ContextVar

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from agentkit.server.metrics import Metrics

__all__ = ["LOCAL", "RequestLimits", "json_too_deep", "request_source"]

log = logging.getLogger(__name__)

LOCAL = "local"
"""The source of calls that did not come over HTTP (stdio, in memory)."""

_source: ContextVar[str] = ContextVar("agentkit_request_source", default=LOCAL)
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")


def request_source() -> str:
    """The peer address of the HTTP request being served (``"local"`` outside HTTP)."""
    return _source.get()


def json_too_deep(body: bytes, limit: int) -> bool:
    """Whether ``body`` nests arrays/objects deeper than ``limit`` (or has more closers than
    openers); brackets inside strings do not count. Linear, and stops at the first excess."""
    if body.count(b"[") + body.count(b"{") <= limit:
        return False
    brackets = _STRING.sub(b'""', body).translate(None, _NOT_BRACKETS)
    depth = 0
    for char in brackets:
        if char in b"[{":
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
            if depth < 0:
                return True
    return False


class _TooLargeError(Exception):
    pass


class RequestLimits:
    """Refuse oversized (413) and too deeply nested (400) request bodies before anything parses them."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int, max_json_depth: int, metrics: Metrics) -> None:
        self._app = app
        self._max_bytes = max_body_bytes
        self._max_depth = max_json_depth
        self._metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        client = scope.get("client")
        token = _source.set(str(client[0]) if client else "unknown")
        try:
            await self._serve(scope, receive, send)
        finally:
            _source.reset(token)

    async def _serve(self, scope: Scope, receive: Receive, send: Send) -> None:
        declared = _content_length(scope)
        if declared is not None and declared > self._max_bytes:
            await self._refuse(send, 413, "too_large", f"request body of {declared} bytes is over the limit")
            return
        try:
            body, rest = await self._read(receive)
        except _TooLargeError:
            await self._refuse(send, 413, "too_large", "request body is over the limit")
            return
        if json_too_deep(body, self._max_depth):
            await self._refuse(send, 400, "too_deep", f"JSON nested deeper than {self._max_depth} levels")
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await rest()

        await self._app(scope, replay, send)

    async def _read(self, receive: Receive) -> tuple[bytes, Receive]:
        """The whole body (at most ``max_body_bytes``) and the receive to use after it."""
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away: let the app see it
                return b"".join(chunks), _repeat(message)
            chunk: bytes = message.get("body", b"")
            size += len(chunk)
            if size > self._max_bytes:
                raise _TooLargeError
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks), receive

    async def _refuse(self, send: Send, status: int, reason: str, why: str) -> None:
        source = request_source()
        self._metrics.count("request_refused_total", reason=reason)
        log.warning("refused a request from %s: %s (HTTP %d)", source, why, status)
        limit = f"[server] max_body_bytes = {self._max_bytes}" if status == 413 else "[server] max_json_depth"
        code = -32600 if status == 413 else -32700
        body = json.dumps(
            {"jsonrpc": "2.0", "id": None, "error": {"code": code, "message": f"{why} ({limit})"}}
        ).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        if status == 413:
            headers.append((b"connection", b"close"))  # the rest of the body is never read
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def _repeat(message: Message) -> Receive:
    async def receive() -> Message:
        return message

    return receive


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None

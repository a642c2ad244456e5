"""What a caller may learn from a failure at the tool boundary, and what only the server log sees.

Two audiences (house style): an agentkit error about the *request* — a denied read, an unknown
feature, a bad time — is written for the model and passes as it is. A failure of the *platform* —
the online store or the catalog unreachable (:class:`OnlineStoreError`, :class:`CatalogError`), a
connection error, a timeout, or a bug — reaches the caller as "temporarily unavailable" with a
request id, never with its message (a driver's message can hold a host, a path or a URL with its
password). The details go to this module's logger under the same request id, credentials redacted.
"""

from __future__ import annotations

import logging
import traceback
import uuid
from collections.abc import Mapping
from typing import Any

from mcp.server.fastmcp.exceptions import ToolError

from agentkit.errors import AgentkitError, CatalogError, OnlineStoreError
from agentkit.redaction import redact

__all__ = ["public_error", "unknown_arguments"]

log = logging.getLogger(__name__)

_INFRASTRUCTURE = (OnlineStoreError, CatalogError, OSError, TimeoutError)


def public_error(exc: BaseException, *, where: str) -> ToolError:
    """The tool error to raise for ``exc`` (logging the details of a platform failure)."""
    if isinstance(exc, ToolError):
        return exc
    if isinstance(exc, AgentkitError) and not isinstance(exc, _INFRASTRUCTURE):
        return ToolError(redact(exc.message))
    request_id = uuid.uuid4().hex[:16]
    if isinstance(exc, _INFRASTRUCTURE):
        log.warning("%s failed (request id %s): %s", where, request_id, _describe(exc))
    else:
        text = redact("".join(traceback.format_exception(exc)).rstrip())
        log.error("%s failed unexpectedly (request id %s): %s", where, request_id, text)
    return ToolError(f"the service is temporarily unavailable; try again shortly (request id {request_id})")


def _describe(exc: BaseException) -> str:
    """``Type: first line`` of the error and of its causes, redacted, on one line."""
    parts: list[str] = []
    seen: BaseException | None = exc
    while seen is not None and len(parts) < 4:
        first = str(seen).splitlines()[0] if str(seen) else ""
        parts.append(f"{type(seen).__name__}: {first}")
        seen = seen.__cause__ or seen.__context__
    return redact(" <- ".join(parts))


def unknown_arguments(tool: str, schema: Mapping[str, Any], arguments: Mapping[str, Any]) -> ToolError | None:
    """The tool error for arguments ``tool``'s input ``schema`` does not name, or ``None``.

    Arguments are never silently dropped: a caller passing ``as_of`` or ``customer_id`` must learn
    that they are not how a read is scoped (the user and the time come from the token).
    """
    known: Mapping[str, Any] = schema.get("properties") or {}
    extra = sorted(name for name in arguments if name not in known)
    if not extra:
        return None
    shown = ", ".join(repr(name[:64]) for name in extra[:5]) + (" ..." if len(extra) > 5 else "")
    takes = ", ".join(known) or "nothing"
    return ToolError(
        f"{tool} got unknown argument(s) {shown}; it takes: {takes}. The user and the time of a read "
        "come from the session's token, never from arguments — call it again without them"
    )

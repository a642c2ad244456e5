"""``BearerVerifier``: the MCP SDK's token-verifier hook over :class:`TokenService`.

Every HTTP request's bearer token is verified here, on the event loop (verification is CPU-only and
bounded: oversized tokens are refused before any signature work). A token for an agent outside the
applied policy is refused too; the agents come from the server's policy cache, which never waits on
a store once loaded — and when no policy could be loaded at all, that one check is left to the
allow-list checks behind it (which then deny everything).

A refusal is counted (``auth_rejected_total{reason=...}``), logged at INFO without the token, and
audited in aggregate (:class:`~agentkit.server.refusals.RefusalLog`).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Collection

from mcp.server.auth.provider import AccessToken, TokenVerifier

from agentkit.server.limits import request_source
from agentkit.server.metrics import Metrics
from agentkit.server.refusals import RefusalLog
from agentkit.server.tokens import TokenService, TokenVerificationError, check_agent

__all__ = ["BearerVerifier", "KnownAgents"]

log = logging.getLogger(__name__)

KnownAgents = Callable[[], Awaitable[Collection[str] | None]]
"""The applied policy's agents, or ``None`` when no policy could be loaded."""


class BearerVerifier(TokenVerifier):
    """Verify a request's token; ``None`` (the SDK answers ``401``) for any refusal."""

    def __init__(self, tokens: TokenService, metrics: Metrics, refusals: RefusalLog, agents: KnownAgents) -> None:
        self._tokens = tokens
        self._metrics = metrics
        self._refusals = refusals
        self._agents = agents

    async def verify_token(self, token: str) -> AccessToken | None:
        try:
            claims = self._tokens.verify(token)  # signature first: a bad token never waits for a policy
            known = await self._agents()
            if known is not None:
                check_agent(claims.principal, known)
        except TokenVerificationError as exc:
            source = request_source()
            self._metrics.count("auth_rejected_total", reason=exc.reason)
            log.info("token rejected from %s (%s): %s", source, exc.reason, exc)
            self._refusals.note(f"token_rejected:{exc.reason}", source=source)
            return None
        p = claims.principal
        return AccessToken(
            token=token,
            client_id=p.agent,
            scopes=[],
            expires_at=claims.expires_at,
            subject=p.subject,
            claims={
                "agent": p.agent,
                "sub": p.subject,
                "roles": list(p.roles),
                "tenant": p.tenant,
                "as_of": claims.as_of.isoformat() if claims.as_of else None,
            },
        )

"""The run context: who the agent is talking to, invisible to the model."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from agentkit.governance.principal import Principal

__all__ = ["RunContext"]


@dataclass(frozen=True)
class RunContext:
    """Passed as the LangGraph runtime context (``graph.invoke(..., context=RunContext(...))``).

    Give either ``token`` (a bearer token your identity provider issued for the end user) or, in
    embedded mode, ``principal`` (agentkit then issues a short-lived token for it with the
    project's development key). ``as_of`` replays a past moment (every read of the turn is
    point-in-time). Nothing here is visible to the model or settable by it.
    """

    token: str | None = None
    principal: Principal | None = None
    as_of: datetime | None = None
    session_id: str | None = None
    metadata: dict[str, str] = field(default_factory=dict[str, str])

"""A checkpointed thread belongs to one principal: the user (subject and tenant) and the agent of
its first run.

A checkpointer keeps a conversation under a ``thread_id`` chosen by the application. Reused for
another customer, that thread would put the first customer's messages — their orders, their
addresses — into the second customer's context, where the model reads them. So the agent records
a fingerprint of the principal with the thread on its first run and refuses, with a
:class:`~agentkit.PolicyError` (code ``thread_principal_mismatch``), any later run whose principal
differs. Refusing beats namespacing threads by user: a namespace would silently fork the history.

Two checks, one fingerprint:

* before a run starts (``ThreadBoundGraph`` in :mod:`agentkit.agent._graph`), the thread's
  recorded fingerprint is read and compared: a refused run writes nothing to the thread and
  streams nothing from it (LangGraph emits a thread's state as soon as a run's input is applied,
  before any node runs);
* inside the graph (:class:`ThreadBinding`, the first middleware), the fingerprint is recorded on
  the first run and checked again — the backstop for a run that raced the first check (two runs
  of one thread at once, which LangGraph does not support): it is refused before the model runs,
  though its input has reached the thread by then.

The fingerprint is of the *verified* principal (a SHA-256 of kind, agent, subject and tenant):
with a token it is the token's verified claims (tokens rotate; the user does not). Roles and
``as_of`` are not part of it: they may change between turns of one conversation.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Annotated, Any, NotRequired, cast

from langchain.agents.middleware import AgentMiddleware, AgentState
from langchain.agents.middleware.types import PrivateStateAttr
from langchain_core.runnables import RunnableConfig
from langgraph.config import get_config
from langgraph.runtime import Runtime

from agentkit.errors import AgentkitError, PolicyError, shown
from agentkit.governance.principal import Principal
from agentkit.tools.context import RunContext

__all__ = [
    "THREAD_PRINCIPAL",
    "PrincipalResolver",
    "ThreadBinding",
    "ThreadState",
    "TokenVerifier",
    "principal_fingerprint",
    "principal_resolver",
]

THREAD_PRINCIPAL = "thread_principal"
"""The state key holding the thread's principal fingerprint (private: not an input or output)."""

PrincipalResolver = Callable[[RunContext | None], Principal]
"""The verified principal of a run, from its context (raises an :class:`AgentkitError` if none)."""

TokenVerifier = Callable[[str], Principal]
"""Verifies a token and returns its principal (raises an :class:`AgentkitError` if it is refused)."""


class ThreadState(AgentState[Any]):
    """The agent's state plus the thread's principal fingerprint."""

    thread_principal: NotRequired[Annotated[str, PrivateStateAttr]]


def principal_fingerprint(principal: Principal) -> str:
    """A stable fingerprint of who a thread belongs to: kind, agent, subject and tenant."""
    fields = [principal.kind, principal.agent, principal.subject, principal.tenant]
    canonical = json.dumps(["agentkit.thread/1", *fields], separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def principal_resolver(verify: TokenVerifier | None) -> PrincipalResolver:
    """The run's principal: the verified claims of its token (with ``verify``, the embedded
    project's verifier), else the principal the application gave."""

    def resolve(context: RunContext | None) -> Principal:
        if context is None:
            raise AgentkitError("the run has no RunContext: pass context=RunContext(...)", code="no_run_context")
        if context.token and verify is not None:
            return verify(context.token)
        if context.principal is not None:
            return context.principal
        if context.token:
            raise PolicyError(
                "a checkpointed agent over mcp_url cannot verify the run's token itself, so it cannot tell "
                "whose thread this is: pass RunContext(token=..., principal=Principal(...)) with the user "
                "your application verified",
                code="thread_principal_unknown",
            )
        raise AgentkitError("the RunContext needs a token (or a principal in embedded mode)", code="no_run_context")

    return resolve


def _mismatch(config: RunnableConfig | None) -> PolicyError:
    configurable = (config or {}).get("configurable") or {}
    thread = configurable.get("thread_id")
    which = f"thread {shown(thread)}" if thread is not None else "this thread"
    return PolicyError(
        f"{which} belongs to another user or agent; a run may only continue a thread of its own "
        "principal — use a new thread_id for each customer (and agent)",
        code="thread_principal_mismatch",
    )


class ThreadBinding(AgentMiddleware[ThreadState, RunContext, Any]):
    """Records the run's principal fingerprint on a thread's first run; refuses a run of another
    principal (the in-graph check; the compiled graph checks again before a run starts)."""

    state_schema = ThreadState

    def __init__(self, resolve: PrincipalResolver) -> None:
        super().__init__()
        self.resolve = resolve

    def fingerprint(self, context: RunContext | None) -> str:
        return principal_fingerprint(self.resolve(context))

    def check(self, bound: object, context: RunContext | None, config: RunnableConfig | None) -> str:
        """The run's fingerprint, if ``bound`` (the thread's, or None for a new thread) allows it."""
        fingerprint = self.fingerprint(context)
        if bound is not None and bound != fingerprint:
            raise _mismatch(config)
        return fingerprint

    def before_agent(self, state: ThreadState, runtime: Runtime[RunContext]) -> dict[str, Any] | None:
        context = cast("RunContext | None", runtime.context)  # None when the run passed no context
        bound = state.get(THREAD_PRINCIPAL)
        fingerprint = self.check(bound, context, get_config())
        return {THREAD_PRINCIPAL: fingerprint} if bound is None else None

    async def abefore_agent(self, state: ThreadState, runtime: Runtime[RunContext]) -> dict[str, Any] | None:
        return self.before_agent(state, runtime)
